"""Change alerts (issue 16): who follows what, and what is owed to whom.

A `Follow` names exactly one target (a meeting, a series, a delegation's country
or a saved list filter). Every saved historical record of a meeting, session or
outcome document becomes a `Change`; fanning it out writes one `Alert` per
follower and change (unique: a retried fan-out cannot alert twice) and one
`WebhookDelivery` per follow with an endpoint and change. The rows are the
durable state; the task engine (events.alerts) only moves them along.

Imported at the end of events.models, so these are ordinary models of the app.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .models import TIMEZONE_SHAPE, Meeting, validate_timezone
from .reference import Series

MAX_QUERY_LENGTH = 500
# Parameters of a list page that do not select meetings.
IGNORED_QUERY_PARAMETERS = {"page", "page_size", "tz", "ordering"}


class Cadence(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")


class AlertProfile(models.Model):
    """A follower's language and zone, and the bookkeeping that keeps their alerts in order."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_profile", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("Times in alerts are shown in this zone; empty shows each meeting's own (the venue's)."),
    )
    # When the next daily digest is due; empty while none is scheduled.
    digest_due = models.DateTimeField(_("next digest"), null=True, blank=True)
    # One sender at a time per follower keeps their alerts in order.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(timezone="") | Q(timezone__regex=TIMEZONE_SHAPE), name="alertprofile_timezone_shape"
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]), name="alertprofile_language"
            ),
        ]

    def __str__(self):
        return str(self.user)

    def get_absolute_url(self):
        return reverse("events:follows")

    @classmethod
    def for_user(cls, user):
        profile, _created = cls.objects.get_or_create(user=user)
        return profile


class FollowQuerySet(models.QuerySet):
    def for_meeting(self, *, meeting_ids, series_ids, countries, query_follow_ids):
        """Follows a change to meetings `meeting_ids` concerns: the meeting's own, its series', its
        delegations' countries', and the saved filters already found to match."""
        return self.filter(
            Q(meeting_id__in=meeting_ids)
            | Q(series_id__in=series_ids)
            | Q(country__in=countries)
            | Q(pk__in=query_follow_ids)
        )


class Follow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows", verbose_name=_("user")
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="follows", verbose_name=_("meeting")
    )
    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, null=True, blank=True, related_name="follows", verbose_name=_("series")
    )
    country = CountryField(_("delegation"), blank=True)
    query = models.CharField(
        _("filter"), max_length=MAX_QUERY_LENGTH, blank=True, help_text=_("The meeting list's query string.")
    )
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.IMMEDIATE)
    email = models.BooleanField(_("email alerts"), default=True)
    webhook_url = models.URLField(_("webhook endpoint"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=64, blank=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(meeting__isnull=False) & Q(series__isnull=True) & Q(country="") & Q(query=""))
                    | (Q(meeting__isnull=True) & Q(series__isnull=False) & Q(country="") & Q(query=""))
                    | (Q(meeting__isnull=True) & Q(series__isnull=True) & ~Q(country="") & Q(query=""))
                    | (Q(meeting__isnull=True) & Q(series__isnull=True) & Q(country="") & ~Q(query=""))
                ),
                name="follow_exactly_one_target",
            ),
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="follow_cadence_known"),
            models.UniqueConstraint(
                fields=["user", "meeting"], condition=Q(meeting__isnull=False), name="follow_unique_meeting"
            ),
            models.UniqueConstraint(
                fields=["user", "series"], condition=Q(series__isnull=False), name="follow_unique_series"
            ),
            models.UniqueConstraint(fields=["user", "country"], condition=~Q(country=""), name="follow_unique_country"),
            models.UniqueConstraint(fields=["user", "query"], condition=~Q(query=""), name="follow_unique_query"),
        ]
        indexes = [models.Index(fields=["country"], name="follow_country")]

    def __str__(self):
        return f"{self.user} → {self.target_label}"

    def get_absolute_url(self):
        return reverse("events:follows")

    @property
    def kind(self):
        if self.meeting_id:
            return "meeting"
        if self.series_id:
            return "series"
        if self.country:
            return "delegation"
        return "query"

    @property
    def kind_label(self):
        return {"meeting": _("meeting"), "series": _("series"), "delegation": _("delegation"), "query": _("filter")}[
            self.kind
        ]

    @property
    def target_label(self):
        if self.meeting_id:
            return self.meeting.localized_title
        if self.series_id:
            return self.series.localized_name
        if self.country:
            return str(self.country.name)
        return self.query

    @property
    def target_url(self):
        if self.meeting_id:
            return self.meeting.get_absolute_url()
        if self.series_id:
            return self.series.get_absolute_url()
        if self.country:
            return reverse("events:delegation_detail", kwargs={"country": self.country.code})
        return f"{reverse('events:meeting_list')}?{self.query}"

    def save(self, *args, **kwargs):
        if self.webhook_url and not self.webhook_secret:
            self.webhook_secret = secrets.token_hex(32)
        super().save(*args, **kwargs)


