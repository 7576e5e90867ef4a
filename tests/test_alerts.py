"""Change alerts (issue 16): what is sent, to whom, when, and how it survives failures.

Email goes through a real SMTP server in this process (aiosmtpd) and is parsed as received;
webhooks go to a local HTTP receiver; tasks run through django-tasks' database backend.
"""

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events import alerts
from events.models import (
    Access,
    Alert,
    AlertProfile,
    Change,
    Follow,
    Meeting,
    Mode,
    Status,
    WebhookDelivery,
)
from tests.conftest import free_port
from tests.factories import (
    DelegationFactory,
    DocumentFactory,
    MeetingFactory,
    SeriesFactory,
    SessionFactory,
    StaffFactory,
    UserFactory,
    VenueFactory,
    timed,
)


@pytest.fixture
def planner(user):
    return user


def follow(user, **target):
    return Follow.objects.create(user=user, **target)


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()


def save(obj, **changes):
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    return obj


# --- Follow by page ------------------------------------------------------------


def test_follow_button_follows_and_unfollows_by_page(client, planner, summit):
    client.force_login(planner)
    page = client.get(summit.get_absolute_url()).content.decode()
    assert 'name="meeting" value="summit-2030"' in page
    response = client.post(
        reverse("events:follows"), {"meeting": "summit-2030", "cadence": "daily", "next": summit.get_absolute_url()}
    )
    assert (response.status_code, response["Location"]) == (302, summit.get_absolute_url())
    made = Follow.objects.get(user=planner)
    assert (made.meeting, made.cadence, made.email) == (summit, "daily", True)
    listing = client.get(reverse("events:follows")).content.decode()
    assert "ASEAN Summit 2030" in listing
    assert "You follow this." in client.get(summit.get_absolute_url()).content.decode()
    client.post(reverse("events:follow_update", args=[made.pk]), {"action": "delete"})
    assert not Follow.objects.filter(user=planner).exists()


def test_follow_buttons_on_series_delegation_and_filtered_list(client, planner, summit):
    client.force_login(planner)
    assert 'name="series" value="asean-summit"' in client.get("/series/asean-summit/").content.decode()
    assert 'name="delegation" value="ID"' in client.get("/delegations/id/").content.decode()
    listing = client.get("/meetings/?status=cancelled&country=SG").content.decode()
    assert 'name="query" value="country=SG&amp;status=cancelled"' in listing
    assert 'name="query"' not in client.get("/meetings/").content.decode()
    client.post(reverse("events:follows"), {"query": "country=SG&status=cancelled", "cadence": "immediate"})
    assert Follow.objects.get(user=planner).query == "country=SG&status=cancelled"


