"""Logic that spans several models: delegation schedules and their conflicts,
what changed (from django-simple-history), summit families and schema.org data.

Each function takes what it needs by keyword and runs a fixed number of queries,
whatever the number of meetings, so the pages built on them stay flat.
"""

import dataclasses
import datetime as dt
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import formats
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext_lazy as _

from . import access
from .models import (
    Access,
    Delegation,
    DelegationMember,
    Meeting,
    Mode,
    Series,
    Session,
    Status,
    Venue,
    visible_access_levels,
)
from .timezones import offset_text

# --- Time -----------------------------------------------------------------


def session_interval(session):
    """The UTC span a session occupies; a date-only session takes its whole local days."""
    if session.start is not None:
        # With no announced end it takes no time; whether it clashes is "to confirm" (see find_conflicts).
        return session.start, session.end if session.end is not None else session.start
    zone = session.zone
    first = dt.datetime.combine(session.starts_on, dt.time.min, tzinfo=zone)
    last = dt.datetime.combine(session.ends_on or session.starts_on, dt.time.min, tzinfo=zone) + dt.timedelta(days=1)
    return first.astimezone(dt.UTC), last.astimezone(dt.UTC)


def time_format():
    # Translated so that Indonesian gets its own separator (09.00).
    return pgettext("time of day format", "H:i")


def format_time(value):
    return formats.time_format(value, time_format())


def format_day(value):
    return formats.date_format(value, pgettext("day heading format", "l, j F Y"))


def format_short_day(value):
    return formats.date_format(value, pgettext("short day format", "D j M"))


@dataclasses.dataclass
class ShownTime:
    """A session's time as the venue and as the viewer see it."""

    zone: str
    offset: str
    start: dt.datetime | None
    end: dt.datetime | None
    text: str
    differs_in_day: bool = False


def shown_time(session, zone_name):
    """The session's time in `zone_name`; None for a date-only session, which never shifts."""
    if session.start is None:
        return None
    zone = zoneinfo.ZoneInfo(zone_name)
    start = session.start.astimezone(zone)
    end = session.end.astimezone(zone) if session.end is not None else None
    local_day = session.start.astimezone(session.zone).date()
    if end is None:
        # The end is not announced: say so rather than invent one.
        text = _("from %(time)s") % {"time": format_time(start)}
    elif end.date() != start.date():
        text = f"{format_time(start)}–{format_short_day(end)} {format_time(end)}"
    else:
        text = f"{format_time(start)}–{format_time(end)}"
    differs = start.date() != local_day
    if differs:
        text = f"{format_short_day(start)} {text}"
    return ShownTime(zone_name, offset_text(start), start, end, text, differs)


# --- Summit families --------------------------------------------------------


def meeting_family(*, meeting, user):
    """The summit and its related meetings, in the order they happen: CPR → SOM → ministers → summit.

    Ordering by last day first puts the summit, which spans its related meetings, at the end.
    """
    root_id = meeting.parent_id or meeting.pk
    family = list(
        Meeting.objects.visible_to(user)
        .filter(Q(pk=root_id) | Q(parent_id=root_id))
        .select_related("series")
        .order_by("end_date", "start_date", "title")
    )
    return family if len(family) > 1 else []


# --- Delegations ------------------------------------------------------------


