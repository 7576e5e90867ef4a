"""Admin forms: optimistic locking on the revision, and who may publish.

Every model the admin edits carries a revision (events.models.Revisioned), and
every admin form and inline form edits it through RevisionCheckedForm.

Two editors open the same meeting; the first saves. The second form still
carries the revision it was loaded at, so its save is refused and the error
lists what the first editor changed, from django-simple-history's records.
"""

import datetime as dt
import os
import zoneinfo
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import access
from .history import describe_changes_since
from .models import Delegation, Meeting, Mode, OutcomeDocument, Session
from .slugs import readable_slug
from .timezones import local_instant, zone_label


class RevisionWidget(forms.HiddenInput):
    """The revision travels as a hidden input, and is shown beside it for the editor."""

    @property
    def is_hidden(self):
        return False

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('{}<span class="readonly">{}</span>', super().render(name, value, attrs, renderer), value)


FIRST_YEAR, LAST_YEAR = 2, 9998


def validate_instant_range(value):
    """Python's datetime ends at years 1 and 9999, so a time within a day of them cannot be shown in every zone."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Give a time between the years %(first)s and %(last)s."),
            code="out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


class RevisionCheckedForm(forms.ModelForm):
    """A model form that refuses to save over a revision it has not seen."""

    revision = forms.IntegerField(label=_("revision"), widget=RevisionWidget, required=False, min_value=1)

    class Meta:
        # The model field is not editable; the form field above only carries it.
        exclude = ["revision"]  # noqa: DJ006 - the admin lists `revision` in its fieldsets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        seen = cleaned.get("revision")
        if seen is None:
            # The rendered form always carries it; a POST without it cannot prove it saw the latest save.
            self.add_error(None, _("This form does not say which revision it edits; reload the page and try again."))
            return cleaned
        # Lock the row (PostgreSQL) so nobody saves between this check and our save;
        # SQLite's IMMEDIATE transactions already serialise writers.
        current = (
            type(self.instance)
            .objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("revision", flat=True)
            .first()
        )
        if current is None:
            self.add_error(None, _("This record was deleted by someone else while you were editing it."))
        elif current != seen:
            changes = describe_changes_since(self.instance, seen)
            message = _(
                "Someone else saved this record while you were editing it (now revision %(current)s, "
                "you started from revision %(seen)s). Your changes were not saved: reload the page and "
                "make them again."
            ) % {"current": current, "seen": seen}
            if changes:
                message = f"{message} {'; '.join(str(line) for line in changes)}."
            self.add_error(None, message)
        return cleaned


def stranded_session_errors(*, meeting):
    """Sessions a saved meeting's new dates would leave outside it.

    The admin catches this through the inline session forms, and the database only when a session is written;
    the API and the spreadsheet import change a meeting alone, so they ask here.
    """
    if meeting.pk is None or not (meeting.start_date and meeting.end_date):
        return []
    outside = meeting.sessions.filter(Q(starts_on__lt=meeting.start_date) | Q(ends_on__gt=meeting.end_date))
    return [
        _("The session (%(first)s to %(last)s, %(zone)s) lies outside the meeting's dates (%(start)s to %(end)s).")
        % {
            "first": session.starts_on,
            "last": session.ends_on,
            "zone": session.timezone,
            "start": meeting.start_date,
            "end": meeting.end_date,
        }
        for session in outside.select_related("venue", "meeting").order_by("starts_on", "pk")[:5]
    ]


class PolicyFormMixin:
    """Asks events.access about the user's save: the `access` choices they have, and the save itself.

    The admin gives the form class its user (`for_user`); a form without one (a script) is not limited.
    """

    policy_user = None

    @classmethod
    def for_user(cls, user):
        return type(cls.__name__, (cls,), {"policy_user": user})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.policy_user
        field = self.fields.get("access")
        if user is None or field is None:
            return
        stored = self.instance.access if self.instance.pk else None
        allowed = access.level_choices(user, current=stored)
        field.choices = [(value, label) for value, label in field.choices if value in allowed]
        if stored is None:
            field.initial = access.default_level(user)
            if not access.can_publish(user):
                field.help_text = access.PUBLISH_NOTE

    def _post_clean(self):
        super()._post_clean()
        if self.policy_user is None or self.errors:
            return
        if "access" not in self.fields and hasattr(self.instance, "access") and self.instance.pk is None:
            # A form without the field (e.g. the compact session inline) creates at the user's default level.
            self.instance.access = access.default_level(self.policy_user)
        if message := access.save_error(self.policy_user, self.instance):
            self.add_error("access" if "access" in self.fields else None, message)


class MeetingAdminForm(PolicyFormMixin, RevisionCheckedForm):
    class Meta(RevisionCheckedForm.Meta):
        model = Meeting

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "parent" in self.fields:
            # "Part of" never offers the meeting itself or its parts: that would be a cycle.
            excluded = {self.instance.pk, *self.instance.descendant_ids()}
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(pk__in=excluded)


def validate_day_range(value):
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Give a date between the years %(first)s and %(last)s."),
            code="out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


class ZoneLabelledTimeInput(forms.TimeInput):
    """A time input with the zone it is read in written next to it ("Asia/Makassar, UTC+8").

    admin/events/venue_zone.js rewrites the label when another venue is picked on screen.
    """

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "venue-local-time", "size": 5, **(attrs or {})}, format="%H:%M")
        self.zone_name = ""
        self.day = None

    def render(self, name, value, attrs=None, renderer=None):
        label = zone_label(self.zone_name, self.day)
        return format_html(
            '{} <span class="venue-zone" data-zone="{}">{}</span>',
            super().render(name, value, attrs, renderer),
            self.zone_name,
            label or _("venue's time zone"),
        )


class VenueLocalTimesForm(forms.ModelForm):
    """A session's times as the clerk types them: a date and wall-clock times at the venue.

    The zone is the session venue's, else the meeting's, and never the zone a viewer picked for the
    public pages (the admin does not activate it). `start` and `end` are derived here, in UTC.
    """

    start_time = forms.TimeField(
        label=_("from"), required=False, widget=ZoneLabelledTimeInput, help_text=_("Local time at the venue.")
    )
    end_time = forms.TimeField(
        label=_("to"),
        required=False,
        widget=ZoneLabelledTimeInput,
        help_text=_("Empty if the end is not announced."),
    )

    # Model errors on fields this form shows under another name.
    FIELD_FOR_MODEL_ERROR = {"start": "start_time", "end": "end_time"}

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_meeting = meeting
        for name in ("starts_on", "ends_on"):
            if name in self.fields:
                self.fields[name].validators.append(validate_day_range)
        if "venue" in self.fields:
            self.fields["venue"].help_text = _("Empty: the meeting's venue (a virtual session has none).")
        zone_name = self.zone_name(venue=self.instance.venue if self.instance.venue_id else None)
        session = self.instance
        if zone_name and session.start:
            local_start = session.start.astimezone(zoneinfo.ZoneInfo(zone_name))
            self.initial.setdefault("start_time", local_start.time())
            self.initial.setdefault("starts_on", local_start.date())
            if session.end:
                local_end = session.end.astimezone(zoneinfo.ZoneInfo(zone_name))
                self.initial.setdefault("end_time", local_end.time())
                if local_end.date() != local_start.date():
                    self.initial.setdefault("ends_on", local_end.date())
        for name in ("start_time", "end_time"):
            self.fields[name].widget.zone_name = zone_name
            self.fields[name].widget.day = session.starts_on or getattr(self.meeting(), "start_date", None)

    def meeting(self, cleaned=None):
        meeting = (cleaned or {}).get("meeting") or self.parent_meeting
        if meeting is None and self.instance.meeting_id:
            meeting = self.instance.meeting
        return meeting

    def zone_name(self, *, venue=None, cleaned=None):
        if venue is not None:
            return venue.timezone
        meeting = self.meeting(cleaned)
        return meeting.timezone if meeting is not None else ""

    def clean(self):
        cleaned = super().clean()
        meeting = self.meeting(cleaned)
        # Most sessions are held where their meeting is: an empty venue is the meeting's (a virtual session has none).
        empty_venue = "venue" in self.fields and cleaned.get("venue") is None and not self.has_error("venue")
        if empty_venue and cleaned.get("mode") != Mode.VIRTUAL and meeting is not None and meeting.venue_id:
            cleaned["venue"] = meeting.venue
        start_time, end_time = cleaned.get("start_time"), cleaned.get("end_time")
        first_day = cleaned.get("starts_on")
        last_day = cleaned.get("ends_on") or first_day
        if "ends_on" not in self.fields and first_day:
            # A form without the last day (the compact inline) moves it with the first, keeping the length.
            session = self.instance
            length = (session.ends_on - session.starts_on) if session.pk and session.ends_on else dt.timedelta()
            last_day = session.ends_on = first_day + length
        self.instance.start = self.instance.end = None
        if end_time and not start_time:
            self.add_error("start_time", _("Give the start time too, or neither time for a date-only session."))
        if not start_time or self.has_error("start_time") or self.has_error("end_time"):
            return cleaned
        if not first_day:
            if not self.has_error("starts_on"):
                self.add_error("starts_on", _("Give the date the session starts on."))
            return cleaned
        zone_name = self.zone_name(venue=cleaned.get("venue"), cleaned=cleaned)
        if not zone_name:
            self.add_error("venue", _("The meeting has no time zone; give the session a venue."))
            return cleaned
        try:
            self.instance.start = local_instant(first_day, start_time, zone_name)
        except ValidationError as error:
            self.add_error("start_time", error)
        if end_time:
            try:
                self.instance.end = local_instant(last_day or first_day, end_time, zone_name)
            except ValidationError as error:
                self.add_error("end_time", error)
        return cleaned

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            remapped = {}
            for field, messages in errors.error_dict.items():
                target = self.FIELD_FOR_MODEL_ERROR.get(field, field)
                if target != NON_FIELD_ERRORS and target not in self.fields:
                    target = NON_FIELD_ERRORS
                remapped.setdefault(target, []).extend(messages)
                if any(getattr(m, "code", None) == "outside_meeting" for m in messages):
                    remapped[target].append(self.related_meeting_hint(target))
            errors = ValidationError(remapped)
        super()._update_errors(errors)

    def related_meeting_hint(self, field):
        meeting = self.meeting(self.cleaned_data)
        first = self.cleaned_data.get("starts_on")
        if meeting is None or meeting.pk is None:
            return ValidationError(
                _("A meeting before or after this one (SOM, ministers, CPR) is a related meeting: save this "
                  "meeting without the session, then use “Add related meeting” on its page."),
                code="related_meeting_hint",
            )
        url = related_meeting_url(meeting, start=first, end=self.cleaned_data.get("ends_on") or first)
        return ValidationError(
            format_html(
                '{} <a href="{}">{}</a>',
                _("A meeting before or after this one (SOM, ministers, CPR) is a related meeting:"),
                url,
                _("add a related meeting on these dates"),
            ),
            code="related_meeting_hint",
        )


def related_meeting_url(meeting, *, start=None, end=None, series=None):
    """The admin's add form for a meeting held as part of `meeting`, its where and when filled in."""
    params = {}
    if series is not None:
        slug = readable_slug(f"{series.abbreviation or series.slug} {meeting.slug}")
        params.update(series=series.pk, title=f"{series.name} ({meeting.title})", slug=slug)
    params |= {
        "parent": meeting.pk,
        "start_date": (start or meeting.start_date).isoformat(),
        "end_date": (end or start or meeting.end_date).isoformat(),
        "timezone": meeting.timezone,
    }
    if meeting.venue_id:
        params["venue"] = meeting.venue_id
    if meeting.host_country:
        params["host_country"] = meeting.host_country.code
    if meeting.chair_country:
        params["chair_country"] = meeting.chair_country.code
    return f"{reverse('admin:events_meeting_add')}?{urlencode(params)}"


