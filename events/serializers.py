"""Serializers of the JSON API.

Instants are rendered in UTC (`start`, `end`) and again as venue wall-clock
time with its offset (`local_start`, `local_end`), beside the IANA zone name,
so a client never has to guess which zone a time was set in.
"""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings

from . import access
from .forms import stranded_session_errors, validate_instant_range
from .history import changed_fields_since
from .middleware import known_zones
from .models import (
    Delegation,
    DelegationMember,
    Meeting,
    OutcomeDocument,
    Series,
    Session,
    Venue,
)
from .timezones import local_instant


class Conflict(APIException):
    status_code = 409
    default_detail = "The record was changed by someone else."
    default_code = "conflict"

    def __init__(self, detail=None, code=None):
        super().__init__(detail, code)
        if isinstance(detail, dict):
            # Keep numbers as numbers (APIException would turn every value into a string).
            self.detail = detail


class LocalDateTimeField(serializers.DateTimeField):
    """An aware datetime as it is, with its own offset (DRF would convert it to the server zone)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.isoformat() if value else None


class VenueLocalDateTimeField(serializers.DateTimeField):
    """An instant written with its UTC offset, or as a wall-clock time read in the request's `timezone`.

    DRF would read a time without an offset in the server's zone (UTC); here it stays naive until the
    serializer knows the zone, and is refused if none is given.
    """

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            return value
        return super().enforce_timezone(value)


class NaturalKeyField(serializers.SlugRelatedField):
    """A related row by its slug; a NUL character (which PostgreSQL cannot even compare) is a 400, not a 500."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value="(contains a NUL character)")
        return super().to_internal_value(data)


class HtmlUrlField(serializers.ReadOnlyField):
    """Absolute address of the item's public page."""

    def __init__(self, **kwargs):
        super().__init__(source="get_absolute_url", **kwargs)

    def to_representation(self, value):
        request = self.context.get("request")
        return request.build_absolute_uri(value) if request else value


extend_schema_field({"type": "string", "format": "uri"})(HtmlUrlField)


class ModelCleanMixin:
    """Runs the model's full_clean and asks events.access, so the API enforces exactly the admin's rules.

    A new item whose access level the client leaves out starts at the user's default level (restricted
    unless they may publish); `policy_note` then says who may publish it, and the view adds it as `note`.
    """

    policy_note = None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.pop("revision", None)
        user = self.request_user()
        model = self.Meta.model
        if self.instance is None and hasattr(model, "access") and "access" not in attrs and user is not None:
            attrs["access"] = access.default_level(user)
            if attrs["access"] != model._meta.get_field("access").default:
                self.policy_note = str(access.CREATED_RESTRICTED_NOTE)
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.full_clean()
            self.validate_candidate(candidate)
            if user is not None and (message := access.save_error(user, candidate)):
                raise DjangoValidationError({"access" if hasattr(model, "access") else NON_FIELD_ERRORS: [message]})
        except DjangoValidationError as error:
            raise serializers.ValidationError(self.field_errors(error)) from error
        return attrs

    def request_user(self):
        request = self.context.get("request")
        return getattr(request, "user", None) if request is not None else None

    def validate_candidate(self, candidate):
        """Rules beyond the model's own that the admin also applies; raise Django's ValidationError."""

    def field_errors(self, error):
        """Model field names to serializer field names (`venue` is written as `venue_id`)."""
        by_source = {field.source: name for name, field in self.fields.items() if not field.read_only}
        if not hasattr(error, "error_dict"):
            return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
        result = {}
        for name, messages in error.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else by_source.get(name, name)
            result.setdefault(key, []).extend(messages)
        return result


class RevisionMixin(serializers.Serializer):
    """`revision` is the optimistic-locking token: a write that carries an old one is refused."""

    revision = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="Current revision. Send back the one you read; a stale one gets 409 Conflict.",
    )

    def validate_revision(self, value):
        if self.instance is not None and value != self.instance.revision:
            raise Conflict(stale_revision_message(self.instance, value))
        return value


def stale_revision_message(instance, claimed):
    label = instance._meta.verbose_name
    changed = changed_fields_since(instance, claimed)
    message = f"This {label} was changed by someone else since revision {claimed}; it is now at revision "
    message += f"{instance.revision}."
    if changed:
        message += " Changed: " + ", ".join(changed) + "."
    return {
        "detail": message + " Reload it and apply your edit again.",
        "current_revision": instance.revision,
        "changed_fields": changed,
    }


class VenueSerializer(CountryFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "city", "country", "timezone", "address"]


class SeriesSerializer(ModelCleanMixin, RevisionMixin, serializers.ModelSerializer):
    html_url = HtmlUrlField()

    class Meta:
        model = Series
        fields = [
            "id", "slug", "name", "name_id", "abbreviation", "organising_body", "description", "color", "revision",
            "html_url",
        ]  # fmt: skip


