"""Admin page to upload a partner's .ics file: the same import as `manage.py import_ics`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .ics_import import IcsImportError, import_calendar
from .models import Series
from .uploads import check_calendar, read_upload


class IcsUploadForm(forms.Form):
    file = forms.FileField(label=_("iCalendar file (.ics)"))
    series = forms.ModelChoiceField(
        queryset=Series.objects.all(), label=_("Series"), help_text=_("New meetings are filed under this series.")
    )
    dry_run = forms.BooleanField(
        label=_("Dry run"), required=False, help_text=_("Show what the import would do, and save nothing.")
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.data_bytes = read_upload(upload)
        check_calendar(self.data_bytes)
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["result"] = import_calendar(
                data=self.data_bytes, series=cleaned["series"], user=self.user, dry_run=cleaned.get("dry_run", False)
            )
        except IcsImportError as error:
            self.add_error("file", str(error))
        return cleaned


def ics_import_view(model_admin):
    def view(request):
        if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
            raise PermissionDenied
        form = IcsUploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            result = form.cleaned_data["result"]
            level = messages.WARNING if result.not_applied or result.created_restricted else messages.SUCCESS
            messages.add_message(request, level, _("iCalendar imported: %(result)s.") % {"result": result})
            if result.dry_run:
                return redirect("admin:events_meeting_import_ics")
            return redirect("admin:events_meeting_changelist")
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("Import iCalendar"),
            "form": form,
            "opts": model_admin.model._meta,
        }
        return TemplateResponse(request, "admin/events/meeting/import_ics.html", context)

    return view


def ics_import_urls(model_admin):
    return [
        path(
            "import-ics/",
            model_admin.admin_site.admin_view(ics_import_view(model_admin)),
            name="events_meeting_import_ics",
        )
    ]
