"""Admin forms: optimistic locking on the revision, and who may publish.

Two editors open the same meeting; the first saves. The second form still
carries the revision it was loaded at, so its save is refused and the error
lists what the first editor changed, from django-simple-history's records.
"""

import os

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .models import Access, Meeting, OutcomeDocument, Session


class RevisionWidget(forms.HiddenInput):
    """The revision travels as a hidden input, and is shown beside it for the editor."""

    @property
    def is_hidden(self):
        return False

    def render(self, name, value, attrs=None, renderer=None):
        return format_html("{}<span class=\"readonly\">{}</span>", super().render(name, value, attrs, renderer), value)


def describe_changes(instance, since_revision):
    """'title ('A' → 'B') changed by alice at …' for each save after revision `since_revision`."""
    history = list(instance.history.select_related("history_user").order_by("history_date", "history_id"))
    seen = [index for index, record in enumerate(history) if record.revision <= since_revision]
    if not seen:
        return []
    lines = []
    for previous, record in zip(history[seen[-1] :], history[seen[-1] + 1 :], strict=False):
        delta = record.diff_against(previous, excluded_fields=["revision", "created", "updated"])
        if not delta.changes:
            continue
        fields = ", ".join(f"{change.field} ({change.old!r} → {change.new!r})" for change in delta.changes)
        who = record.history_user.get_username() if record.history_user else _("an import or script")
        when = date_format(localtime(record.history_date), "DATETIME_FORMAT")
        lines.append(_("%(fields)s changed by %(who)s at %(when)s") % {"fields": fields, "who": who, "when": when})
    return lines


FIRST_YEAR, LAST_YEAR = 2, 9998


def validate_instant_range(value):
    """Python's datetime ends at years 1 and 9999, so a time within a day of them cannot be shown in every zone."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Give a time between the years %(first)s and %(last)s."),
            code="out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


class InstantRangeMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            if name in self.fields:
                self.fields[name].validators.append(validate_instant_range)


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
            changes = describe_changes(self.instance, seen)
            message = _(
                "Someone else saved this record while you were editing it (now revision %(current)s, "
                "you started from revision %(seen)s). Your changes were not saved: reload the page and "
                "make them again."
            ) % {"current": current, "seen": seen}
            if changes:
                message = f"{message} {'; '.join(str(line) for line in changes)}."
            self.add_error(None, message)
        return cleaned


def publish_error(*, user, access, was_public):
    """Why `user` may not make a meeting public, or None: only an editor publishes (admin, API and import alike)."""
    if access != Access.PUBLIC or was_public or user is None or user.has_perm("events.publish_meeting"):
        return None
    return _("Only an editor may publish a meeting. Save it as restricted and ask an editor to publish it.")


def stranded_session_errors(*, meeting):
    """Sessions a saved meeting's new dates would leave outside it.

    The admin catches this through the inline session forms, and the database only when a session is written;
    the API and the spreadsheet import change a meeting alone, so they ask here.
    """
    if meeting.pk is None or not (meeting.start_date and meeting.end_date):
        return []
    outside = meeting.sessions.filter(Q(starts_on__lt=meeting.start_date) | Q(ends_on__gt=meeting.end_date))
    return [
        _(
            "The session (%(first)s to %(last)s, %(zone)s) lies outside the meeting's dates "
            "(%(start)s to %(end)s)."
        )
        % {
            "first": session.starts_on,
            "last": session.ends_on,
            "zone": session.timezone,
            "start": meeting.start_date,
            "end": meeting.end_date,
        }
        for session in outside.select_related("venue", "meeting").order_by("starts_on", "pk")[:5]
    ]


def current_user():
    # ModelAdmin cannot hand the request to its form; simple-history's middleware keeps it per request.
    request = getattr(HistoricalRecords.context, "request", None)
    return getattr(request, "user", None)


class MeetingAdminForm(RevisionCheckedForm):
    class Meta(RevisionCheckedForm.Meta):
        model = Meeting

    def clean(self):
        cleaned = super().clean()
        was_public = bool(self.instance.pk) and self.initial.get("access") == Access.PUBLIC
        message = publish_error(user=current_user(), access=cleaned.get("access"), was_public=was_public)
        if message:
            self.add_error("access", message)
        return cleaned


class SessionAdminForm(InstantRangeMixin, RevisionCheckedForm):
    class Meta(RevisionCheckedForm.Meta):
        model = Session


class SessionInlineForm(InstantRangeMixin, forms.ModelForm):
    class Meta:
        model = Session
        fields = "__all__"  # noqa: DJ007 - the inline narrows the fields it shows


DOCUMENT_EXTENSIONS = {".pdf", ".doc", ".docx", ".odt", ".txt", ".xlsx", ".pptx"}


class DocumentAdminForm(forms.ModelForm):
    """Outcome documents: a plain file name, a document type and a sane size."""

    class Meta:
        model = OutcomeDocument
        fields = "__all__"  # noqa: DJ007 - the admin narrows the fields it shows

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
