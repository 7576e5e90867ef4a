"""Delegations: who each country sends to a meeting, and which sessions they attend."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .changesets import ChangeSetRecord
from .models import TEXT, LevelledQuerySet, Meeting, Revisioned, Session
from .reference import Person


class DelegationQuerySet(LevelledQuerySet):
    pass


class Delegation(Revisioned):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="delegations", verbose_name=_("meeting")
    )
    country = CountryField(_("country"))
    organisation = models.CharField(
        _("organisation"),
        validators=TEXT,
        max_length=200,
        blank=True,
        help_text=_("e.g. Ministry of Home Affairs as National Representative."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True, validators=TEXT)

    history = HistoricalRecords(bases=[ChangeSetRecord])
    objects = DelegationQuerySet.as_manager()

    class Meta:
        ordering = ["meeting__start_date", "country"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [models.UniqueConstraint(fields=["meeting", "country"], name="delegation_unique_country")]

    def __str__(self):
        return f"{self.country.name} – {self.meeting}"

    def get_absolute_url(self):
        return reverse("events:delegation_detail", kwargs={"country": self.country.code})

    @property
    def head(self):
        return next((m for m in self.members.all() if m.is_head), None)


class DelegateRole(models.TextChoices):
    HEAD_OF_STATE = "head_of_state", _("Head of state or government")
    MINISTER = "minister", _("Minister")
    PERMANENT_REPRESENTATIVE = "permanent_representative", _("Permanent representative")
    SOM_LEADER = "som_leader", _("SOM leader")
    NATIONAL_REPRESENTATIVE = "national_representative", _("ASCN National Representative")
    CSCO = "csco", _("Chief Smart City Officer")
    OFFICIAL = "official", _("Official")


class DelegationMember(Revisioned):
    class Attendance(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        REMOTE = "remote", _("Remote")

    delegation = models.ForeignKey(
        Delegation, on_delete=models.CASCADE, related_name="members", verbose_name=_("delegation")
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=30, choices=DelegateRole.choices)
    is_head = models.BooleanField(_("head of delegation"), default=False)
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.IN_PERSON
    )
    sessions = models.ManyToManyField(
        Session,
        blank=True,
        related_name="attendees",
        verbose_name=_("sessions"),
        help_text=_("The sessions this person attends; empty means all of the meeting's sessions."),
    )

    history = HistoricalRecords(bases=[ChangeSetRecord])

    class Meta:
        ordering = ["-is_head", "person__name"]
        verbose_name = _("delegate")
        verbose_name_plural = _("delegates")
        constraints = [
            models.UniqueConstraint(fields=["delegation", "person"], name="member_unique_person"),
            models.UniqueConstraint(
                fields=["delegation"], condition=Q(is_head=True), name="member_one_head_per_delegation"
            ),
        ]

    def __str__(self):
        return f"{self.person} ({self.get_role_display()})"

    def get_absolute_url(self):
        return self.delegation.get_absolute_url()
