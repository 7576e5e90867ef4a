"""python manage.py import_spreadsheet FILE --resource meetings|sessions [--user NAME] [--dry-run]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from events.management.acting import acting_user, add_user_argument
from events.resources import RESOURCES, import_spreadsheet, result_problems
from events.uploads import read_upload_path

# Below this many rows the import is over before a bar would be read.
PROGRESS_THRESHOLD = 50


class Command(BaseCommand):
    help = (
        "Import meetings or sessions from a CSV or XLSX file with the admin's columns and rules. "
        "All or nothing: one invalid row imports nothing. Files over the import limits are refused before parsing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="FILE", help="A .csv (UTF-8) or .xlsx file.")
        parser.add_argument("--resource", choices=sorted(RESOURCES), required=True, help="What the rows are.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        add_user_argument(parser, action="import")

    def handle(self, *args, path, resource, dry_run=False, no_progress=False, user=None, **options):
        importer = acting_user(user, action="import", model=RESOURCES[resource]._meta.model)
        def progress(total):
            bar = tqdm(
                total=total, desc="Importing", unit="row", file=self.stderr,
                disable=no_progress or total < PROGRESS_THRESHOLD,
            )  # fmt: skip
            return bar.update

        try:
            data = read_upload_path(path)
            result = import_spreadsheet(
                data=data, resource=resource, dry_run=dry_run, progress=progress, user=importer
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        if result.has_errors() or result.has_validation_errors():
            raise CommandError("Nothing was imported: " + "; ".join(result_problems(result)))
        totals = ", ".join(f"{count} {kind}" for kind, count in result.totals.items() if count)
        verb = "Checked (dry run, nothing written)" if dry_run else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {path}: {totals or 'no rows'}."))
