"""python manage.py export_calendar --format json|csv|ics [--output FILE] [--user USERNAME]

Without --user, a full export for backups and hand-over by the operator: every
meeting and session whatever its access level, join details included. Handle
the output as confidential. With --user, the export that user may make through
the admin: only the levels the access policy lets them see, and refused unless
their role may export (events.access.can_export).

- json: series, venues, and meetings with their sessions, documents and delegations.
- csv: one row per session with its meeting's columns; a meeting without sessions gets one row.
- ics: one iCalendar file of everything, in the shape of our feeds (so `import_ics` reads it back).
"""

import csv
import io
import json
import os
import tempfile

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from events import access, ical, ical_assembly
from events.feeds import documents_loader
from events.management.acting import acting_user, add_user_argument
from events.models import Delegation, DelegationMember, Meeting, OutcomeDocument, Series, Session, Venue
from events.text import spreadsheet_cell

FORMAT_VERSION = 1

CSV_MEETING_COLUMNS = [
    "meeting_slug", "meeting_title", "series", "meeting_start_date", "meeting_end_date", "meeting_timezone",
    "meeting_venue", "meeting_status", "meeting_access",
]  # fmt: skip
CSV_SESSION_COLUMNS = [
    "session_id", "session_title", "kind", "starts_on", "ends_on", "start", "end", "timezone", "local_start",
    "local_end", "venue", "room", "mode", "status", "access", "join_url", "join_passcode",
]  # fmt: skip


def _iso(value):
    return value.isoformat() if value is not None else None


def _venue(venue):
    return str(venue) if venue is not None else ""


def session_dict(session, *, join_details=True):
    return {
        "id": session.pk,
        "uid": session.external_uid or ical.session_uid(session.pk, settings.SITE_DOMAIN),
        "title": session.title,
        "title_id": session.title_id,
        "kind": session.kind,
        "starts_on": _iso(session.starts_on),
        "ends_on": _iso(session.ends_on),
        "start": _iso(session.start),
        "end": _iso(session.end),
        "timezone": session.timezone,
        "local_start": _iso(session.local_start),
        "local_end": _iso(session.local_end),
        "venue": _venue(session.venue),
        "room": session.room,
        "mode": session.mode,
        "join_url": session.join_url if join_details else "",
        "join_passcode": session.join_passcode if join_details else "",
        "status": session.status,
        "access": session.access,
        "show_as_closed": session.show_as_closed,
        "description": session.description,
        "revision": session.revision,
    }


def meeting_dict(meeting, *, user=None):
    # A parent the reader may not see is not named (the same rule as the API and the admin).
    parent_shown = meeting.parent_id and (user is None or access.can_view(user, meeting.parent))
    join_details = user is None or access.sees_join_details(user)
    return {
        "id": meeting.pk,
        "uid": meeting.external_uid or ical.meeting_uid(meeting.pk, settings.SITE_DOMAIN),
        "slug": meeting.slug,
        "title": meeting.title,
        "title_id": meeting.title_id,
        "series": meeting.series.slug,
        "ordinal": meeting.ordinal,
        "parent": meeting.parent.slug if parent_shown else None,
        "start_date": _iso(meeting.start_date),
        "end_date": _iso(meeting.end_date),
        "timezone": meeting.timezone,
        "venue": _venue(meeting.venue),
        "host_country": meeting.host_country.code or "",
        "chair_country": meeting.chair_country.code or "",
        "theme": meeting.theme,
        "mode": meeting.mode,
        "status": meeting.status,
        "access": meeting.access,
        "participant_count": meeting.participant_count,
        "official_url": meeting.official_url,
        "description": meeting.description,
        "source_url": meeting.source_url,
        "source_checked": _iso(meeting.source_checked),
        "source_note": meeting.source_note,
        "revision": meeting.revision,
        "sessions": [session_dict(session, join_details=join_details) for session in meeting.sessions.all()],
        "documents": [
            {
                "title": doc.title,
                "title_id": doc.title_id,
                "kind": doc.kind,
                "status": doc.status,
                "adopted_on": _iso(doc.adopted_on),
                "link": doc.link,
                "language": doc.language,
                "session": doc.session_id,
                "source_url": doc.source_url,
            }
            for doc in meeting.documents.all()
        ],
        "delegations": [
            {
                "country": delegation.country.code,
                "organisation": delegation.organisation,
                "members": [
                    {
                        "name": member.person.name,
                        "role": member.role,
                        "is_head": member.is_head,
                        "attendance": member.attendance,
                        "sessions": [s.pk for s in member.sessions.all()],
                    }
                    for member in delegation.members.all()
                ],
            }
            for delegation in meeting.delegations.all()
        ],
    }


def seen_by(queryset, user):
    """Everything for the operator (no user); for a user, what the access policy lets them see."""
    return queryset if user is None else access.visible(queryset, user)


