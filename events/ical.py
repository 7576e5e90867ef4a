"""iCalendar (RFC 5545 / RFC 7986) text for the calendar feeds.

Everything here works on plain rows (dicts from `QuerySet.values()` with the
field lists below) and never touches the request or the database, so a feed
of 20,000 sessions costs one query for the rows and string work for the rest.

VEVENTs are serialized by hand rather than through icalendar's component
objects: that is about twenty times faster, and each event's text is cached
(see `render_feed`) so an edit re-renders one event, not the whole feed. The
calendar header and the VTIMEZONE components are built with icalendar. The
interop tests check the result with icalendar, ical.js and libical.
"""

import contextlib
import contextvars
import dataclasses
import datetime as dt
import functools
import re

import icalendar
from django.urls import get_script_prefix, reverse
from django.utils import translation

from . import caching
from .models import Access, Mode, OutcomeDocument, SessionKind, Status
from .text import printable

# Bump when the text of events changes shape, so cached pieces are not reused.
FORMAT_VERSION = 1
PRODID = "-//ASCN Events//Calendar feeds//EN"


# Cached pieces, month chunks and ETags carry it. The digest is of all the app's code, templates and
# translations (not this module alone): which rows a feed holds and how they are assembled live in
# feeds.py and ical_assembly.py, and a deployment must never serve text from the code before it.
CODE_VERSION = f"{FORMAT_VERSION}.{caching.CODE_VERSION}"
CRLF = "\r\n"
# Cached pieces only change when their key changes; let them age out slowly.
PIECE_TIMEOUT = 60 * 60 * 24 * 30
# VTIMEZONEs cover every year a meeting can be in (the filters accept 1967–2100).
TZ_FIRST_DATE = dt.date(1967, 1, 1)
TZ_LAST_DATE = dt.date(2101, 1, 1)

SESSION_FIELDS = (
    "id", "revision", "updated", "title", "title_id", "kind", "starts_on", "ends_on", "start", "end",
    "room", "mode", "join_url", "join_passcode", "status", "access", "description", "meeting_id",
    "venue__name", "venue__city", "venue__timezone",
    "meeting__revision", "meeting__updated", "meeting__title", "meeting__title_id", "meeting__slug",
    "meeting__timezone", "meeting__status", "meeting__venue__name", "meeting__venue__city",
    "meeting__series__name", "meeting__series__name_id", "meeting__series__abbreviation",
    "meeting__series__color", "meeting__series__updated",
)  # fmt: skip

MEETING_FIELDS = (
    "id", "revision", "updated", "title", "title_id", "slug", "start_date", "end_date", "mode", "status",
    "access", "theme", "description", "official_url", "parent_id", "parent__access", "venue__name", "venue__city",
    "series__name", "series__name_id", "series__abbreviation", "series__color", "series__updated",
)  # fmt: skip

# What decides an event's cache key, its place in the feed and the VTIMEZONEs the
# feed needs: a warm feed reads only these, and full rows only for uncached events.
SESSION_KEY_FIELDS = (
    "id", "revision", "access", "meeting_id", "venue__timezone", "meeting__revision", "meeting__timezone",
)  # fmt: skip
MEETING_KEY_FIELDS = ("id", "revision", "parent_id", "parent__access")
# Key rows also carry, as text: the change times ("updated" of the row, and of
# its meeting and series for a session, joined by "|"), the (start) day, and a
# session's start in UTC (NULL for date-only sessions). Text sorts like the values.
KEY_VERSION, KEY_DAY, KEY_START = "key_version", "key_day", "key_start"

DOCUMENT_FIELDS = ("id", "meeting_id", "session_id", "title", "title_id", "kind", "status", "url", "file")

