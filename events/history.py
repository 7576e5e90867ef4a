"""What changed, as a reader may see it: a meeting's history and recent schedule changes (django-simple-history)."""

import dataclasses
import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import formats
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import access
from .access import visible_levels
from .models import (
    Meeting,
    Series,
    Session,
    Status,
    Venue,
)
from .times import format_date_span, format_day, format_time
from .timezones import offset_text

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
    levels = visible_levels(user)
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
    levels = visible_levels(user)
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


# --- What changed since a revision: why a stale write is refused (admin forms, spreadsheet rows, API) ---


def saves_since(instance, revision):
    """(record before, record) for each save of `instance` after `revision`, oldest first; [] if none or unknown."""
    history = list(instance.history.select_related("history_user").order_by("history_date", "history_id"))
    seen = [index for index, record in enumerate(history) if record.revision <= revision]
    if not seen:
        return []
    return list(zip(history[seen[-1] :], history[seen[-1] + 1 :], strict=False))


def describe_changes_since(instance, revision):
    """'title ('A' → 'B') changed by alice at …' for each save after `revision` (staff read these)."""
    lines = []
    for previous, record in saves_since(instance, revision):
        delta = record.diff_against(previous, excluded_fields=["revision", "created", "updated"])
        if not delta.changes:
            continue
        fields = ", ".join(f"{change.field} ({change.old!r} → {change.new!r})" for change in delta.changes)
        who = record.history_user.get_username() if record.history_user else _("an import or script")
        when = formats.date_format(localtime(record.history_date), "DATETIME_FORMAT")
        lines.append(_("%(fields)s changed by %(who)s at %(when)s") % {"fields": fields, "who": who, "when": when})
    return lines


def changed_fields_since(instance, revision):
    """Verbose names of the fields whose value now differs from what it was at `revision`."""
    saves = saves_since(instance, revision)
    if not saves:
        return []
    delta = saves[-1][1].diff_against(saves[0][0], included_fields=list(instance.tracked_fields()))
    return [str(instance._meta.get_field(change.field).verbose_name) for change in delta.changes]
