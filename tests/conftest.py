import datetime as dt
import io
import pathlib
import re
import zoneinfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError
from django.db import transaction
from django.urls import URLPattern
from django.urls import URLResolver
from django.urls import get_resolver
from django.urls import reverse

from events.models import Access
from events.models import Meeting
from events.models import Mode
from events.models import OutcomeDocument

from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import StaffFactory
from .factories import UserFactory
from .factories import VenueFactory
from .factories import timed


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def api_token(user):
    """A django-rest-knox API token of `user`: the secret to send as `Authorization: Token <secret>`."""
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, expiry=None)[1]


@pytest.fixture
def user(db):
    return UserFactory(username="planner")


@pytest.fixture
def planner_api(user):
    """The API as a signed-in user without a role."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def anon():
    """The API as an anonymous client."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def staff_api(db):
    """The API with a staff user's token (tests/test_api_views.py, tests/test_serializers.py)."""
    from rest_framework.test import APIClient

    staff = StaffFactory(username="api-staff")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(staff)}")
    return client


def virtual_session(meeting, **kwargs):
    """A virtual session of `meeting` with a join link and passcode (which only some readers may see)."""
    kwargs.setdefault("join_url", "https://meet.example.org/secret-room")
    kwargs.setdefault("join_passcode", "424242")
    return SessionFactory(meeting=meeting, mode=Mode.VIRTUAL, venue=None, **kwargs)


def meeting_payload(series, venue, **overrides):
    """The JSON body that creates a meeting through the API."""
    data = {
        "slug": "33rd-asean-summit",
        "title": "33rd ASEAN Summit",
        "series": series.slug,
        "ordinal": 33,
        "start_date": "2030-11-10",
        "end_date": "2030-11-13",
        "venue_id": venue.pk,
        "mode": "in_person",
    }
    data.update(overrides)
    return data


@pytest.fixture
def summit(db):
    series = SeriesFactory(slug="asean-summit", name="ASEAN Summit")
    return MeetingFactory(slug="summit-2030", title="ASEAN Summit 2030", title_id="KTT ASEAN 2030", series=series)


@pytest.fixture
def calendar_meeting(db):
    """A meeting with one session, for the fault tests (Redis down, a database error mid-import)."""
    meeting = MeetingFactory(title="Cache-free Summit", slug="cache-free-summit")
    SessionFactory(meeting=meeting, title="Opening")
    return meeting


def count_queries(client, url):
    """Queries one GET of `url` makes once warm (the N+1 guards compare 1 item with 20)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up: a force-authenticated user caches its permissions after the first request
    cache.clear()  # the queries of rendering, not of a cached answer (tests/test_caching.py)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:500])
    return len(queries)


# --- Calendar feeds (tests/test_feeds.py, tests/test_ical_assembly.py) ------------------------


def calendar_of(response):
    """The feed in `response`, parsed by icalendar, which found no error in it."""
    import icalendar

    assert response.status_code == 200, response.content
    calendar = icalendar.Calendar.from_ical(response.content.decode())
    assert [c.errors for c in calendar.walk() if c.errors] == []
    return calendar


def uids(response):
    """The UIDs of the feed's events, sorted."""
    return sorted(str(event["UID"]) for event in calendar_of(response).events)


def suid(session):
    """The UID of `session`'s event in a feed."""
    from django.conf import settings

    return f"session-{session.pk}@{settings.SITE_DOMAIN}"


def sessions_in_months(months):
    """A meeting and a session in each of `months` of 2030."""
    sessions = []
    for month in months:
        day = dt.date(2030, month, 10)
        sessions.append(SessionFactory(meeting=MeetingFactory(start_date=day, end_date=day), starts_on=day))
    return sessions


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
    from events.models import Delegation
    from events.models import Meeting
    from events.models import OutcomeDocument
    from events.models import Series
    from events.models import Session
    from events.models import Venue

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


# --- Change alerts (issue 16): a real SMTP server, a webhook receiver and the task queue, in this process ---


class _SmtpSink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self):
        import email
        import email.policy

        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on a free local port, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    sink = _SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    sink.controller = controller
    yield sink
    controller.stop()