ICAL_STATUS = {
    Status.SCHEDULED: "CONFIRMED",
    Status.RESCHEDULED: "CONFIRMED",
    Status.TENTATIVE: "TENTATIVE",
    # A postponed event has no date yet: calendars must drop it, and a later
    # revision with a new date brings it back under the same UID.
    Status.POSTPONED: "CANCELLED",
    Status.CANCELLED: "CANCELLED",
}
ICAL_CLASS = {Access.PUBLIC: "PUBLIC", Access.RESTRICTED: "PRIVATE", Access.CONFIDENTIAL: "CONFIDENTIAL"}
_CSS_COLOR_NAME = re.compile(r"^[A-Za-z]{3,30}$")
# Characters RFC 5545 forbids in TEXT values (all controls but tab and newline).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# Translations are looked up once per language and message, not once per event:
# gettext calls were a third of the time of rendering 20,000 events.
@functools.lru_cache(maxsize=1024)
def _translated(language, message):
    return translation.gettext(message)


# The language of the events being written, set once per feed (see `_writing`): asking Django
# for the active language once per message was a sixth of a cold feed's time.
_language = contextvars.ContextVar("ical_language", default=None)


@contextlib.contextmanager
def _writing(language):
    token = _language.set(language)
    try:
        with translation.override(language):
            yield
    finally:
        _language.reset(token)


def gettext(message):
    """Django's gettext in the language of the feed being written, looked up once per message."""
    return _translated(_language.get() or translation.get_language(), message)


@functools.lru_cache(maxsize=1024)
def _choice_label(language, choices, value):
    return str(choices(value).label)


def label(choices, value):
    """The display name of a choice in the active language."""
    return _choice_label(_language.get() or translation.get_language(), choices, value)


@dataclasses.dataclass(frozen=True)
class FeedContext:
    """What, besides the rows, decides the text of an event."""

    domain: str  # settings.SITE_DOMAIN: the UID namespace, never to change
    base_url: str  # "https://host" without trailing slash, for URL / ATTACH
    language: str = "en"
    private: bool = False  # a personal feed, read by its signed-in owner: join details (access.JOIN_FIELDS) included
    per_day: bool = False  # multi-day all-day events split into one a day


@dataclasses.dataclass(frozen=True)
class CalendarMeta:
    name: str
    description: str = ""
    color: str = ""
    refresh: dt.timedelta = dt.timedelta(hours=6)


# --- Serialization ----------------------------------------------------------


def escape_text(value):
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped.

    Spaces and tabs around the whole value are dropped: libical strips them
    while parsing, and every client should read the same text.
    """
    value = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip(" \t")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _param(value):
    """A parameter value, always quoted; quotes and controls cannot be represented."""
    return '"' + _CONTROL.sub("", str(value)).replace('"', "'").replace("\n", " ").replace("\t", " ") + '"'


def fold(line):
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    if line.isascii():
        if len(line) <= 75:
            return line + CRLF
        return "\r\n ".join([line[:75], *(line[n : n + 74] for n in range(75, len(line), 74))]) + CRLF
    data = line.encode()
    if len(data) <= 75:
        return line + CRLF
    # Cut at the last character boundary within the limit: UTF-8 continuation bytes are 0b10xxxxxx.
    parts, start, limit = [], 0, 75
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:
            end -= 1
        parts.append(data[start:end])
        # Continuation lines start with a space, which counts towards the 75.
        start, limit = end, 74
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode() + CRLF


def prop(name, value, **params):
    if params:
        name += "".join(f";{key.replace('_', '-')}={val}" for key, val in params.items())
    line = f"{name}:{value}"
    if len(line) <= 75 and line.isascii():  # most lines: no folding to do
        return line + CRLF
    return fold(line)


def utc_stamp(moment):
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def date_value(day):
    return day.strftime("%Y%m%d")


def duration_value(delta):
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    out = "P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return out + ("T" + time if time else ("" if days else "T0S"))


def _timed(name, moment, tzid):
    if tzid == "UTC":
        return prop(name, utc_stamp(moment))
    local = moment.astimezone(zone_info(tzid))
    return prop(name, local.strftime("%Y%m%dT%H%M%S"), TZID=tzid)


@functools.cache
def zone_info(tzid):
    import zoneinfo

    return zoneinfo.ZoneInfo(tzid)


@functools.cache
def vtimezone(tzid):
    """The VTIMEZONE text for an IANA zone (the same bytes every time)."""
    component = icalendar.Timezone.from_tzid(tzid, first_date=TZ_FIRST_DATE, last_date=TZ_LAST_DATE)
    return component.to_ical().decode().replace("\r\n", "\n").replace("\n", CRLF)


def calendar_header(meta):
    """BEGIN:VCALENDAR and the calendar's own properties, without the END line.

    Text values go in as vText: icalendar 7.3 writes NAME / X-WR-CALNAME /
    X-WR-CALDESC unescaped otherwise, and a comma in a name breaks clients.
    """
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # Names and descriptions come from rows that may predate the rule against control characters.
    name, description = printable(meta.name), printable(meta.description)
    calendar.add("name", icalendar.vText(name))
    calendar.add("x-wr-calname", icalendar.vText(name))
    if description:
        calendar.add("description", icalendar.vText(description))
        calendar.add("x-wr-caldesc", icalendar.vText(description))
    calendar.add("refresh-interval", meta.refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(meta.refresh))
    if _CSS_COLOR_NAME.match(meta.color or ""):
        calendar.add("color", meta.color.lower())
    text = calendar.to_ical(sorted=False).decode()
    return text[: text.rindex("END:VCALENDAR")]


# --- Events -----------------------------------------------------------------


def localized(row, field, language):
    if language == "id" and row.get(f"{field}_id"):
        return row[f"{field}_id"]
    return row[field] or ""


def session_uid(session_id, domain):
    return f"session-{session_id}@{domain}"


def meeting_uid(meeting_id, domain, day=None):
    return f"meeting-{meeting_id}{'-' + date_value(day) if day else ''}@{domain}"


def session_tzid(row):
    return row["venue__timezone"] or row["meeting__timezone"]


def is_closed_stub(row, levels):
    """A restricted session the feed's viewer may not see, listed only as closed."""
    return row["access"] not in levels


