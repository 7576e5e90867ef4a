"""Views and routes of the JSON API: /api/v1/, the OpenAPI schema and its docs.

Everybody reads what `visible_to(user)` lets them see; staff with the model
permission write, through the models' own validation. Every writable row
(series, meetings, sessions, documents) carries its revision as ETag; a write with a stale `If-Match` gets 412 and a
stale `revision` in the body gets 409. An update (PUT/PATCH) that carries
neither gets 428: like the admin form, which always posts the revision it
was loaded at, a client must say which revision it edits, or it could
silently overwrite someone else's save. A DELETE may go without (deleted
meetings can be restored from their history).
"""

import django_filters
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, ProtectedError
from django.urls import include, path
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from knox import views as knox_views
from rest_framework import permissions, routers, serializers, viewsets
from rest_framework.exceptions import APIException
from rest_framework.filters import OrderingFilter

from . import access, filters
from .api import TokenAuthentication
from .follow_api import FollowViewSet
from .models import Delegation, DelegationMember, Meeting, OutcomeDocument, Series, Session
from .serializers import (
    Conflict,
    DelegationSerializer,
    DocumentSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    SeriesSerializer,
    SessionSerializer,
)


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = "If-Match does not match the current revision; reload and try again."
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = (
        "Say which revision you are changing: send If-Match with the ETag you read, or the `revision` field."
    )
    default_code = "precondition_required"


class StableOrderingFilter(OrderingFilter):
    """Pages must not shuffle rows that tie on the ordering, so pk always breaks ties."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(term.lstrip("-") in {"pk", "id"} for term in ordering):
            ordering.append("pk")
        return ordering


class StaffWritePermission(permissions.DjangoModelPermissions):
    """Reading is open (the querysets decide what is visible); writing needs staff and the admin's permission."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and super().has_permission(request, view))

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return access.can_view(request.user, obj)
        if request.method == "DELETE":
            return access.can_delete(request.user, obj)
        return access.can_change(request.user, obj)


class DelegationFilter(django_filters.FilterSet):
    meeting = django_filters.CharFilter(field_name="meeting__slug", max_length=150)
    series = django_filters.CharFilter(field_name="meeting__series__slug", max_length=100)
    country = filters.CountryFilter(fields=("country",))

    class Meta:
        model = Delegation
        fields = ["meeting", "series", "country"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(filters._uppercase_country(data), *args, **kwargs)


STALE_RESPONSES = {
    409: OpenApiResponse(description="The body's `revision` is stale; the message says what changed."),
    412: OpenApiResponse(description="`If-Match` does not match the current revision."),
}
UPDATE_RESPONSES = {
    **STALE_RESPONSES,
    428: OpenApiResponse(description="Neither `If-Match` nor `revision` was sent; it could be a lost update."),
}


class BaseViewSet(viewsets.ModelViewSet):
    permission_classes = [StaffWritePermission]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrderingFilter]

    def perform_create(self, serializer):
        self._save(serializer)
        self.policy_note = getattr(serializer, "policy_note", None)

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        if note := getattr(self, "policy_note", None):
            response.data["note"] = note
        return response

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        # full_clean has run; a race or a trigger can still refuse the row, which is the client's 400, not our 500.
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError as error:
            raise serializers.ValidationError(
                {"non_field_errors": [f"The database refused the change: {error}".strip()]}
            ) from error

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError as error:
            names = sorted({str(obj) for obj in error.protected_objects})[:10]
            raise Conflict(
                {"detail": f"Cannot delete {instance}: still referenced by " + "; ".join(names) + "."}
            ) from error


class RevisionedViewSet(BaseViewSet):
    """Detail responses carry `ETag: "<revision>"`; writes honour `If-Match`."""

    def get_queryset(self):
        queryset = self.base_queryset()
        if self.request.method not in permissions.SAFE_METHODS:
            # Hold the row from the revision check to the save, so two writers cannot both pass the check.
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def get_object(self):
        obj = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS:
            check_if_match(self.request, obj.revision)
        if self.request.method in {"PUT", "PATCH"} and not self.request.headers.get("If-Match"):
            data = self.request.data
            if not (isinstance(data, dict) and "revision" in data):
                raise PreconditionRequired()
        return obj

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.detail and isinstance(getattr(response, "data", None), dict) and "revision" in response.data:
            response["ETag"] = f'"{response.data["revision"]}"'
        return response

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)


def check_if_match(request, revision):
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")}
    if str(revision) not in tags:
        raise PreconditionFailed(
            f'If-Match {header.strip()} does not match the current revision "{revision}"; reload and try again.'
        )


@extend_schema_view(
    update=extend_schema(responses={200: SeriesSerializer, **UPDATE_RESPONSES}),
    partial_update=extend_schema(responses={200: SeriesSerializer, **UPDATE_RESPONSES}),
    destroy=extend_schema(responses={204: None, **STALE_RESPONSES}),
)
class SeriesViewSet(RevisionedViewSet):
    serializer_class = SeriesSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering_fields = ["name", "slug", "abbreviation", "pk"]
    ordering = ["name", "pk"]
    filterset_fields = []

    def base_queryset(self):
        return Series.objects.all()


