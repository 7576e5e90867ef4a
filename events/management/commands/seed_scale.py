"""A large synthetic calendar for benchmarks and load tests.

Summits come with their related meetings (Committee of Permanent
Representatives, Senior Officials, Foreign Ministers) held in the days before,
each meeting has about four sessions at venues across ASEAN and Japan in their
own time zones, and some meetings and sessions are restricted, confidential,
virtual, date-only, tentative or cancelled. Rows are inserted with bulk_create
in one transaction, so no history records are written for them.
"""

import datetime as dt
import random
import zoneinfo

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from events.models import Access, Meeting, Mode, OutcomeDocument, Series, Session, SessionKind, Status, Venue

SLUG_PREFIX = "scale-"
SERIES = [
    # (slug, name, abbreviation, colour, role in a summit group or None for a standalone series)
    ("summit", "ASEAN Summit", "Summit", "navy", "summit"),
    ("cpr", "Committee of Permanent Representatives to ASEAN", "CPR", "teal", "cpr"),
    ("som", "ASEAN Senior Officials' Meeting", "SOM", "olive", "som"),
    ("amm", "ASEAN Foreign Ministers' Meeting", "AMM", "maroon", "ministers"),
    ("ascn", "ASEAN Smart Cities Network Annual Meeting", "ASCN", "steelblue", None),
    ("ajscn", "ASEAN-Japan Smart Cities Network High Level Meeting", "AJSCN HLM", "crimson", None),
    ("aem", "ASEAN Economic Ministers' Meeting", "AEM", "darkgreen", None),
    ("amri", "ASEAN Ministers Responsible for Information", "AMRI", "purple", None),
]
VENUES = [
    ("Myanmar Convention Centre", "Yangon", "MM", "Asia/Yangon"),
    ("Queen Sirikit National Convention Center", "Bangkok", "TH", "Asia/Bangkok"),
    ("Jakarta Convention Center", "Jakarta", "ID", "Asia/Jakarta"),
    ("Bali Nusa Dua Convention Center", "Nusa Dua", "ID", "Asia/Makassar"),
    ("Suntec Singapore", "Singapore", "SG", "Asia/Singapore"),
    ("Philippine International Convention Center", "Manila", "PH", "Asia/Manila"),
    ("Kuala Lumpur Convention Centre", "Kuala Lumpur", "MY", "Asia/Kuala_Lumpur"),
    ("National Convention Center", "Hanoi", "VN", "Asia/Ho_Chi_Minh"),
    ("Peace Palace", "Phnom Penh", "KH", "Asia/Phnom_Penh"),
    ("National Convention Centre", "Vientiane", "LA", "Asia/Vientiane"),
    ("International Convention Centre", "Bandar Seri Begawan", "BN", "Asia/Brunei"),
    ("Tokyo International Forum", "Tokyo", "JP", "Asia/Tokyo"),
    ("Osaka International Convention Center", "Osaka", "JP", "Asia/Tokyo"),
    ("Dili Convention Centre", "Dili", "TL", "Asia/Dili"),
]
GROUP_ROLES = ["cpr", "som", "ministers", "summit"]  # the order they meet in, the summit last
SESSION_SLOTS = [
    (SessionKind.OPENING, "Opening ceremony", 9, 1),
    (SessionKind.PLENARY, "Plenary session", 10, 2),
    (SessionKind.WORKING_LUNCH, "Working lunch", 12, 1),
    (SessionKind.RETREAT, "Retreat", 14, 2),
    (SessionKind.PANEL, "Panel discussion", 16, 1),
    (SessionKind.CLOSING, "Closing ceremony", 17, 1),
]
FIRST_DAY = dt.date(2000, 1, 10)


def pick(rng, weighted):
    """One value from [(value, weight), ...]."""
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


