from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from events.models import Meeting
from events.record import RECORD_DIR, RecordError, load_record, refresh_unedited_seed_rows


class Command(BaseCommand):
    help = (
        "Load the founding facts (fixtures/seed.json) into an empty database, then add the rows of the sourced "
        "record (fixtures/record/*.csv) the database lacks; never overwrite edited data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Load seed.json even if meetings exist (overwrites seed rows)."
        )
        parser.add_argument("--record", default=str(RECORD_DIR), help="Folder of the record spreadsheets.")
        parser.add_argument("--no-record", action="store_true", help="Load only seed.json.")

    def handle(self, *args, force=False, record=None, no_record=False, **options):
        with transaction.atomic():
            if Meeting.objects.exists() and not force:
                self.stdout.write("The database already has meetings; seed fixtures not loaded (use --force).")
                if refreshed := refresh_unedited_seed_rows():
                    self.stdout.write(f"Brought {refreshed} rows from an earlier seed.json up to date (never edited).")
            else:
                call_command("loaddata", "fixtures/seed.json", verbosity=options["verbosity"])
            if no_record:
                return
            try:
                added = load_record(directory=record)
            except (RecordError, OSError) as error:
                raise CommandError(f"Record not loaded, nothing changed: {error}") from None
        summary = ", ".join(f"{count} from {name}" for name, count in added.items())
        self.stdout.write(f"Record: added {summary}.")
