"""Spreadsheet (CSV/XLSX) import and export of meetings and sessions.

Spreadsheets are edited by people, so rows name related rows the way people
do: series and meetings by slug, venues by name (or "name, city" where the
name alone is ambiguous, which is how a venue prints). Session times are
wall-clock times at the session's venue, in the zone of the `timezone` column.
Every row goes through the model's full_clean, exactly as in the admin.

Files are measured before they are parsed (events/uploads.py: size, zip bomb,
rows). Exported cells are formula-safe and imports undo the escape
(events/text.py), so importing our own export restores every text exactly.

Exports carry each row's `revision`. A sheet that brings it back is checked
like the admin form: a row whose record was saved by someone else after the
export is refused with what changed, by whom and when, and (all or nothing)
the file is not applied. A sheet without the column (typed by hand, or the
record's CSVs) updates by slug or id as it says.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources, widgets
from import_export.admin import ExportActionMixin, ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm

from . import access
from .forms import stranded_session_errors, validate_instant_range
from .history import describe_changes_since
from .middleware import known_zones
from .models import Meeting, Series, Session, Venue
from .slugs import SlugAllocator
from .text import from_spreadsheet_cell, spreadsheet_cell
from .timezones import local_instant
from .uploads import ZIP_MAGIC, check_row_count, check_spreadsheet, read_upload


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key by a human-readable unique field, with a readable error when it does not match.

    Only rows the importing user may see match: a hidden meeting is "not found", as on every other door.
    """

    def get_queryset(self, value, row, *args, **kwargs):
        queryset = super().get_queryset(value, row, *args, **kwargs)
        user = kwargs.get("user")
        return access.visible(queryset, user) if user is not None else queryset

    def clean(self, value, row=None, **kwargs):
        value = str(value).strip() if value is not None else ""
        if not value:
            return None
        try:
            return self.get_queryset(value, row, **kwargs).get(**{self.field: value})
        except self.model.DoesNotExist:
            raise ValueError(f"No {self.model._meta.verbose_name} with {self.field} “{value}”.") from None


class VenueWidget(widgets.ForeignKeyWidget):
    def __init__(self, **kwargs):
        super().__init__(Venue, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        matches = list(Venue.objects.filter(name=text)[:2])
        if len(matches) == 1:
            return matches[0]
        if ", " in text:
            name, city = text.rsplit(", ", 1)
            venue = Venue.objects.filter(name=name, city=city).first()
            if venue is not None:
                return venue
        if matches:
            raise ValueError(f"More than one venue is called “{text}”; write it as “name, city”.")
        raise ValueError(f"No venue called “{text}”.")

    def render(self, value, obj=None, **kwargs):
        return str(value) if value is not None else ""


class LocalDateTimeWidget(widgets.Widget):
    """A wall-clock time, read in the row's `timezone` column by the resource; or a time with its UTC offset."""

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, dt.datetime):
            value = self.parse(value)
        try:
            validate_instant_range(value)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        return value

    @staticmethod
    def parse(value):
        try:
            return dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(
                f"“{value}” is not a date and time; write it as YYYY-MM-DD HH:MM, local time at the venue."
            ) from None


def local_text(value, zone):
    if value is None:
        return ""
    local = value.astimezone(zone).replace(tzinfo=None)
    return local.isoformat(sep=" ", timespec="minutes" if local.second == 0 else "seconds")


class RelatedExportResource(resources.ModelResource):
    """Exports read the rows' foreign keys in the same query (one query whatever the row count).

    Every exported cell is formula-safe and every imported one restored (the one place both happen);
    `progress`, if set, is called once per imported row (the command line's progress bar).

    Imports ask events.access for every row when a user imports (the admin always says who): a row
    naming an item the user may not change is an error, reported in the dry run and never applied
    (one error rolls the whole file back); a new row without an access level starts at the user's
    default level (restricted unless they may publish).
    """

    export_related: tuple[str, ...] = ()
    progress = None

    def __init__(self, *, user=None, **kwargs):
        # Who exports (the admin passes the request's user): a row may name what they may not see.
        super().__init__(**kwargs)
        self.user = user

    # Exported for the stale-row check below; never written to the record (saves raise it).
    revision = fields.Field(attribute="revision", column_name="revision", readonly=True)

    def export(self, queryset=None, **kwargs):
        queryset = self.get_queryset() if queryset is None else queryset
        return super().export(queryset=queryset.select_related(*self.export_related), **kwargs)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return [spreadsheet_cell(value) for value in super().export_resource(instance, selected_fields, **kwargs)]

    def before_import(self, dataset, **kwargs):
        # CSV rows were counted on the bytes; an XLSX can only be counted once opened (its size is bounded by then).
        check_row_count(len(dataset))
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        for key, value in row.items():
            row[key] = from_spreadsheet_cell(value)
        super().before_import_row(row, **kwargs)

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if self.progress is not None:
            self.progress()

    def import_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        if user is not None and instance.pk is not None and not access.can_change(user, instance):
            raise ValidationError(
                {NON_FIELD_ERRORS: [f"You may not change this {instance._meta.verbose_name}; the row is not applied."]}
            )
        # After the policy: the message says what changed, which only someone who may change the row may read.
        if message := stale_row_error(instance, row):
            raise ValidationError({NON_FIELD_ERRORS: [message]})
        if user is None:
            return super().import_instance(instance, row, **kwargs)
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.pk is None and not str(row.get("access") or "").strip() and hasattr(instance, "access"):
            instance.access = access.default_level(user)
        if not errors and (message := access.save_error(user, instance)):
            errors["access" if hasattr(instance, "access") else NON_FIELD_ERRORS] = [message]
        if errors:
            raise ValidationError(errors)
        return None