class SessionAdminForm(PolicyFormMixin, VenueLocalTimesForm, RevisionCheckedForm):
    class Meta(RevisionCheckedForm.Meta):
        model = Session
        exclude = ["revision", "start", "end"]  # noqa: DJ006 - start and end come from the local date and times


class SessionInlineForm(PolicyFormMixin, VenueLocalTimesForm, RevisionCheckedForm):
    class Meta(RevisionCheckedForm.Meta):
        model = Session
        exclude = ["revision", "start", "end"]  # noqa: DJ006 - start and end come from the local date and times


DOCUMENT_EXTENSIONS = {".pdf", ".doc", ".docx", ".odt", ".txt", ".xlsx", ".pptx"}


class _CheckedFile:
    """A stored file as the file widget shows it: its name, linked to the view that asks the access policy."""

    def __init__(self, value, url):
        self.value, self.url = value, url

    def __str__(self):
        return str(self.value)


class CheckedFileInput(AdminFileWidget):
    """The admin's file input, linking the current file to /documents/<id>/file/ (there is no /media/ route)."""

    file_url = ""

    def format_value(self, value):
        value = super().format_value(value)
        if self.is_initial(value) and self.file_url:
            return _CheckedFile(value, self.file_url)
        return value


class DocumentAdminForm(PolicyFormMixin, RevisionCheckedForm):
    """Outcome documents: a plain file name, a document type and a sane size."""

    class Meta(RevisionCheckedForm.Meta):
        model = OutcomeDocument
        widgets = {"file": CheckedFileInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields and self.instance.pk and self.instance.file:
            self.fields["file"].widget.file_url = self.instance.file_url

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload or not hasattr(upload, "size") or getattr(upload, "_committed", False):
            return upload  # no new upload: the stored file stays
        name = upload.name or ""
        if "/" in name or "\\" in name or ".." in name or any(ord(char) < 32 for char in name):
            raise forms.ValidationError(_("The file name “%(name)s” is not a plain file name."), params={"name": name})
        if os.path.splitext(name)[1].lower() not in DOCUMENT_EXTENSIONS:
            raise forms.ValidationError(
                _("Upload a document (%(types)s)."), params={"types": ", ".join(sorted(DOCUMENT_EXTENSIONS))}
            )
        if upload.size > settings.MAX_DOCUMENT_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                params={
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.MAX_DOCUMENT_UPLOAD_BYTES),
                },
            )
        return upload


class DelegationAdminForm(PolicyFormMixin, RevisionCheckedForm):
    class Meta(RevisionCheckedForm.Meta):
        model = Delegation
