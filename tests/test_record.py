"""The sourced record of ASEAN meetings (events/record.py): every row says where its facts come from, and
the pages, API and feed show it."""

import csv
import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.editions import ordinal_text
from events.models import Chairmanship
from events.models import Meeting
from events.models import Mode
from events.models import OutcomeDocument
from events.models import Series
from events.models import Status
from events.models import Venue
from events.record import RECORD_DIR
from events.record import load_record

from .conftest import meeting_row
from .conftest import write_record
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import VenueFactory

pytestmark = pytest.mark.django_db


def test_meeting_page_shows_source_link_checked_date_and_note(client):
    meeting = MeetingFactory(
        slug="summit",
        source_url="https://asean.org/example-statement/",
        source_checked=dt.date(2026, 11, 30),
        source_note="The sources give no times.",
    )
    DocumentFactory(meeting=meeting, title="Vision", source_url="https://asean.org/vision/")
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert (
        'Source: <a href="https://asean.org/example-statement/" rel="external">https://asean.org/example-statement/</a>'
        " (checked Nov. 30, 2026)."
    ) in body
    assert "The sources give no times." in body
    assert '<a href="https://asean.org/vision/" rel="external">Source</a>' in body


def test_api_meeting_carries_source_fields(client):
    meeting = MeetingFactory(
        slug="summit", source_url="https://asean.org/a/", source_checked=dt.date(2026, 11, 30), source_note="Silent."
    )
    DocumentFactory(meeting=meeting, source_url="https://asean.org/doc/", source_note="Date unclear.")
    data = client.get("/api/v1/meetings/summit/").json()
    assert (data["source_url"], data["source_checked"], data["source_note"]) == (
        "https://asean.org/a/",
        "2026-11-30",
        "Silent.",
    )
    assert [(d["source_url"], d["source_note"]) for d in data["documents"]] == [
        ("https://asean.org/doc/", "Date unclear.")
    ]


# --- The record as loaded by `make run` ---------------------------------------------------------


def numbered(series):
    return dict(Meeting.objects.filter(series__slug=series, ordinal__isnull=False).values_list("ordinal", "slug"))


# Loading the record takes a few seconds: each test that needs it checks several things.


def test_record_every_summit_from_the_first_to_the_49th_joint_ones_kept_apart(record):
    assert sorted(numbered("asean-summit")) == list(range(1, 50))
    check_joint_summits_are_two_editions_not_one()


def test_record_ordinal_gaps_are_explained_in_the_next_edition(record):
    unexplained = []
    for series in Series.objects.all():
        editions = dict(
            Meeting.objects.filter(series=series, ordinal__isnull=False).values_list("ordinal", "source_note")
        )
        for missing in sorted(set(range(1, max(editions, default=0) + 1)) - set(editions)):
            following = editions[min(n for n in editions if n > missing)]
            if ordinal_text(missing) not in following:
                unexplained.append((series.slug, missing))
    assert unexplained == []
    # The record knows of exactly these gaps: no source for the 7th ASCN meeting, the 3rd HLM is in seed.json.
    assert sorted(set(range(1, 9)) - set(numbered("ascn"))) == [7]


def test_record_rows_hold_together_and_are_not_duplicated(record):
    zones = zoneinfo.available_timezones()
    problems = []
    for meeting in Meeting.objects.select_related("venue", "series"):
        name = meeting.slug
        if meeting.end_date < meeting.start_date:
            problems.append((name, "ends before it starts"))
        if meeting.timezone not in zones or (meeting.venue and meeting.venue.timezone != meeting.timezone):
            problems.append((name, "zone"))
        if not meeting.source_url.startswith(("https://", "http://")) or meeting.source_checked is None:
            problems.append((name, "unsourced"))
        if meeting.mode == Mode.VIRTUAL and meeting.venue_id:
            problems.append((name, "virtual meeting with a venue"))
        if (
            meeting.mode in {Mode.IN_PERSON, Mode.HYBRID}
            and not meeting.venue_id
            and "venue" not in meeting.source_note
        ):
            problems.append((name, "held somewhere, but no venue and no note saying why"))
        if meeting.status == Status.TENTATIVE and not meeting.source_note:
            problems.append((name, "tentative without a note"))
        if (
            meeting.series.slug == "asean-summit"
            and meeting.ordinal
            and not (meeting.host_country and meeting.chair_country)
        ):
            problems.append((name, "summit without host or chair"))
        meeting.full_clean()
    for document in OutcomeDocument.objects.all():
        if not document.source_url.startswith(("https://", "http://")):
            problems.append((document.title, "unsourced document"))
        document.full_clean()
    for chair in Chairmanship.objects.all():
        if not chair.source_url:
            problems.append((str(chair), "unsourced chair"))
    assert problems == []
    assert all(venue.timezone in zones for venue in Venue.objects.all())
    check_no_duplicates()


