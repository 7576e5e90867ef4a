import io

import pytest
from django.core.cache import cache

from .factories import MeetingFactory, SessionFactory, StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    return StaffFactory(username="staff")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def user(db):
    return UserFactory(username="planner")


@pytest.fixture
def seed(db):
    from django.core.management import call_command

    call_command("loaddata", "fixtures/seed.json", verbosity=0)


@pytest.fixture
def record(db):
    """The default install's data: the founding facts and the sourced record (about 70 meetings)."""
    from django.core.management import call_command

    call_command("load_seed", verbosity=0, stdout=io.StringIO())


# Small record spreadsheets (fixtures/record/ layout) for the loader tests.
MEETING_HEADERS = (
    "slug,title,title_id,series,ordinal,parent,start_date,end_date,venue,timezone,host_country,chair_country,theme,"
    "mode,status,access,participant_count,official_url,description,source_url,source_checked,source_note"
)


def meeting_row(**changes):
    row = dict(
        slug="1st-asean-summit-1976", title="1st ASEAN Summit", title_id="", series="asean-summit", ordinal="1",
        parent="", start_date="1976-02-23", end_date="1976-02-24", venue="Denpasar", timezone="Asia/Makassar",
        host_country="ID", chair_country="ID", theme="", mode="in_person", status="scheduled", access="public",
        participant_count="", official_url="", description="", source_url="https://example.org/source",
        source_checked="2026-11-30", source_note="",
    )  # fmt: skip
    row.update(changes)
    return ",".join(row[name] for name in MEETING_HEADERS.split(","))


def write_record(directory, *, meetings=(), venues=("Denpasar,Denpasar,ID,Asia/Makassar",)):
    (directory / "venues.csv").write_text("\n".join(["name,city,country,timezone", *venues]) + "\n")
    (directory / "meetings.csv").write_text("\n".join([MEETING_HEADERS, *meetings]) + "\n")
    (directory / "documents.csv").write_text(
        "meeting,title,title_id,kind,status,adopted_on,url,language,source_url,source_note\n"
    )
    (directory / "chairmanships.csv").write_text("body,year,country,note,source_url\n")


def snapshot():
    """Every row's `updated` stamp and every revision: equal before and after means nothing was written."""
    from events.models import Delegation, Meeting, OutcomeDocument, Series, Session, Venue

    return {
        model.__name__: sorted(model.objects.values_list("pk", "updated", "revision"))
        for model in (Meeting, Session, OutcomeDocument, Series, Venue, Delegation)
    }


@pytest.fixture
def unchanged(db):
    """A meeting with a session; the test must leave the database as it found it (bad-input catalogue)."""
    meeting = MeetingFactory(title="Steady Summit", slug="steady-summit")
    SessionFactory(meeting=meeting, title="Steady Plenary")
    before = snapshot()
    yield meeting
    assert snapshot() == before
