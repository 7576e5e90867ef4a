import datetime as dt
import io
import zoneinfo

import pytest
from django.core.cache import cache

from events.models import Access, Mode, OutcomeDocument

from .factories import (
    DelegationFactory,
    DelegationMemberFactory,
    DocumentFactory,
    MeetingFactory,
    SeriesFactory,
    SessionFactory,
    StaffFactory,
    UserFactory,
    VenueFactory,
)


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


def api_token(user):
    """A django-rest-knox API token of `user`: the secret to send as `Authorization: Token <secret>`."""
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, expiry=None)[1]


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

            from events.models import Alert, AlertProfile, WebhookDelivery

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


ROLES = ["Viewer", "Data entry", "Editor", "Administrator"]


def role_user(role, username):
    """A staff user holding one role (a group made by events.roles), as a new user would be set up."""
    from django.contrib.auth.models import Group

    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer_user(db):
    return role_user("Viewer", "viewer")


@pytest.fixture
def data_entry_user(db):
    return role_user("Data entry", "clerk")


@pytest.fixture
def editor_user(db):
    return role_user("Editor", "editor")


@pytest.fixture
def administrator_user(db):
    return role_user("Administrator", "administrator")


def _signed_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(viewer_user):
    return _signed_in(viewer_user)


@pytest.fixture
def data_entry_client(data_entry_user):
    return _signed_in(data_entry_user)


@pytest.fixture
def editor_client(editor_user):
    return _signed_in(editor_user)


@pytest.fixture
def administrator_client(administrator_user):
    return _signed_in(administrator_user)


@pytest.fixture
def role_users(db, user):
    """One user per role, anonymous first (None), in the order of the README's policy table."""
    return {
        "anonymous": None,
        "signed in, no role": user,
        "Viewer": role_user("Viewer", "viewer"),
        "Data entry": role_user("Data entry", "clerk"),
        "Editor": role_user("Editor", "editor"),
        "Administrator": role_user("Administrator", "administrator"),
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
