"""The alert worker (`manage.py alerts_worker` runs events.alerts.run_worker): a change goes out within seconds."""

import threading
import time

import pytest

from events import alerts
from events.models import Follow
from events.models import Meeting
from events.models import Status
from tests.conftest import save_changes
from tests.factories import MeetingFactory
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_embedded_worker_sends_within_seconds(smtp_server):
    summit = MeetingFactory(slug="live-2030", title="Live Summit")
    planner = UserFactory(username="live", email="live@example.org")
    Follow.objects.create(user=planner, meeting=summit)
    changed = time.monotonic()
    save_changes(Meeting.objects.get(pk=summit.pk), status=Status.CANCELLED)
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