def test_follow_page_bad_input_is_400_and_writes_nothing(client, planner, summit):
    client.force_login(planner)
    for data, message in [
        ({"meeting": "nope", "cadence": "daily"}, "No meeting has the slug “nope”."),
        ({"meeting": "summit-2030", "series": "asean-summit", "cadence": "daily"}, "Give exactly one of"),
        ({"meeting": "summit-2030", "cadence": "hourly"}, "Select a valid choice."),
    ]:
        response = client.post(reverse("events:follows"), data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert Follow.objects.count() == 0


def test_follow_button_asks_anonymous_visitors_to_sign_in(client, summit):
    page = client.get(summit.get_absolute_url()).content.decode()
    assert "Sign in to follow changes" in page
    assert client.post(reverse("events:follows"), {"meeting": "summit-2030"}).status_code == 302
    assert Follow.objects.count() == 0


def test_follows_page_is_flat(client, planner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(planner)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("events:follows")).status_code == 200
        return len(ctx)

    AlertProfile.objects.create(user=planner)
    follow(planner, meeting=MeetingFactory())
    one = count()
    for i in range(19):
        follow(planner, series=SeriesFactory()) if i % 2 else follow(planner, meeting=MeetingFactory())
    assert count() == one


def test_follows_page_sets_language_and_zone(client, planner):
    client.force_login(planner)
    response = client.post(reverse("events:alert_profile"), {"language": "id", "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    profile = AlertProfile.objects.get(user=planner)
    assert (profile.language, profile.timezone) == ("id", "Asia/Tokyo")
    bad = client.post(reverse("events:alert_profile"), {"language": "id", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert AlertProfile.objects.get(user=planner).timezone == "Asia/Tokyo"


# --- What counts ------------------------------------------------------------------


def test_meeting_moved_reaches_follower_once_with_old_and_new(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save(summit, start_date=dt.date(2030, 3, 2), end_date=dt.date(2030, 3, 4))
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
    save(summit, **changes)
    run_tasks()
    assert expected in text_of(smtp_server.messages[0])


def test_new_venue_is_named(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    old = summit.venue.name
    save(summit, venue=VenueFactory(name="Bali Nusa Dua Convention Center", city="Bali", timezone="Asia/Makassar"))
    run_tasks()
    assert f"venue: {old}, Singapore → Bali Nusa Dua Convention Center, Bali" in text_of(smtp_server.messages[0])


def test_session_times_in_follower_zone_and_join_details(smtp_server, run_tasks, planner, summit):
    session = SessionFactory(meeting=summit, title="Plenary", start=timed(summit.start_date, 9)[0],
                             end=timed(summit.start_date, 9)[1])  # fmt: skip
    follow(planner, meeting=summit)
    AlertProfile.objects.create(user=planner, timezone="Asia/Tokyo")
    start, end = timed(summit.start_date, 10)
    save(session, start=start, end=end, mode=Mode.HYBRID, join_url="https://meet.example.org/plenary")
    run_tasks()
    text = text_of(smtp_server.messages[0])
    # 09:00 and 10:00 in Singapore are 10:00 and 11:00 in Tokyo.
    assert "start: March 1, 2030 10:00 (UTC+9) → March 1, 2030 11:00 (UTC+9)" in text
    assert "join link: — → https://meet.example.org/plenary" in text
    assert f"/meetings/summit-2030/#session-{session.pk}" in text


def test_session_times_default_to_the_venue_zone(smtp_server, run_tasks, planner, summit):
    start, end = timed(summit.start_date, 9)
    session = SessionFactory(meeting=summit, title="Plenary", start=start, end=end)
    follow(planner, meeting=summit)
    save(session, start=start + dt.timedelta(hours=1), end=end + dt.timedelta(hours=1))
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
    save(document, status="published", url="https://asean.example.org/bali.pdf")
    run_tasks()
    assert "link: — → https://asean.example.org/bali.pdf" in text_of(smtp_server.messages[-1])
    assert len(smtp_server.messages) == 4


def test_unseen_fields_raise_no_alert(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save(summit, participant_count=300, source_note="Numbers from the host.")
    run_tasks()
    assert smtp_server.messages == []
    assert Alert.objects.count() == 0


def test_delegation_and_filter_follows_match(smtp_server, run_tasks, planner, summit):
    other = UserFactory(username="other", email="other@example.org")
    DelegationFactory(meeting=summit, country="ID")
    follow(planner, country="ID")
    follow(other, query="status=cancelled")
    save(summit, status=Status.CANCELLED)
    run_tasks()
    assert sorted(m["To"] for m in smtp_server.messages) == ["other@example.org", "planner@example.org"]
    save(MeetingFactory(), status=Status.POSTPONED)  # neither the delegation nor the filter
    run_tasks()
    assert len(smtp_server.messages) == 2


def test_one_email_per_follower_even_when_two_follows_match(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    follow(planner, series=summit.series)
    save(summit, mode=Mode.VIRTUAL)
    run_tasks()
    assert len(smtp_server.messages) == 1
    assert Alert.objects.count() == 1


def test_alert_in_indonesian(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    AlertProfile.objects.create(user=planner, language="id")
    save(summit, status=Status.CANCELLED)
    run_tasks()
    message = smtp_server.messages[0]
    assert message["Subject"].startswith("ASCN Events: Diubah: KTT ASEAN 2030")
    assert "Sesuatu yang Anda ikuti telah berubah." in text_of(message)
    assert "Dibatalkan" in text_of(message)


# --- Access policy ------------------------------------------------------------------


def test_policy_filters_per_role(smtp_server, run_tasks, summit):
    public = UserFactory(username="public", email="public@example.org")
    staff = StaffFactory(username="editor", email="editor@example.org")
    for user in (public, staff):
        follow(user, meeting=summit)
    closed = SessionFactory(meeting=summit, title="Closed retreat", access=Access.RESTRICTED)
    run_tasks()
    assert [m["To"] for m in smtp_server.messages] == ["editor@example.org"]
    save(closed, room="Room 7")
    run_tasks()
    assert [m["To"] for m in smtp_server.messages] == ["editor@example.org"] * 2
    assert all("Closed retreat" not in text_of(m) for m in smtp_server.messages if m["To"] == "public@example.org")


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
    told = {
        m["To"].split("@")[0]: {t for t in ("Restricted", "Confidential", "Open") if t in text_of(m)}
        for m in smtp_server.messages
    }
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
    save(secret, start_date=dt.date(2030, 3, 2), end_date=dt.date(2030, 3, 3))
    run_tasks()
    assert smtp_server.messages == []  # a change above their level is never mentioned
    save(secret, access=Access.PUBLIC)
    run_tasks()
    (message,) = smtp_server.messages
    assert "New · Meeting: Secret Talks" in text_of(message)
    assert "access" not in text_of(message)


def test_item_becoming_hidden_is_removed_without_details(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save(summit, access=Access.CONFIDENTIAL, venue=VenueFactory(name="Secret Villa"))
    run_tasks()
    text = text_of(smtp_server.messages[0])
    assert "Removed · Meeting: ASEAN Summit 2030" in text
    assert "Secret Villa" not in text


# --- Email: headers, unsubscribe, unreachable server ---------------------------------


def test_email_is_multipart_with_one_click_unsubscribe(smtp_server, run_tasks, client, planner, summit):
    made = follow(planner, meeting=summit)
    save(summit, status=Status.POSTPONED)
    run_tasks()
    message = smtp_server.messages[0]
    assert message.get_content_type() == "multipart/alternative"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).group(1)
    path = url.removeprefix("https://events.ascn.example")
    assert path.startswith("/alerts/unsubscribe/")
    # RFC 8058: the mail client POSTs, signed out, no CSRF token.
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    made.refresh_from_db()
    assert made.email is False
    save(summit, status=Status.SCHEDULED)
    run_tasks()
    assert len(smtp_server.messages) == 1


def test_unsubscribe_link_confirms_before_acting(smtp_server, run_tasks, client, planner, summit):
    made = follow(planner, meeting=summit)
    save(summit, mode=Mode.VIRTUAL)
    run_tasks()
    path = re.search(r"/alerts/unsubscribe/[^/\s]+/", text_of(smtp_server.messages[0])).group(0)
    page = client.get(path)
    assert page.status_code == 200
    assert "ASEAN Summit 2030" in page.content.decode()
    made.refresh_from_db()
    assert made.email is True  # a link scanner's GET changes nothing
    assert "no more emails" in client.post(path).content.decode()
    made.refresh_from_db()
    assert made.email is False


def test_forged_unsubscribe_token_is_404_and_changes_nothing(client, planner, summit):
    from events.notify_email import unsubscribe_token

    made = follow(planner, meeting=summit)
    token = unsubscribe_token(planner.pk, [made.pk])
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.post(f"/alerts/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    made.refresh_from_db()
    assert made.email is True


def test_unreachable_smtp_is_retried_and_nothing_is_lost(settings, smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    save(summit, status=Status.CANCELLED)
    run_tasks()
    alert = Alert.objects.get()
    assert (alert.status, alert.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in alert.last_error
    assert alert.next_attempt_at > timezone.now()
    # A newer change must wait behind the one that failed (order per follower).
    settings.EMAIL_PORT = real_port
    save(summit, mode=Mode.VIRTUAL)
    run_tasks()
    assert smtp_server.messages == []
    run_tasks(later=dt.timedelta(minutes=2))
    (message,) = smtp_server.messages
    text = text_of(message)
    assert text.index("Cancelled") < text.index("Virtual")
    assert list(Alert.objects.values_list("status", flat=True)) == ["sent", "sent"]


def test_request_never_waits_for_or_fails_on_smtp(settings, staff_client, planner, summit):
    follow(planner, meeting=summit)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    response = staff_client.patch(
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
    save(summit, status=Status.CANCELLED)
    change = Change.objects.get()
    alerts.fan_out.enqueue(change.pk)  # as a worker would after a crash mid-task
    run_tasks()
    alerts.fan_out.enqueue(change.pk)
    alerts.deliver.enqueue([planner.pk])
    run_tasks()
    assert len(smtp_server.messages) == 1
    assert Alert.objects.count() == 1


def test_alert_key_is_unique_per_follower_and_change(planner, summit):
    from django.db import IntegrityError

    follow(planner, meeting=summit)
    save(summit, status=Status.CANCELLED)
    change = Change.objects.get()
    Alert.objects.create(user=planner, change=change, cadence="immediate")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(user=planner, change=change, cadence="daily")


def test_rolled_back_change_enqueues_nothing(planner, summit):
    follow(planner, meeting=summit)
    def change_then_fail():
        with transaction.atomic():
            save(summit, status=Status.CANCELLED)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert (Change.objects.count(), DBTaskResult.objects.count()) == (0, 0)


def test_recover_requeues_what_a_crashed_worker_left(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    save(summit, status=Status.CANCELLED)
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
    save(summit, status=Status.POSTPONED)
    save(summit, mode=Mode.HYBRID)
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


@pytest.mark.django_db(transaction=True)
def test_embedded_worker_sends_within_seconds(smtp_server):
    summit = MeetingFactory(slug="live-2030", title="Live Summit")
    planner = UserFactory(username="live", email="live@example.org")
    Follow.objects.create(user=planner, meeting=summit)
    changed = time.monotonic()
    save(Meeting.objects.get(pk=summit.pk), status=Status.CANCELLED)
    # The worker starts after the change: SQLite's shared in-memory test database has table locks and no
    # busy timeout, so this thread must not write while the worker does (a file database waits instead).
    stop = threading.Event()
    worker = threading.Thread(target=alerts.run_worker, kwargs={"interval": 0.2, "stop": stop}, daemon=True)
    worker.start()
    try:
        while not smtp_server.envelopes and time.monotonic() - changed < 10:
            time.sleep(0.1)
        assert len(smtp_server.envelopes) == 1
    finally:
        stop.set()
        worker.join(5)


# --- Webhooks -------------------------------------------------------------------------


def verify(secret, header, body, tolerance=300):
    """The README's reference verification, as a receiver would write it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])


def test_webhook_is_signed_json_verified_by_reference(webhook_receiver, run_tasks, planner, summit):
    made = follow(planner, meeting=summit, webhook_url=webhook_receiver.url, email=False)
    save(summit, status=Status.CANCELLED)
    run_tasks()
    ((headers, body),) = webhook_receiver.requests
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert verify(made.webhook_secret, headers["ASCN-Signature"], body)
    assert not verify("wrong secret", headers["ASCN-Signature"], body)
    assert not verify(made.webhook_secret, headers["ASCN-Signature"], body + b" ")
    payload = json.loads(body)
    assert payload["type"] == "meeting.changed"
    assert payload["item"]["changes"] == [{"field": "status", "old": "Scheduled", "new": "Cancelled"}]
    assert payload["follow"] == {"id": made.pk, "kind": "meeting", "target": "ASEAN Summit 2030"}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == ("sent", 200)


def test_webhook_failures_are_retried_with_backoff(webhook_receiver, run_tasks, planner, summit):
    follow(planner, meeting=summit, webhook_url=webhook_receiver.url, email=False)
    webhook_receiver.status = 503
    save(summit, status=Status.CANCELLED)
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


def test_webhook_to_a_private_target_is_refused_at_delivery(settings, run_tasks, planner, summit):
    made = follow(planner, meeting=summit, email=False)
    Follow.objects.filter(pk=made.pk).update(webhook_url="https://127.0.0.1/hook", webhook_secret="s" * 64)
    settings.ALERT_WEBHOOKS_ALLOW_LOCAL = False
    save(summit, status=Status.CANCELLED)
    run_tasks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert "private, loopback or link-local" in delivery.last_error


def test_webhook_delivery_log_in_admin(staff_client, webhook_receiver, run_tasks, planner, summit):
    follow(planner, meeting=summit, webhook_url=webhook_receiver.url, email=False)
    save(summit, status=Status.CANCELLED)
    run_tasks()
    # An Administrator (migration 0012 gave the role the alert models' permissions).
    page = staff_client.get(reverse("admin:events_webhookdelivery_changelist")).content.decode()
    assert webhook_receiver.url in page
    assert "200" in page
