"""Bringing back a deleted meeting with the sessions, documents and delegations deleted with it.

django-simple-history writes a '-' record with the full row for every delete,
including the rows a meeting's delete cascades to, all with the delete's change
set (`events/changesets.py`); restoring saves exactly those rows again under
their old ids, in one transaction. A row deleted on its own before is in another
change set and stays deleted.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext

from . import access
from .models import Delegation, Meeting, OutcomeDocument, Session


def deleted_meetings(*, user):
    """Delete records of meetings that are still gone, newest first."""
    existing = Meeting.objects.values("pk")
    return (
        access.visible_history(Meeting.history.filter(history_type="-"), user)
        .exclude(id__in=existing)
        .select_related("history_user")
        .order_by("-history_date")
    )


def _deleted_with(model, *, meeting_record):
    """Delete records of the meeting's `model` rows in the meeting's change set, for rows still gone."""
    if meeting_record.change_set is None:
        return []
    records = model.history.filter(
        history_type="-", change_set=meeting_record.change_set, meeting_id=meeting_record.id
    ).order_by("history_id")
    existing = set(model.objects.filter(pk__in=[r.id for r in records]).values_list("pk", flat=True))
    return [record for record in records if record.id not in existing]


def restore_meeting(*, history_id, user=None):
    """Save the deleted meeting and its cascaded rows again; all or nothing. Returns the meeting.

    `user` (None: a script) may only restore a meeting at a level they may see.
    """
    records = Meeting.history.filter(history_type="-")
    if user is not None:
        records = access.visible_history(records, user)
    record = records.get(history_id=history_id)
    if Meeting.objects.filter(pk=record.id).exists():
        raise ValidationError(gettext("This meeting has already been restored."))
    with transaction.atomic():
        meeting = record.instance
        if meeting.parent_id and not Meeting.objects.filter(pk=meeting.parent_id).exists():
            meeting.parent = None
        # Subscribers removed the event; a higher SEQUENCE makes them take it back as an update.
        meeting.revision += 1
        meeting.save()
        sessions = [r.instance for r in _deleted_with(Session, meeting_record=record)]
        for session in sessions:
            session.revision += 1
            session.save()
        restored_sessions = {session.pk for session in sessions}
        for document_record in _deleted_with(OutcomeDocument, meeting_record=record):
            document = document_record.instance
            if document.session_id not in restored_sessions:
                document.session = None
            document.save()
        for delegation_record in _deleted_with(Delegation, meeting_record=record):
            delegation_record.instance.save()
    return meeting


def recover_view(model_admin):
    def view(request):
        if not (model_admin.has_add_permission(request) and model_admin.has_delete_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            try:
                meeting = restore_meeting(history_id=int(request.POST.get("history_id", "")), user=request.user)
            except (ValueError, Meeting.history.model.DoesNotExist):
                model_admin.message_user(request, gettext("No such deleted meeting."), messages.ERROR)
            except (ValidationError, IntegrityError) as error:
                detail = "; ".join(getattr(error, "messages", [str(error)]))
                message = gettext("Nothing was restored: %(error)s") % {"error": detail}
                model_admin.message_user(request, message, messages.ERROR)
            else:
                model_admin.message_user(
                    request,
                    gettext("Restored “%(meeting)s” with %(count)d sessions.") % {
                        "meeting": meeting, "count": meeting.sessions.count()
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:events_meeting_change", meeting.pk)
            return redirect("admin:events_meeting_recover")
        context = {
            **model_admin.admin_site.each_context(request),
            "title": gettext("Recover deleted meetings"),
            "records": deleted_meetings(user=request.user)[:200],
            "opts": Meeting._meta,
        }
        return TemplateResponse(request, "admin/events/meeting/recover_deleted.html", context)

    return view


def recover_urls(model_admin):
    return [
        path(
            "recover-deleted/",
            model_admin.admin_site.admin_view(recover_view(model_admin)),
            name="events_meeting_recover",
        )
    ]

