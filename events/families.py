"""Summit families: a meeting with the meetings held as part of it."""

from django.db.models import Q

from .models import (
    Meeting,
)


def meeting_family(*, meeting, user):
    """The summit and its related meetings, in the order they happen: CPR → SOM → ministers → summit.

    Ordering by last day first puts the summit, which spans its related meetings, at the end.
    """
    root_id = meeting.parent_id or meeting.pk
    family = list(
        Meeting.objects.visible_to(user)
        .filter(Q(pk=root_id) | Q(parent_id=root_id))
        .select_related("series")
        .order_by("end_date", "start_date", "title")
    )
    return family if len(family) > 1 else []