@pytest.fixture
def webhook_receiver(settings):
    """A local HTTP endpoint recording (headers, raw body); `status` sets its answer."""
    import http.server
    import threading

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((self.headers, body))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    class State:
        requests = []
        status = 200

    state = State()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ALERT_WEBHOOKS_ALLOW_LOCAL = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


# --- Change alerts (tests/test_alerts.py and the modules of follows, emails and webhooks) -----------


@pytest.fixture
def planner(user):
    """The follower: a signed-in user without a role (planner@example.org)."""
    return user


def follow(user, **target):
    """`user` follows `target` (meeting=, series=, country=, query=; cadence=, email=, webhook_url=)."""
    from events.models import Follow

    return Follow.objects.create(user=user, **target)


def save_changes(obj, **changes):
    """Set these fields of `obj` and save it (a change that followers may be told about)."""
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    return obj


def text_of(message):
    """The plain-text part of an email as received."""
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def run_tasks(db):
    """Run every ready task as a django-tasks database worker would; `later` also runs tasks due that much later.

    A task that fails fails the test, with its traceback.
    """

    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )  # fmt: skip

    def run(later=None):
        if later is not None:
            # As if `later` had passed: every due time moves that much closer.
            from django.db.models import F
            from django_tasks_db.models import get_date_max

            from events.models import Alert
            from events.models import AlertProfile
            from events.models import WebhookDelivery

            DBTaskResult.objects.filter(status="READY").exclude(run_after=get_date_max()).update(
                run_after=F("run_after") - later
            )
            for model in (Alert, WebhookDelivery):
                model.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=F("next_attempt_at") - later)
            AlertProfile.objects.filter(digest_due__isnull=False).update(digest_due=F("digest_due") - later)
        ran = 0
        while (result := DBTaskResult.objects.ready().first()) is not None:
            result.claim(worker.worker_id)
            worker.run_task(result)
            ran += 1
            assert ran < 10_000, "tasks keep enqueueing themselves"
        failed = DBTaskResult.objects.filter(status="FAILED")
        assert not failed.exists(), [f.traceback for f in failed]
        return ran

    return run


# One fixture per staff role, for the admin and API tests alike: `<role>_user` holds the role (a group made
# by events.roles), `<role>_client` is the site signed in as them, `<role>_api` the API. Roles, not a
# superuser, so every test meets the permissions (tests/test_layout.py checks nobody signs in as one).
ROLE_USERNAMES = {"Viewer": "viewer", "Data entry": "clerk", "Editor": "editor", "Administrator": "administrator"}
ROLES = list(ROLE_USERNAMES)


def role_user(role, username):
    """A staff user holding one role, as a new user would be set up."""
    return StaffFactory(username=username, role=role)


def signed_in(user, api=False):
    """A test client (DRF's with `api`) with `user` signed in; anonymous for None."""
    from django.test import Client
    from rest_framework.test import APIClient

    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


def role_fixtures(role):
    """The `<role>_user`, `<role>_client` and `<role>_api` fixtures of one role."""
    key = role.lower().replace(" ", "_")

    @pytest.fixture(name=f"{key}_user")
    def user_with_role(db):
        return role_user(role, ROLE_USERNAMES[role])

    @pytest.fixture(name=f"{key}_client")
    def site_signed_in(request):
        return signed_in(request.getfixturevalue(f"{key}_user"))

    @pytest.fixture(name=f"{key}_api")
    def api_signed_in(request):
        return signed_in(request.getfixturevalue(f"{key}_user"), api=True)

    return user_with_role, site_signed_in, api_signed_in


viewer_user, viewer_client, viewer_api = role_fixtures("Viewer")
data_entry_user, data_entry_client, data_entry_api = role_fixtures("Data entry")
editor_user, editor_client, editor_api = role_fixtures("Editor")
administrator_user, administrator_client, administrator_api = role_fixtures("Administrator")


@pytest.fixture
def role_users(request, user):
    """One user per role, anonymous first (None), in the order of the README's policy table."""
    return {
        "anonymous": None,
        "signed in, no role": user,
        **{role: request.getfixturevalue(f"{role.lower().replace(' ', '_')}_user") for role in ROLES},
    }


# --- A world with secrets at each level (the access crawls) -------------------------------

SINGAPORE = zoneinfo.ZoneInfo("Asia/Singapore")


