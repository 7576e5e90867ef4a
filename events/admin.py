from types import SimpleNamespace

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.forms.models import BaseInlineFormSet
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.dateparse import parse_date
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import access
from .admin_ics import ics_import_urls
from .forms import (
    DelegationAdminForm,
    DocumentAdminForm,
    MeetingAdminForm,
    RevisionCheckedForm,
    SessionAdminForm,
    SessionInlineForm,
    related_meeting_url,
)
from .middleware import known_zones
from .models import (
    Chairmanship,
    Delegation,
    DelegationMember,
    FeedToken,
    Meeting,
    NetworkCity,
    OutcomeDocument,
    Person,
    Series,
    Session,
    Venue,
)
from .recovery import recover_urls
from .resources import MeetingResource, SessionResource, SpreadsheetAdminMixin
from .timezones import zone_label

VENUE_ZONE_JS = "admin/events/venue_zone.js"
VENUE_ZONE_CSS = {"all": ["admin/events/venue_zone.css"]}


class PolicyAdminMixin:
    """Every admin door of a levelled model asks events.access: rows listed, objects opened, changed or
    deleted, the `access` choices, foreign-key choices (and so autocomplete) and the history shown."""

    policy_fk_models = {"meeting", "parent", "session"}

    def get_queryset(self, request):
        return access.visible(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or access.can_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or access.can_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or access.can_delete(request.user, obj))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return form.for_user(request.user) if hasattr(form, "for_user") else form

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # Read-only display fields are called without the request; this object is this request's own.
            obj.viewer = request.user
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.policy_fk_models and db_field.related_model in {Meeting, Session}:
            kwargs["queryset"] = access.visible(db_field.related_model.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete starts from get_queryset too; this keeps a search over related fields inside the policy.
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        return access.visible(queryset, request.user), distinct

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        records = access.visible_history(
            super().get_history_queryset(request, history_manager, pk_name, object_id), request.user
        )
        if not hasattr(records.model, "meeting_id"):
            return records
        # A session's, document's or delegation's record is also held at its meeting's level at the time,
        # and a document's at its session's.
        of_session = hasattr(records.model, "session_id")
        fields = ["history_id", "history_date", "meeting_id", *self._own_level_field(records)]
        rows = [SimpleNamespace(**row) for row in records.values(*fields, *(["session_id"] if of_session else []))]
        levels = access.MeetingLevels.of({row.meeting_id for row in rows})
        session_levels = (
            access.MeetingLevels.of({row.session_id for row in rows} - {None}, model=Session) if of_session else None
        )
        shown = [
            row.history_id
            for row in rows
            if access.record_visible(row, user=request.user, meeting_levels=levels, session_levels=session_levels)
        ]
        return records.filter(history_id__in=shown)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A version is shown (and can be reverted to) only if the history list would show it.
        from django.contrib.admin.utils import unquote
        from django.http import Http404

        pk_name = self.model._meta.pk.attname
        records = self.get_history_queryset(request, self.model.history, pk_name, unquote(object_id))
        try:
            shown = records.filter(history_id=int(version_id)).exists()
        except ValueError:
            shown = False
        if not shown:
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    @staticmethod
    def _own_level_field(records):
        return ["access"] if hasattr(records.model, "access") else []

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # A changed parent or meeting is shown by id: its title may be one the reader must not see.
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs=False)