@extend_schema_view(
    update=extend_schema(responses={200: MeetingSerializer, **UPDATE_RESPONSES}),
    partial_update=extend_schema(responses={200: MeetingSerializer, **UPDATE_RESPONSES}),
    destroy=extend_schema(responses={204: None, **STALE_RESPONSES}),
)
class MeetingViewSet(RevisionedViewSet):
    filterset_class = filters.MeetingFilter
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering_fields = ["start_date", "end_date", "title", "ordinal", "updated", "pk"]
    ordering = ["start_date", "end_date", "title", "pk"]

    def get_serializer_class(self):
        return MeetingDetailSerializer if self.action == "retrieve" else MeetingSerializer

    def base_queryset(self):
        queryset = Meeting.objects.visible_to(self.request.user).select_related("series", "venue", "parent")
        if self.action == "retrieve":
            sessions = (
                Session.objects.visible_to(self.request.user)
                .select_related("venue")
                .order_by("starts_on", "start", "title", "pk")
            )
            queryset = queryset.prefetch_related(
                Prefetch("sessions", queryset=sessions, to_attr="visible_sessions"),
                Prefetch(
                    "documents",
                    queryset=OutcomeDocument.objects.visible_to(self.request.user).order_by("kind", "title", "pk"),
                ),
            )
        return queryset


@extend_schema_view(
    update=extend_schema(responses={200: SessionSerializer, **UPDATE_RESPONSES}),
    partial_update=extend_schema(responses={200: SessionSerializer, **UPDATE_RESPONSES}),
    destroy=extend_schema(responses={204: None, **STALE_RESPONSES}),
)
class SessionViewSet(RevisionedViewSet):
    serializer_class = SessionSerializer
    filterset_class = filters.SessionFilter
    ordering_fields = ["starts_on", "start", "title", "updated", "pk"]
    ordering = ["starts_on", "start", "title", "pk"]

    def base_queryset(self):
        return Session.objects.visible_to(self.request.user).select_related("meeting", "venue")


@extend_schema_view(
    update=extend_schema(responses={200: DocumentSerializer, **UPDATE_RESPONSES}),
    partial_update=extend_schema(responses={200: DocumentSerializer, **UPDATE_RESPONSES}),
    destroy=extend_schema(responses={204: None, **STALE_RESPONSES}),
)
class DocumentViewSet(RevisionedViewSet):
    serializer_class = DocumentSerializer
    filterset_class = filters.DocumentFilter
    ordering_fields = ["title", "kind", "status", "adopted_on", "meeting__start_date", "pk"]
    ordering = ["meeting__start_date", "kind", "title", "pk"]

    def base_queryset(self):
        return OutcomeDocument.objects.visible_to(self.request.user).select_related("meeting")


class DelegationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DelegationSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrderingFilter]
    filterset_class = DelegationFilter
    ordering_fields = ["country", "meeting__start_date", "pk"]
    ordering = ["meeting__start_date", "country", "pk"]

    def get_queryset(self):
        user = self.request.user
        return (
            Delegation.objects.visible_to(user)
            .select_related("meeting")
            .prefetch_related(
                Prefetch(
                    "members",
                    queryset=DelegationMember.objects.select_related("person").prefetch_related(
                        Prefetch("sessions", queryset=Session.objects.visible_to(user).only("pk"))
                    ),
                )
            )
        )


class TokenScheme(KnoxTokenScheme):
    """Our TokenAuthentication is knox's with one more refusal; the schema describes it the same way."""

    target_class = "events.api.TokenAuthentication"
    match_subclasses = True


class TokenRevokeView(knox_views.LogoutView):
    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None}, description="Revoke the token this request carries.")
    def post(self, request, format=None):  # noqa: A002 - knox's signature
        return super().post(request, format)


class AllTokensRevokeView(knox_views.LogoutAllView):
    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None}, description="Revoke every API token of this user.")
    def post(self, request, format=None):  # noqa: A002 - knox's signature
        return super().post(request, format)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local static files; its init script is a separate URL, so CSP needs no 'unsafe-inline'."""

    template_name = "events/api_docs.html"


router = routers.DefaultRouter()
router.register("series", SeriesViewSet, basename="series")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("sessions", SessionViewSet, basename="session")
router.register("documents", DocumentViewSet, basename="document")
router.register("delegations", DelegationViewSet, basename="delegation")
router.register("follows", FollowViewSet, basename="follow")

urlpatterns = [
    # A client revokes its own token (or all of its user's); tokens are issued by `manage.py issue_api_token`.
    path("v1/auth/logout/", TokenRevokeView.as_view(), name="api_token_revoke"),
    path("v1/auth/logoutall/", AllTokensRevokeView.as_view(), name="api_token_revoke_all"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", DocsView.as_view(url_name="events:api_schema"), name="api_docs"),
]
