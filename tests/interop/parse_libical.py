"""Parse an iCalendar feed from stdin with libical (GObject bindings) and print JSON.

Run with Debian's /usr/bin/python3 (needs gir1.2-ical-3.0 and python3-gi), not the venv.
That package ships two typelibs: `ICal` (raw C names, no parser entry points through
introspection) and `ICalGLib` (libical-glib, the usable object API over the same libical).
Output: {"errors": [...], "events": [{uid, summary, description, start, end, tzid, date_only, status, sequence}]}
Every X-LIC-ERROR property libical inserts while parsing counts as an error.
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal  # noqa: E402


def iter_components(parent, kind):
    child = parent.get_first_component(kind)
    while child is not None:
        yield child
        child = parent.get_next_component(kind)


def iter_properties(component, kind):
    prop = component.get_first_property(kind)
    while prop is not None:
        yield prop
        prop = component.get_next_property(kind)


def collect_errors(component, errors, where="VCALENDAR"):
    for prop in iter_properties(component, ICal.PropertyKind.XLICERROR_PROPERTY):
        errors.append(f"{where}: {prop.get_xlicerror()}")
    for child in iter_components(component, ICal.ComponentKind.ANY_COMPONENT):
        name = ICal.Component.kind_to_string(child.isa())
        uid = child.get_uid() if child.isa() == ICal.ComponentKind.VEVENT_COMPONENT else ""
        collect_errors(child, errors, f"{where}/{name}{' ' + uid if uid else ''}")


def time_json(value, calendar):
    if value is None or value.is_null_time():
        return None
    if value.is_date():
        return f"{value.get_year():04d}-{value.get_month():02d}-{value.get_day():02d}"
    utc = value.convert_to_zone(ICal.Timezone.get_utc_timezone())
    day = f"{utc.get_year():04d}-{utc.get_month():02d}-{utc.get_day():02d}"
    return f"{day}T{utc.get_hour():02d}:{utc.get_minute():02d}:{utc.get_second():02d}Z"


def main():
    data = sys.stdin.buffer.read().decode("utf-8")
    errors, events = [], []
    try:
        calendar = ICal.Component.new_from_string(data)
    except TypeError:  # the binding raises when libical returns no component
        calendar = None
    if calendar is None:
        print(json.dumps({"errors": ["libical could not parse the feed"], "events": []}))
        return
    collect_errors(calendar, errors)
    for event in iter_components(calendar, ICal.ComponentKind.VEVENT_COMPONENT):
        start_prop = event.get_first_property(ICal.PropertyKind.DTSTART_PROPERTY)
        tzid = start_prop.get_parameter_as_string("TZID") if start_prop is not None else None
        start = event.get_dtstart()
        if tzid and start.get_timezone() is None:
            errors.append(f"{event.get_uid()}: TZID {tzid} has no VTIMEZONE")
        status = event.get_first_property(ICal.PropertyKind.STATUS_PROPERTY)
        sequence = event.get_first_property(ICal.PropertyKind.SEQUENCE_PROPERTY)
        events.append(
            {
                "uid": event.get_uid(),
                "summary": event.get_summary(),
                "description": event.get_description(),
                "start": time_json(start, calendar),
                "end": time_json(event.get_dtend(), calendar),
                "tzid": tzid,
                "date_only": bool(start.is_date()),
                "status": status.get_value_as_string() if status is not None else None,
                "sequence": sequence.get_sequence() if sequence is not None else None,
            }
        )
    print(json.dumps({"errors": errors, "events": events}))


if __name__ == "__main__":
    main()
