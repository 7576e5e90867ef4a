from django.core.management import call_command
from django.core.management.base import BaseCommand

from events.models import Meeting


class Command(BaseCommand):
    help = "Load fixtures/seed.json into an empty database; never overwrite edited data."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even if meetings exist (overwrites seed rows).")

    def handle(self, *args, force=False, **options):
        if Meeting.objects.exists() and not force:
            self.stdout.write("The database already has meetings; seed fixtures not loaded (use --force).")
            return
        call_command("loaddata", "fixtures/seed.json", verbosity=options["verbosity"])