def stale_row_error(instance, row):
    """Why the row may not be applied because its record changed after the sheet was exported, or None."""
    claimed = str(row.get("revision") or "").strip()
    if instance.pk is None or not claimed:
        return None
    if not (claimed.isascii() and claimed.isdigit()):
        return f"“{claimed[:20]}” is not a revision number; keep the column as it was exported."
    claimed = int(claimed)
    # Locked (PostgreSQL) so nobody saves between this check and the import's save, as in the admin form.
    current = type(instance).objects.select_for_update().filter(pk=instance.pk).values_list("revision", flat=True)
    current = current.first()
    if current == claimed:
        return None
    label = instance._meta.verbose_name
    message = (
        f"This {label} was saved by someone else after the sheet was exported (the sheet has revision {claimed}, "
        f"it is now at {current}); the file was not applied. Export again and redo this row's changes."
    )
    if changes := describe_changes_since(instance, claimed):
        message += " " + "; ".join(str(line) for line in changes) + "."
    return message


class MeetingResource(RelatedExportResource):
    export_related = ("series", "parent", "venue")

    series = fields.Field(attribute="series", column_name="series", widget=NaturalKeyWidget(Series, field="slug"))
    parent = fields.Field(attribute="parent", column_name="parent", widget=NaturalKeyWidget(Meeting, field="slug"))
    venue = fields.Field(attribute="venue", column_name="venue", widget=VenueWidget())

    class Meta:
        model = Meeting
        import_id_fields = ["slug"]
        fields = [
            "slug", "title", "title_id", "series", "ordinal", "parent", "start_date", "end_date", "venue",
            "timezone", "host_country", "chair_country", "theme", "mode", "status", "access", "participant_count",
            "official_url", "description", "source_url", "source_checked", "source_note", "revision",
        ]  # fmt: skip
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # One allocator per file: each distinct title costs one query however often it repeats.
        self.slugs = SlugAllocator(Meeting)

    def import_instance(self, instance, row, **kwargs):
        # The admin form's rule that is not the model's: sessions kept inside the dates.
        user = kwargs.get("user")
        # A parent the importer may not see was exported blank; a blank cell keeps it, as the admin form does.
        hidden_parent = instance.parent_id if instance.parent_id and not self._shows(instance.parent, user) else None
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if hidden_parent and instance.parent_id is None:
            instance.parent_id = hidden_parent
        if not instance.slug and instance.title and instance.start_date:
            instance.slug = instance.new_slug(getattr(self, "slugs", None))
        if not errors and (stranded := stranded_session_errors(meeting=instance)):
            errors[NON_FIELD_ERRORS] = stranded
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _shows(meeting, user):
        return user is None or access.can_view(user, meeting)

    def dehydrate_parent(self, meeting):
        return meeting.parent.slug if meeting.parent_id and self._shows(meeting.parent, self.user) else ""

    def dehydrate_host_country(self, meeting):
        return meeting.host_country.code or ""

    def dehydrate_chair_country(self, meeting):
        return meeting.chair_country.code or ""