class SessionSerializer(ModelCleanMixin, RevisionMixin, serializers.ModelSerializer):
    meeting = NaturalKeyField(slug_field="slug", queryset=Meeting.objects.all())
    venue = VenueSerializer(read_only=True, allow_null=True)
    venue_id = serializers.PrimaryKeyRelatedField(
        source="venue", queryset=Venue.objects.all(), allow_null=True, required=False, write_only=True
    )
    timezone = serializers.CharField(
        required=False,
        max_length=64,
        help_text=(
            "IANA zone: the venue's, else the meeting's. On writes, the zone of a `start` or `end` given "
            "without a UTC offset (wall-clock time there); a time with neither an offset nor a zone is refused."
        ),
    )
    start = VenueLocalDateTimeField(required=False, allow_null=True, validators=[validate_instant_range])
    end = VenueLocalDateTimeField(
        required=False, allow_null=True, validators=[validate_instant_range], help_text="Empty if not announced."
    )
    local_start = LocalDateTimeField(help_text="Start as wall-clock time at the venue, with its UTC offset.")
    local_end = LocalDateTimeField(help_text="End as wall-clock time at the venue, with its UTC offset.")
    html_url = HtmlUrlField()

    class Meta:
        model = Session
        fields = [
            "id", "meeting", "title", "title_id", "kind", "starts_on", "ends_on", "start", "end", "timezone",
            "local_start", "local_end", "venue", "venue_id", "room", "mode", "join_url", "join_passcode", "status",
            "access", "show_as_closed", "description", "revision", "html_url",
        ]  # fmt: skip
        extra_kwargs = {
            "starts_on": {"required": False},
            "ends_on": {"required": False},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "meeting" in self.fields:
            self.fields["meeting"].queryset = Meeting.objects.visible_to(request.user)

    def validate(self, attrs):
        zone_name = attrs.pop("timezone", None)
        naive = [n for n in ("start", "end") if attrs.get(n) is not None and timezone.is_naive(attrs[n])]
        if zone_name is not None and zone_name not in known_zones():
            raise serializers.ValidationError({"timezone": [f"“{zone_name}” is not a known IANA time zone."]})
        if naive and zone_name is None:
            raise serializers.ValidationError(
                {
                    name: [
                        "This time has no UTC offset: add one (e.g. 2023-05-10T09:00:00+08:00) or give "
                        "`timezone`, the IANA zone it is a wall-clock time in (e.g. Asia/Makassar)."
                    ]
                    for name in naive
                }
            )
        errors = {}
        for name in naive:
            try:
                attrs[name] = local_instant(attrs[name].date(), attrs[name].time(), zone_name)
            except DjangoValidationError as error:
                errors[name] = error.messages
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Which sessions a user sees is decided by Session.objects.visible_to(), which every view serializing
        # sessions reads from; of those, the policy says who gets the join details.
        if not access.sees_join_details(getattr(self.context.get("request"), "user", None)):
            for name in access.JOIN_FIELDS:
                data.pop(name, None)
        return data


class DocumentSerializer(ModelCleanMixin, RevisionMixin, serializers.ModelSerializer):
    meeting = NaturalKeyField(slug_field="slug", queryset=Meeting.objects.all())
    link = serializers.SerializerMethodField(help_text="The document's URL, or the address of its file.")
    file = serializers.SerializerMethodField(help_text="Address of the uploaded file (served to those who may see it).")

    class Meta:
        model = OutcomeDocument
        fields = [
            "id", "meeting", "session", "title", "title_id", "kind", "status", "adopted_on", "url", "file", "link",
            "language", "summary", "source_url", "source_note", "revision",
        ]  # fmt: skip

    def _absolute(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request and path.startswith("/") else path

    def get_file(self, document) -> str | None:
        return self._absolute(document.file_url) if document.file else None

    def get_link(self, document) -> str:
        return self._absolute(document.link)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "meeting" in self.fields:
            self.fields["meeting"].queryset = Meeting.objects.visible_to(request.user)
            self.fields["session"].queryset = Session.objects.visible_to(request.user)


class MeetingSerializer(CountryFieldMixin, ModelCleanMixin, RevisionMixin, serializers.ModelSerializer):
    series = NaturalKeyField(slug_field="slug", queryset=Series.objects.all())
    parent = NaturalKeyField(slug_field="slug", queryset=Meeting.objects.all(), allow_null=True, required=False)
    venue = VenueSerializer(read_only=True, allow_null=True)
    venue_id = serializers.PrimaryKeyRelatedField(
        source="venue", queryset=Venue.objects.all(), allow_null=True, required=False, write_only=True
    )
    html_url = HtmlUrlField()

    class Meta:
        model = Meeting
        fields = [
            "id", "slug", "title", "title_id", "series", "ordinal", "parent", "start_date", "end_date", "timezone",
            "venue", "venue_id", "host_country", "chair_country", "theme", "mode", "status", "access",
            "participant_count", "official_url", "description", "source_url", "source_checked", "source_note",
            "revision", "html_url",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "parent" in self.fields:
            self.fields["parent"].queryset = Meeting.objects.visible_to(request.user)

    def validate_candidate(self, candidate):
        if stranded := stranded_session_errors(meeting=candidate):
            raise DjangoValidationError({NON_FIELD_ERRORS: stranded})

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # A visible meeting may be part of a summit the reader may not see: never name it.
        user = self.request_user()
        if data.get("parent") and (instance.parent is None or not access.can_view(user, instance.parent)):
            data["parent"] = None
        return data


class MeetingDetailSerializer(MeetingSerializer):
    sessions = SessionSerializer(many=True, read_only=True, source="visible_sessions")
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "sessions", "documents"]


class DelegationMemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    position = serializers.CharField(source="person.position", read_only=True)
    sessions = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Session ids attended; empty means all of the meeting's sessions."
    )

    class Meta:
        model = DelegationMember
        fields = ["name", "position", "role", "is_head", "attendance", "sessions"]


class DelegationSerializer(CountryFieldMixin, serializers.ModelSerializer):
    meeting = NaturalKeyField(slug_field="slug", read_only=True)
    members = DelegationMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Delegation
        fields = ["id", "meeting", "country", "organisation", "note", "members"]
