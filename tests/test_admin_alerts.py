"""Admin of change alerts (events/admin_alerts.py): the webhook delivery log."""

from django.urls import reverse

from events.models import Status
from tests.conftest import follow
from tests.conftest import save_changes


def test_webhook_delivery_log_in_admin(administrator_client, webhook_receiver, run_tasks, planner, summit):
    follow(planner, meeting=summit, webhook_url=webhook_receiver.url, email=False)
    save_changes(summit, status=Status.CANCELLED)
    run_tasks()
    # An Administrator (migration 0012 gave the role the alert models' permissions).
    page = administrator_client.get(reverse("admin:events_webhookdelivery_changelist")).content.decode()
    assert webhook_receiver.url in page
    assert "200" in page
