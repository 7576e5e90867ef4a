from django import template

from ..follows import Cadence, Follow, normalize_query

register = template.Library()


@register.inclusion_tag("events/_follow.html", takes_context=True)
def follow_button(context, field, value):
    """The follow button for one target; one query for a signed-in user, none for anyone else."""
    request = context["request"]
    user = request.user
    if field == "query":
        value = normalize_query(value)
    lookup = {"meeting": "meeting__slug", "series": "series__slug", "delegation": "country", "query": "query"}[field]
    following = None
    if user.is_authenticated and value:
        following = Follow.objects.filter(user=user, **{lookup: value}).only("pk").first()
    return {
        "request": request,
        "user": user,
        "field": field,
        "value": value,
        "following": following,
        "cadences": Cadence.choices,
        "csrf_token": context.get("csrf_token"),
    }
