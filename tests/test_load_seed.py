"""The load_seed command (events/management/commands/load_seed.py): the seed fixtures it loads carry the
facts of the source articles; it fills an empty database and never overwrites edited data."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from events.models import Chairmanship
from events.models import Delegation
from events.models import Meeting
from events.models import NetworkCity
from events.models import OutcomeDocument
from events.models import Session
from events.models import Venue

from .factories import MeetingFactory

pytestmark = pytest.mark.django_db


# --- The seed fixtures (fixtures/seed.json) ---------------------------------------------------------


def test_seed_32nd_summit_facts(seed):
    summit = Meeting.objects.get(series__slug="asean-summit", ordinal=32)
    assert (summit.title, summit.title_id) == ("32nd ASEAN Summit", "KTT ASEAN ke-32")
    assert (summit.start_date, summit.end_date) == (dt.date(2018, 4, 25), dt.date(2018, 4, 28))
    assert (summit.venue.city, summit.host_country.code, summit.timezone) == ("Singapore", "SG", "Asia/Singapore")
    assert summit.theme == "Resilient and Innovative ASEAN"


def test_seed_32nd_summit_related_meetings_in_order(seed):
    summit = Meeting.objects.get(slug="32nd-asean-summit-2018")
    children = [(m.series.abbreviation, m.start_date) for m in summit.children.order_by("start_date")]
    assert children == [("CPR", dt.date(2018, 4, 25)), ("SOM", dt.date(2018, 4, 26)), ("AMM", dt.date(2018, 4, 27))]


def test_seed_32nd_summit_sessions_are_date_only(seed):
    sessions = Session.objects.filter(meeting__slug="32nd-asean-summit-2018")
    assert [(s.kind, s.starts_on, s.start) for s in sessions] == [
        ("plenary", dt.date(2018, 4, 27), None),
        ("retreat", dt.date(2018, 4, 28), None),
    ]


def test_seed_32nd_summit_three_outcome_documents(seed):
    kinds = OutcomeDocument.objects.filter(meeting__ordinal=32).values_list("kind", "title")
    assert sorted(kinds) == [
        ("concept_note", "Concept Note on the ASEAN Smart Cities Network"),
        ("statement", "ASEAN Leaders' Statement on Cyber Security Cooperation"),
        ("vision", "ASEAN Leaders' Vision for a Resilient and Innovative ASEAN"),
    ]


def test_seed_asean_japan_hlm_facts(seed):
    hlm = Meeting.objects.get(series__slug="asean-japan-scn-hlm", ordinal=3)
    assert (hlm.mode, hlm.participant_count) == ("hybrid", 1200)
    assert (hlm.start_date, hlm.end_date) == (dt.date(2021, 10, 18), dt.date(2021, 10, 19))
    days = [(s.starts_on.day, s.kind) for s in hlm.sessions.order_by("starts_on", "pk")]
    assert days == [(18, "opening_ceremony"), (18, "panel_discussion"), (19, "business_matchmaking"), (19, "forum")]
    recommendations = hlm.documents.get(kind="recommendations")
    assert recommendations.summary.count("\n") == 3  # four numbered recommendations


def test_seed_ascn_pilot_cities_and_chairs(seed):
    cities = NetworkCity.objects.filter(series__slug="ascn", country="ID").values_list("name", flat=True)
    assert sorted(cities) == ["Banyuwangi", "Jakarta", "Makassar"]
    chairs = Chairmanship.objects.filter(body="ascn").values_list("year", "country")
    assert [(year, str(country)) for year, country in chairs] == [(2022, "KH"), (2023, "ID")]


def test_seed_indonesian_delegations(seed):
    hlm_delegation = Delegation.objects.get(meeting__ordinal=3, country="ID")
    assert hlm_delegation.members.get(is_head=True).person.name == "Safrizal ZA"
    assert set(hlm_delegation.members.values_list("attendance", flat=True)) == {"remote"}
    summit_head = Delegation.objects.get(meeting__ordinal=32, country="ID").members.get(is_head=True)
    assert (summit_head.person.name, summit_head.role) == ("Joko Widodo", "head_of_state")
    assert Delegation.objects.filter(meeting__slug="ascn-annual-meeting-2022").count() == 10


def test_seed_passes_model_validation(seed):
    for model in (Meeting, Session, OutcomeDocument):
        for obj in model.objects.all():
            obj.full_clean()


# --- Loading: into an empty database, never over edits, twice for nothing -----------------------------


def test_load_seed_fills_an_empty_database(capsys):
    call_command("load_seed", "--no-record", verbosity=0)
    assert Meeting.objects.filter(slug="32nd-asean-summit-2018").exists()
    assert Meeting.objects.count() == 6  # the founding facts; the sourced record is tests/test_record.py's


def test_load_seed_never_overwrites_existing_data(capsys):
    MeetingFactory(title="Edited by staff")
    call_command("load_seed", "--no-record")
    assert "seed fixtures not loaded" in capsys.readouterr().out
    assert list(Meeting.objects.values_list("title", flat=True)) == ["Edited by staff"]


def test_load_seed_twice_adds_nothing_and_keeps_edits(record):
    summit = Meeting.objects.get(series__slug="asean-summit", ordinal=42)
    summit.theme = "Edited by staff"
    summit.save()
    counts = [model.objects.count() for model in (Meeting, Venue, OutcomeDocument, Chairmanship)]
    out = io.StringIO()
    call_command("load_seed", stdout=out)
    assert (
        "added 0 from venues.csv, 0 from meetings.csv, 0 from documents.csv, 0 from chairmanships.csv" in out.getvalue()
    )
    assert [model.objects.count() for model in (Meeting, Venue, OutcomeDocument, Chairmanship)] == counts
    assert Meeting.objects.get(pk=summit.pk).theme == "Edited by staff"


def test_load_seed_corrects_rows_of_an_earlier_seed_only_while_unedited(db):
    # A database seeded before the 2018 documents were corrected: statuses "planned", no sources.
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    documents = OutcomeDocument.objects.filter(meeting__slug="32nd-asean-summit-2018")
    documents.update(status="planned", adopted_on=None, source_url="", source_note="")  # keeps the seed's stamp
    Meeting.objects.filter(slug="32nd-asean-summit-2018").update(source_url="")
    Meeting.objects.filter(parent__slug="32nd-asean-summit-2018").update(source_url="", source_checked=None)
    edited = documents.get(kind="statement")  # saving a document also stamps its meeting: that counts as edited
    edited.summary = "Edited by staff"
    edited.save()
    call_command("load_seed", "--no-record", stdout=io.StringIO())
    assert sorted(documents.values_list("kind", "status", "adopted_on")) == [
        ("concept_note", "adopted", dt.date(2018, 4, 28)),
        ("statement", "planned", None),
        ("vision", "adopted", dt.date(2018, 4, 28)),
    ]
    som = Meeting.objects.get(slug="som-32nd-asean-summit-2018")
    assert (som.source_checked, som.revision) == (dt.date(2026, 11, 30), 2)
    assert som.source_url.startswith("https://en.vietnamplus.vn/")
    assert Meeting.objects.get(slug="32nd-asean-summit-2018").source_url == ""  # stamped by the edit above