def shows_parent(row, levels):
    """A meeting's RELATED-TO names its parent only for a viewer who may see the parent."""
    return bool(row.get("parent_id")) and row.get("parent__access") in levels


def _meeting_url(ctx, slug):
    return ctx.base_url + _meeting_path(get_script_prefix()).replace(_SLUG, slug)


_SLUG = "slug-placeholder"


@functools.cache
def _meeting_path(_script_prefix):
    # Reversing a URL per event was a seventh of a cold feed's time: reverse once, fill in the slug.
    return reverse("events:meeting_detail", kwargs={"slug": _SLUG})


def _document_link(doc, ctx):
    if doc["url"]:
        return doc["url"]
    if doc["file"]:
        return ctx.base_url + reverse("events:document_file", kwargs={"pk": doc["id"]})
    return ""


def _documents_text(documents, ctx):
    lines, attachments = [], []
    for doc in documents:
        title = localized(doc, "title", ctx.language)
        kind = label(OutcomeDocument.Kind, doc["kind"])
        status = label(OutcomeDocument.DocumentStatus, doc["status"])
        line = f"- {title} ({kind}, {status})"
        link = _document_link(doc, ctx) if doc["status"] == OutcomeDocument.DocumentStatus.PUBLISHED else ""
        if link:
            line += f": {link}"
            attachments.append(link)
        lines.append(line)
    return lines, attachments


def _location(*parts):
    return ", ".join(part for part in parts if part)


def _categories(*values):
    return ",".join(escape_text(value) for value in values if value)


def _color(value):
    return prop("COLOR", value.lower()) if _CSS_COLOR_NAME.match(value or "") else ""


def _all_day_days(first, last, per_day):
    """(DTSTART, exclusive DTEND, day or None) for an all-day event, split a day at a time if asked."""
    if per_day and last > first:
        return [(first + dt.timedelta(n), first + dt.timedelta(n + 1), first + dt.timedelta(n))
                for n in range((last - first).days + 1)]  # fmt: skip
    return [(first, last + dt.timedelta(days=1), None)]


def closed_session_event(row, ctx):
    """A restricted session in a feed whose viewer may not see it: time and nothing else."""
    lines = ["BEGIN:VEVENT" + CRLF, prop("UID", session_uid(row["id"], ctx.domain))]
    lines.append(prop("DTSTAMP", utc_stamp(max(row["updated"], row["meeting__updated"]))))
    lines.extend(_session_times(row, ctx))
    lines.append(prop("SUMMARY", escape_text(gettext("Closed session"))))
    lines.append(prop("SEQUENCE", session_sequence(row)))
    lines.append(prop("STATUS", session_status(row)))
    lines.append("END:VEVENT" + CRLF)
    return "".join(lines)