def at(day, hour):
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=SINGAPORE)
    return {"start": start, "end": start + dt.timedelta(hours=1)}


@pytest.fixture
def secret_world():
    """Public meetings beside restricted and confidential ones; returns (secrets, public markers, values)."""
    series = SeriesFactory(slug="summit", name="ASEAN Summit")
    venue = VenueFactory(name="Suntec", city="Singapore")
    day = dt.date(2030, 3, 1)
    public = MeetingFactory(series=series, venue=venue, title="Open Summit PUBLICMARK", slug="open-summit", ordinal=1)
    SessionFactory(meeting=public, title="Open Plenary PUBLICMARK", **at(day, 9))
    SessionFactory(
        meeting=public, title="Online Briefing", mode=Mode.VIRTUAL, venue=None,
        join_url="https://join.example.org/JOINSECRET-public", join_passcode="PASSSECRET1", **at(day, 11),
    )  # fmt: skip
    SessionFactory(
        meeting=public, title="Closed Retreat SECRETCLOSED", description="SECRETDESC of the retreat",
        access=Access.RESTRICTED, show_as_closed=True, mode=Mode.HYBRID,
        join_url="https://join.example.org/JOINSECRET-closed", join_passcode="PASSSECRET2", **at(day, 14),
    )  # fmt: skip
    SessionFactory(meeting=public, title="Restricted Side Talk SECRETRS", access=Access.RESTRICTED, **at(day, 15))
    SessionFactory(meeting=public, title="Confidential Dinner SECRETCD", access=Access.CONFIDENTIAL, **at(day, 19))
    DocumentFactory(meeting=public, title="Public Declaration PUBLICMARK")

    restricted = MeetingFactory(
        series=series, venue=venue, title="Restricted Ministerial SECRETRM", title_id="Menteri SECRETRMID",
        slug="restricted-ministerial", ordinal=2, access=Access.RESTRICTED, parent=public,
        theme="SECRETTHEME", start_date=day, end_date=day,
    )  # fmt: skip
    SessionFactory(meeting=restricted, title="Ministerial Plenary SECRETMP", **at(day, 10))
    DocumentFactory(
        meeting=restricted, title="Restricted Statement SECRETDOC1",
        status=OutcomeDocument.DocumentStatus.PUBLISHED, url="https://docs.example.org/SECRETDOCURL1.pdf",
    )  # fmt: skip
    DelegationMemberFactory(delegation=DelegationFactory(meeting=restricted, country="MM", note="SECRETNOTE"))

    other_series = SeriesFactory(slug="retreats", name="Leaders' Retreats")
    confidential = MeetingFactory(
        series=other_series, venue=venue, title="Confidential Retreat SECRETCR", slug="confidential-retreat",
        access=Access.CONFIDENTIAL, description="SECRETMEETINGDESC",
    )  # fmt: skip
    SessionFactory(meeting=confidential, title="Leaders Only SECRETLO", **at(day, 16))
    DocumentFactory(meeting=confidential, title="Confidential Minutes SECRETDOC2")
    DelegationFactory(meeting=confidential, country="TH", organisation="SECRETORG")
    DelegationFactory(meeting=public, country="ID")

    values = {
        "slug": ["open-summit", "restricted-ministerial", "confidential-retreat", "summit", "retreats"],
        "country": ["ID", "MM", "TH", "id"],
        "year": ["2030"],
        "month": ["3"],
        "token": ["not-a-real-token"],
        "format": ["json", "ics"],
        "pk": [str(m.pk) for m in (public, restricted, confidential)],
    }
    values["object_id"] = values["pk"]
    values["id"] = values["pk"]
    return values


# --- Shared form data and import files ------------------------------------------------------