@dataclasses.dataclass
class Conflict:
    """Two sessions one person cannot both attend as announced.

    kind "overlap": both times are announced and overlap; "travel": too little time to reach
    another city; "to_confirm": they might clash, but a time needed to tell is not announced
    (same day without times, or a session whose end is not announced).
    """

    kind: str
    person: object
    first: Session
    second: Session
    gap_hours: float = 0.0
    travel: bool = False

    @property
    def message(self):
        if self.kind == "overlap":
            return _("%(person)s is in two sessions at once: “%(first)s” and “%(second)s”.") % {
                "person": self.person,
                "first": self.first.localized_title,
                "second": self.second.localized_title,
            }
        if self.kind == "to_confirm" and self.travel:
            return _(
                "%(person)s goes from %(from_city)s (“%(first)s”) to %(to_city)s (“%(second)s”); "
                "their times are not all announced yet, so the time to travel is to be confirmed."
            ) % {
                "person": self.person,
                "from_city": session_city(self.first),
                "first": self.first.localized_title,
                "to_city": session_city(self.second),
                "second": self.second.localized_title,
            }
        if self.kind == "to_confirm":
            return _(
                "%(person)s attends “%(first)s” and “%(second)s” on the same day; "
                "their times are not all announced yet."
            ) % {
                "person": self.person,
                "first": self.first.localized_title,
                "second": self.second.localized_title,
            }
        return _(
            "%(person)s has %(hours)s h to travel from %(from_city)s (“%(first)s”) to %(to_city)s (“%(second)s”)."
        ) % {
            "person": self.person,
            "hours": formats.number_format(self.gap_hours, 1),
            "from_city": session_city(self.first),
            "first": self.first.localized_title,
            "to_city": session_city(self.second),
            "second": self.second.localized_title,
        }


def session_city(session):
    venue = session.venue if session.venue_id else session.meeting.venue
    return venue.city if venue else ""


def _share_a_day(a, b):
    return a.starts_on <= (b.ends_on or b.starts_on) and b.starts_on <= (a.ends_on or a.starts_on)


def _clash(a, b):
    """"overlap", "to_confirm" or None for two sessions, `a` starting no later than `b`."""
    if a.start is not None and b.start is not None:
        if a.start == b.start:
            return "overlap"
        if a.end is not None:
            return "overlap" if b.start < a.end else None
        # `a` has no announced end: it may still run when `b` starts the same day.
        return "to_confirm" if _share_a_day(a, b) else None
    return "to_confirm" if _share_a_day(a, b) else None


def find_conflicts(*, attendance, travel_gap_hours=None):
    """Conflicts in `attendance`, an iterable of (person, session, travels) triples.

    Only sessions whose announced times overlap clash; sessions of one person on the same day
    without announced times (or after one whose end is not announced) are "to confirm". A
    person must also have the travel gap to move between cities; only in-person attendance of
    a session with a venue needs travel, and where a time needed to tell is missing that too is
    "to confirm". Cancelled and postponed sessions take no time.
    """
    gap = dt.timedelta(hours=settings.DELEGATION_TRAVEL_GAP_HOURS if travel_gap_hours is None else travel_gap_hours)
    by_person = defaultdict(dict)
    people = {}
    for person, session, travels in attendance:
        if session.is_called_off:
            continue
        people[person.pk] = person
        known = by_person[person.pk].get(session.pk)
        by_person[person.pk][session.pk] = (session, travels or (known[1] if known else False))
    conflicts = []
    for person_pk, entries in by_person.items():
        timed = sorted(
            ((session_interval(s), s, travels) for s, travels in entries.values()), key=lambda e: (e[0], e[1].pk)
        )
        person = people[person_pk]
        paired = set()
        for i, (_a_span, a, _a_travels) in enumerate(timed):
            for _b_span, b, _b_travels in timed[i + 1 :]:
                if (kind := _clash(a, b)) is not None:
                    conflicts.append(Conflict(kind, person, a, b))
                    paired.add((a.pk, b.pk))
        # Travel is judged from the session the person is coming from: the last to end before this one starts.
        for j, ((b_start, _b_end), b, b_travels) in enumerate(timed):
            earlier = [entry for entry in timed[:j] if entry[0][1] <= b_start]
            if not earlier or not b_travels:
                continue
            (_a_start, a_end), a, a_travels = max(earlier, key=lambda e: (e[0][1], e[1].pk))
            a_city, b_city = session_city(a), session_city(b)
            if a_travels and a_city and b_city and a_city != b_city and b_start - a_end < gap:
                if (a.pk, b.pk) in paired:
                    continue
                certain = a.end is not None and b.start is not None
                kind = "travel" if certain else "to_confirm"
                hours = (b_start - a_end).total_seconds() / 3600
                conflicts.append(Conflict(kind, person, a, b, hours, travel=True))
    return conflicts


def travels_to(member, session):
    return member.attendance == DelegationMember.Attendance.IN_PERSON and session.mode != Mode.VIRTUAL