class Command(BaseCommand):
    help = "Generate a realistic synthetic calendar of N meetings (about 4 sessions each) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--meetings", type=int, required=True, help="How many meetings to create.")
        parser.add_argument("--sessions", type=int, default=4, help="Sessions per meeting (default 4).")
        parser.add_argument("--seed", type=int, default=2018, help="Random seed, for a repeatable calendar.")

    def handle(self, *args, meetings, sessions, seed, **options):
        if not 1 <= meetings <= 1_000_000:
            raise CommandError("--meetings must be between 1 and 1,000,000.")
        if not 1 <= sessions <= len(SESSION_SLOTS):
            raise CommandError(f"--sessions must be between 1 and {len(SESSION_SLOTS)}.")
        if Meeting.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            raise CommandError("This database already holds a synthetic calendar; use a fresh database.")
        rng = random.Random(seed)
        with transaction.atomic():
            series = self.make_series()
            venues = self.make_venues()
            made = self.make_meetings(rng, meetings, series, venues)
            session_count = self.make_sessions(rng, made, sessions)
            document_count = self.make_documents(rng, made)
        # Fresh planner statistics: without them PostgreSQL guesses two public meetings
        # and picks nested loops that take seconds (autovacuum would analyze only later).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"Created {len(made)} meetings, {session_count} sessions and {document_count} documents "
            f"in {len(series)} series at {len(venues)} venues."
        )

    def make_series(self):
        out = {}
        for slug, name, abbreviation, color, role in SERIES:
            series, _created = Series.objects.get_or_create(
                slug=SLUG_PREFIX + slug,
                defaults={"name": f"{name} (synthetic)", "abbreviation": abbreviation, "color": color,
                          "organising_body": "ASEAN"},
            )  # fmt: skip
            out[role or slug] = series
        return out

    def make_venues(self):
        return [
            Venue.objects.get_or_create(name=name, city=city, defaults={"country": country, "timezone": zone})[0]
            for name, city, country, zone in VENUES
        ]

    def make_meetings(self, rng, total, series, venues):
        """Summit groups (CPR, SOM, ministers, then the summit) and standalone meetings, ~3 in 4 grouped."""
        standalone = [key for key in series if key not in GROUP_ROLES]
        ordinals = dict.fromkeys(series, 0)
        rows, parents = [], []  # parents[i]: index in rows of the summit meeting i belongs to, or None
        day = FIRST_DAY
        while len(rows) < total:
            venue = rng.choice(venues)
            if rng.random() < 0.75 and total - len(rows) >= len(GROUP_ROLES):
                summit_index = len(rows) + len(GROUP_ROLES) - 1
                for offset, role in enumerate(GROUP_ROLES):
                    start = day + dt.timedelta(days=offset)
                    length = 2 if role == "summit" else 1
                    rows.append(self.meeting(rng, series[role], ordinals, role, start, length, venue))
                    parents.append(summit_index if role != "summit" else None)
            else:
                key = rng.choice(standalone)
                rows.append(self.meeting(rng, series[key], ordinals, key, day, rng.choice([1, 2, 3]), venue))
                parents.append(None)
            day += dt.timedelta(days=rng.choice([3, 5, 7]))
        summits = [row for row, parent in zip(rows, parents, strict=True) if parent is None]
        Meeting.objects.bulk_create(summits, batch_size=500)
        children = []
        for row, parent in zip(rows, parents, strict=True):
            if parent is not None:
                row.parent = rows[parent]
                children.append(row)
        Meeting.objects.bulk_create(children, batch_size=500)
        return rows

    def meeting(self, rng, series, ordinals, key, start, length, venue):
        ordinals[key] += 1
        ordinal = ordinals[key]
        title = f"{ordinal}{'th' if 10 <= ordinal % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(ordinal % 10, 'th')}"
        title += f" {series.name.removesuffix(' (synthetic)')}"
        return Meeting(
            series=series,
            ordinal=ordinal,
            title=title,
            title_id=f"{series.abbreviation} ke-{ordinal}",
            slug=f"{SLUG_PREFIX}{series.slug.removeprefix(SLUG_PREFIX)}-{ordinal}",
            start_date=start,
            end_date=start + dt.timedelta(days=length - 1),
            venue=venue,
            timezone=venue.timezone,
            host_country=venue.country,
            theme=rng.choice(["", "Partnering for Change", "Resilient and Innovative ASEAN", "Smart and Sustainable"]),
            mode=pick(rng, [(Mode.IN_PERSON, 80), (Mode.HYBRID, 12), (Mode.VIRTUAL, 5), ("", 3)]),
            status=pick(rng, [(Status.SCHEDULED, 88), (Status.TENTATIVE, 6), (Status.CANCELLED, 4),
                              (Status.POSTPONED, 2)]),  # fmt: skip
            access=pick(rng, [(Access.PUBLIC, 90), (Access.RESTRICTED, 7), (Access.CONFIDENTIAL, 3)]),
            description="Synthetic meeting for benchmarks.",
        )

    def make_sessions(self, rng, meetings, per_meeting):
        rows = []
        for meeting in meetings:
            zone = zoneinfo.ZoneInfo(meeting.timezone)
            days = (meeting.end_date - meeting.start_date).days + 1
            slots = sorted(rng.sample(range(len(SESSION_SLOTS)), per_meeting))
            date_only = rng.random() < 0.1
            for number, slot in enumerate(slots):
                kind, name, hour, hours = SESSION_SLOTS[slot]
                day = meeting.start_date + dt.timedelta(days=min(number * days // per_meeting, days - 1))
                mode = meeting.mode or Mode.IN_PERSON
                if mode == Mode.HYBRID and rng.random() < 0.5:
                    mode = Mode.IN_PERSON
                access = pick(rng, [(Access.PUBLIC, 92), (Access.RESTRICTED, 8)])
                session = Session(
                    meeting=meeting,
                    title=f"{name} – {meeting.title}",
                    kind=kind,
                    starts_on=day,
                    ends_on=day,
                    venue=meeting.venue if mode != Mode.VIRTUAL else None,
                    room=rng.choice(["", "Plenary Hall", "Room 1", "Room 2"]) if mode != Mode.VIRTUAL else "",
                    mode=mode,
                    join_url=f"https://meet.example.org/{meeting.slug}-{number}" if mode != Mode.IN_PERSON else "",
                    join_passcode=str(rng.randint(100000, 999999)) if mode != Mode.IN_PERSON else "",
                    status=Status.CANCELLED if meeting.status == Status.CANCELLED else Status.SCHEDULED,
                    access=access,
                    show_as_closed=access == Access.RESTRICTED and rng.random() < 0.5,
                )
                if not date_only:
                    session.start = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
                    session.end = session.start + dt.timedelta(hours=hours)
                rows.append(session)
        Session.objects.bulk_create(rows, batch_size=1000)
        return len(rows)

    def make_documents(self, rng, meetings):
        rows, statuses = [], OutcomeDocument.DocumentStatus
        for meeting in meetings:
            if meeting.ordinal is None or rng.random() > 0.3:
                continue
            published = meeting.end_date < dt.date.today() and meeting.status == Status.SCHEDULED
            rows.append(
                OutcomeDocument(
                    meeting=meeting,
                    title=f"Chairman's Statement of the {meeting.title}",
                    kind=OutcomeDocument.Kind.CHAIRMANS_STATEMENT,
                    status=statuses.PUBLISHED if published else statuses.DRAFT,
                    adopted_on=meeting.end_date if published else None,
                    url=f"https://asean.example.org/documents/{meeting.slug}.pdf" if published else "",
                )
            )
        OutcomeDocument.objects.bulk_create(rows, batch_size=1000)
        return len(rows)
