"""Time zones: the ones planners pick from most often, and venue-local wall-clock times.

ASEAN spans UTC+6:30 (Yangon) to UTC+9 (Tokyo). Staff type and read times as
the venue's clock shows them; these helpers turn such a time into an instant
and label it, whatever zone a viewer chose for the public pages.
"""

import datetime as dt
import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@functools.cache
def known_zones():
    # Reading the tz database takes ~10-30 ms; it does not change while the process runs.
    return frozenset(zoneinfo.available_timezones())


COMMON_ZONES = [
    "Asia/Yangon",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Ho_Chi_Minh",
    "Asia/Phnom_Penh",
    "Asia/Vientiane",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Manila",
    "Asia/Brunei",
    "Asia/Makassar",
    "Asia/Jayapura",
    "Asia/Dili",
    "Asia/Tokyo",
    "Europe/Brussels",
    "America/New_York",
    "UTC",
]


def offset_text(value):
    """'UTC+8', 'UTC+6:30', 'UTC−5' for an aware datetime."""
    offset = value.utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone_name, day=None):
    """'Asia/Makassar, UTC+8': the zone and its offset on `day` (noon, so a DST night does not matter)."""
    if not zone_name:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zone_name  # a zone being corrected on the form; the form says what is wrong with it
    return f"{zone_name}, {offset_text(dt.datetime.combine(day or dt.date.today(), dt.time(12), tzinfo=zone))}"


def local_instant(day, time, zone_name):
    """The instant a wall clock in `zone_name` shows `time` on `day`.

    A time the clock skips (spring forward) or shows twice (fall back) is refused:
    guessing would put the session an hour off without anyone noticing.
    """
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a known IANA time zone."), code="unknown_zone", params={"value": zone_name}
        ) from None
    naive = dt.datetime.combine(day, time)
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValidationError(
            _("%(time)s does not exist on %(day)s in %(zone)s: the clocks go forward then."),
            code="nonexistent_time",
            params={"time": time.strftime("%H:%M"), "day": day.isoformat(), "zone": zone_name},
        )
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            _("%(time)s happens twice on %(day)s in %(zone)s (the clocks go back); give a time outside that hour."),
            code="ambiguous_time",
            params={"time": time.strftime("%H:%M"), "day": day.isoformat(), "zone": zone_name},
        )
    return first
