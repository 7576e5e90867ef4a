import contextlib

from django.core.management.base import BaseCommand

from events.alerts import run_worker


class Command(BaseCommand):
    help = (
        "Work the alert task queue (django-tasks' database backend) and, every minute, re-enqueue what a crashed "
        "worker left. Run one or more per machine; they share the work through the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")

    def handle(self, *args, interval, **options):
        self.stdout.write("Alert worker running; Ctrl+C stops it (unfinished tasks stay queued).")
        with contextlib.suppress(KeyboardInterrupt):
            run_worker(interval=interval)
