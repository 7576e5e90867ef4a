"""Import of meetings and sessions from an iCalendar file (a partner's .ics, or one of our own feeds).

How events map onto the model:

- An event with RELATED-TO;RELTYPE=PARENT is a session of the meeting with
  that UID (our feeds relate every session to `meeting-<id>@<SITE_DOMAIN>`).
- An event that other events name as their parent, or that has our own
  meeting UID shape, is the meeting itself (its title, dates, status).
- Any other event is a meeting of its own holding one session, so its time
  of day is kept (all-day events give a date-only session).

Rows are matched by UID (`external_uid`; for our own UIDs also by id), so
re-importing a file changes nothing and a changed file updates in place. A
field is only assigned when its value differs, so revisions only rise for
real changes. Times keep their instant; the zone is the TZID of DTSTART, else
UTC. Everything runs in one transaction: one bad event imports nothing.
"""

import dataclasses
import datetime as dt
import re
import urllib.parse
import urllib.request
import zoneinfo

import icalendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import access
from .forms import FIRST_YEAR, LAST_YEAR
from .models import Access, Meeting, Mode, Session, Status, Venue
from .slugs import SlugAllocator
from .uploads import check_calendar

MAX_FETCH_SECONDS = 20
ICAL_TO_STATUS = {"CONFIRMED": Status.SCHEDULED, "TENTATIVE": Status.TENTATIVE, "CANCELLED": Status.CANCELLED}
# Statuses our feeds write the same way: importing them back must not "change" a rescheduled session.
STATUS_TO_ICAL = {
    Status.SCHEDULED: "CONFIRMED",
    Status.RESCHEDULED: "CONFIRMED",
    Status.TENTATIVE: "TENTATIVE",
    Status.POSTPONED: "CANCELLED",
    Status.CANCELLED: "CANCELLED",
}
CLASS_TO_ACCESS = {"PUBLIC": Access.PUBLIC, "PRIVATE": Access.RESTRICTED, "CONFIDENTIAL": Access.CONFIDENTIAL}
MODE_LABELS = {str(label).lower(): value for value, label in Mode.choices}
CLOSED_SUMMARY = "Closed session"


class IcsImportError(Exception):
    """The file cannot be imported; nothing was changed."""


@dataclasses.dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list = dataclasses.field(default_factory=list)
    not_applied: list = dataclasses.field(default_factory=list)
    created_restricted: int = 0
    dry_run: bool = False

    def __str__(self):
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.skipped:
            text += f", {len(self.skipped)} skipped ({'; '.join(self.skipped[:5])})"
        if self.not_applied:
            text += f", {len(self.not_applied)} not applied ({'; '.join(self.not_applied[:5])})"
        if self.created_restricted:
            text += f"; {self.created_restricted} created as restricted: {access.PUBLISH_NOTE}"
        if self.dry_run:
            text += " (dry run: nothing was saved)"
        return text


@dataclasses.dataclass
class Event:
    uid: str
    summary: str
    start: object  # date or aware datetime
    end: object
    zone: str
    status: str
    access: str
    parent_uid: str
    description: str
    location: str
    categories: list
    join_url: str

    @property
    def is_timed(self):
        return isinstance(self.start, dt.datetime)

    def local_dates(self, zone):
        if self.is_timed:
            first = self.start.astimezone(zone).date()
            # Ending at local midnight ends on the previous day, as Session.derive_local_dates has it.
            last = (self.end.astimezone(zone) - dt.timedelta(microseconds=1)).date()
            return first, max(first, last)
        return self.start, max(self.start, self.end - dt.timedelta(days=1))


# --- Reading ------------------------------------------------------------------