def normalize_query(raw):
    """A list page's query string in one canonical form, so one filter is followed once."""
    data = QueryDict(raw.lstrip("?"), mutable=True)
    pairs = sorted(
        (key, value)
        for key in data
        if key not in IGNORED_QUERY_PARAMETERS
        for value in data.getlist(key)
        if value.strip()
    )
    normalized = QueryDict(mutable=True)
    for key, value in pairs:
        normalized.appendlist(key, value.strip())
    return normalized.urlencode()


class Change(models.Model):
    """One saved historical record of a meeting, session, document or delegation, waiting to be fanned out."""

    class What(models.TextChoices):
        MEETING = "meeting", _("meeting")
        SESSION = "session", _("session")
        DOCUMENT = "document", _("outcome document")
        DELEGATION = "delegation", _("delegation")

    what = models.CharField(_("what"), max_length=10, choices=What.choices)
    object_id = models.BigIntegerField(_("object"))
    history_id = models.BigIntegerField(_("history record"))
    # The meeting the item belonged to when it changed; kept as a number so the change outlives it.
    meeting_ref = models.BigIntegerField(_("meeting"), null=True)
    created = models.DateTimeField(_("changed"), default=timezone.now, db_index=True)
    fanned_out = models.DateTimeField(_("fanned out"), null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        constraints = [models.UniqueConstraint(fields=["what", "history_id"], name="change_unique_record")]

    def __str__(self):
        return f"{self.what} {self.object_id} ({self.created:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        if self.meeting_ref:
            meeting = Meeting.objects.filter(pk=self.meeting_ref).only("slug").first()
            if meeting:
                return meeting.get_absolute_url()
        return reverse("events:changes")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Alert(models.Model):
    """What one follower is owed about one change, by email. Unique per follower × change."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("follower")
    )
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("change"))
    follow = models.ForeignKey(
        Follow, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts", verbose_name=_("follow")
    )
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["user_id", "change__created", "change_id"]
        verbose_name = _("email alert")
        verbose_name_plural = _("email alerts")
        constraints = [models.UniqueConstraint(fields=["user", "change"], name="alert_unique_follower_change")]
        indexes = [models.Index(fields=["status", "cadence", "user"], name="alert_pending")]

    def __str__(self):
        return f"{self.user} ← {self.change}"

    def get_absolute_url(self):
        return self.change.get_absolute_url()


class WebhookDelivery(models.Model):
    """One change posted to one follow's endpoint. Unique per follow × change."""

    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("follow"))
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("change"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["follow", "change"], name="webhook_unique_follow_change")]
        indexes = [models.Index(fields=["status", "follow"], name="webhook_pending")]

    def __str__(self):
        return f"{self.follow} ← {self.change}"

    def get_absolute_url(self):
        return reverse("admin:events_webhookdelivery_change", args=[self.pk])


def resolve_target(*, user, meeting="", series="", delegation="", query=""):
    """The one target of a new follow as model field values; ValidationError (by field) when it is not exactly one
    known target that `user` may see. Shared by the follow button's form and the API."""
    from django.core.exceptions import ValidationError
    from django_countries import countries

    from .filters import MeetingFilter

    given = {name: value for name, value in (("meeting", meeting), ("series", series), ("delegation", delegation),
                                              ("query", query)) if value not in (None, "")}  # fmt: skip
    if len(given) != 1:
        raise ValidationError(_("Give exactly one of meeting, series, delegation or query."))
    ((kind, value),) = given.items()
    if not isinstance(value, str) or "\x00" in value or len(value) > MAX_QUERY_LENGTH:
        raise ValidationError({kind: _("Give text of at most %(max)d characters.") % {"max": MAX_QUERY_LENGTH}})
    if kind == "meeting":
        found = Meeting.objects.visible_to(user).filter(slug=value).first()
        if found is None:
            raise ValidationError({kind: _("No meeting has the slug “%(slug)s”.") % {"slug": value}})
        return {"meeting": found}
    if kind == "series":
        found = Series.objects.filter(slug=value).first()
        if found is None:
            raise ValidationError({kind: _("No series has the slug “%(slug)s”.") % {"slug": value}})
        return {"series": found}
    if kind == "delegation":
        code = value.upper()
        if code not in dict(countries):
            raise ValidationError({kind: _("“%(code)s” is not a country code.") % {"code": value}})
        return {"country": code}
    normalized = normalize_query(value)
    if not normalized:
        raise ValidationError({kind: _("The filter selects nothing: give at least one filter value.")})
    if len(normalized) > MAX_QUERY_LENGTH:
        raise ValidationError({kind: _("Give text of at most %(max)d characters.") % {"max": MAX_QUERY_LENGTH}})
    known = set(MeetingFilter.base_filters)
    unknown = sorted({key for key in QueryDict(normalized) if key not in known})
    if unknown:
        raise ValidationError({kind: _("Unknown filter: %(names)s.") % {"names": ", ".join(unknown)}})
    filterset = MeetingFilter(QueryDict(normalized), queryset=Meeting.objects.none())
    if not filterset.is_valid():
        messages = [f"{name}: {message}" for name, errors in filterset.errors.items() for message in errors]
        raise ValidationError({kind: messages})
    return {"query": normalized}
