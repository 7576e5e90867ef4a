import datetime as dt
import json
import re

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext

from events import times
from events.filters import MeetingFilter

register = template.Library()

FILTER_PARAMS = tuple(MeetingFilter.base_filters)
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def feed_url(context, name, *args, with_filters=False):
    """Absolute URL of a calendar feed, or "" while the feeds are not installed.

    With `with_filters` the page's filters are passed on, so the feed matches the view.
    """
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    request = context.get("request")
    if with_filters and request is not None:
        query = filter_query(request)
        if query:
            path = f"{path}?{query}"
    return request.build_absolute_uri(path) if request is not None else path


@register.filter
def webcal(url):
    """The same feed for calendar apps: webcal:// on the same host."""
    return re.sub(r"^https?://", "webcal://", url) if url else ""


@register.filter
def filter_query(request):
    """The list filters of the current request, for feed links and bookmarks."""
    pairs = [(key, value) for key in FILTER_PARAMS for value in request.GET.getlist(key) if value]
    return urlencode(pairs)


@register.inclusion_tag("events/_session_time.html", takes_context=True)
def session_time(context, session):
    """The session's time at the venue and, when the viewer chose another zone, in theirs."""
    request = context.get("request")
    viewer = getattr(request, "viewer_timezone", None)
    local = times.shown_time(session, session.timezone)
    theirs = times.shown_time(session, viewer) if viewer and local else None
    if theirs is not None and theirs.offset == local.offset and theirs.zone == local.zone:
        theirs = None
    return {"session": session, "local": local, "theirs": theirs, "viewer": viewer}


@register.filter
def day_heading(value):
    return times.format_day(value)


@register.filter
def short_day(value):
    return times.format_short_day(value)


@register.simple_tag
def date_span(start, end):
    return times.format_date_span(start, end)


@register.filter
def ld_json(data):
    """schema.org data as a non-executable script block (allowed by the strict CSP)."""
    text = json.dumps(data, ensure_ascii=False, indent=1).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 - escaped above


@register.filter
def date_input(value):
    """A date for a text input, in the page language's short format; anything else as the user typed it."""
    if value in (None, ""):
        return ""
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            return value
    return formats.date_format(value, "SHORT_DATE_FORMAT")


@register.simple_tag
def date_input_hint():
    return pgettext("how to type a date, in the short date format", "mm/dd/yyyy")