def check_no_duplicates():
    meetings = list(Meeting.objects.values_list("series__slug", "title", "start_date"))
    assert len(meetings) == len(set(meetings))
    with (RECORD_DIR / "meetings.csv").open(encoding="utf-8", newline="") as sheet:
        record_rows = len(list(csv.DictReader(sheet)))
    assert Meeting.objects.count() == 6 + record_rows  # seed.json and meetings.csv: nothing in both
    venues = list(Venue.objects.values_list("name", "city"))
    assert len(venues) == len(set(venues))
    documents = list(OutcomeDocument.objects.values_list("meeting__slug", "title"))
    assert len(documents) == len(set(documents))


def check_joint_summits_are_two_editions_not_one():
    for first, second in [(28, 29), (38, 39), (40, 41), (44, 45)]:
        a, b = (Meeting.objects.get(series__slug="asean-summit", ordinal=n) for n in (first, second))
        assert (a.start_date, a.end_date, a.venue_id) == (b.start_date, b.end_date, b.venue_id)
        assert "jointly" in a.source_note
        assert "jointly" in b.source_note


def test_record_fixed_facts_chairs_and_2018_documents(record):
    first = Meeting.objects.get(series__slug="asean-summit", ordinal=1)
    assert (first.start_date, first.end_date) == (dt.date(1976, 2, 23), dt.date(1976, 2, 24))
    assert (first.venue.city, first.host_country.code, first.timezone) == ("Denpasar", "ID", "Asia/Makassar")
    summits_2020_2021 = Meeting.objects.filter(series__slug="asean-summit", start_date__year__in=[2020, 2021])
    assert sorted(summits_2020_2021.values_list("ordinal", "mode", "venue")) == [
        (36, "virtual", None), (37, "virtual", None), (38, "virtual", None), (39, "virtual", None),
    ]  # fmt: skip
    labuan_bajo = Meeting.objects.get(series__slug="asean-summit", ordinal=42)
    assert (labuan_bajo.venue.city, labuan_bajo.start_date, labuan_bajo.end_date) == (
        "Labuan Bajo", dt.date(2023, 5, 10), dt.date(2023, 5, 11),
    )  # fmt: skip
    latest = Meeting.objects.get(series__slug="asean-summit", ordinal=49)
    assert (latest.status, latest.venue.city, latest.start_date) == ("tentative", "Pasay", dt.date(2026, 11, 10))
    pattaya = Meeting.objects.get(slug="14th-asean-summit-pattaya-2009")
    assert (pattaya.status, pattaya.parent.ordinal, pattaya.ordinal) == ("cancelled", 14, None)
    assert Meeting.objects.get(series__slug="ascn", ordinal=1).venue.city == "Singapore"
    assert Meeting.objects.get(series__slug="asean-japan-scn-hlm", ordinal=1).venue.city == "Yokohama"
    check_chairs_by_year()
    check_2018_documents_are_adopted_not_planned()


def check_chairs_by_year():
    asean = dict(Chairmanship.objects.filter(body="asean").values_list("year", "country"))
    assert sorted(asean) == list(range(2008, 2027))
    assert (asean[2018], asean[2020], asean[2023], asean[2026]) == ("SG", "VN", "ID", "PH")
    ascn = dict(Chairmanship.objects.filter(body="ascn").values_list("year", "country"))
    assert ascn == {2018: "SG", 2019: "TH", 2020: "VN", 2021: "BN", 2022: "KH", 2023: "ID", 2025: "MY"}


def check_2018_documents_are_adopted_not_planned():
    documents = OutcomeDocument.objects.filter(meeting__slug="32nd-asean-summit-2018")
    assert sorted(documents.values_list("kind", "status", "adopted_on")) == [
        ("chairmans_statement", "published", dt.date(2018, 4, 28)),
        ("concept_note", "adopted", dt.date(2018, 4, 28)),
        ("statement", "adopted", dt.date(2018, 4, 28)),
        ("vision", "adopted", dt.date(2018, 4, 28)),
    ]
    published = OutcomeDocument.objects.filter(status="published")
    assert published.exists()
    assert not published.filter(url="").exists()


# --- Loading: idempotent, never overwriting, all or nothing -------------------------------------


def test_load_record_skips_an_edition_entered_by_hand_under_another_slug(db, tmp_path):
    series = SeriesFactory(slug="asean-summit")
    MeetingFactory(series=series, ordinal=1, slug="bali-1976", title="First summit")
    write_record(tmp_path, meetings=[meeting_row(slug="1st-asean-summit-1976", ordinal="1")])
    assert load_record(directory=tmp_path)["meetings.csv"] == 0
    assert list(Meeting.objects.values_list("slug", flat=True)) == ["bali-1976"]


def test_load_record_adds_rows_through_the_import_resources(db, tmp_path):
    SeriesFactory(slug="asean-summit")
    write_record(tmp_path, meetings=[meeting_row()])
    assert load_record(directory=tmp_path) == {
        "venues.csv": 1, "meetings.csv": 1, "documents.csv": 0, "chairmanships.csv": 0,
    }  # fmt: skip
    meeting = Meeting.objects.get(slug="1st-asean-summit-1976")
    assert (meeting.venue.name, meeting.timezone, meeting.source_url) == (
        "Denpasar", "Asia/Makassar", "https://example.org/source",
    )  # fmt: skip


