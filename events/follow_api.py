"""`/api/v1/follows/`: a signed-in user's follows (issue 16). List, create, read, delete; nothing else."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets

from . import webhooks
from .follows import Cadence, Follow, resolve_target


class FollowSerializer(serializers.ModelSerializer):
    meeting = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="A meeting's slug.")
    series = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="A series' slug.")
    delegation = serializers.CharField(
        required=False, allow_blank=True, max_length=2, help_text="A country code: the country's delegations."
    )
    query = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="The meeting list's query string."
    )
    cadence = serializers.ChoiceField(choices=Cadence.choices, default=Cadence.IMMEDIATE)
    kind = serializers.CharField(read_only=True)
    target = serializers.CharField(source="target_label", read_only=True)
    webhook_secret = serializers.SerializerMethodField(
        help_text="Shown once, in the answer that creates a follow with a webhook_url."
    )

    class Meta:
        model = Follow
        fields = [
            "id", "kind", "target", "meeting", "series", "delegation", "query", "cadence", "email",
            "webhook_url", "webhook_secret", "created",
        ]  # fmt: skip
        read_only_fields = ["id", "created"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_webhook_secret(self, follow):
        return follow.webhook_secret if self.context.get("show_secret") else None

    def to_representation(self, follow):
        data = super().to_representation(follow)
        data["meeting"] = follow.meeting.slug if follow.meeting_id else None
        data["series"] = follow.series.slug if follow.series_id else None
        data["delegation"] = follow.country.code if follow.country else None
        data["query"] = follow.query or None
        return data

    def validate_webhook_url(self, value):
        if value:
            try:
                webhooks.check_endpoint(value)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from error
        return value

    def validate(self, attrs):
        user = self.context["request"].user
        try:
            target = resolve_target(
                user=user,
                meeting=attrs.pop("meeting", ""),
                series=attrs.pop("series", ""),
                delegation=attrs.pop("delegation", ""),
                query=attrs.pop("query", ""),
            )
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            raise serializers.ValidationError(detail) from error
        if Follow.objects.filter(user=user, **target).exists():
            raise serializers.ValidationError({"non_field_errors": [gettext("You already follow this.")]})
        return {**attrs, **target}


class FollowViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in user's follows; other users' follows do not exist here (404)."""

    serializer_class = FollowSerializer
    permission_classes = [permissions.IsAuthenticated]

    queryset = Follow.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Follow.objects.none()
        return Follow.objects.filter(user=self.request.user).select_related("meeting", "series")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_secret"] = self.action == "create"
        return context

    def perform_create(self, serializer):
        try:
            with transaction.atomic():
                serializer.save(user=self.request.user)
        except IntegrityError as error:
            # Two identical requests at once: the database's unique constraint decides.
            raise serializers.ValidationError({"non_field_errors": [gettext("You already follow this.")]}) from error