def admin_meeting_post(meeting, revision=None, **changes):
    """The admin meeting form's POST data for `meeting` as it stands (no inline rows), with `changes`.

    `revision` is the one the editor loaded (default: the meeting's own).
    """
    data = {
        "title": meeting.title, "title_id": meeting.title_id, "slug": meeting.slug, "series": meeting.series_id,
        "ordinal": meeting.ordinal or "", "parent": meeting.parent_id or "",
        "start_date": meeting.start_date.isoformat(), "end_date": meeting.end_date.isoformat(),
        "venue": meeting.venue_id or "", "timezone": meeting.timezone,
        "theme": meeting.theme, "mode": meeting.mode, "status": meeting.status, "access": meeting.access,
        "revision": meeting.revision if revision is None else revision, "description": meeting.description,
    }  # fmt: skip
    for prefix in ("sessions", "documents", "delegations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


def admin_meeting_change(meeting, **changes):
    """Staff member alice saves `meeting`'s admin change form with `changes` over its current revision."""
    client = signed_in(StaffFactory(username="alice"))
    url = reverse("admin:events_meeting_change", args=[meeting.pk])
    return client.post(url, admin_meeting_post(meeting, meeting.revision, **changes))


# A title with a BEL (U+0007) at position 7, and the header of a meeting spreadsheet for the admin's import.
BELL = "Summit\x07Plenary"
MEETING_IMPORT_HEADER = "slug,title,series,start_date,end_date,venue,mode,status\n"


@pytest.fixture
def summit_series(db):
    return SeriesFactory(slug="summit")


def dataset(text):
    """A CSV text as the tablib Dataset the spreadsheet import reads."""
    import tablib

    return tablib.Dataset().load(text, format="csv")


def ics_calendar(*events):
    body = "".join(events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Partner//EN\r\n{body}END:VCALENDAR\r\n"


def vevent(uid, summary, start, end, *extra):
    lines = [f"UID:{uid}", "DTSTAMP:20300101T000000Z", start, end, f"SUMMARY:{summary}", *extra]
    return "BEGIN:VEVENT\r\n" + "".join(line + "\r\n" for line in lines) + "END:VEVENT\r\n"


PARTNER = ics_calendar(
    vevent(
        "forum-1@partner.example",
        "Smart City Forum",
        "DTSTART;TZID=Asia/Jakarta:20300505T090000",
        "DTEND;TZID=Asia/Jakarta:20300505T120000",
        "STATUS:TENTATIVE",
        "DESCRIPTION:Panels on mobility.",
    ),
    vevent("expo-1@partner.example", "Expo", "DTSTART;VALUE=DATE:20300510", "DTEND;VALUE=DATE:20300512"),
    vevent("call-1@partner.example", "Coordination call", "DTSTART:20300601T060000Z", "DTEND:20300601T070000Z"),
)


@pytest.fixture
def partner_series(db):
    """The series a partner's calendar is imported into (`--series partner`)."""
    return SeriesFactory(slug="partner")


def write_ics(directory, text, name="partner.ics"):
    """Write a calendar text to `directory`/`name`; its path as a string, as `import_ics` takes it."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_import_ics(path, series="partner", **kwargs):
    """`manage.py import_ics path --series series`: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ics", path, series=series, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def ics_event(uid, cls="PUBLIC"):
    """A one-event partner calendar (bytes) on 1 June 2030 with the given CLASS."""
    event = vevent(uid, "Partner meeting", "DTSTART;VALUE=DATE:20300601", "DTEND;VALUE=DATE:20300602", f"CLASS:{cls}")
    return ics_calendar(event).encode()


# --- Crawling every URL (the access crawls) ------------------------------------------------

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def patterns(resolver=None, prefix=""):
    """Every URL pattern as a route string with <name> placeholders."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def fill(route, values):
    """Concrete paths for a route, one per candidate value of its (first) parameter; [] if it cannot be filled."""
    route = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    route = re.sub(r"\(\?:[^)]*\)\??", "", route)
    names = [m.group("name") or m.group("rname") for m in PARAM.finditer(route)]
    if any(name not in values for name in names):
        return []
    paths = [route]
    for name in dict.fromkeys(names):
        paths = [PARAM.sub(lambda m, n=name, v=v: v if (m.group("name") or m.group("rname")) == n else m.group(0), p)
                 for p in paths for v in values[name]]  # fmt: skip
    return ["/" + p.lstrip("/") for p in paths]


# Searches use words of the hidden titles, not the markers: a search box echoes its query.
SEARCHES = [
    "/meetings/?q=Ministerial", "/meetings/?q=Restricted", "/documents/?q=Statement", "/api/v1/meetings/?q=Retreat",
    "/api/v1/sessions/?q=Talk", "/changes/?q=Ministerial", "/api/v1/documents/?q=Statement", "/feeds/all.ics?q=Retreat",
    "/feeds/series/summit.ics?q=Ministerial", "/api/v1/sessions/?meeting=restricted-ministerial",
    "/api/v1/meetings/?series=retreats", "/meetings/?series=retreats", "/feeds/all.ics?series=retreats",
    "/api/v1/delegations/?country=MM", "/feeds/all.ics?lang=id", "/feeds/all.ics?per_day=1",
    "/api/v1/meetings/?page_size=200", "/api/v1/sessions/?page_size=200",
]  # fmt: skip



# --- The README's access-policy table ----------------------------------------------------

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def readme_policy_table():
    """(header, rows) of the table under the README's "Access policy" heading, cells stripped."""
    section = README.read_text().split("### Access policy", 1)[1].split("\n#", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    table = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return table[0], [(row[0], row[1:]) for row in table[2:]]


def new_meeting(target, level, slug="new"):
    """An unsaved meeting at `level`, in the series and venue of the public meeting of `target`."""
    meeting = Meeting(
        title="New", slug=slug, series=target[Access.PUBLIC].series, start_date=dt.date(2030, 5, 1),
        end_date=dt.date(2030, 5, 2), venue=target[Access.PUBLIC].venue, timezone="Asia/Singapore", mode="in_person",
        access=level,
    )  # fmt: skip
    return meeting


# --- Sessions in two cities (times, conflicts) -----------------------------------------------


@pytest.fixture
def cities(db):
    return {
        "Singapore": VenueFactory(name="MBS", city="Singapore"),
        "Jakarta": VenueFactory(name="JCC", city="Jakarta", country="ID", timezone="Asia/Jakarta"),
    }


def session_at(venue, hour, hours=1, day=dt.date(2030, 3, 1), **kwargs):
    meeting = MeetingFactory(venue=venue, timezone=venue.timezone, start_date=day, end_date=day + dt.timedelta(1))
    start, end = timed(day, hour, zone=venue.timezone, hours=hours)
    return SessionFactory(meeting=meeting, venue=venue, start=start, end=end, **kwargs)


# --- Rows as the iCalendar builder reads them (no database) ------------------------------

ROW_STAMP = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def session_row(**overrides):
    """A row of a session as the feeds read it (`ical.SESSION_FIELDS`), for the pure builder tests."""
    row = {
        "id": 7, "revision": 3, "updated": ROW_STAMP, "title": "Plenary", "title_id": "Sesi Pleno",
        "kind": "plenary", "starts_on": dt.date(2030, 3, 1), "ends_on": dt.date(2030, 3, 1),
        "start": dt.datetime(2030, 3, 1, 9, tzinfo=SINGAPORE), "end": dt.datetime(2030, 3, 1, 10, 30, tzinfo=SINGAPORE),
        "room": "Hall 1", "mode": "hybrid", "join_url": "https://meet.example/j/42", "join_passcode": "9911",
        "status": "scheduled", "access": "public", "description": "Opening remarks.", "meeting_id": 5,
        "venue__name": "Shangri-La", "venue__city": "Singapore", "venue__timezone": "Asia/Singapore",
        "meeting__revision": 2, "meeting__updated": ROW_STAMP - dt.timedelta(days=1), "meeting__title": "32nd Summit",
        "meeting__title_id": "KTT ke-32", "meeting__slug": "summit-32", "meeting__timezone": "Asia/Singapore",
        "meeting__status": "scheduled", "meeting__venue__name": "", "meeting__venue__city": "",
        "meeting__series__name": "ASEAN Summit", "meeting__series__name_id": "KTT ASEAN",
        "meeting__series__abbreviation": "AS", "meeting__series__color": "steelblue",
        "meeting__series__updated": ROW_STAMP,
    }  # fmt: skip
    row.update(overrides)
    return row


def ical_meeting_row(**overrides):
    """A row of a meeting without sessions as the feeds read it (`ical.MEETING_FIELDS`)."""
    row = {
        "id": 5, "revision": 4, "updated": ROW_STAMP, "title": "Smart Cities, Annual; Meeting", "title_id": "",
        "slug": "ascn-2030", "start_date": dt.date(2030, 5, 1), "end_date": dt.date(2030, 5, 3), "mode": "",
        "status": "tentative", "access": "public", "theme": "Resilience", "description": "", "official_url": "",
        "parent_id": None, "venue__name": "", "venue__city": "", "series__name": "ASCN", "series__name_id": "",
        "series__abbreviation": "ASCN", "series__color": "teal", "series__updated": ROW_STAMP,
    }  # fmt: skip
    row.update(overrides)
    return row


def embedded_json_ld(body):
    """The schema.org JSON-LD a page embeds."""
    import json

    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    return json.loads(match.group(1))


# --- Rules the database enforces as well as the models --------------------------------------------


def rejected_by_database(write):
    """True when the database itself refuses `write` (model validation bypassed)."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


# --- The admin meeting form with inline sessions (tests/test_admin.py, tests/test_forms.py) ---------------

INLINES = ("sessions", "documents", "delegations")


def meeting_form(series, venue, sessions=(), **overrides):
    """The admin meeting add form's POST data: a new 33rd ASEAN Summit, with `sessions` as inline rows."""
    data = {
        "title": "33rd ASEAN Summit",
        "title_id": "KTT ASEAN ke-33",
        "slug": "33rd-asean-summit",
        "series": series.pk,
        "ordinal": "33",
        "start_date": "2030-11-10",
        "end_date": "2030-11-13",
        "venue": venue.pk,
        "timezone": "",
        "mode": "in_person",
        "status": "scheduled",
        "access": "public",
        "_save": "Save",
    }
    for prefix in INLINES:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data["sessions-TOTAL_FORMS"] = str(len(sessions))
    for i, session in enumerate(sessions):
        base = {
            "title": "Plenary",
            "kind": "plenary",
            "status": "scheduled",
            "access": "public",
            "mode": "in_person",
            "venue": venue.pk,
            "starts_on": "",
            "ends_on": "",
            "start_time": "",
            "end_time": "",
        }
        base.update(session)
        data.update({f"sessions-{i}-{key}": value for key, value in base.items()})
    data.update(overrides)
    return data


def labuan_bajo_summit(**overrides):
    venue = VenueFactory(name="Meruorah Convention Center", city="Labuan Bajo", country="ID", timezone="Asia/Makassar")
    fields = {"title": "42nd ASEAN Summit", "slug": "42nd-asean-summit", "venue": venue}
    fields.update(start_date=dt.date(2023, 5, 10), end_date=dt.date(2023, 5, 11), **overrides)
    return MeetingFactory(**fields)


def meeting_change_form(meeting, sessions=(), **overrides):
    """The POST data of the meeting's change page as the browser sends it, sessions' rows edited or added."""
    data = meeting_form(
        meeting.series, meeting.venue, sessions=sessions, title=meeting.title, slug=meeting.slug, ordinal="",
        start_date=meeting.start_date.isoformat(), end_date=meeting.end_date.isoformat(),
        timezone=meeting.timezone, revision=meeting.revision,
    )  # fmt: skip
    data.update(overrides)
    return data


def brussels_meeting():
    berlaymont = VenueFactory(name="Berlaymont", city="Brussels", country="BE", timezone="Europe/Brussels")
    return MeetingFactory(
        title="ASEAN-EU dialogue", slug="asean-eu", venue=berlaymont,
        start_date=dt.date(2026, 3, 27), end_date=dt.date(2026, 3, 30),
    )  # fmt: skip


# --- What spreadsheet and calendar imports name (tests/test_resources.py, tests/test_admin_ics.py) ------------


@pytest.fixture
def import_references(db):
    """The series and venues import rows name: series `summit`, Marina Bay Sands, and two venues both called
    "Convention Centre" (Jakarta, Bangkok) that a row must tell apart by city."""
    SeriesFactory(slug="summit")
    VenueFactory(name="Marina Bay Sands", city="Singapore", timezone="Asia/Singapore")
    VenueFactory(name="Convention Centre", city="Jakarta", country="ID", timezone="Asia/Jakarta")
    VenueFactory(name="Convention Centre", city="Bangkok", country="TH", timezone="Asia/Bangkok")


# --- Deleting in the admin (tests/test_recovery.py, tests/test_changesets.py) -------------------------------


def delete_in_admin(client, meeting):
    """Delete `meeting` through its admin delete page, as an editor would."""
    response = client.post(reverse("admin:events_meeting_delete", args=[meeting.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
