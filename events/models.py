"""The calendar of ASEAN meetings.

Times are stored in UTC; every meeting keeps the IANA zone it is held in so
that pages and feeds can show venue-local time. A session whose time of day
is not known (the sources give only the date) keeps just its local dates.
"""

import datetime as dt
import os
import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .changesets import ChangeSetRecord
from .slugs import SlugAllocator, readable_slug
from .text import no_control_characters
from .timezones import known_zones

models.CharField.register_lookup(Length)

# Every free-text field refuses control characters (see events/text.py).
TEXT = [no_control_characters]

# Shape of an IANA zone name; the full check against the tz database happens
# in validate_timezone (the database cannot know the tz database).
TIMEZONE_SHAPE = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"


def validate_timezone(value):
    if value not in known_zones():
        raise ValidationError(_("“%(value)s” is not a known IANA time zone."), params={"value": value})


class Mode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")
    HYBRID = "hybrid", _("Hybrid")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    TENTATIVE = "tentative", _("Tentative")
    POSTPONED = "postponed", _("Postponed")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")


# Cancelled and postponed items no longer take place on their dates: pages strike them
# through and conflict checks skip them. They stay two states (a postponed one comes back).
CALLED_OFF = frozenset({Status.CANCELLED, Status.POSTPONED})


class StatusFlags:
    """What a meeting's or session's `status` tells a reader."""

    @property
    def is_cancelled(self):
        return self.status == Status.CANCELLED

    @property
    def is_postponed(self):
        return self.status == Status.POSTPONED

    @property
    def is_called_off(self):
        return self.status in CALLED_OFF


class Access(models.TextChoices):
    PUBLIC = "public", _("Public")
    RESTRICTED = "restricted", _("Restricted")
    CONFIDENTIAL = "confidential", _("Confidential")


