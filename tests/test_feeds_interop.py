"""Every feed (events/feeds.py) is read without a single error by three independent parsers.

1. icalendar (the library we build VTIMEZONEs with): no `errors` on any component;
2. Mozilla's ical.js (Thunderbird), run with node: tests/interop/parse_icaljs.js;
3. libical (Evolution, GNOME, KDE via libical-glib): tests/interop/parse_libical.py run
   by Debian's /usr/bin/python3; every X-LIC-ERROR property libical inserts is an error.

The tests install nothing: `make test` / `.ci/install-system-deps` do. A parser that
truly cannot be installed makes its tests skip with a loud reason.
"""

import datetime as dt
import functools
import gzip
import json
import shutil
import subprocess
import warnings
import zoneinfo
from pathlib import Path

import brotli
import icalendar
import pytest
from django.contrib.auth.models import Permission
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from events import ical
from events import ical_assembly
from events.models import Access
from events.models import FeedToken
from events.models import Mode
from events.models import OutcomeDocument
from events.models import Status

from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import UserFactory
from .factories import VenueFactory
from .factories import timed

HERE = Path(__file__).parent
ICALJS_SCRIPT = HERE / "interop" / "parse_icaljs.js"
LIBICAL_SCRIPT = HERE / "interop" / "parse_libical.py"
ICALJS_PACKAGE = HERE / "js" / "node_modules" / "ical.js" / "package.json"
SYSTEM_PYTHON = "/usr/bin/python3"
SGT = zoneinfo.ZoneInfo("Asia/Singapore")
INSTALL_HINT = "run `bash .ci/install-system-deps` (or `make test`)"


@functools.cache
def icaljs_problem():
    if shutil.which("node") is None:
        return "node is not installed"
    if not ICALJS_PACKAGE.exists():
        return f"ical.js is not installed in {ICALJS_PACKAGE.parent.parent}"
    version = json.loads(ICALJS_PACKAGE.read_text())["version"]
    if version != "2.2.1":
        return f"ical.js {version} is installed, the tests pin 2.2.1"
    return None


@functools.cache
def libical_problem():
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing"
    probe = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"
    result = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return f"libical GObject bindings (gir1.2-ical-3.0, python3-gi) are missing: {result.stderr.strip()[-300:]}"
    return None


