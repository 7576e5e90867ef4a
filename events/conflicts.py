"""A delegation's schedule and its conflicts: overlapping sessions, too little time to travel between cities."""

import dataclasses
import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Prefetch
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .models import (
    Delegation,
    DelegationMember,
    Mode,
    Session,
)
from .times import session_interval


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