@dataclasses.dataclass
class ScheduleRow:
    session: Session
    delegates: list
    conflicts: list
    to_confirm: list = dataclasses.field(default_factory=list)


def delegation_schedule(*, country, user, travel_gap_hours=None):
    """A country's delegations to the meetings `user` may see, their sessions, and the conflicts.

    Returns (delegations, rows, conflicts); a member with no sessions chosen attends all of them.
    """
    visible_sessions = Session.objects.visible_to(user).select_related("venue")
    delegations = list(
        Delegation.objects.visible_to(user)
        .filter(country=country)
        .select_related("meeting__series", "meeting__venue")
        .prefetch_related(
            Prefetch("meeting__sessions", queryset=visible_sessions, to_attr="visible_sessions"),
            Prefetch(
                "members",
                queryset=DelegationMember.objects.select_related("person").prefetch_related(
                    Prefetch("sessions", queryset=Session.objects.only("pk"), to_attr="chosen")
                ),
            ),
        )
        .order_by("meeting__start_date", "meeting__title")
    )
    rows, attendance = [], []
    for delegation in delegations:
        for session in delegation.meeting.visible_sessions:
            session.meeting = delegation.meeting  # already loaded; keeps city lookups query-free
            delegates = [
                m for m in delegation.members.all() if not m.chosen or any(c.pk == session.pk for c in m.chosen)
            ]
            attendance.extend((m.person, session, travels_to(m, session)) for m in delegates)
            rows.append(ScheduleRow(session, delegates, []))
    conflicts = find_conflicts(attendance=attendance, travel_gap_hours=travel_gap_hours)
    by_session = defaultdict(list)
    for conflict in conflicts:
        by_session[conflict.first.pk].append(conflict)
        by_session[conflict.second.pk].append(conflict)
    for row in rows:
        row.conflicts = [c for c in by_session.get(row.session.pk, []) if c.kind != "to_confirm"]
        row.to_confirm = [c for c in by_session.get(row.session.pk, []) if c.kind == "to_confirm"]
    rows.sort(key=lambda r: (session_interval(r.session)[0], r.session.pk))
    return delegations, rows, conflicts


# --- What changed -----------------------------------------------------------

# Bookkeeping, not something a planner changed.
UNSHOWN_FIELDS = {"id", "revision", "created", "updated", "external_uid"}
WHERE_AND_WHEN = {
    "meeting": {"start_date", "end_date", "venue", "timezone"},
    "session": {"starts_on", "ends_on", "start", "end", "venue", "room", "meeting"},
}


@dataclasses.dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclasses.dataclass
class HistoryEntry:
    record: object
    what: str  # "meeting" or "session"
    action: str
    title: str
    when: dt.datetime
    changes: list
    user: object = None


def _localized(record, field="title"):
    if get_language() == "id" and getattr(record, f"{field}_id", ""):
        return getattr(record, f"{field}_id")
    return getattr(record, field)


class _Labels:
    """Turns raw history values into what a reader understands, with one query per related model."""

    def __init__(self, records, user):
        venue_ids, meeting_ids, series_ids = set(), set(), set()
        for r in records:
            venue_ids.add(getattr(r, "venue_id", None))
            meeting_ids.update({getattr(r, "parent_id", None), getattr(r, "meeting_id", None)})
            series_ids.add(getattr(r, "series_id", None))
        venues = list(Venue.objects.filter(pk__in=venue_ids - {None}))
        self.venues = {v.pk: str(v) for v in venues}
        self.venue_zones = {v.pk: v.timezone for v in venues}
        # A parent, or the meeting a session moved from, may be one the reader must not see.
        self.meetings = {
            m.pk: m
            for m in Meeting.objects.visible_to(user).filter(pk__in=meeting_ids - {None}).only("title", "title_id")
        }
        self.series = {s.pk: s for s in Series.objects.filter(pk__in=series_ids - {None}).only("name", "name_id")}

    def show(self, field, value, zone):
        if value in (None, ""):
            return "—"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if field.name == "venue":
            return self.venues.get(value, str(value))
        if field.name in {"parent", "meeting"}:
            meeting = self.meetings.get(value)
            return meeting.localized_title if meeting else str(_("(not shown)"))
        if field.name == "series":
            series = self.series.get(value)
            return series.localized_name if series else str(value)
        if isinstance(value, dt.datetime):
            local = value.astimezone(zone)
            return f"{formats.date_format(local, 'DATE_FORMAT')} {format_time(local)} ({offset_text(local)})"
        if isinstance(value, dt.date):
            return formats.date_format(value, "DATE_FORMAT")
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        text = str(value)
        return text if len(text) <= 120 else text[:119] + "…"


