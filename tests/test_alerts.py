"""Change alerts (events/alerts.py): what is captured and described, to whom, when, and how it survives failures.

Email goes through a real SMTP server in this process (aiosmtpd) and is parsed as received;
webhooks go to a local HTTP receiver; tasks run through django-tasks' database backend.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events import alerts
from events.models import Access
from events.models import Alert
from events.models import AlertProfile
from events.models import Change
from events.models import Mode
from events.models import Status
from events.models import WebhookDelivery
from tests.conftest import follow
from tests.conftest import free_port
from tests.conftest import save_changes
from tests.conftest import text_of
from tests.factories import DelegationFactory
from tests.factories import DocumentFactory
from tests.factories import MeetingFactory
from tests.factories import SessionFactory
from tests.factories import StaffFactory
from tests.factories import UserFactory
from tests.factories import VenueFactory
from tests.factories import timed


def html_of(message):
    return message.get_body(("html",)).get_content()


# --- What counts ------------------------------------------------------------------


def test_meeting_moved_reaches_follower_once_with_old_and_new(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save_changes(summit, start_date=dt.date(2030, 3, 2), end_date=dt.date(2030, 3, 4))
    assert smtp_server.messages == []  # nothing sent inside the request
    run_tasks()
    (message,) = smtp_server.messages
    assert message["To"] == "planner@example.org"
    assert message["Subject"] == "ASCN Events: Changed: ASEAN Summit 2030 (start date, end date)"
    text = text_of(message)
    assert "start date: March 1, 2030 → March 2, 2030" in text
    assert "end date: March 3, 2030 → March 4, 2030" in text
    assert "https://events.ascn.example/meetings/summit-2030/" in text
    assert "<del>March 1, 2030</del>" in html_of(message)
    assert Alert.objects.get().status == "sent"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"mode": Mode.HYBRID}, "format: In person → Hybrid"),
        ({"status": Status.CANCELLED}, "status: Scheduled → Cancelled"),
        ({"status": Status.POSTPONED}, "status: Scheduled → Postponed"),
        ({"title": "ASEAN Summit 2030 (Bali)"}, "title (English): ASEAN Summit 2030 → ASEAN Summit 2030 (Bali)"),
    ],
)
def test_each_meeting_change_kind_is_described(smtp_server, run_tasks, planner, summit, changes, expected):
    follow(planner, series=summit.series)
    save_changes(summit, **changes)
    run_tasks()
    assert expected in text_of(smtp_server.messages[0])


def test_new_venue_is_named(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    old = summit.venue.name
    save_changes(
        summit, venue=VenueFactory(name="Bali Nusa Dua Convention Center", city="Bali", timezone="Asia/Makassar")
    )
    run_tasks()
    assert f"venue: {old}, Singapore → Bali Nusa Dua Convention Center, Bali" in text_of(smtp_server.messages[0])


def test_session_times_in_follower_zone_and_join_details(smtp_server, run_tasks, planner, summit):
    session = SessionFactory(meeting=summit, title="Plenary", start=timed(summit.start_date, 9)[0],
                             end=timed(summit.start_date, 9)[1])  # fmt: skip
    follow(planner, meeting=summit)
    AlertProfile.objects.create(user=planner, timezone="Asia/Tokyo")
    start, end = timed(summit.start_date, 10)
    save_changes(session, start=start, end=end, mode=Mode.HYBRID, join_url="https://meet.example.org/plenary")
    run_tasks()
    text = text_of(smtp_server.messages[0])
    # 09:00 and 10:00 in Singapore are 10:00 and 11:00 in Tokyo.
    assert "start: March 1, 2030 10:00 (UTC+9) → March 1, 2030 11:00 (UTC+9)" in text
    assert "join link: — → https://meet.example.org/plenary" in text
    assert f"/meetings/summit-2030/#session-{session.pk}" in text


def test_join_details_are_described_only_to_whom_the_policy_gives_them(summit, planner):
    """describe() asks access.sees_join_details like every other door (today every follower is signed in)."""
    from django.contrib.auth.models import AnonymousUser

    session = SessionFactory(meeting=summit, mode=Mode.IN_PERSON)
    follow(planner, meeting=summit)  # so the change is captured
    save_changes(session, mode=Mode.HYBRID, join_url="https://meet.example.org/plenary")
    context = alerts.load_context(Change.objects.get(what="session", object_id=session.pk, meeting_ref=summit.pk))
    labels = {
        str(who): [c.label for c in alerts.describe(context, user=who, levels=["public"], zone_name="").changes]
        for who in (planner, AnonymousUser())
    }
    assert labels == {"planner": ["format", "join link"], "AnonymousUser": ["format"]}


def test_session_times_default_to_the_venue_zone(smtp_server, run_tasks, planner, summit):
    start, end = timed(summit.start_date, 9)
    session = SessionFactory(meeting=summit, title="Plenary", start=start, end=end)
    follow(planner, meeting=summit)
    save_changes(session, start=start + dt.timedelta(hours=1), end=end + dt.timedelta(hours=1))
    run_tasks()
    assert "start: March 1, 2030 09:00 (UTC+8) → March 1, 2030 10:00 (UTC+8)" in text_of(smtp_server.messages[-1])


def test_session_added_and_removed_and_document_published(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    session = SessionFactory(meeting=summit, title="Retreat")
    run_tasks()
    assert "New · Session: Retreat (ASEAN Summit 2030)" in text_of(smtp_server.messages[-1])
    session.delete()
    run_tasks()
    assert "Removed · Session: Retreat" in text_of(smtp_server.messages[-1])
    document = DocumentFactory(meeting=summit, title="Bali Declaration")
    run_tasks()
    assert "New · Outcome document: Bali Declaration" in text_of(smtp_server.messages[-1])
    save_changes(document, status="published", url="https://asean.example.org/bali.pdf")
    run_tasks()
    assert "link: — → https://asean.example.org/bali.pdf" in text_of(smtp_server.messages[-1])
    assert len(smtp_server.messages) == 4


def test_unseen_fields_raise_no_alert(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save_changes(summit, participant_count=300, source_note="Numbers from the host.")
    run_tasks()
    assert smtp_server.messages == []
    assert Alert.objects.count() == 0


def test_delegation_and_filter_follows_match(smtp_server, run_tasks, planner, summit):
    other = UserFactory(username="other", email="other@example.org")
    DelegationFactory(meeting=summit, country="ID")
    follow(planner, country="ID")
    follow(other, query="status=cancelled")
    save_changes(summit, status=Status.CANCELLED)
    run_tasks()
    assert sorted(m["To"] for m in smtp_server.messages) == ["other@example.org", "planner@example.org"]
    save_changes(MeetingFactory(), status=Status.POSTPONED)  # neither the delegation nor the filter
    run_tasks()
    assert len(smtp_server.messages) == 2


def test_delegation_added_to_a_meeting_reaches_that_countrys_followers(smtp_server, run_tasks, planner, summit):
    other = UserFactory(username="other", email="other@example.org")
    follow(planner, country="ID")
    follow(other, country="TH")
    DelegationFactory(meeting=summit, country="ID")
    run_tasks()
    (message,) = smtp_server.messages
    assert (message["To"], message["Subject"]) == ("planner@example.org", "ASCN Events: New: Delegation of Indonesia")
    text = text_of(message)
    assert "New · Delegation: Delegation of Indonesia (ASEAN Summit 2030)" in text
    assert "https://events.ascn.example/meetings/summit-2030/#delegations-heading" in text


def test_delegation_taken_off_a_meeting_is_announced_as_removed(smtp_server, run_tasks, planner, summit):
    delegation = DelegationFactory(meeting=summit, country="ID")
    follow(planner, country="ID")
    delegation.delete()
    run_tasks()
    (message,) = smtp_server.messages
    assert message["Subject"] == "ASCN Events: Removed: Delegation of Indonesia"


def test_delegation_to_a_restricted_meeting_reaches_only_followers_who_may_see_it(smtp_server, run_tasks, summit):
    summit.access = Access.RESTRICTED
    summit.save()
    public = UserFactory(username="public", email="public@example.org")
    staff = StaffFactory(username="staff-follower", email="staff@example.org", role="Viewer")
    follow(public, country="ID")
    follow(staff, country="ID")
    DelegationFactory(meeting=summit, country="ID")
    run_tasks()
    assert [m["To"] for m in smtp_server.messages] == ["staff@example.org"]


def test_one_email_per_follower_even_when_two_follows_match(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    follow(planner, series=summit.series)
    save_changes(summit, mode=Mode.VIRTUAL)
    run_tasks()
    assert len(smtp_server.messages) == 1
    assert Alert.objects.count() == 1


# --- Access policy ------------------------------------------------------------------


def test_policy_filters_per_role(smtp_server, run_tasks, summit):
    public = UserFactory(username="public", email="public@example.org")
    staff = StaffFactory(username="editor", email="editor@example.org", role="Data entry")
    for user in (public, staff):
        follow(user, meeting=summit)
    closed = SessionFactory(meeting=summit, title="Closed retreat", access=Access.RESTRICTED)
    run_tasks()
    assert [m["To"] for m in smtp_server.messages] == ["editor@example.org"]
    save_changes(closed, room="Room 7")
    run_tasks()
    assert [m["To"] for m in smtp_server.messages] == ["editor@example.org"] * 2
    assert all("Closed retreat" not in text_of(m) for m in smtp_server.messages if m["To"] == "public@example.org")
    # Not only no email: nothing was queued for the public follower, by email or otherwise.
    assert (Alert.objects.filter(user=public).count(), Alert.objects.filter(user=staff).count()) == (0, 2)


def test_policy_filters_per_role_and_level(smtp_server, run_tasks, role_users, summit):
    followers = {name: user for name, user in role_users.items() if user is not None}
    for user in followers.values():
        user.email = f"{user.username}@example.org"
        user.save()
        follow(user, meeting=summit)
    SessionFactory(meeting=summit, title="Restricted retreat", access=Access.RESTRICTED)
    SessionFactory(meeting=summit, title="Confidential dinner", access=Access.CONFIDENTIAL)
    SessionFactory(meeting=summit, title="Open plenary")
    run_tasks()
    told = {}
    for m in smtp_server.messages:  # every email a follower got, so a leak in any of them shows
        told.setdefault(m["To"].split("@")[0], set()).update(
            t for t in ("Restricted", "Confidential", "Open") if t in text_of(m)
        )
    assert told == {
        "planner": {"Open"},
        "viewer": {"Restricted", "Open"},
        "clerk": {"Restricted", "Open"},
        "editor": {"Restricted", "Confidential", "Open"},
        "administrator": {"Restricted", "Confidential", "Open"},
    }


def test_item_becoming_visible_arrives_as_new(smtp_server, run_tasks, planner):
    secret = MeetingFactory(slug="secret-2030", title="Secret Talks", access=Access.RESTRICTED)
    follow(planner, series=secret.series)
    save_changes(secret, start_date=dt.date(2030, 3, 2), end_date=dt.date(2030, 3, 3))
    run_tasks()
    assert smtp_server.messages == []  # a change above their level is never mentioned
    save_changes(secret, access=Access.PUBLIC)
    run_tasks()
    (message,) = smtp_server.messages
    assert "New · Meeting: Secret Talks" in text_of(message)
    assert "access" not in text_of(message)


def test_item_becoming_hidden_is_removed_without_details(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save_changes(summit, access=Access.CONFIDENTIAL, venue=VenueFactory(name="Secret Villa"))
    run_tasks()
    text = text_of(smtp_server.messages[0])
    assert "Removed · Meeting: ASEAN Summit 2030" in text
    assert "Secret Villa" not in text


# --- Requests never wait for delivery ---------------------------------------------------


def test_request_never_waits_for_or_fails_on_smtp(settings, administrator_client, planner, summit):
    follow(planner, meeting=summit)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    response = administrator_client.patch(
        f"/api/v1/meetings/{summit.slug}/",
        {"status": "cancelled"},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{summit.revision}"',
    )
    assert response.status_code == 200
    assert DBTaskResult.objects.filter(task_path="events.alerts.fan_out").count() == 1


# --- Background delivery: durable, idempotent, ordered ---------------------------------


def test_retried_tasks_send_each_change_once(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save_changes(summit, status=Status.CANCELLED)
    change = Change.objects.get()
    alerts.fan_out.enqueue(change.pk)  # as a worker would after a crash mid-task
    run_tasks()
    alerts.fan_out.enqueue(change.pk)
    alerts.deliver.enqueue([planner.pk])
    run_tasks()
    assert len(smtp_server.messages) == 1
    assert Alert.objects.count() == 1


def test_rolled_back_change_enqueues_nothing(planner, summit):
    follow(planner, meeting=summit)
    def change_then_fail():
        with transaction.atomic():
            save_changes(summit, status=Status.CANCELLED)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert (Change.objects.count(), DBTaskResult.objects.count()) == (0, 0)


def test_recover_requeues_what_a_crashed_worker_left(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save_changes(summit, status=Status.CANCELLED)
    # The worker claimed the fan-out and died: its task stays RUNNING forever.
    DBTaskResult.objects.update(status="RUNNING")
    Change.objects.update(created=timezone.now() - dt.timedelta(minutes=5))
    run_tasks()
    assert smtp_server.messages == []
    alerts.recover()
    run_tasks()
    assert len(smtp_server.messages) == 1


def test_daily_digest_batches_until_the_follower_morning(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit, cadence="daily")
    AlertProfile.objects.create(user=planner, timezone="Asia/Bangkok")
    save_changes(summit, status=Status.POSTPONED)
    save_changes(summit, mode=Mode.HYBRID)
    run_tasks()
    assert smtp_server.messages == []
    due = AlertProfile.objects.get(user=planner).digest_due
    local = due.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert (local.hour, local.minute) == (7, 0)
    assert dt.timedelta(0) < due - timezone.now() <= dt.timedelta(days=1)
    digest_tasks = DBTaskResult.objects.filter(task_path="events.alerts.deliver", status="READY")
    assert [t.run_after for t in digest_tasks] == [due]
    run_tasks(later=dt.timedelta(days=1))
    (message,) = smtp_server.messages
    assert message["Subject"] == "ASCN Events: Daily digest: 2 changes to what you follow"
    text = text_of(message)
    assert text.index("Postponed") < text.index("Hybrid")
    assert AlertProfile.objects.get(user=planner).digest_due is None


def test_next_digest_time_is_the_next_local_morning(settings):
    settings.ALERT_DIGEST_HOUR = 7
    now = dt.datetime(2030, 3, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 in Jakarta: today's digest has gone
    assert alerts.next_digest_time("Asia/Jakarta", now) == dt.datetime(2030, 3, 2, 0, 0, tzinfo=dt.UTC)
    assert alerts.next_digest_time("", now) == dt.datetime(2030, 3, 2, 0, 0, tzinfo=dt.UTC)
    assert alerts.next_digest_time("Europe/London", now) == dt.datetime(2030, 3, 1, 7, 0, tzinfo=dt.UTC)


# --- Webhook retries -----------------------------------------------------------------


def test_webhook_failures_are_retried_with_backoff(webhook_receiver, run_tasks, planner, summit):
    follow(planner, meeting=summit, webhook_url=webhook_receiver.url, email=False)
    webhook_receiver.status = 503
    save_changes(summit, status=Status.CANCELLED)
    run_tasks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 503)
    first_wait = delivery.next_attempt_at - timezone.now()
    run_tasks(later=dt.timedelta(seconds=31))
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - timezone.now() > first_wait  # backoff grows
    webhook_receiver.status = 204
    run_tasks(later=dt.timedelta(minutes=2))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("sent", 204)
    assert len(webhook_receiver.requests) == 3


def fan_out_queries(summit, followers):
    """Queries the fan-out of one restricted session's change makes with `followers` Viewer followers."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(followers):
        follow(StaffFactory(username=f"viewer-{summit.pk}-{n}", role="Viewer"), meeting=summit)
    session = SessionFactory(meeting=summit, access=Access.RESTRICTED)
    DBTaskResult.objects.all().delete()  # only this change's fan-out, run by hand below
    change = Change.objects.get(what="session", object_id=session.pk)
    with CaptureQueriesContext(connection) as queries:
        written = alerts.fan_out.call(change.pk)
    assert written == followers
    return len(queries)


def test_fan_out_query_count_does_not_grow_with_followers_who_need_their_levels_checked(db):
    one = fan_out_queries(MeetingFactory(slug="one"), 1)
    twenty = fan_out_queries(MeetingFactory(slug="twenty"), 20)
    assert twenty == one


def test_levels_of_many_users_are_those_of_each_role_and_the_superuser(role_users):
    from django.contrib.auth.models import Permission

    from events import access
    from tests.factories import SuperuserFactory

    direct = UserFactory(username="direct")
    direct.user_permissions.add(Permission.objects.get(codename="view_confidential"))
    inactive = StaffFactory(username="gone", role="Editor", is_active=False)
    users = [u for u in role_users.values() if u is not None] + [direct, inactive, SuperuserFactory(username="root")]
    assert access.visible_levels_of(users) == {user.pk: access.visible_levels(user) for user in users}
    assert access.visible_levels_of([direct])[direct.pk] == ["public", "confidential"]
