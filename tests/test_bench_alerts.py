"""The alerts benchmark (the bench_alerts command) runs end to end with a handful of followers (figures are printed,
not asserted as timings)."""

import io
import json

import pytest
from django.core.management import call_command

from events.models import Alert
from events.models import Follow

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_alerts_delivers_one_email_per_follower_and_prints_one_line_per_count():
    out = io.StringIO()
    call_command("bench_alerts", followers=[3, 5], stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["followers"], line["alerts_sent"], line["smtp_received"]) for line in lines] == [(3, 3, 3), (5, 5, 5)]
    assert all(line["change_to_last_delivery_s"] > 0 and line["change_request_s"] > 0 for line in lines)
    assert Follow.objects.count() == 8
    assert Alert.objects.filter(status="sent").count() == 8
