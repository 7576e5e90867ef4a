"""Webhooks (events/webhooks.py): signed as the README's reference verification expects; private targets refused."""

import hashlib
import hmac
import json
import time

from events.models import Follow
from events.models import Status
from events.models import WebhookDelivery
from tests.conftest import follow
from tests.conftest import save_changes
from tests.factories import DelegationFactory


def verify(secret, header, body, tolerance=300):
    """The README's reference verification, as a receiver would write it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])


def test_webhook_is_signed_json_verified_by_reference(webhook_receiver, run_tasks, planner, summit):
    made = follow(planner, meeting=summit, webhook_url=webhook_receiver.url, email=False)
    save_changes(summit, status=Status.CANCELLED)
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


def test_webhook_to_a_private_target_is_refused_at_delivery(settings, run_tasks, planner, summit):
    made = follow(planner, meeting=summit, email=False)
    Follow.objects.filter(pk=made.pk).update(webhook_url="https://127.0.0.1/hook", webhook_secret="s" * 64)
    settings.ALERT_WEBHOOKS_ALLOW_LOCAL = False
    save_changes(summit, status=Status.CANCELLED)
    run_tasks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert "private, loopback or link-local" in delivery.last_error


def test_webhook_of_a_country_follow_says_its_delegation_was_added(webhook_receiver, run_tasks, planner, summit):
    follow(planner, country="ID", webhook_url=webhook_receiver.url, email=False)
    DelegationFactory(meeting=summit, country="ID")
    run_tasks()
    ((_headers, body),) = webhook_receiver.requests
    payload = json.loads(body)
    assert (payload["type"], payload["item"]["title"]) == ("delegation.added", "Delegation of Indonesia")
    assert payload["item"]["url"] == "https://events.ascn.example/meetings/summit-2030/#delegations-heading"