def _diff(new, old, *, model, hidden, labels, zone):
    changes = []
    for field in model._meta.concrete_fields:
        if field.name in UNSHOWN_FIELDS or field.name in hidden:
            continue
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if before != after:
            changes.append(
                FieldChange(str(field.verbose_name), labels.show(field, before, zone), labels.show(field, after, zone))
            )
    return changes


def _record_zone(record, venue_zones, meeting_zone):
    """The zone a history record's times are shown in: a meeting's own; like `Session.zone`, a session's
    venue's, else its meeting's."""
    name = getattr(record, "timezone", "") or venue_zones.get(record.venue_id) or meeting_zone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def meeting_history(*, meeting, user, limit=50):
    """The meeting's change history and its sessions', newest first, as `user` may see it.

    Only from the moment each item became visible to `user`: never a title, description, venue or
    date it held while above their level.
    """
    levels = visible_access_levels(user)
    hidden = set() if access.sees_join_details(user) else set(access.JOIN_FIELDS)
    visible_session_ids = set(Session.objects.visible_to(user).filter(meeting=meeting).values_list("pk", flat=True))
    meeting_records = list(
        Meeting.history.filter(id=meeting.pk).select_related("history_user").order_by("history_date", "history_id")
    )
    meeting_levels = access.MeetingLevels(
        [(meeting.pk, r.history_date, r.access) for r in meeting_records], {meeting.pk: meeting.access}
    )
    session_records = [
        r
        for r in Session.history.filter(meeting_id=meeting.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
        # A session that no longer exists is shown as it was when it went, if it was visible then.
        if r.id in visible_session_ids or (r.history_type == "-" and r.access in levels)
    ]
    shown = {
        "meeting": access.visible_records(meeting_records, user=user),
        "session": access.visible_records(session_records, user=user, meeting_levels=meeting_levels),
    }
    labels = _Labels([r for pairs in shown.values() for r, _p, _h in pairs], user)
    entries = []
    for what, model in (("meeting", Meeting), ("session", Session)):
        for record, previous, appeared in shown[what]:
            zone = _record_zone(record, labels.venue_zones, meeting.timezone)
            if record.history_type == "+" or appeared:
                action, changes = "added", []
            elif record.history_type == "-":
                action, changes = "removed", []
            else:
                action = "changed"
                changes = (
                    _diff(record, previous, model=model, hidden=hidden, labels=labels, zone=zone) if previous else []
                )
                if previous is not None and not changes:
                    continue
            entries.append(
                HistoryEntry(
                    record, what, action, _localized(record), record.history_date, changes, record.history_user
                )
            )
    entries.sort(key=lambda e: (e.when, e.record.history_id), reverse=True)
    return entries[:limit]


@dataclasses.dataclass
class ScheduleChange:
    kind: str  # added, moved, cancelled, postponed, rescheduled, removed
    what: str  # meeting or session
    when: dt.datetime
    title: str
    meeting_title: str
    url: str
    detail: str
    guid: str

    KIND_LABELS = {
        "added": _("Added"),
        "moved": _("Moved"),
        "cancelled": _("Cancelled"),
        "postponed": _("Postponed"),
        "rescheduled": _("Rescheduled"),
        "removed": _("Removed"),
    }
    WHAT_LABELS = {"meeting": _("Meeting"), "session": _("Session")}

    @property
    def kind_label(self):
        return self.KIND_LABELS[self.kind]

    @property
    def what_label(self):
        return self.WHAT_LABELS[self.what]


def _classify(record, previous, what, appeared=False):
    if record.history_type == "+" or (appeared and record.history_type != "-"):
        return "added"
    if record.history_type == "-":
        return "removed"
    if previous is None:
        return None
    if record.status != previous.status and record.status in {Status.CANCELLED, Status.POSTPONED, Status.RESCHEDULED}:
        return str(record.status)
    if any(
        getattr(record, f.attname) != getattr(previous, f.attname)
        for f in (Meeting if what == "meeting" else Session)._meta.concrete_fields
        if f.name in WHERE_AND_WHEN[what]
    ):
        return "moved"
    return None


def format_date_span(start, end):
    """'25 April 2018 – 28 April 2018' per locale; a one-day span is just the day."""
    if start == end:
        return formats.date_format(start, "DATE_FORMAT")
    return f"{formats.date_format(start, 'DATE_FORMAT')} – {formats.date_format(end, 'DATE_FORMAT')}"


def _when_text(record, what, zone):
    if what == "meeting":
        return format_date_span(record.start_date, record.end_date)
    if record.start is not None:
        local = record.start.astimezone(zone)
        return f"{format_day(local)} {format_time(local)} ({offset_text(local)})"
    return format_day(record.starts_on)


def schedule_changes(*, user, since, limit=200):
    """Meetings and sessions added, moved, cancelled or removed since the date `since`, newest first.

    Only items `user` may see now (or, once removed, could see when they went) are listed.
    """
    levels = visible_access_levels(user)
    since_at = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
    recent = {
        "meeting": list(Meeting.history.filter(history_date__gte=since_at).values_list("id", flat=True).distinct()),
        "session": list(Session.history.filter(history_date__gte=since_at).values_list("id", flat=True).distinct()),
    }
    records = {
        "meeting": list(Meeting.history.filter(id__in=recent["meeting"]).order_by("id", "history_date", "history_id")),
        "session": list(Session.history.filter(id__in=recent["session"]).order_by("id", "history_date", "history_id")),
    }
    meeting_ids = set(recent["meeting"]) | {r.meeting_id for r in records["session"]}
    meeting_levels = access.MeetingLevels.of(meeting_ids)
    visible_meetings = {m.pk: m for m in Meeting.objects.visible_to(user).filter(pk__in=meeting_ids)}
    visible_sessions = set(
        Session.objects.visible_to(user).filter(pk__in=recent["session"]).values_list("pk", flat=True)
    )
    existing_sessions = set(Session.objects.filter(pk__in=recent["session"]).values_list("pk", flat=True))
    existing_meetings = set(Meeting.objects.filter(pk__in=recent["meeting"]).values_list("pk", flat=True))
    venue_ids = {r.venue_id for r in records["session"]} - {None}
    venue_zones = dict(Venue.objects.filter(pk__in=venue_ids).values_list("pk", "timezone"))
    changes = []
    for what, history in records.items():
        # Each item's history from the moment it became visible to `user` (see visible_records).
        shown = access.visible_records(history, user=user, meeting_levels=meeting_levels if what == "session" else None)
        for record, previous, appeared in shown:
            kind = _classify(record, previous, what, appeared)
            if kind is None or record.history_date < since_at:
                continue
            if what == "meeting":
                gone = record.id not in existing_meetings
                if not (record.id in visible_meetings or (gone and record.access in levels)):
                    continue
                meeting = visible_meetings.get(record.id)
                zone = None  # a meeting's dates have no zone
                url = meeting.get_absolute_url() if meeting else ""
                meeting_title = _localized(record)
            else:
                meeting = visible_meetings.get(record.meeting_id)
                gone = record.id not in existing_sessions
                if meeting is None or not (record.id in visible_sessions or (gone and record.access in levels)):
                    continue
                zone = _record_zone(record, venue_zones, meeting.timezone)
                url = f"{meeting.get_absolute_url()}" + ("" if gone else f"#session-{record.id}")
                meeting_title = meeting.localized_title
            changes.append(
                ScheduleChange(
                    kind=kind,
                    what=what,
                    when=record.history_date,
                    title=_localized(record),
                    meeting_title=meeting_title,
                    url=url,
                    detail=_when_text(record, what, zone),
                    guid=f"tag:{settings.SITE_DOMAIN},2024:change/{what}/{record.history_id}",
                )
            )
    changes.sort(key=lambda c: (c.when, c.guid), reverse=True)
    return changes[:limit]


# --- schema.org --------------------------------------------------------------

EVENT_STATUS = {
    Status.SCHEDULED: "https://schema.org/EventScheduled",
    Status.TENTATIVE: "https://schema.org/EventScheduled",
    Status.POSTPONED: "https://schema.org/EventPostponed",
    Status.RESCHEDULED: "https://schema.org/EventRescheduled",
    Status.CANCELLED: "https://schema.org/EventCancelled",
}
ATTENDANCE_MODE = {
    Mode.IN_PERSON: "https://schema.org/OfflineEventAttendanceMode",
    Mode.VIRTUAL: "https://schema.org/OnlineEventAttendanceMode",
    Mode.HYBRID: "https://schema.org/MixedEventAttendanceMode",
}


def _place(venue):
    return {
        "@type": "Place",
        "name": venue.name,
        "address": {
            "@type": "PostalAddress",
            "addressLocality": venue.city,
            "addressCountry": venue.country.code,
            **({"streetAddress": venue.address} if venue.address else {}),
        },
    }


def _locations(*, mode, venue, url):
    places = []
    if venue is not None and mode != Mode.VIRTUAL:
        places.append(_place(venue))
    if mode in {Mode.VIRTUAL, Mode.HYBRID}:
        # The public page, never the join link: that is for authorised participants only.
        places.append({"@type": "VirtualLocation", "url": url})
    return places


def _span(session):
    if session.start is not None:
        # schema.org's endDate is optional: with no announced end it is left out, not guessed.
        return session.local_start.isoformat(), session.local_end.isoformat() if session.end else None
    return session.starts_on.isoformat(), (session.ends_on or session.starts_on).isoformat()


def event_json_ld(*, meeting, parent, sessions, absolute):
    """schema.org Event for a meeting page; `absolute` turns a path into a full URL.

    `parent` is the meeting's parent if the viewer may see it, else None.
    """
    url = absolute(meeting.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": url,
        "name": meeting.localized_title,
        "url": url,
        "startDate": meeting.start_date.isoformat(),
        "endDate": meeting.end_date.isoformat(),
        "eventStatus": EVENT_STATUS.get(meeting.status, EVENT_STATUS[Status.SCHEDULED]),
        "inLanguage": get_language(),
        "organizer": {"@type": "Organization", "name": meeting.series.organising_body or meeting.series.name},
    }
    if meeting.title_id and meeting.title_id != data["name"]:
        data["alternateName"] = meeting.title_id if data["name"] == meeting.title else meeting.title
    if meeting.description:
        data["description"] = meeting.description
    if meeting.mode:
        data["eventAttendanceMode"] = ATTENDANCE_MODE[meeting.mode]
    locations = _locations(mode=meeting.mode, venue=meeting.venue, url=meeting.official_url or url)
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if parent is not None:
        parent_url = absolute(parent.get_absolute_url())
        data["superEvent"] = {"@type": "Event", "@id": parent_url, "name": parent.localized_title, "url": parent_url}
    sub_events = []
    for session in sessions:
        if session.access != Access.PUBLIC:
            continue
        start, end = _span(session)
        session_url = absolute(session.get_absolute_url())
        event = {
            "@type": "Event",
            "@id": session_url,
            "name": session.localized_title,
            "url": session_url,
            "startDate": start,
            "eventStatus": EVENT_STATUS.get(session.status, EVENT_STATUS[Status.SCHEDULED]),
            "eventAttendanceMode": ATTENDANCE_MODE[session.mode],
        }
        if end is not None:
            event["endDate"] = end
        venue = session.venue if session.venue_id else meeting.venue
        session_locations = _locations(mode=session.mode, venue=venue, url=url)
        if session_locations:
            event["location"] = session_locations[0] if len(session_locations) == 1 else session_locations
        sub_events.append(event)
    if sub_events:
        data["subEvent"] = sub_events
    return data


def days_between(first, last):
    """Every date from `first` to `last` inclusive."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
