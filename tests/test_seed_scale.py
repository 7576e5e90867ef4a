"""The seed_scale command (events/management/commands/seed_scale.py): a synthetic calendar of summit groups,
sessions within their meetings, never twice."""

import io

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from events.models import Meeting
from events.models import OutcomeDocument
from events.models import Session

pytestmark = pytest.mark.django_db


def test_seed_scale_makes_summit_groups_with_four_sessions_each_across_time_zones():
    out = io.StringIO()
    call_command("seed_scale", meetings=40, stdout=out)
    assert out.getvalue().startswith("Created 40 meetings, 160 sessions and ")
    assert Meeting.objects.count() == 40
    assert Session.objects.count() == 160
    summits = Meeting.objects.filter(series__slug="scale-summit")
    related = Meeting.objects.filter(parent__in=summits)
    assert summits.exists()
    assert set(related.values_list("series__slug", flat=True)) == {"scale-cpr", "scale-som", "scale-amm"}
    assert len(set(Meeting.objects.values_list("timezone", flat=True))) >= 5
    assert OutcomeDocument.objects.exists()


def test_seed_scale_sessions_lie_within_their_meetings_in_local_time():
    call_command("seed_scale", meetings=20, stdout=io.StringIO())
    for session in Session.objects.select_related("meeting", "venue"):
        assert session.meeting.start_date <= session.starts_on <= session.meeting.end_date
        if session.start:
            assert session.local_start.date() == session.starts_on


def test_seed_scale_refuses_to_run_twice_and_leaves_the_database_unchanged():
    call_command("seed_scale", meetings=8, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already holds a synthetic calendar"):
        call_command("seed_scale", meetings=8, stdout=io.StringIO())
    assert Meeting.objects.count() == 8


def test_seed_scale_rejects_a_nonsensical_count():
    with pytest.raises(CommandError, match="--meetings must be between"):
        call_command("seed_scale", meetings=0, stdout=io.StringIO())
    assert Meeting.objects.count() == 0