def session_sequence(row):
    # The event shows meeting data too (title, status, documents), so a change
    # to the meeting must raise the SEQUENCE of each of its sessions as well.
    return row["revision"] + row["meeting__revision"] - 1


def session_status(row):
    if ICAL_STATUS[row["meeting__status"]] == "CANCELLED":
        return "CANCELLED"
    if ICAL_STATUS[row["status"]] == "CONFIRMED" and row["meeting__status"] == Status.TENTATIVE:
        return "TENTATIVE"
    return ICAL_STATUS[row["status"]]


def _session_times(row, ctx):
    if row["start"] is not None:
        tzid = session_tzid(row)
        if row["end"] is None:
            # No announced end: DTSTART alone, which RFC 5545 (3.6.1) makes an event of no length at
            # that time. Google, Outlook, Apple Calendar and Thunderbird show it at its start without
            # inventing an end; the description says the end is not announced.
            return [_timed("DTSTART", row["start"], tzid)]
        return [_timed("DTSTART", row["start"], tzid), _timed("DTEND", row["end"], tzid)]
    start, end, _day = _all_day_days(row["starts_on"], row["ends_on"] or row["starts_on"], False)[0]
    return [prop("DTSTART", date_value(start), VALUE="DATE"), prop("DTEND", date_value(end), VALUE="DATE")]


def session_event(row, ctx, documents=()):
    """One VEVENT for a session the viewer may see in full."""
    language = ctx.language
    meeting_title = localized(row, "meeting__title", language)
    title = localized(row, "title", language)
    stamp = utc_stamp(max(row["updated"], row["meeting__updated"]))
    status = session_status(row)
    series = localized(row, "meeting__series__name", language)

    description = [gettext("Meeting: %(meeting)s") % {"meeting": meeting_title}]
    description.append(gettext("Format: %(format)s") % {"format": label(Mode, row["mode"])})
    if row["start"] is not None and row["end"] is None:
        description.append(gettext("End time not announced."))
    if row["status"] not in (Status.SCHEDULED,):
        description.append(gettext("Status: %(status)s") % {"status": label(Status, row["status"])})
    if row["description"]:
        description.extend(["", row["description"]])
    private_join = ctx.private and row["join_url"]
    if private_join:
        description.extend(["", gettext("Join: %(url)s") % {"url": row["join_url"]}])
        if row["join_passcode"]:
            description.append(gettext("Passcode: %(code)s") % {"code": row["join_passcode"]})
    doc_lines, attachments = _documents_text(documents, ctx)
    if doc_lines:
        description.extend(["", gettext("Documents:"), *doc_lines])

    venue_name, venue_city = row["venue__name"], row["venue__city"]
    if not venue_name:
        venue_name, venue_city = row["meeting__venue__name"], row["meeting__venue__city"]
    location = _location(row["room"], venue_name, venue_city if venue_city != venue_name else "")
    if not location and row["mode"] == Mode.VIRTUAL:
        location = gettext("Online")

    lines = ["BEGIN:VEVENT" + CRLF, prop("UID", session_uid(row["id"], ctx.domain)), prop("DTSTAMP", stamp)]
    lines.extend(_session_times(row, ctx))
    lines.append(prop("SUMMARY", escape_text(f"{title} – {meeting_title}" if meeting_title else title)))
    if location:
        lines.append(prop("LOCATION", escape_text(location)))
    lines.append(prop("DESCRIPTION", escape_text("\n".join(description))))
    lines.append(prop("URL", _meeting_url(ctx, row["meeting__slug"]) + f"#session-{row['id']}"))
    lines.append(prop("CATEGORIES", _categories(series, label(SessionKind, row["kind"]), label(Mode, row["mode"]))))
    lines.append(prop("RELATED-TO", meeting_uid(row["meeting_id"], ctx.domain), RELTYPE="PARENT"))
    lines.append(prop("SEQUENCE", session_sequence(row)))
    lines.append(prop("STATUS", status))
    lines.append(prop("LAST-MODIFIED", stamp))
    if ctx.private:
        lines.append(prop("CLASS", ICAL_CLASS[row["access"]]))
    if row["start"] is None:
        lines.append(prop("TRANSP", "TRANSPARENT"))
    lines.append(_color(row["meeting__series__color"]))
    if private_join:
        conference_label = gettext("Join online")
        if row["join_passcode"]:
            conference_label += " – " + gettext("Passcode: %(code)s") % {"code": row["join_passcode"]}
        lines.append(prop("CONFERENCE", row["join_url"], VALUE="URI", FEATURE="VIDEO", LABEL=_param(conference_label)))
    lines.extend(prop("ATTACH", link) for link in attachments)
    lines.append("END:VEVENT" + CRLF)
    return "".join(lines)