class TimeStamped(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Revisioned(TimeStamped):
    """A row whose `revision` goes up whenever a subscriber would see a change.

    The revision is the iCalendar SEQUENCE and the optimistic-locking token.
    """

    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)

    # Fields whose change a calendar subscriber would notice; empty means every field staff edit
    # (for rows that are not feed events the revision is only the optimistic-locking token).
    subscriber_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def tracked_fields(cls):
        if cls.subscriber_fields:
            return cls.subscriber_fields
        return tuple(
            field.name
            for field in cls._meta.concrete_fields
            if field.editable and not field.primary_key and field.name not in {"created", "updated", "revision"}
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # field_names are attnames (meeting_id), tracked fields are names (meeting).
        loaded_attnames = set(field_names)
        instance._loaded = {
            name: getattr(instance, cls._meta.get_field(name).attname)
            for name in cls.tracked_fields()
            if cls._meta.get_field(name).attname in loaded_attnames
        }
        return instance

    def visible_changes(self):
        loaded = getattr(self, "_loaded", None)
        if self.pk is None or loaded is None:
            return []
        return [
            name
            for name in self.tracked_fields()
            if name in loaded and loaded[name] != getattr(self, self._meta.get_field(name).attname)
        ]

    def snapshot_visible_fields(self):
        self._loaded = {name: getattr(self, self._meta.get_field(name).attname) for name in self.tracked_fields()}

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self.snapshot_visible_fields()

    def save(self, *args, **kwargs):
        if self.visible_changes():
            self.revision += 1
        super().save(*args, **kwargs)
        self.snapshot_visible_fields()


class BilingualTitle(models.Model):
    title = models.CharField(_("title (English)"), max_length=300, validators=TEXT)
    title_id = models.CharField(_("title (Indonesian)"), max_length=300, blank=True, validators=TEXT)

    class Meta:
        abstract = True

    @property
    def localized_title(self):
        if get_language() == "id" and self.title_id:
            return self.title_id
        return self.title

    def __str__(self):
        return self.title


# --- Meetings and sessions -------------------------------------------------


class LevelledQuerySet(models.QuerySet):
    """Rows held at an access level, directly or through their meeting."""

    def public(self):
        """What anyone may see (the policy is events.access)."""
        return self.visible_to(None)

    def visible_to(self, user):
        """The rows `user` may see (the policy is events.access)."""
        from . import access

        return access.visible(self, user)


class MeetingQuerySet(LevelledQuerySet):
    def upcoming(self, today=None):
        today = today or timezone.localdate()
        return self.filter(end_date__gte=today)

    def record_as_of(self):
        """The day the sources of these meetings were last read: the date the record holds as of."""
        return self.aggregate(as_of=models.Max("source_checked"))["as_of"]

    def with_schedule(self):
        return self.select_related("series", "venue", "parent", "parent__series").prefetch_related(
            models.Prefetch("sessions", queryset=Session.objects.select_related("venue"))
        )


class Meeting(StatusFlags, Revisioned, BilingualTitle):
    series = models.ForeignKey("Series", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("series"))
    ordinal = models.PositiveSmallIntegerField(
        _("ordinal"),
        null=True,
        blank=True,
        help_text=_("32 for the 32nd edition; empty if the series does not number it."),
    )
    slug = models.SlugField(
        _("slug"),
        max_length=150,
        unique=True,
        blank=True,
        help_text=_("Made from the title and year if left empty, in any script."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
        help_text=_("The summit whose related meetings this one belongs to."),
    )
    start_date = models.DateField(_("start date"), db_index=True)
    end_date = models.DateField(_("end date"))
    venue = models.ForeignKey(
        "Venue", on_delete=models.PROTECT, null=True, blank=True, related_name="meetings", verbose_name=_("venue")
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_timezone],
        help_text=_("IANA zone the schedule is set in; defaults to the venue's."),
        blank=True,
    )
    host_country = CountryField(_("host country"), blank=True)
    chair_country = CountryField(_("chair country"), blank=True)
    theme = models.CharField(_("theme"), max_length=300, blank=True, validators=TEXT)
    mode = models.CharField(
        _("format"), max_length=10, choices=Mode.choices, blank=True, help_text=_("Empty while not announced.")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    access = models.CharField(_("access"), max_length=12, choices=Access.choices, default=Access.PUBLIC)
    participant_count = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    official_url = models.URLField(_("official URL"), blank=True)
    description = models.TextField(_("description"), blank=True, validators=TEXT)
    external_uid = models.CharField(
        _("iCalendar UID"),
        validators=TEXT,
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("UID of the event this meeting was imported from; re-imports match on it."),
    )
    source_url = models.URLField(
        _("source"), max_length=500, blank=True, help_text=_("The public page the facts of this row are taken from.")
    )
    source_checked = models.DateField(
        _("source checked on"), null=True, blank=True, help_text=_("When the source was last read for this row.")
    )
    source_note = models.CharField(
        _("source note"),
        max_length=500,
        blank=True,
        validators=TEXT,
        help_text=_("Where the sources disagree or are silent (e.g. times not given, venue unconfirmed)."),
    )
    source_note_review = models.BooleanField(
        _("source note to review"),
        default=False,
        help_text=_(
            "Set when the venue, dates, format or session times change but the source note does not: "
            "it may speak of facts that are no longer true. Edit the note or untick this."
        ),
    )

    history = HistoricalRecords(bases=[ChangeSetRecord])
    objects = MeetingQuerySet.as_manager()

    # The facts a source note speaks of ("the sources give no venue", "times not given").
    source_note_facts = frozenset({"venue", "start_date", "end_date", "timezone", "mode", "participant_count"})

    # Every field staff edit: the revision is also the optimistic-locking token, so an edit of
    # the participant count must not silently overwrite a concurrent one.
    subscriber_fields = (
        "title", "title_id", "series", "ordinal", "parent", "slug", "start_date", "end_date", "venue", "timezone",
        "host_country", "chair_country", "theme", "mode", "status", "access", "participant_count", "official_url",
        "description", "source_url", "source_checked", "source_note",
    )  # fmt: skip

    class Meta:
        ordering = ["start_date", "end_date", "title"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        permissions = [
            ("view_restricted", _("Can see restricted meetings and sessions")),
            ("view_confidential", _("Can see confidential meetings and sessions")),
            ("publish_meeting", _("Can publish meetings (make them public)")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="meeting_end_after_start"),
            models.UniqueConstraint(fields=["series", "ordinal"], name="meeting_unique_ordinal_per_series"),
            models.CheckConstraint(condition=Q(timezone__regex=TIMEZONE_SHAPE), name="meeting_timezone_shape"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="meeting_not_own_parent"),
            models.CheckConstraint(
                condition=Q(participant_count__isnull=True) | Q(participant_count__lte=1_000_000),
                name="meeting_participants_plausible",
            ),
        ]
        indexes = [
            models.Index(fields=["access", "start_date"], name="meeting_access_start"),
            models.Index(fields=["series", "start_date"], name="meeting_series_start"),
        ]

    def get_absolute_url(self):
        return reverse("events:meeting_detail", kwargs={"slug": self.slug})

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)

    def is_visible_to(self, user):
        """The per-object form of MeetingQuerySet.visible_to, for a meeting already in hand."""
        from . import access

        return access.can_view(user, self)

    def clean(self):
        errors = {}
        if not self.timezone and self.venue_id:
            self.timezone = self.venue.timezone
        if not self.timezone:
            errors["timezone"] = _("Choose a venue or give the time zone the schedule is set in.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The meeting cannot end before it starts.")
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = _("A meeting cannot be part of itself.")
        elif self.parent_id and self.pk and self.parent_id in self.descendant_ids():
            errors["parent"] = _(
                "“%(parent)s” is itself part of this meeting; a meeting cannot be part of its own part."
            ) % {"parent": self.parent}
        if not self.slug and self.title and self.start_date:
            self.slug = self.new_slug()
        if errors:
            raise ValidationError(errors)

    def new_slug(self, allocator=None):
        """A readable unique slug from the title and year, in any script; else the series and year."""
        year = self.start_date.year if self.start_date else ""
        series = self.series.slug if self.series_id else ""
        allocator = allocator or SlugAllocator(Meeting)
        # A title with nothing to transliterate (symbols only) must not give a bare year.
        title = f"{self.title} {year}" if readable_slug(self.title) else ""
        return allocator.allocate(title, fallback=f"{series} {year}")

    def save(self, *args, **kwargs):
        if not self.timezone and self.venue_id:
            self.timezone = self.venue.timezone
        if not self.slug:
            self.slug = self.new_slug()
        changed = set(self.visible_changes())
        # Sessions saved with the meeting (admin inlines) must not flag a note edited in the same save.
        self._source_note_edited = self.pk is None or "source_note" in changed
        if self.source_note and not self._source_note_edited and changed & self.source_note_facts:
            self.source_note_review = True
        elif self._source_note_edited:
            self.source_note_review = False
        super().save(*args, **kwargs)

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._source_note_edited = False

    def flag_source_note(self):
        """A fact the source note may speak of changed elsewhere (a session's time or venue)."""
        if self.source_note and not getattr(self, "_source_note_edited", False):
            Meeting.objects.filter(pk=self.pk, source_note_review=False).update(source_note_review=True)

    def descendant_ids(self):
        """Ids of the meetings part of this one, and of their parts, level by level (one query a level)."""
        found, level = set(), {self.pk}
        while level:
            level = set(Meeting.objects.filter(parent__in=level).values_list("pk", flat=True)) - found - {self.pk}
            found |= level
        return found

    def duplicate_as_next_edition(self, *, shift_days, user=None):
        """Copy this meeting as edition ordinal + 1, its sessions moved by `shift_days`."""
        from .editions import duplicate_meeting

        return duplicate_meeting(self, shift_days=shift_days, user=user)


class SessionKind(models.TextChoices):
    PLENARY = "plenary", _("Plenary")
    RETREAT = "retreat", _("Retreat")
    OPENING = "opening_ceremony", _("Opening ceremony")
    CLOSING = "closing_ceremony", _("Closing ceremony")
    PANEL = "panel_discussion", _("Panel discussion")
    MATCHMAKING = "business_matchmaking", _("Business matchmaking")
    FORUM = "forum", _("Forum")
    WORKING_DINNER = "working_dinner", _("Working dinner")
    WORKING_LUNCH = "working_lunch", _("Working lunch")
    BRIEFING = "briefing", _("Press briefing")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class SessionQuerySet(LevelledQuerySet):
    def upcoming(self, today=None):
        today = today or timezone.localdate()
        return self.filter(ends_on__gte=today)

    def with_schedule(self):
        return self.select_related("meeting", "meeting__series", "meeting__venue", "venue")


class Session(StatusFlags, Revisioned, BilingualTitle):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("meeting"))
    kind = models.CharField(_("kind"), max_length=24, choices=SessionKind.choices, default=SessionKind.MEETING)
    starts_on = models.DateField(
        _("date"), blank=True, help_text=_("Local date at the venue. Filled from the start time when one is given.")
    )
    ends_on = models.DateField(_("last day"), blank=True, help_text=_("Local date; the same day if empty."))
    start = models.DateTimeField(_("start"), null=True, blank=True, help_text=_("Empty if the time is not announced."))
    end = models.DateTimeField(_("end"), null=True, blank=True)
    venue = models.ForeignKey(
        "Venue", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions", verbose_name=_("venue")
    )
    room = models.CharField(_("room"), max_length=200, blank=True, validators=TEXT)
    mode = models.CharField(_("format"), max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    join_url = models.URLField(_("join link"), max_length=500, blank=True)
    join_passcode = models.CharField(_("passcode"), max_length=100, blank=True, validators=TEXT)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    access = models.CharField(_("access"), max_length=12, choices=Access.choices, default=Access.PUBLIC)
    show_as_closed = models.BooleanField(
        _("list publicly as “Closed session”"),
        default=False,
        help_text=_("A restricted session then appears in public calendars with its time only, no details."),
    )
    description = models.TextField(_("description"), blank=True, validators=TEXT)
    external_uid = models.CharField(
        _("iCalendar UID"),
        validators=TEXT,
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("UID of the event this session was imported from; re-imports match on it."),
    )

    history = HistoricalRecords(bases=[ChangeSetRecord])
    objects = SessionQuerySet.as_manager()

    # Facts the meeting's source note may speak of ("times not given").
    source_note_facts = frozenset({"starts_on", "ends_on", "start", "end", "venue", "mode"})

    subscriber_fields = (
        "title", "title_id", "kind", "starts_on", "ends_on", "start", "end", "venue", "room", "mode",
        "join_url", "join_passcode", "status", "access", "show_as_closed", "description", "meeting",
    )  # fmt: skip

    class Meta:
        ordering = ["starts_on", F("start").asc(nulls_first=True), "title"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            # A start with no end is a session whose end is not announced ("from 09:00").
            models.CheckConstraint(
                condition=Q(end__isnull=True) | (Q(start__isnull=False) & Q(end__gt=F("start"))),
                name="session_end_after_start",
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="session_days_in_order"),
            models.CheckConstraint(
                condition=~Q(mode=Mode.VIRTUAL) | ~Q(join_url=""), name="session_virtual_needs_join_link"
            ),
            models.CheckConstraint(
                condition=~Q(mode=Mode.IN_PERSON) | Q(venue__isnull=False), name="session_in_person_needs_venue"
            ),
            models.CheckConstraint(
                condition=~Q(show_as_closed=True) | Q(access=Access.RESTRICTED),
                name="session_closed_listing_only_if_restricted",
            ),
        ]
        indexes = [
            models.Index(fields=["meeting", "starts_on"], name="session_meeting_day"),
            models.Index(fields=["access", "starts_on"], name="session_access_day"),
        ]

    def get_absolute_url(self):
        return f"{self.meeting.get_absolute_url()}#session-{self.pk}"

    @property
    def timezone(self):
        """The zone the session is held in: its own venue's, else the meeting's."""
        if self.venue_id:
            return self.venue.timezone
        return self.meeting.timezone

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def has_time(self):
        return self.start is not None

    @property
    def local_start(self):
        return self.start.astimezone(self.zone) if self.start else None

    @property
    def local_end(self):
        return self.end.astimezone(self.zone) if self.end else None

    @property
    def has_end(self):
        return self.end is not None

    def derive_local_dates(self):
        if self.start and self.end:
            self.starts_on = self.start.astimezone(self.zone).date()
            # A session ending at local midnight ends on the previous day.
            self.ends_on = (self.end.astimezone(self.zone) - dt.timedelta(microseconds=1)).date()
        elif self.start:
            self.starts_on = self.start.astimezone(self.zone).date()
            if not self.ends_on or self.ends_on < self.starts_on:
                self.ends_on = self.starts_on
        elif self.starts_on and not self.ends_on:
            self.ends_on = self.starts_on

    def clean(self):
        errors = {}
        if self.end is not None and self.start is None:
            errors["start"] = _("Give the start too, or neither time for a date-only session.")
        elif self.end is not None and self.end <= self.start:
            errors["end"] = _("The session must end after it starts.")
        if self.mode == Mode.VIRTUAL and not self.join_url:
            errors["join_url"] = _("A virtual session needs a join link.")
        if self.mode == Mode.IN_PERSON and not self.venue_id:
            errors["venue"] = _("An in-person session needs a venue.")
        if self.show_as_closed and self.access != Access.RESTRICTED:
            errors["show_as_closed"] = _("Only a restricted session can be listed as closed.")
        if not self.start and not self.starts_on:
            errors["starts_on"] = _("Give the date, or a start time.")
        # In an admin inline the meeting may be new and unsaved; compare with it all the same.
        meeting = self.meeting if (self.meeting_id or Session.meeting.is_cached(self)) else None
        if not errors and meeting is not None and (self.start or self.starts_on):
            if not meeting.timezone and not self.venue_id:
                errors["venue"] = _("The meeting has no time zone; give the session a venue.")
            elif meeting.start_date and meeting.end_date:
                self.derive_local_dates()
                if self.starts_on < meeting.start_date or self.ends_on > meeting.end_date:
                    field = "start" if self.start else "starts_on"
                    errors[field] = ValidationError(_(
                        "The session (%(first)s to %(last)s, %(zone)s) lies outside the meeting's dates "
                        "(%(start)s to %(end)s)."
                    ) % {
                        "first": self.starts_on,
                        "last": self.ends_on,
                        "zone": self.timezone,
                        "start": meeting.start_date,
                        "end": meeting.end_date,
                    }, code="outside_meeting")
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The last day cannot be before the first.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.derive_local_dates()
        previous_meeting = getattr(self, "_loaded", {}).get("meeting")
        if previous_meeting and previous_meeting != self.meeting_id:
            # Feeds publish SEQUENCE = session revision + meeting revision - 1; moving to a meeting
            # with a lower revision must not make it go down, or calendars ignore the move.
            revisions = dict(
                Meeting.objects.filter(pk__in=[previous_meeting, self.meeting_id]).values_list("pk", "revision")
            )
            self.revision += max(0, revisions.get(previous_meeting, 0) - revisions.get(self.meeting_id, 0))
        facts_changed = self.pk is None or bool(set(self.visible_changes()) & self.source_note_facts)
        super().save(*args, **kwargs)
        if facts_changed:
            self.meeting.flag_source_note()


def document_upload_to(instance, filename):
    """A random stored name: nobody can guess a file's address, and the title is not in it."""
    return f"documents/{uuid.uuid4().hex}{os.path.splitext(filename)[1].lower()[:10]}"


# Models kept in their own modules (follows and alerts, documents, delegations, feed tokens); importing
# them here registers them and keeps `from .models import X` working.
from .delegations import DelegateRole, Delegation, DelegationMember, DelegationQuerySet  # noqa: E402, F401
from .documents import OutcomeDocument, OutcomeDocumentQuerySet  # noqa: E402, F401
from .feed_tokens import FeedToken, FeedTokenQuerySet  # noqa: E402, F401
from .follows import Alert, AlertProfile, Change, Follow, WebhookDelivery  # noqa: E402, F401
from .reference import Chairmanship, NetworkCity, Person, Series, Venue  # noqa: E402, F401
