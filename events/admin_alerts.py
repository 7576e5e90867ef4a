"""Admin for change alerts: follows, the email alerts owed, and the webhook delivery log."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .follows import Alert, AlertProfile, Change, DeliveryStatus, Follow, WebhookDelivery


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "target_label", "cadence", "email", "webhook_url", "created"]
    list_filter = ["cadence", "email"]
    search_fields = ["user__username", "user__email", "meeting__title", "series__name", "query"]
    raw_id_fields = ["user", "meeting", "series"]
    list_select_related = ["user", "meeting", "series"]


@admin.register(AlertProfile)
class AlertProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "timezone", "digest_due"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["what", "object_id", "meeting_ref", "created", "fanned_out"]
    list_filter = ["what"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description=_("Retry now"))
def retry_now(modeladmin, request, queryset):
    from .alerts import deliver

    users = set()
    for row in queryset.exclude(status=DeliveryStatus.SENT):
        users.add(row.user_id if isinstance(row, Alert) else row.follow.user_id)
    queryset.exclude(status=DeliveryStatus.SENT).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
    if users:
        deliver.enqueue(sorted(users))


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["user", "change", "cadence", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "cadence"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user", "change"]
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = [retry_now]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every post to every endpoint, its answer and its retries."""

    list_display = ["endpoint", "change", "status", "response_status", "attempts", "next_attempt_at", "sent_at",
                    "last_error"]  # fmt: skip
    list_filter = ["status", "response_status"]
    search_fields = ["follow__webhook_url", "follow__user__username"]
    list_select_related = ["follow", "change"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = [retry_now]

    @admin.display(description=_("endpoint"), ordering="follow__webhook_url")
    def endpoint(self, delivery):
        return delivery.follow.webhook_url

    def has_add_permission(self, request):
        return False
