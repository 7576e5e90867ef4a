"""Benchmark imports: rows per second, linear slug allocation, refusals of hostile files; one JSON line.

Everything runs inside a transaction that is rolled back, so any database can be measured and keeps
nothing. Figures, in one run so the ratios hold on a busy machine:
- `meetings_rows_per_s_1000` / `_10000`: a CSV of meetings through `import_spreadsheet` (the admin's
  resource, full validation, history rows), and `rows_ratio_10000_1000` (time; about 10 is linear);
- `ics_same_title_s_100` / `_1000` and `ics_same_title_ratio` (1,000 / 100 events with one title:
  about 10 when slugs cost one query per title, about 100 when each slug is searched row by row);
- `refuse_12mb_csv_s`, `refuse_zip_bomb_s`: refusals before parsing.
"""

import io
import json
import time
import zipfile

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from events.ics_import import import_calendar
from events.models import Series
from events.resources import import_spreadsheet, result_problems
from events.uploads import check_spreadsheet

HEADER = "slug,title,series,start_date,end_date,timezone,mode,status\n"


def meetings_csv(rows, *, offset):
    lines = [
        f"bench-{offset + n},Bench meeting {offset + n},bench-import,2031-{1 + n % 12:02d}-{1 + n % 28:02d},"
        f"2031-{1 + n % 12:02d}-{1 + n % 28:02d},Asia/Jakarta,hybrid,scheduled\n"
        for n in range(rows)
    ]
    return (HEADER + "".join(lines)).encode()


def same_title_calendar(events, *, offset):
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:bench-{offset + n}@bench.example\r\nDTSTAMP:20310101T000000Z\r\n"
        f"DTSTART:20310601T{n % 10:02d}0000Z\r\nDTEND:20310601T{n % 10:02d}3000Z\r\n"
        "SUMMARY:Working Group on Smart Mobility\r\nEND:VEVENT\r\n"
        for n in range(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//EN\r\n{body}END:VCALENDAR\r\n".encode()


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def refused(data):
    def check():
        try:
            check_spreadsheet(data)
        except ValidationError:
            return
        raise CommandError("The hostile file was not refused.")

    return timed(check)


class Command(BaseCommand):
    help = "Time spreadsheet and iCalendar imports at two sizes and the refusal of hostile files (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, nargs=2, default=[1000, 10000], metavar=("SMALL", "LARGE"))
        parser.add_argument("--events", type=int, nargs=2, default=[100, 1000], metavar=("SMALL", "LARGE"))

    def handle(self, *args, rows, events, **options):
        figures = {"database": connection.vendor}
        with transaction.atomic():
            series = Series.objects.create(name="Bench import", slug="bench-import")
            offset = 0
            for count in rows:
                data = meetings_csv(count, offset=offset)
                offset += count
                results = []
                seconds = timed(
                    lambda data=data, results=results: results.append(
                        import_spreadsheet(data=data, resource="meetings")
                    )
                )
                if results[0].has_errors() or results[0].has_validation_errors():
                    raise CommandError("; ".join(result_problems(results[0])))
                figures[f"meetings_s_{count}"] = round(seconds, 3)
                figures[f"meetings_rows_per_s_{count}"] = round(count / seconds, 1)
            figures["rows_ratio"] = round(figures[f"meetings_s_{rows[1]}"] / figures[f"meetings_s_{rows[0]}"], 2)
            for count in events:
                data = same_title_calendar(count, offset=offset)
                offset += count
                seconds = timed(lambda data=data: import_calendar(data=data, series=series))
                figures[f"ics_same_title_s_{count}"] = round(seconds, 3)
            figures["ics_same_title_ratio"] = round(
                figures[f"ics_same_title_s_{events[1]}"] / figures[f"ics_same_title_s_{events[0]}"], 2
            )
            transaction.set_rollback(True)
        row = b"x,Title,bench-import,2031-01-01,2031-01-01,Asia/Jakarta,hybrid,scheduled\n"
        figures["refuse_12mb_csv_s"] = round(refused(HEADER.encode() + row * (12 * 1024 * 1024 // len(row))), 4)
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
        figures["refuse_zip_bomb_s"] = round(refused(bomb.getvalue()), 4)
        self.stdout.write(json.dumps(figures))