def read_source(*, source, max_bytes=None):
    """Bytes of a local file or an http(s) URL, refusing anything larger than `max_bytes`."""
    max_bytes = max_bytes or settings.MAX_IMPORT_UPLOAD_BYTES
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    try:
        if scheme in {"http", "https"}:
            request = urllib.request.Request(source, headers={"User-Agent": "ASCN Events importer"})
            with urllib.request.urlopen(request, timeout=MAX_FETCH_SECONDS) as response:
                data = response.read(max_bytes + 1)
        elif scheme and len(scheme) > 1:
            raise IcsImportError(f"Only http and https addresses can be fetched, not “{scheme}:”.")
        else:
            with open(source, "rb") as handle:
                data = handle.read(max_bytes + 1)
    except OSError as error:
        raise IcsImportError(f"Cannot read {source}: {error}") from error
    if len(data) > max_bytes:
        raise IcsImportError(f"{source} is larger than the limit of {max_bytes:,} bytes; nothing was imported.")
    return data


def parse_events(data):
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise IcsImportError(f"This is not a valid iCalendar file: {error}") from error
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise IcsImportError("This is not an iCalendar file: it does not start with BEGIN:VCALENDAR.")
    events, problems = [], []
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        try:
            events.append(_event(component))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            problems.append(f"event {number} ({component.get('UID', 'no UID')}): {error}")
    if problems:
        raise IcsImportError("Some events cannot be read: " + "; ".join(problems[:20]))
    if not events:
        raise IcsImportError("The file contains no events (VEVENT).")
    return events


def _text(component, name):
    value = component.get(name)
    return str(value).strip() if value is not None else ""