class PolicyInlineMixin:
    """Inline rows of a levelled model: only those the user may see, and the form asks the policy."""

    def get_queryset(self, request):
        return access.visible(super().get_queryset(request), request.user)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if hasattr(formset.form, "for_user"):
            formset.form = formset.form.for_user(request.user)
        return formset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model in {Meeting, Session}:
            kwargs["queryset"] = access.visible(db_field.related_model.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _without(line, name):
    if isinstance(line, (list, tuple)):
        return tuple(field for field in line if field != name)
    return line


class YearListFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Meeting.objects.visible_to(request.user).dates("start_date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(start_date__year=int(self.value()))
        return queryset


class SessionInlineFormSet(BaseInlineFormSet):
    def get_form_kwargs(self, index):
        # Each row reads its times in the meeting's zone when it has no venue of its own.
        return {**super().get_form_kwargs(index), "meeting": self.instance}


class SessionInline(PolicyInlineMixin, admin.TabularInline):
    """One line per session, so a summit's programme fits on a screen; the rest is on the session's own page."""

    model = Session
    form = SessionInlineForm
    formset = SessionInlineFormSet
    extra = 0
    fields = ["title", "kind", "starts_on", "start_time", "end_time", "venue", "mode", "join_url", "status", "revision"]
    autocomplete_fields = ["venue"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("venue")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "venue":
            # One line per session: no add/change/view icons beside each row's venue.
            for name in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
                setattr(field.widget, name, False)
        elif db_field.name == "starts_on":
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        elif db_field.name == "join_url":
            field.widget.attrs["size"] = 18
        return field


class DocumentInline(PolicyInlineMixin, admin.TabularInline):
    model = OutcomeDocument
    form = DocumentAdminForm
    extra = 0
    fields = ["title", "kind", "status", "adopted_on", "url", "file", "language", "source_url", "revision"]


class DelegationInline(PolicyInlineMixin, admin.TabularInline):
    model = Delegation
    form = DelegationAdminForm
    extra = 0
    classes = ["collapse"]
    fields = ["country", "organisation", "note", "revision"]
    show_change_link = True


class PartOfAutocomplete(AutocompleteSelect):
    """The "part of" picker: the search leaves out the meeting being edited and its parts."""

    exclude = None

    def get_url(self):
        url = super().get_url()
        return f"{url}?exclude={self.exclude}" if self.exclude else url


def related_series(meeting, limit=6):
    """Series to offer for a related meeting: those the parts of this series' meetings belonged to, most used
    first, then the others."""
    used = list(
        Series.objects.filter(meetings__parent__series=meeting.series_id)
        .annotate(uses=Count("meetings"))
        .order_by("-uses", "name")[:limit]
    )
    others = Series.objects.exclude(pk__in=[meeting.series_id, *(s.pk for s in used)]).order_by("name")
    return used + list(others[: limit - len(used)])


class DuplicateEditionForm(forms.Form):
    shift_days = forms.IntegerField(
        label=_("Move sessions by (days)"),
        min_value=-3660,
        max_value=3660,
        initial=365,
        help_text=_("Dates of the copy and all its sessions are moved by this many days."),
    )


@admin.register(Meeting)
class MeetingAdmin(PolicyAdminMixin, SpreadsheetAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "series", "ordinal", "start_date", "end_date", "mode", "status", "access", "host_country"]
    list_filter = ["series", YearListFilter, "mode", "status", "access", "host_country", "source_note_review"]
    search_fields = ["title", "title_id", "theme", "slug", "series__name", "series__abbreviation"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["series", "venue", "parent"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["series"]
    form = MeetingAdminForm
    readonly_fields = ["created", "updated", "related_meetings"]  # the form carries `revision` for optimistic locking
    inlines = [SessionInline, DocumentInline, DelegationInline]
    actions = ["duplicate_as_next_edition"]
    resource_classes = [MeetingResource]
    import_export_change_list_template = "admin/events/meeting/change_list_import.html"

    class Media:
        js = [VENUE_ZONE_JS]
        css = VENUE_ZONE_CSS

    fieldsets = [
        (None, {"fields": [("title", "title_id"), "slug", ("series", "ordinal", "parent"), "related_meetings"]}),
        (
            _("When and where"),
            {"fields": [("start_date", "end_date"), ("venue", "timezone"), ("host_country", "chair_country")]},
        ),
        (
            _("Details"),
            {"fields": [("mode", "status", "access"), "theme", ("source_note", "source_note_review")]},
        ),
        # Folded, so a summit and its sessions fit in about two screens.
        (
            _("More details"),
            {
                "fields": [("participant_count", "official_url"), "description", ("source_url", "source_checked")],
                "classes": ["collapse"],
            },
        ),
        (_("Record"), {"fields": [("revision", "created", "updated")], "classes": ["collapse"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        # A meeting may be part of a summit the user may not see: the form leaves its parent out (and so
        # keeps it on save) rather than naming it.
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.parent_id or access.can_view(request.user, obj.parent):
            return fieldsets
        return [
            (name, {**options, "fields": [_without(line, "parent") for line in options["fields"]]})
            for name, options in fieldsets
        ]

    def get_urls(self):
        return recover_urls(self) + ics_import_urls(self) + super().get_urls()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent" and isinstance(field.widget, AutocompleteSelect):
            widget = PartOfAutocomplete(db_field, self.admin_site, using=kwargs.get("using"))
            widget.choices, widget.attrs = field.widget.choices, field.widget.attrs
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            widget.exclude = object_id if object_id and str(object_id).isdigit() else None
            field.widget = widget
        return field

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "meeting" and request.GET.get("field_name") == "parent":
            excluded = request.GET.get("exclude", "")
            meeting = Meeting.objects.filter(pk=excluded).first() if excluded.isdigit() else None
            if meeting is not None:
                queryset = queryset.exclude(pk__in={meeting.pk, *meeting.descendant_ids()})
            # Summits first: meetings that already have parts, then those that are part of nothing.
            has_parts = Exists(Meeting.objects.filter(parent=OuterRef("pk")))
            queryset = queryset.annotate(has_parts=has_parts).order_by(
                "-has_parts", F("parent").asc(nulls_first=True), "-start_date", "title"
            )
        return queryset, may_have_duplicates

    @admin.display(description=_("related meetings"))
    def related_meetings(self, meeting):
        """The summit week: this meeting's parts, and links adding one (SOM, ministers, CPR) prefilled."""
        if meeting.pk is None:
            return _("Save the meeting first; then add its related meetings (SOM, ministers, CPR) from here.")
        parts = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:events_meeting_change", args=[part.pk]), part)
                for part in access.visible(meeting.children.all(), getattr(meeting, "viewer", None))
            ),
        )
        adds = format_html_join(
            " ",
            '<a class="addlink related-add" href="{}">{}</a>',
            [
                *((related_meeting_url(meeting, series=series), series.abbreviation or series) for series in
                  related_series(meeting)),
                (related_meeting_url(meeting), _("another series")),
            ],
        )
        return format_html(
            '{}<div class="related-meeting-links">{} {}</div>', parts or _("None yet."), _("Add related meeting:"), adds
        )

    @admin.action(description=_("Duplicate as next edition"), permissions=["add"])
    def duplicate_as_next_edition(self, request, queryset):
        form = DuplicateEditionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            created, restricted = [], False
            try:
                with transaction.atomic():
                    for meeting in queryset.prefetch_related("sessions"):
                        copy = meeting.duplicate_as_next_edition(
                            shift_days=form.cleaned_data["shift_days"], user=request.user
                        )
                        restricted = restricted or copy.access != meeting.access
                        created.append(copy)
            except (IntegrityError, forms.ValidationError) as error:
                message = "; ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, _("Nothing was copied: %(error)s") % {"error": message}, messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext("Created %(count)d next edition.", "Created %(count)d next editions.", len(created))
                % {"count": len(created)},
                messages.SUCCESS,
            )
            if restricted:
                self.message_user(request, access.CREATED_RESTRICTED_NOTE, messages.WARNING)
            if len(created) == 1:
                return redirect("admin:events_meeting_change", created[0].pk)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Duplicate as next edition"),
            "form": form,
            "meetings": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/events/meeting/duplicate_edition.html", context)


@admin.register(Session)
class SessionAdmin(PolicyAdminMixin, SpreadsheetAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "meeting", "kind", "starts_on", "venue_time", "mode", "status", "access"]
    list_filter = ["kind", "mode", "status", "access", "meeting__series"]
    search_fields = ["title", "title_id", "meeting__title"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["meeting", "venue"]
    list_select_related = ["meeting", "venue"]
    form = SessionAdminForm
    readonly_fields = ["created", "updated"]  # the form carries `revision` for optimistic locking
    resource_classes = [SessionResource]

    class Media:
        js = [VENUE_ZONE_JS]
        css = VENUE_ZONE_CSS

    @admin.display(description=_("time at the venue"), ordering="start")
    def venue_time(self, session):
        if session.start is None:
            return "–"
        start = session.local_start
        text = start.strftime("%H:%M")
        if session.end is not None:
            text = f"{text}–{session.local_end.strftime('%H:%M')}"
        return f"{text} ({zone_label(session.timezone, start.date())})"


@admin.register(Series)
class SeriesAdmin(SimpleHistoryAdmin):
    form = RevisionCheckedForm
    list_display = ["name", "abbreviation", "organising_body"]
    search_fields = ["name", "name_id", "abbreviation"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Venue)
class VenueAdmin(SimpleHistoryAdmin):
    form = RevisionCheckedForm
    list_display = ["name", "city", "country", "timezone"]
    list_filter = ["country"]
    search_fields = ["name", "city"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.zone_view)
        return [path("zone/", view, name="events_venue_zone"), *super().get_urls()]

    def zone_view(self, request):
        """The zone session times are typed in: the venue's, else the meeting's, else the one typed on screen.

        admin/events/venue_zone.js asks here when a venue, meeting or zone is picked on a form.
        """
        zone_name = ""
        venue_id, meeting_id = request.GET.get("venue", ""), request.GET.get("meeting", "")
        if venue_id.isdigit():
            zone_name = Venue.objects.filter(pk=venue_id).values_list("timezone", flat=True).first() or ""
        if not zone_name and meeting_id.isdigit():
            meetings = Meeting.objects.visible_to(request.user).filter(pk=meeting_id)
            zone_name = meetings.values_list("timezone", flat=True).first() or ""
        if not zone_name and request.GET.get("zone", "") in known_zones():
            zone_name = request.GET["zone"]
        try:
            day = parse_date(request.GET.get("day", "")[:10])
        except ValueError:  # well formed but no such day, e.g. 2030-02-30
            day = None
        return JsonResponse({"timezone": zone_name, "label": zone_label(zone_name, day)})


@admin.register(OutcomeDocument)
class OutcomeDocumentAdmin(PolicyAdminMixin, SimpleHistoryAdmin):
    form = DocumentAdminForm
    list_display = ["title", "meeting", "kind", "status", "adopted_on", "language"]
    list_filter = ["kind", "status", "language", "meeting__series"]
    search_fields = ["title", "title_id", "meeting__title"]
    autocomplete_fields = ["meeting", "session"]
    list_select_related = ["meeting"]


class DelegationMemberInline(PolicyInlineMixin, admin.TabularInline):
    model = DelegationMember
    form = RevisionCheckedForm
    extra = 0
    autocomplete_fields = ["person"]
    filter_horizontal = ["sessions"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "sessions":
            delegation_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            delegation = (
                Delegation.objects.visible_to(request.user).filter(pk=delegation_id).first() if delegation_id else None
            )
            kwargs["queryset"] = (
                Session.objects.visible_to(request.user).filter(meeting=delegation.meeting_id)
                if delegation
                else Session.objects.none()
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Delegation)
class DelegationAdmin(PolicyAdminMixin, SimpleHistoryAdmin):
    form = DelegationAdminForm
    list_display = ["country", "meeting", "organisation"]
    list_filter = ["country", "meeting__series"]
    search_fields = ["meeting__title", "organisation", "members__person__name"]
    autocomplete_fields = ["meeting"]
    list_select_related = ["meeting"]
    inlines = [DelegationMemberInline]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    form = RevisionCheckedForm
    list_display = ["name", "country", "position"]
    list_filter = ["country"]
    search_fields = ["name", "position"]


@admin.register(Chairmanship)
class ChairmanshipAdmin(SimpleHistoryAdmin):
    form = RevisionCheckedForm
    list_display = ["body", "year", "country", "source_url"]
    list_filter = ["body"]


@admin.register(NetworkCity)
class NetworkCityAdmin(SimpleHistoryAdmin):
    form = RevisionCheckedForm
    list_display = ["name", "country", "series", "joined"]
    list_filter = ["series", "country"]
    search_fields = ["name"]


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created", "last_used", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["prefix", "created", "last_used"]
    fields = ["user", "name", "prefix", "created", "last_used", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            token, secret = FeedToken.issue(user=obj.user, name=obj.name)
            obj.pk = token.pk
            obj.token_hash, obj.prefix = token.token_hash, token.prefix
            obj._state.adding = False
            feed_url = request.build_absolute_uri(f"/feeds/private/{secret}.ics")
            self.message_user(
                request,
                _("Token created. Copy the feed address now, it is not shown again: %(url)s") % {"url": feed_url},
                messages.WARNING,
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()

def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect, only to objects the access policy lets the user see.

    Django's own (admin/r/…) redirects any staff user to any object's page, naming its slug.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.contenttypes.views import shortcut
    from django.http import Http404

    try:
        model = ContentType.objects.get(pk=int(content_type_id)).model_class()
        levelled = model is not None and model._meta.model_name in access.LEVELLED
        if levelled and not access.visible(model._default_manager.filter(pk=int(object_id)), request.user).exists():
            raise Http404
    except (ValueError, ContentType.DoesNotExist):
        raise Http404 from None
    return shortcut(request, content_type_id, object_id)


# Change alerts (issue 16): follows, alerts and the webhook delivery log.
from . import admin_alerts  # noqa: E402, F401