def meeting_events(row, ctx, documents=(), show_parent=True):
    """All-day VEVENTs (one, or one a day with per_day) for a meeting without sessions in the feed.

    `show_parent`: the feed's viewer may see the meeting's parent (see `shows_parent`).
    """
    language = ctx.language
    title = localized(row, "title", language)
    stamp = utc_stamp(row["updated"])
    series = localized(row, "series__name", language)
    mode_label = label(Mode, row["mode"]) if row["mode"] else gettext("Format not announced")

    description = [gettext("Format: %(format)s") % {"format": mode_label}]
    if row["status"] != Status.SCHEDULED:
        description.append(gettext("Status: %(status)s") % {"status": label(Status, row["status"])})
    if row["theme"]:
        description.append(gettext("Theme: %(theme)s") % {"theme": row["theme"]})
    if row["description"]:
        description.extend(["", row["description"]])
    if row["official_url"]:
        description.extend(["", gettext("Official site: %(url)s") % {"url": row["official_url"]}])
    doc_lines, attachments = _documents_text(documents, ctx)
    if doc_lines:
        description.extend(["", gettext("Documents:"), *doc_lines])
    venue_city = row["venue__city"] if row["venue__city"] != row["venue__name"] else ""
    location = _location(row["venue__name"], venue_city)

    shared = []
    if location:
        shared.append(prop("LOCATION", escape_text(location)))
    shared.append(prop("DESCRIPTION", escape_text("\n".join(description))))
    shared.append(prop("URL", _meeting_url(ctx, row["slug"])))
    shared.append(
        prop("CATEGORIES", _categories(series, gettext("Meeting"), label(Mode, row["mode"]) if row["mode"] else ""))
    )
    if row["parent_id"] and show_parent:
        shared.append(prop("RELATED-TO", meeting_uid(row["parent_id"], ctx.domain), RELTYPE="PARENT"))
    shared.append(prop("SEQUENCE", row["revision"]))
    shared.append(prop("STATUS", ICAL_STATUS[row["status"]]))
    shared.append(prop("LAST-MODIFIED", stamp))
    if ctx.private:
        shared.append(prop("CLASS", ICAL_CLASS[row["access"]]))
    shared.append(prop("TRANSP", "TRANSPARENT"))
    shared.append(_color(row["series__color"]))
    shared.extend(prop("ATTACH", link) for link in attachments)
    shared = "".join(shared)

    days = _all_day_days(row["start_date"], row["end_date"], ctx.per_day)
    out = []
    for number, (start, end, day) in enumerate(days, start=1):
        summary = title
        if day is not None:
            summary += " " + gettext("(day %(number)s of %(total)s)") % {"number": number, "total": len(days)}
        out.append(
            "BEGIN:VEVENT" + CRLF
            + prop("UID", meeting_uid(row["id"], ctx.domain, day))
            + prop("DTSTAMP", stamp)
            + prop("DTSTART", date_value(start), VALUE="DATE")
            + prop("DTEND", date_value(end), VALUE="DATE")
            + prop("SUMMARY", escape_text(summary))
            + shared
            + "END:VEVENT" + CRLF
        )  # fmt: skip
    return "".join(out)
