"""Benchmark of change alerts (issue 16): one change to a series with N followers, delivered into a local SMTP sink.

Prints one JSON line per follower count: how long the change's own request took (it only writes the
change and one task row), the fan-out, deliveries per second into the sink, and the time from the
change to the last delivery. Writes users and follows: run it on a scratch database (`make bench-alerts`).
Needs aiosmtpd (requirements-dev.txt).
"""

import datetime as dt
import json
import socket
import threading
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import override_settings

from events.models import Alert, AlertProfile, Follow, Meeting, Mode, Series, Status, Venue


class Sink:
    def __init__(self):
        self.count = 0
        self.first = self.last = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.perf_counter()
        with self.lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--followers", type=int, nargs="+", default=[1000, 10000])

    def handle(self, *args, followers, **options):
        from aiosmtpd.controller import Controller

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        for count in followers:
            sink = Sink()
            controller = Controller(sink, hostname="127.0.0.1", port=port)
            controller.start()
            try:
                with override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                    EMAIL_HOST="127.0.0.1",
                    EMAIL_PORT=port,
                    EMAIL_USE_TLS=False,
                    EMAIL_USE_SSL=False,
                ):
                    result = self.run_one(count, sink)
            finally:
                controller.stop()
            self.stdout.write(json.dumps(result))

    def run_one(self, count, sink):
        from django_tasks_db.management.commands.db_worker import Worker

        tag = f"bench{count}-{int(time.time())}"
        series = Series.objects.create(name=f"Bench {tag}", slug=tag)
        venue, _created = Venue.objects.get_or_create(
            name="Bench Centre", city="Jakarta", defaults={"country": "ID", "timezone": "Asia/Jakarta"}
        )
        meeting = Meeting.objects.create(
            series=series, title=f"Bench meeting {tag}", slug=tag, start_date=dt.date(2030, 5, 1),
            end_date=dt.date(2030, 5, 2), venue=venue, timezone="Asia/Jakarta", mode=Mode.IN_PERSON,
        )  # fmt: skip
        worker = Worker(
            queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
            max_tasks=None, worker_id=f"bench-{tag}", excluded_queue_names=[],
        )  # fmt: skip
        worker.run()  # the new meeting's own change, before anybody follows it
        User = get_user_model()
        User.objects.bulk_create(
            [User(username=f"{tag}-{i}", email=f"{tag}-{i}@example.org") for i in range(count)], batch_size=2000
        )
        users = list(User.objects.filter(username__startswith=f"{tag}-").values_list("pk", flat=True))
        AlertProfile.objects.bulk_create(
            [AlertProfile(user_id=pk, language="id" if pk % 2 else "en") for pk in users], batch_size=2000
        )
        Follow.objects.bulk_create([Follow(user_id=pk, series=series) for pk in users], batch_size=2000)
        worker.run()  # anything queued by the set-up
        sink.count, sink.first, sink.last = 0, None, None

        changed = time.perf_counter()
        with transaction.atomic():
            meeting.status = Status.POSTPONED
            meeting.save()
        request_s = time.perf_counter() - changed
        worker.run()
        deadline = time.perf_counter() + 60
        while sink.count < count and time.perf_counter() < deadline:
            time.sleep(0.05)
        sent = Alert.objects.filter(change__meeting_ref=meeting.pk, status="sent").count()
        span = (sink.last - sink.first) if sink.count > 1 else 0
        return {
            "database": connection.vendor,
            "followers": count,
            "change_request_s": round(request_s, 4),
            "alerts_sent": sent,
            "smtp_received": sink.count,
            "deliveries_per_s": round(sink.count / span, 1) if span else None,
            "change_to_last_delivery_s": round(sink.last - changed, 2) if sink.last else None,
        }