# --- Shown well: series timeline, home page, "as of" -------------------------------------------


def test_series_page_lists_editions_as_a_timeline_with_chair_place_and_format(client):
    series = SeriesFactory(slug="asean-summit", name="ASEAN Summit")
    venue = VenueFactory(name="Meruorah Hotel", city="Labuan Bajo", country="ID", timezone="Asia/Makassar")
    MeetingFactory(
        series=series, ordinal=42, title="42nd ASEAN Summit", venue=venue, chair_country="ID", host_country="ID",
        start_date=dt.date(2023, 5, 10), end_date=dt.date(2023, 5, 11), source_checked=dt.date(2026, 11, 30),
    )  # fmt: skip
    MeetingFactory(
        series=series, ordinal=36, title="36th ASEAN Summit", venue=None, timezone="Asia/Ho_Chi_Minh",
        mode=Mode.VIRTUAL, host_country="VN", chair_country="VN",
        start_date=dt.date(2020, 6, 26), end_date=dt.date(2020, 6, 26),
    )  # fmt: skip
    body = client.get("/series/asean-summit/").content.decode()
    editions = re.findall(
        r'data-ordinal="(\d+)".*?class="place">(.*?)</dd>.*?class="chair">(.*?)</dd>.*?mode-(\w+)', body, re.S
    )
    assert editions == [
        ("42", "Meruorah Hotel, Labuan Bajo, Indonesia", "Indonesia", "in_person"),
        ("36", "Online (hosted by Vietnam)", "Vietnam", "virtual"),
    ]
    assert re.findall(r'<h3 class="edition-year">(\d+)</h3>', body) == ["2023", "2020"]
    assert 'Record as of <time datetime="2026-11-30">30 November 2026</time>' in body


def test_series_page_query_count_does_not_grow_with_editions(client, django_assert_max_num_queries):
    series = SeriesFactory(slug="s")
    MeetingFactory(series=series)
    with CaptureQueriesContext(connection) as one:
        client.get("/series/s/")
    MeetingFactory.create_batch(19, series=series)
    with django_assert_max_num_queries(len(one)):
        assert client.get("/series/s/").status_code == 200


def test_home_page_shows_what_is_next_and_what_just_happened(client):
    today = timezone.localdate()
    MeetingFactory(
        title="Last Summit", start_date=today - dt.timedelta(days=20), end_date=today - dt.timedelta(days=18)
    )
    MeetingFactory(
        title="Next Summit", start_date=today + dt.timedelta(days=30), end_date=today + dt.timedelta(days=31)
    )
    MeetingFactory(title="Called Off", status=Status.CANCELLED, start_date=today + dt.timedelta(days=5),
                   end_date=today + dt.timedelta(days=5), source_checked=dt.date(2026, 11, 30))  # fmt: skip
    body = client.get("/").content.decode()
    assert re.search(r'class="glance-next"><a href="[^"]+">Next Summit</a>', body)
    assert re.search(r'class="glance-latest"><a href="[^"]+">Last Summit</a>', body)
    assert 'Record as of <time datetime="2026-11-30">' in body


def test_feed_description_says_as_of_when_the_record_was_checked(client):
    MeetingFactory(source_checked=dt.date(2026, 11, 30))
    MeetingFactory(source_checked=dt.date(2025, 1, 1))
    body = client.get("/feeds/all.ics").content.decode().replace("\r\n ", "")
    assert "DESCRIPTION:ASEAN meetings and their sessions\\, from ASCN Events.\\nRecord as of 2026-11-30." in body


def test_series_list_shows_chairs_by_year_with_their_sources(client):
    Chairmanship.objects.create(body="asean", year=2026, country="PH", note="Theme: Navigating Our Future, Together",
                                source_url="https://example.org/ph")  # fmt: skip
    Chairmanship.objects.create(body="ascn", year=2025, country="MY")
    body = client.get("/series/").content.decode()
    rows = re.findall(r'<tr id="chair-(\w+)-(\d+)"><th scope="row">\d+</th><td>(.*?)</td><td>(.*?)</td>', body)
    assert rows == [
        ("asean", "2026", "Philippines", 'Theme: Navigating Our Future, Together <a href="https://example.org/ph" '
         'rel="external">Source</a>'),
        ("ascn", "2025", "Malaysia", ""),
    ]  # fmt: skip


def test_record_meetings_sheet_has_the_admin_export_columns():
    # A clerk can export meetings from the admin, edit, and add rows to the record in the same shape.
    from events.resources import MeetingResource

    with (RECORD_DIR / "meetings.csv").open(encoding="utf-8", newline="") as sheet:
        header = next(csv.reader(sheet))
    # Less the revision: record rows are not edits of an exported copy, so they are not checked as stale.
    assert header == [name for name in MeetingResource().get_export_headers() if name != "revision"]
