"""Alert emails (events/notify_email.py): one-click unsubscribe, the follower's language, retries when SMTP is down.

Email goes through a real SMTP server in this process (aiosmtpd) and is parsed as received.
"""

import datetime as dt
import re

from django.utils import timezone

from events.models import Alert
from events.models import AlertProfile
from events.models import Mode
from events.models import Status
from tests.conftest import follow
from tests.conftest import free_port
from tests.conftest import save_changes
from tests.conftest import text_of


def test_email_is_multipart_with_one_click_unsubscribe(smtp_server, run_tasks, client, planner, summit):
    made = follow(planner, meeting=summit)
    save_changes(summit, status=Status.POSTPONED)
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
    save_changes(summit, status=Status.SCHEDULED)
    run_tasks()
    assert len(smtp_server.messages) == 1


def test_alert_in_indonesian(smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    AlertProfile.objects.create(user=planner, language="id")
    save_changes(summit, status=Status.CANCELLED)
    run_tasks()
    message = smtp_server.messages[0]
    assert message["Subject"].startswith("ASCN Events: Diubah: KTT ASEAN 2030")
    assert "Sesuatu yang Anda ikuti telah berubah." in text_of(message)
    assert "Dibatalkan" in text_of(message)


def test_unreachable_smtp_is_retried_and_nothing_is_lost(settings, smtp_server, run_tasks, planner, summit):
    follow(planner, meeting=summit)
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    save_changes(summit, status=Status.CANCELLED)
    run_tasks()
    alert = Alert.objects.get()
    assert (alert.status, alert.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in alert.last_error
    assert alert.next_attempt_at > timezone.now()
    # A newer change must wait behind the one that failed (order per follower).
    settings.EMAIL_PORT = real_port
    save_changes(summit, mode=Mode.VIRTUAL)
    run_tasks()
    assert smtp_server.messages == []
    run_tasks(later=dt.timedelta(minutes=2))
    (message,) = smtp_server.messages
    text = text_of(message)
    assert text.index("Cancelled") < text.index("Virtual")
    assert list(Alert.objects.values_list("status", flat=True)) == ["sent", "sent"]
