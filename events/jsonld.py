"""schema.org Event JSON-LD for a meeting page."""

from django.utils.translation import get_language

from .models import (
    Access,
    Mode,
    Status,
)

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
