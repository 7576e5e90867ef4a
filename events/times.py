"""Times as readers see them: a session's span, time and day formats, the zone shown with a time."""

import dataclasses
import datetime as dt
import zoneinfo

from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from .timezones import offset_text


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


def format_date_span(start, end):
    """'25 April 2018 – 28 April 2018' per locale; a one-day span is just the day."""
    if start == end:
        return formats.date_format(start, "DATE_FORMAT")
    return f"{formats.date_format(start, 'DATE_FORMAT')} – {formats.date_format(end, 'DATE_FORMAT')}"


def days_between(first, last):
    """Every date from `first` to `last` inclusive."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
