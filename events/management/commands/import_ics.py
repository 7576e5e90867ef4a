"""python manage.py import_ics FILE_OR_URL --series SLUG"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from events.ics_import import IcsImportError, import_calendar, read_source
from events.management.acting import acting_user, add_user_argument
from events.models import Meeting, Series

# Below this many meetings the import is over before a bar would be read.
PROGRESS_THRESHOLD = 50


class Command(BaseCommand):
    help = (
        "Create or update meetings and sessions from an iCalendar file or http(s) URL, matching events by UID. "
        "All or nothing: if any event cannot be imported, nothing is."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="FILE_OR_URL", help="Path of an .ics file, or an http(s) URL.")
        parser.add_argument("--series", required=True, help="Slug of the series new meetings are filed under.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        add_user_argument(parser, action="import")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change, and save nothing.")

    def handle(self, *args, source, series, no_progress=False, user=None, dry_run=False, **options):
        importer = acting_user(user, action="import", model=Meeting)
        target = Series.objects.filter(slug=series).first()
        if target is None:
            known = ", ".join(Series.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(f"No series with slug “{series}”. Known series: {known or 'none'}.")

        def progress(groups):
            show = not no_progress and len(groups) >= PROGRESS_THRESHOLD
            return tqdm(groups, desc="Importing", unit="meeting", file=self.stderr, disable=not show)

        try:
            result = import_calendar(
                data=read_source(source=source), series=target, progress=progress, user=importer, dry_run=dry_run
            )
        except IcsImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Imported {source}: {result}."))