def _run(command, text):
    result = subprocess.run(command, input=text.encode(), capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def _time_json(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat() if value else None


def parse_icalendar(text):
    calendar = icalendar.Calendar.from_ical(text)
    errors = [f"{component.name}: {component.errors}" for component in calendar.walk() if component.errors]
    errors += [f"missing VTIMEZONE for {tzid}" for tzid in calendar.get_missing_tzids()]
    events = []
    for event in calendar.events:
        events.append(
            {
                "uid": str(event["UID"]),
                "summary": str(event.get("SUMMARY")),
                "description": str(event["DESCRIPTION"]) if "DESCRIPTION" in event else None,
                "start": _time_json(event.start),
                "end": _time_json(event.end),
                "tzid": event["DTSTART"].params.get("TZID"),
                "date_only": not isinstance(event.start, dt.datetime),
                "status": str(event.get("STATUS")),
                "sequence": event.get("SEQUENCE"),
            }
        )
    return {"errors": errors, "events": events}


def parse_icaljs(text):
    return _run(["node", str(ICALJS_SCRIPT)], text)


def parse_libical(text):
    return _run([SYSTEM_PYTHON, str(LIBICAL_SCRIPT)], text)


PARSERS = {
    "icalendar": (parse_icalendar, lambda: None),
    "ical.js": (parse_icaljs, icaljs_problem),
    "libical": (parse_libical, libical_problem),
}


@pytest.fixture(params=list(PARSERS))
def parser(request):
    parse, problem = PARSERS[request.param]
    reason = problem()
    if reason:
        message = f"INTEROP NOT TESTED with {request.param}: {reason}; {INSTALL_HINT}"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    return parse


# --- Every feed type --------------------------------------------------------------


@pytest.fixture
def varied(db):
    """A database with every kind of event the feeds write."""
    series = SeriesFactory(slug="ascn", name="ASEAN Smart Cities Network, ASCN", color="teal")
    singapore = VenueFactory(name="Marina Bay Sands", city="Singapore")
    brussels = VenueFactory(name="Berlaymont", city="Brussels", country="BE", timezone="Europe/Brussels")
    utc = VenueFactory(name="Online studio", city="London", country="GB", timezone="UTC")
    summit = MeetingFactory(
        series=series, slug="summit", title="32nd Summit; Resilient, Innovative", venue=singapore,
        start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 3),
    )  # fmt: skip
    SessionFactory(meeting=summit, title="Plenary \\ opening", start=timed(dt.date(2030, 3, 1), 9)[0],
                   end=timed(dt.date(2030, 3, 1), 9)[1], room="Hall A")  # fmt: skip
    SessionFactory(
        meeting=summit, venue=brussels, title="EU dialogue", start=dt.datetime(2030, 3, 2, 9, tzinfo=brussels.zone),
        end=dt.datetime(2030, 3, 2, 11, tzinfo=brussels.zone),
    )  # fmt: skip
    SessionFactory(meeting=summit, venue=utc, title="Press briefing", start=dt.datetime(2030, 3, 2, 9, tzinfo=dt.UTC),
                   end=dt.datetime(2030, 3, 2, 10, tzinfo=dt.UTC))  # fmt: skip
    SessionFactory(meeting=summit, title="Exhibition", starts_on=dt.date(2030, 3, 1), ends_on=dt.date(2030, 3, 3))
    SessionFactory(meeting=summit, title="Gala dinner", start=timed(dt.date(2030, 3, 2), 19)[0], end=None)
    SessionFactory(meeting=summit, title="Retreat", status=Status.CANCELLED)
    SessionFactory(meeting=summit, title="Bilateral", access=Access.RESTRICTED, show_as_closed=True,
                   start=timed(dt.date(2030, 3, 1), 14)[0], end=timed(dt.date(2030, 3, 1), 14)[1])  # fmt: skip
    SessionFactory(
        meeting=summit, title="Working group (virtual)", access=Access.RESTRICTED, mode=Mode.VIRTUAL, venue=None,
        join_url="https://meet.example/j/123?pwd=a,b;c", join_passcode='pa"ss;code',
        start=timed(dt.date(2030, 3, 3), 8)[0], end=timed(dt.date(2030, 3, 3), 8)[1],
    )  # fmt: skip
    DocumentFactory(meeting=summit, title="Vision 2040, revised", status=OutcomeDocument.DocumentStatus.PUBLISHED,
                    url="https://asean.example/vision.pdf")  # fmt: skip
    MeetingFactory(series=series, parent=summit, title="Ministers' meeting", title_id="Pertemuan menteri",
                   start_date=dt.date(2030, 2, 27), end_date=dt.date(2030, 2, 28), status=Status.TENTATIVE)  # fmt: skip
    DelegationMemberFactory(delegation=DelegationFactory(meeting=summit, country="ID"))
    owner = UserFactory()
    owner.user_permissions.add(Permission.objects.get(codename="view_restricted"))
    _token, secret = FeedToken.issue(user=owner)
    return {
        "all": "/feeds/all.ics",
        "all, per day, Indonesian": "/feeds/all.ics?per_day=1&lang=id",
        "all, filtered": "/feeds/all.ics?series=ascn&from=2030-03-02",
        "series": "/feeds/series/ascn.ics",
        "meeting": "/feeds/meetings/summit.ics",
        "delegation": "/feeds/delegations/ID.ics",
        "private": f"/feeds/private/{secret}.ics",
    }


def test_every_feed_parses_without_errors(client, varied, parser):
    for name, url in varied.items():
        text = client.get(url).content.decode()
        parsed = parser(text)
        reference = parse_icalendar(text)
        assert parsed["errors"] == [], name
        assert len(parsed["events"]) == text.count("BEGIN:VEVENT") > 0, name
        # Every parser reads the same events at the same instants.
        fields = ("uid", "summary", "description", "start", "end", "tzid", "date_only", "sequence")
        assert [{k: e[k] for k in fields} for e in parsed["events"]] == [
            {k: e[k] for k in fields} for e in reference["events"]
        ], name


@pytest.mark.parametrize(("coding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_compressed_feeds_decompress_to_what_every_parser_reads_identically(client, varied, parser, coding, decompress):
    for name, url in varied.items():
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": coding})
        assert (packed["Content-Encoding"], packed["ETag"]) == (coding, plain["ETag"]), name
        text = decompress(packed.content).decode()
        assert parser(text) == parser(plain.content.decode()), name
        assert parser(text)["errors"] == [], name


def test_private_feed_conference_survives_every_parser(client, varied, parser):
    text = client.get(varied["private"]).content.decode()
    event = next(e for e in parser(text)["events"] if e["summary"].startswith("Working group"))
    assert "Join: https://meet.example/j/123?pwd=a,b;c" in event["description"]
    assert 'Passcode: pa"ss;code' in event["description"]
    assert event["start"] == "2030-03-03T00:00:00Z"
    assert event["tzid"] == "Asia/Singapore"


def test_singapore_9am_is_1am_utc_in_every_parser(client, varied, parser):
    events = parser(client.get(varied["all"]).content.decode())["events"]
    plenary = next(e for e in events if e["summary"].startswith("Plenary"))
    brussels = next(e for e in events if e["summary"].startswith("EU dialogue"))
    press = next(e for e in events if e["summary"].startswith("Press briefing"))
    exhibition = next(e for e in events if e["summary"].startswith("Exhibition"))
    assert (plenary["start"], plenary["tzid"]) == ("2030-03-01T01:00:00Z", "Asia/Singapore")
    assert brussels["start"] == "2030-03-02T08:00:00Z"  # CET, before the March change to summer time
    assert (press["start"], press["tzid"]) == ("2030-03-02T09:00:00Z", None)
    assert (exhibition["start"], exhibition["end"], exhibition["date_only"]) == ("2030-03-01", "2030-03-04", True)


def test_session_with_no_announced_end_is_a_moment_at_its_start_in_every_parser(client, varied, parser):
    # DTSTART alone (RFC 5545 3.6.1): every parser ends it when it starts, none invents an end.
    text = client.get(varied["all"]).content.decode()
    gala = next(e for e in parser(text)["events"] if e["summary"].startswith("Gala dinner"))
    assert (gala["start"], gala["end"], gala["tzid"], gala["date_only"]) == (
        "2030-03-02T11:00:00Z",
        "2030-03-02T11:00:00Z",
        "Asia/Singapore",
        False,
    )
    assert "End time not announced." in gala["description"]


# --- Fuzzed text ---------------------------------------------------------------------

SAMPLES = [
    "Pertemuan Tingkat Menteri ASEAN tentang Kota Cerdas",  # Indonesian
    "การประชุมสุดยอดอาเซียน ครั้งที่ ๓๒",  # Thai
    "កិច្ចប្រជុំកំពូលអាស៊ាន លើកទី៣២",  # Khmer
    "東南アジア諸国連合首脳会議・スマートシティ",  # Japanese
    ",", ";", "\\", "\n", ":", '"', "\\n", "\\,", "  ", "\t",
]  # fmt: skip
fragment = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn")), max_size=20),
)
text_value = st.lists(fragment, min_size=1, max_size=8).map("".join).filter(str.strip)  # titles are never blank


@st.composite
def description_value(draw):
    text = draw(text_value)
    if draw(st.booleans()):
        text = (text * (10_000 // len(text) + 1))[:10_000]  # a 10 kB description
    return text


def fuzz_rows(texts):
    base = {
        "revision": 1, "updated": dt.datetime(2030, 1, 1, tzinfo=dt.UTC), "title_id": "", "kind": "plenary",
        "room": "", "mode": "in_person", "join_url": "", "join_passcode": "", "status": "scheduled",
        "access": "public", "venue__name": "", "venue__city": "", "venue__timezone": "Asia/Singapore",
        "meeting__revision": 1, "meeting__updated": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        "meeting__title_id": "", "meeting__slug": "m", "meeting__timezone": "Asia/Singapore",
        "meeting__status": "scheduled", "meeting__venue__name": "", "meeting__venue__city": "",
        "meeting__series__name": "S", "meeting__series__name_id": "", "meeting__series__abbreviation": "S",
        "meeting__series__color": "", "meeting__series__updated": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    }  # fmt: skip
    rows = []
    for n, (title, meeting_title, description) in enumerate(texts, start=1):
        day = dt.date(2030, 3, 1) + dt.timedelta(days=n)
        rows.append(
            base
            | {
                "id": n, "meeting_id": n, "title": title, "meeting__title": meeting_title, "description": description,
                "starts_on": day, "ends_on": day, "start": dt.datetime.combine(day, dt.time(9), SGT),
                "end": dt.datetime.combine(day, dt.time(10), SGT),
            }
        )  # fmt: skip
    return rows


# No shrinking: each example runs a parser process, and shrinking 10 kB texts would take minutes.
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(texts=st.lists(st.tuples(text_value, text_value, description_value()), min_size=1, max_size=6))
def test_fuzzed_text_round_trips_through_every_parser(parser, texts):
    rows = fuzz_rows(texts)
    text = ical_assembly.render_feed(
        meta=ical.CalendarMeta(name=texts[0][0], description=texts[0][2]),
        ctx=ical.FeedContext(domain="events.test", base_url="https://events.test"),
        sessions=rows,
        meetings=[],
        levels=[Access.PUBLIC],
        use_cache=False,
    )
    parsed = parser(text)
    assert parsed["errors"] == []
    events = {event["uid"]: event for event in parsed["events"]}
    for row in rows:
        event = events[f"session-{row['id']}@events.test"]
        # Spaces around a whole value are dropped (libical would): see ical.escape_text.
        assert event["summary"] == f"{row['title']} – {row['meeting__title']}".strip(" \t")
        own = f"\n\n{row['description']}" if row["description"] else ""
        assert event["description"] == f"Meeting: {row['meeting__title']}\nFormat: In person{own}".strip(" \t")
        assert event["start"] == f"{row['starts_on']:%Y-%m-%d}T01:00:00Z"  # 09:00 in Singapore
        assert event["tzid"] == "Asia/Singapore"
