"""Numbered editions: copying a meeting as its series' next edition, and ordinals in titles (Django's humanize)."""

import datetime as dt

from django.contrib.humanize.templatetags import humanize
from django.db import transaction
from django.utils import translation

from .models import Meeting, Status


def duplicate_meeting(meeting, *, shift_days, user=None):
    """Copy `meeting` as its series' next edition, sessions moved by `shift_days`.

    What `user` copies starts at a level they may create (restricted instead of public unless they may publish).
    """
    from . import access

    def level(wanted):
        return access.new_level(user, wanted) if user is not None else wanted

    shift = dt.timedelta(days=shift_days)
    with transaction.atomic():
        # Only the sessions the copier may see: a hidden one is neither copied nor named.
        sessions = list(meeting.sessions.all() if user is None else access.visible(meeting.sessions.all(), user))
        copy = Meeting.objects.get(pk=meeting.pk)
        copy.pk = None
        copy.id = None
        copy._state.adding = True
        copy.revision = 1
        copy.ordinal = (meeting.ordinal + 1) if meeting.ordinal else None
        copy.start_date = meeting.start_date + shift
        copy.end_date = meeting.end_date + shift
        copy.status = Status.TENTATIVE
        copy.access = level(meeting.access)
        copy.parent = None
        # The copy is our own event, not the partner's that was imported: a re-import must not find it.
        copy.external_uid = ""
        if copy.ordinal:
            copy.title = replace_ordinal(meeting.title, meeting.ordinal, copy.ordinal)
            copy.title_id = replace_ordinal(meeting.title_id, meeting.ordinal, copy.ordinal)
        copy.slug = copy.new_slug()
        copy.full_clean()
        copy.save()
        for session in sessions:
            session.pk = None
            session.id = None
            session._state.adding = True
            session.meeting = copy
            session.revision = 1
            session.status = Status.TENTATIVE
            session.access = level(session.access)
            session.external_uid = ""
            session.starts_on += shift
            session.ends_on += shift
            if session.start:
                # Shift in local wall-clock time so 09:00 stays 09:00 across DST.
                zone = session.zone
                session.start = (session.start.astimezone(zone).replace(tzinfo=None) + shift).replace(tzinfo=zone)
                if session.end:
                    session.end = (session.end.astimezone(zone).replace(tzinfo=None) + shift).replace(tzinfo=zone)
            session.save()
    return copy


def ordinal_text(number, *, language="en"):
    """'32nd' in English, 'ke-32' in Indonesian: Django's humanize `ordinal` in that language."""
    with translation.override(language):
        return str(humanize.ordinal(number))


def replace_ordinal(title, old, new):
    """'32nd ASEAN Summit' -> '33rd ASEAN Summit'; 'KTT ASEAN ke-32' -> 'KTT ASEAN ke-33'."""
    if not title:
        return title
    for language in ("en", "id"):
        title = title.replace(ordinal_text(old, language=language), ordinal_text(new, language=language))
    return title