def _event(component):
    uid = _text(component, "UID")
    if not uid:
        raise ValueError("it has no UID, so it could not be matched on a later import")
    if "DTSTART" not in component:
        raise ValueError("it has no DTSTART")
    dtstart = component["DTSTART"]
    start = dtstart.dt
    zone = _zone_name(dtstart)
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        # Python's dates end at year 9999: the day after, or the time in another zone, could not be computed.
        raise ValueError(f"it starts in the year {start.year}, outside {FIRST_YEAR} to {LAST_YEAR}")
    if isinstance(start, dt.datetime):
        start = _aware(start, zone)
        if "DTEND" in component:
            end = _aware(component["DTEND"].dt, zone)
        elif "DURATION" in component:
            end = start + component["DURATION"].dt
        else:
            end = start
        if not isinstance(end, dt.datetime):
            raise ValueError("DTSTART is a date and time but DTEND is a date")
        if not FIRST_YEAR <= end.year <= LAST_YEAR:
            raise ValueError(f"it ends in the year {end.year}, outside {FIRST_YEAR} to {LAST_YEAR}")
        if end <= start:
            raise ValueError(f"it ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    else:
        end = component["DTEND"].dt if "DTEND" in component else start + dt.timedelta(days=1)
        if "DURATION" in component and "DTEND" not in component:
            end = start + component["DURATION"].dt
        if isinstance(end, dt.datetime):
            end = end.date()
        if end <= start:
            end = start + dt.timedelta(days=1)
    parent = ""
    related = component.get("RELATED-TO")
    for item in related if isinstance(related, list) else [related] if related is not None else []:
        if str(item.params.get("RELTYPE", "PARENT")).upper() == "PARENT":
            parent = str(item).strip()
    categories = []
    raw = component.get("CATEGORIES")
    for item in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        categories.extend(str(cat) for cat in getattr(item, "cats", [item]))
    join_url = ""
    conference = component.get("CONFERENCE")
    if conference is not None:
        join_url = str(conference[0] if isinstance(conference, list) else conference).strip()
    return Event(
        uid=uid,
        summary=_text(component, "SUMMARY"),
        start=start,
        end=end,
        zone=zone,
        status=ICAL_TO_STATUS.get(_text(component, "STATUS").upper(), Status.SCHEDULED),
        access=CLASS_TO_ACCESS.get(_text(component, "CLASS").upper(), Access.PUBLIC),
        parent_uid=parent,
        description=_text(component, "DESCRIPTION"),
        location=_text(component, "LOCATION"),
        categories=categories,
        join_url=join_url,
    )


def _zone_name(prop):
    tzid = prop.params.get("TZID")
    if tzid and tzid in zoneinfo.available_timezones():
        return tzid
    value = prop.dt
    key = getattr(getattr(value, "tzinfo", None), "key", None)
    if key in zoneinfo.available_timezones():
        return key
    return "UTC"


def _aware(value, zone):
    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:  # floating time: the brief of RFC 5545 is "local wherever", we take the zone (UTC)
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return value


# --- Matching and writing -------------------------------------------------------


def _own_id(uid, kind):
    match = re.fullmatch(rf"{kind}-(\d+)@(.+)", uid)
    if match and match.group(2) == settings.SITE_DOMAIN:
        return int(match.group(1))
    return None


def _base_meeting_uid(uid):
    """Per-day feed events (`meeting-5-20300301@…`) are days of one meeting."""
    return re.sub(r"^(meeting-\d+)-\d{8}(@.+)$", r"\1\2", uid)


def _find(model, uid, kind):
    found = model.objects.filter(external_uid=uid).order_by("pk").first()
    if found is None and (own := _own_id(uid, kind)) is not None:
        found = model.objects.filter(pk=own).first()
    return found


def _assign(obj, **values):
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _save(obj, *, changed, created, result, user=None, uid=""):
    """Save `obj` if it changed and the access policy lets `user` save it as it stands; False if refused."""
    if not (changed or created):
        result.unchanged += 1
        return True
    if user is not None and (message := access.save_error(user, obj)):
        # Asked after every value is set, so a move into a public meeting is caught as publishing.
        result.not_applied.append(f"{uid}: {message}")
        return False
    obj.full_clean()
    obj.save()
    if created:
        result.created += 1
    else:
        result.updated += 1
    return True


def _meeting_title_from_sessions(sessions):
    """Our session events read "Title – Meeting" with "Meeting: …" as the first description line."""
    for event in sessions:
        first_line = event.description.split("\n", 1)[0]
        if first_line.startswith("Meeting: "):
            return first_line.removeprefix("Meeting: ").strip()
    return sessions[0].summary if sessions else ""


def _session_title(event, meeting_title):
    suffix = f" – {meeting_title}"
    if meeting_title and event.summary.endswith(suffix) and len(event.summary) > len(suffix):
        return event.summary[: -len(suffix)]
    return event.summary


def _venue_for(location, venues):
    if not location:
        return None
    for venue in venues:
        if str(venue) in location or (venue.name in location and venue.city in location):
            return venue
    return None


def _session_mode(event, venue):
    wanted = next((MODE_LABELS[c.lower()] for c in event.categories if c.lower() in MODE_LABELS), None)
    wanted = wanted or (Mode.IN_PERSON if venue else Mode.VIRTUAL if event.join_url else Mode.HYBRID)
    # The model requires a venue in person and a link online; without them, record the format as hybrid.
    if (wanted == Mode.IN_PERSON and not venue) or (wanted == Mode.VIRTUAL and not event.join_url):
        return Mode.HYBRID
    return wanted


class _DryRun(Exception):
    pass


def import_calendar(*, data, series, progress=None, user=None, dry_run=False):
    """Create or update meetings and sessions of `series` from iCalendar bytes; returns an ImportResult.

    `progress` wraps the list of events (e.g. with tqdm) to show how far the import is. `user` is who
    imports (None: an operator's script, not limited by the access policy). `dry_run` saves nothing.
    Raises IcsImportError, with every problem found, and changes nothing if any event cannot be imported.
    """
    try:
        check_calendar(data)
    except ValidationError as error:
        raise IcsImportError(" ".join(error.messages)) from None
    events = parse_events(data)
    result = ImportResult(dry_run=dry_run)
    problems = []
    by_uid = {}
    for event in events:
        by_uid[event.uid] = event  # a UID given twice: the later one wins, as in calendar clients
    parents = {event.parent_uid for event in by_uid.values() if event.parent_uid}
    meeting_events, session_events = {}, {}
    for event in by_uid.values():
        base_uid = _base_meeting_uid(event.uid)
        if event.uid in parents or base_uid in parents or re.fullmatch(r"meeting-\d+@.+", base_uid):
            # A meeting's own RELATED-TO names the summit it is part of, not a meeting it is a session of.
            meeting_events.setdefault(base_uid, []).append(event)
        elif event.parent_uid:
            session_events.setdefault(event.parent_uid, []).append(event)
        elif re.fullmatch(r"session-\d+@.+", event.uid) and event.summary == CLOSED_SUMMARY:
            # A closed-session listing carries nothing but a time; its details are not ours to invent.
            result.skipped.append(f"{event.uid}: closed session without details")
        else:
            # A partner's stand-alone event: a meeting of its own, with one session for its time.
            meeting_events.setdefault(event.uid, []).append(event)
            session_events.setdefault(event.uid, []).append(dataclasses.replace(event, parent_uid=event.uid))

    # Summits before the meetings that are part of them, so the parent exists when the child is linked.
    has_parent = {uid for uid, own in meeting_events.items() if any(e.parent_uid for e in own)}
    groups = sorted(set(meeting_events) | set(session_events), key=lambda uid: (uid in has_parent, uid))
    wrap = progress or (lambda items: items)
    venues = list(Venue.objects.all())
    slugs = SlugAllocator(Meeting)
    try:
        with transaction.atomic():
            for uid in wrap(groups):
                try:
                    with transaction.atomic():
                        _import_group(
                            uid,
                            meeting_events.get(uid, []),
                            session_events.get(uid, []),
                            series,
                            venues,
                            result,
                            user,
                            slugs=slugs,
                        )
                except ValidationError as error:
                    problems.append(f"{uid}: {_messages(error)}")
                except IntegrityError as error:
                    problems.append(f"{uid}: the database refused it ({error})")
            if problems:
                raise IcsImportError(
                    f"{len(problems)} of {len(groups)} meetings cannot be imported, so nothing was: "
                    + "; ".join(problems[:20])
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except IntegrityError as error:
        raise IcsImportError(f"The database refused the import: {error}") from error
    return result


def _messages(error):
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)


def _may_change(user, obj):
    return user is None or access.can_change(user, obj)


def _import_group(uid, own_events, sessions, series, venues, result, user=None, *, slugs):
    meeting = _find(Meeting, uid, "meeting")
    created = meeting is None
    if not created and not _may_change(user, meeting):
        # Matched by UID, but not the importer's to change: reported, never applied (nor its sessions).
        result.not_applied.append(f"{uid}: matches a meeting you may not change")
        return
    timed = [event for event in sessions + own_events if event.is_timed]
    zone_name = meeting.timezone if meeting and meeting.timezone else (timed[0].zone if timed else "UTC")
    if own_events:
        own_events = sorted(own_events, key=lambda e: e.start if not e.is_timed else e.start.date())
        head = own_events[0]
        title = re.sub(r" \(day \d+ of \d+\)$", "", head.summary)
    else:
        head = None
        named = _meeting_title_from_sessions(sessions)
        title = named if meeting is None or any(e.description.startswith("Meeting: ") for e in sessions) else ""
        title = title or meeting.title

    # The meeting spans its own event(s), the file's sessions, and its sessions already here.
    zone = zoneinfo.ZoneInfo(zone_name)
    days = [d for event in own_events for d in event.local_dates(zone)]
    for event in sessions:
        existing = _find(Session, event.uid, "session")
        venue = existing.venue if existing and existing.venue_id else None
        days.extend(event.local_dates(venue.zone if venue else zone))
    if meeting is not None and not own_events:
        # Dates come from sessions alone here: a meeting already on file may be longer, never cut it short.
        days.extend([meeting.start_date, meeting.end_date])
    elif meeting is not None:
        file_uids = {event.uid for event in sessions}
        for first, last, external, pk in meeting.sessions.values_list("starts_on", "ends_on", "external_uid", "pk"):
            if external not in file_uids and f"session-{pk}@{settings.SITE_DOMAIN}" not in file_uids:
                days.extend([first, last])
    first_day, last_day = min(days), max(days)

    values = {"title": (title or uid)[:300], "start_date": first_day, "end_date": last_day}
    if head is not None:
        values["status"] = _keep_equivalent_status(meeting, head.status)
        if head.access != Access.PUBLIC or created:
            values["access"] = head.access
        parent = _find(Meeting, head.parent_uid, "meeting") if head.parent_uid else None
        if parent is not None and user is not None and not access.can_view(user, parent):
            parent = None  # not a meeting the importer may name
        if parent is not None and (meeting is None or parent.pk != meeting.pk):
            values["parent_id"] = parent.pk
    if created:
        meeting = Meeting(series=series, external_uid=uid, timezone=zone_name)
        values["slug"] = slugs.allocate(
            f"{values['title']} {first_day.year}", fallback=f"{series.slug} {first_day.year}"
        )
        if head is None:
            values["access"] = min((event.access for event in sessions), key=ACCESS_ORDER.index)
    _apply_policy(meeting, values, created=created, user=user, result=result, uid=uid)
    changed = _assign(meeting, **values)
    if not _save(meeting, changed=changed, created=created, result=result, user=user, uid=uid):
        if sessions:
            result.not_applied.append(f"{uid}: its {len(sessions)} session(s) neither")
        return

    for event in sessions:
        _import_session(event, meeting, title, venues, result, user)


def _apply_policy(obj, values, *, created, user, result, uid):
    """What `user` may not do with the access level: start public (it starts restricted), or change it."""
    if user is None or "access" not in values:
        return
    if created:
        level = access.new_level(user, values["access"])
        if level != values["access"]:
            values["access"] = level
            result.created_restricted += 1
    elif values["access"] != obj.access and access.level_error(user, old=obj.access, new=values["access"]):
        del values["access"]
        result.not_applied.append(f"{uid}: access level kept (only an editor may change it)")


ACCESS_ORDER = [Access.PUBLIC, Access.RESTRICTED, Access.CONFIDENTIAL]


def _keep_equivalent_status(obj, status):
    """CONFIRMED covers scheduled and rescheduled, CANCELLED covers postponed: keep what we had if it matches."""
    if obj is not None and STATUS_TO_ICAL.get(obj.status) == STATUS_TO_ICAL.get(status):
        return obj.status
    return status


def _import_session(event, meeting, meeting_title, venues, result, user=None):
    session = _find(Session, event.uid, "session")
    created = session is None
    if not created and not (_may_change(user, session) and _may_change(user, session.meeting)):
        result.not_applied.append(f"{event.uid}: matches a session you may not change")
        return
    if created:
        session = Session(meeting=meeting, external_uid=event.uid, venue=_venue_for(event.location, venues))
    venue = session.venue if session.venue_id else None
    values = {
        "meeting_id": meeting.pk,
        "title": (_session_title(event, meeting_title) or event.uid)[:300],
        "status": _keep_equivalent_status(None if created else session, event.status),
        # A public feed has no CLASS: it must not make a restricted session here public.
        "access": event.access if event.access != Access.PUBLIC or created else session.access,
    }
    if not _own_id(event.uid, "session") and event.description:
        # Our own feeds' descriptions are generated from fields imported here; a partner's is the description.
        values["description"] = event.description
    if created:
        values["mode"] = _session_mode(event, venue)
        if event.join_url:
            values["join_url"] = event.join_url[:500]
        if values["mode"] == Mode.HYBRID and event.location and not venue:
            values["room"] = event.location[:200]
    if event.is_timed:
        values.update(start=event.start, end=event.end)
    else:
        first, last = event.local_dates(None)
        values.update(start=None, end=None, starts_on=first, ends_on=last)
    _apply_policy(session, values, created=created, user=user, result=result, uid=event.uid)
    changed = _assign(session, **values)
    if changed and "meeting_id" in values:
        session.meeting = meeting
    _save(session, changed=changed, created=created, result=result, user=user, uid=event.uid)
