"""seed_scale and bench run end to end on a tiny calendar (figures are not asserted as timings)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from events.models import Meeting, OutcomeDocument, Session

pytestmark = pytest.mark.django_db

BENCH_KEYS = {
    "database", "meetings", "sessions", "feed_events", "feed_bytes", "library_bytes", "cold_feed_s",
    "library_floor_s", "cold_library_ratio", "warm_feed_s", "warm_library_ratio", "not_modified_s",
    "not_modified_queries", "queries_per_feed", "queries_per_small_feed", "queries_constant", "peak_memory_mb",
    "max_rss_mb", "list_page_s", "api_list_s",
}  # fmt: skip


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


def test_bench_prints_one_json_line_with_every_figure():
    call_command("seed_scale", meetings=12, stdout=io.StringIO())
    out = io.StringIO()
    call_command("bench", runs=1, stdout=out)
    [line] = out.getvalue().splitlines()
    result = json.loads(line)
    assert set(result) == BENCH_KEYS
    assert result["sessions"] == 48
    assert result["feed_events"] > 0
    assert result["not_modified_queries"] == 1  # the validator; no session, user or FilterSet queries
    assert result["queries_constant"] is True
    assert all(result[key] > 0 for key in ("cold_feed_s", "library_floor_s", "warm_feed_s", "not_modified_s"))