def meetings_for_export(*, user=None):
    sessions = Session.objects.select_related("venue", "meeting").order_by("starts_on", "start", "title", "pk")
    # A delegate's sessions are listed by id: only those the reader may see, like the meeting's own.
    member_sessions = Prefetch("sessions", queryset=seen_by(Session.objects.only("pk"), user))
    members = DelegationMember.objects.select_related("person").prefetch_related(member_sessions)
    documents = OutcomeDocument.objects.order_by("kind", "title", "pk")
    return seen_by(
        Meeting.objects.select_related("series", "venue", "parent")
        .prefetch_related(
            Prefetch("sessions", queryset=seen_by(sessions, user)),
            Prefetch("documents", queryset=seen_by(documents, user)),
            Prefetch(
                "delegations",
                queryset=Delegation.objects.order_by("country", "pk").prefetch_related(
                    Prefetch("members", queryset=members)
                ),
            ),
        )
        .order_by("start_date", "end_date", "title", "pk"),
        user,
    )


def export_json(*, user=None):
    data = {
        "format": "ascn-events",
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "site_domain": settings.SITE_DOMAIN,
        "series": list(
            Series.objects.order_by("slug").values(
                "slug", "name", "name_id", "abbreviation", "organising_body", "description", "color"
            )
        ),
        "venues": [
            {"name": v.name, "city": v.city, "country": v.country.code, "timezone": v.timezone, "address": v.address}
            for v in Venue.objects.order_by("country", "city", "name", "pk")
        ],
        "meetings": [meeting_dict(meeting, user=user) for meeting in meetings_for_export(user=user)],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _safe(row):
    # The same formula-safe cells as the admin's export, so a spreadsheet program runs none of them.
    return {key: spreadsheet_cell(value) for key, value in row.items()}


def export_csv(*, user=None):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_MEETING_COLUMNS + CSV_SESSION_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    join_details = user is None or access.sees_join_details(user)
    for meeting in meetings_for_export(user=user):
        meeting_row = {
            "meeting_slug": meeting.slug,
            "meeting_title": meeting.title,
            "series": meeting.series.slug,
            "meeting_start_date": _iso(meeting.start_date),
            "meeting_end_date": _iso(meeting.end_date),
            "meeting_timezone": meeting.timezone,
            "meeting_venue": _venue(meeting.venue),
            "meeting_status": meeting.status,
            "meeting_access": meeting.access,
        }
        sessions = list(meeting.sessions.all())
        if not sessions:
            writer.writerow(_safe(meeting_row))
        for session in sessions:
            data = session_dict(session, join_details=join_details)
            row = {**meeting_row, "session_id": session.pk, "session_title": session.title}
            row.update({key: data[key] or "" for key in CSV_SESSION_COLUMNS if key in data})
            writer.writerow(_safe(row))
    return out.getvalue()


def export_ics(*, user=None):
    sessions = seen_by(Session.objects.all(), user)
    meetings = seen_by(Meeting.objects.filter(~Exists(Session.objects.filter(meeting=OuterRef("pk")))), user)
    levels = list(access.LEVELS) if user is None else access.visible_levels(user)
    private = user is None or access.sees_join_details(user)
    ctx = ical.FeedContext(domain=settings.SITE_DOMAIN, base_url=f"https://{settings.SITE_DOMAIN}", private=private)
    meta = ical.CalendarMeta(name=f"{settings.SITE_NAME} (full export)")
    return ical_assembly.render_feed(
        meta=meta,
        ctx=ctx,
        sessions=list(sessions.values(*ical.SESSION_FIELDS)),
        meetings=list(meetings.values(*ical.MEETING_FIELDS)),
        levels=levels,
        documents=documents_loader(sessions, meetings),
        use_cache=False,
    )


EXPORTERS = {"json": export_json, "csv": export_csv, "ics": export_ics}


class Command(BaseCommand):
    help = (
        "Export every meeting and session (all access levels, join details included) as JSON, CSV or iCalendar; "
        "with --user, only what that user may see and export."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(EXPORTERS), required=True, help="Output format.")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")
        add_user_argument(parser, action="export")

    def handle(self, *args, output=None, user=None, **options):
        exporter = acting_user(user, action="export", model=Meeting)
        text = EXPORTERS[options["format"]](user=exporter)
        if not output:
            self.stdout.write(text, ending="")
            return
        directory = os.path.dirname(os.path.abspath(output))
        try:
            # Write beside the target and rename, so a failed export never leaves half a backup behind.
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", newline="", dir=directory, delete=False, suffix=".part"
            ) as handle:
                handle.write(text)
            os.replace(handle.name, output)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error}") from error
        self.stderr.write(f"Wrote {len(text.encode()):,} bytes to {output}.")