class SessionResource(RelatedExportResource):
    export_related = ("meeting", "venue")

    meeting = fields.Field(attribute="meeting", column_name="meeting", widget=NaturalKeyWidget(Meeting, field="slug"))
    venue = fields.Field(attribute="venue", column_name="venue", widget=VenueWidget())
    start = fields.Field(attribute="start", column_name="start", widget=LocalDateTimeWidget())
    end = fields.Field(attribute="end", column_name="end", widget=LocalDateTimeWidget())
    # Read by import_instance (a session's zone is its venue's, not a column of its own); written on export.
    timezone = fields.Field(attribute="timezone", column_name="timezone", readonly=True)

    class Meta:
        model = Session
        import_id_fields = ["id"]
        fields = [
            "id", "meeting", "title", "title_id", "kind", "starts_on", "ends_on", "start", "end", "timezone",
            "venue", "room", "mode", "join_url", "join_passcode", "status", "access", "show_as_closed", "description",
            "revision",
        ]  # fmt: skip
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def import_instance(self, instance, row, **kwargs):
        """Times in the sheet are wall-clock times in the row's `timezone` column, or carry their UTC offset.

        A time with neither is refused: guessing the zone puts a session hours off without anyone noticing.
        """
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        zone_name = str(row.get("timezone") or "").strip()
        times = {name: getattr(instance, name) for name in ("start", "end")}
        naive = [name for name, value in times.items() if value is not None and value.tzinfo is None]
        if naive and not zone_name:
            for name in naive:
                errors.setdefault(name, []).append(
                    f"“{getattr(instance, name):%Y-%m-%d %H:%M}” has no time zone: fill the “timezone” column "
                    "(e.g. Asia/Makassar) or write the time with its UTC offset (e.g. 2023-05-10 09:00+08:00)."
                )
        elif naive and zone_name not in known_zones():
            errors.setdefault("timezone", []).append(f"“{zone_name[:64]}” is not a known IANA time zone.")
        else:
            for name in naive:
                value = getattr(instance, name)
                try:
                    setattr(instance, name, local_instant(value.date(), value.time(), zone_name))
                except ValidationError as error:
                    errors.setdefault(name, []).extend(error.messages)
        if errors:
            if times["start"] is not None and not instance.starts_on:
                instance.starts_on = times["start"].date()  # so the model's checks speak of the day, not of it
            for name in naive:
                setattr(instance, name, None)  # never left naive for the model's own checks
            raise ValidationError(errors)

    def dehydrate_start(self, session):
        return local_text(session.start, session.zone)

    def dehydrate_end(self, session):
        return local_text(session.end, session.zone)


class LimitedImportForm(ImportForm):
    """The admin's import form, refusing files over the limits before django-import-export parses them."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        check_spreadsheet(read_upload(upload))
        return upload


class SpreadsheetAdminMixin(ImportExportMixin, ExportActionMixin):
    """Import with dry-run preview and per-row errors; export of the filtered list or the selected rows."""

    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    import_form_class = LimitedImportForm

    def has_import_permission(self, request):
        return access.can_import(request.user, self.model)

    def has_export_permission(self, request):
        return access.can_export(request.user, self.model)

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def import_action(self, request, *args, **kwargs):
        if request.method == "GET" and hasattr(self.model, "access") and not access.can_publish(request.user):
            # Rows without an access level start restricted for this user; say so before they upload.
            messages.info(request, access.NEW_ROWS_RESTRICTED_NOTE)
        return super().import_action(request, *args, **kwargs)

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # All or nothing: one invalid row rolls back the whole file, also at the confirm step.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs


RESOURCES = {"meetings": MeetingResource, "sessions": SessionResource}


def import_spreadsheet(*, data, resource, dry_run=False, user=None, progress=None):
    """Import CSV or XLSX bytes with the admin's resource and rules, all or nothing; returns import-export's Result.

    Raises ValidationError, before parsing, for a file over the limits (events/uploads.py).
    `progress(total)` may return a callable that is called once per imported row (a progress bar).
    """
    check_spreadsheet(data)
    if data.startswith(ZIP_MAGIC):
        dataset = XLSX().create_dataset(data)
    else:
        dataset = CSV().create_dataset(data.decode("utf-8-sig"))
    importer = RESOURCES[resource]()
    importer.progress = progress(len(dataset)) if progress else None
    return importer.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        rollback_on_validation_errors=True,
        use_transactions=True,
        user=user,
    )


def result_problems(result, *, limit=20):
    """'row 3: title: …' for the first `limit` problems of an import Result."""
    problems = [f"{error.error}" for error in result.base_errors]
    for row in result.invalid_rows:
        for field, texts in row.field_specific_errors.items():
            problems.append(f"row {row.number}: {field}: {' '.join(str(m) for m in texts)}")
        problems.extend(f"row {row.number}: {m}" for m in row.non_field_specific_errors)
    for number, errors in result.row_errors():
        problems.extend(f"row {number}: {error.error}" for error in errors)
    return problems[:limit]
