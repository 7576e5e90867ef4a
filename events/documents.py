"""Outcome documents: declarations and statements of a meeting, by link or by an uploaded file."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .changesets import ChangeSetRecord
from .models import TEXT, BilingualTitle, LevelledQuerySet, Meeting, Revisioned, Session, document_upload_to


class OutcomeDocumentQuerySet(LevelledQuerySet):
    pass


class OutcomeDocument(Revisioned, BilingualTitle):
    class Kind(models.TextChoices):
        VISION = "vision", _("Vision")
        DECLARATION = "declaration", _("Declaration")
        STATEMENT = "statement", _("Statement")
        CONCEPT_NOTE = "concept_note", _("Concept note")
        CHAIRMANS_STATEMENT = "chairmans_statement", _("Chairman's statement")
        JOINT_STATEMENT = "joint_statement", _("Joint statement")
        RECOMMENDATIONS = "recommendations", _("Recommendations")
        FRAMEWORK = "framework", _("Framework")
        REPORT = "report", _("Report")

    class DocumentStatus(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DRAFT = "draft", _("Draft")
        ADOPTED = "adopted", _("Adopted")
        PUBLISHED = "published", _("Published")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents", verbose_name=_("meeting"))
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PLANNED
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=document_upload_to, blank=True, max_length=255)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    summary = models.TextField(_("summary"), blank=True, validators=TEXT)
    source_url = models.URLField(
        _("source"), max_length=500, blank=True, help_text=_("The public page the facts of this row are taken from.")
    )
    source_note = models.CharField(
        _("source note"),
        max_length=500,
        blank=True,
        validators=TEXT,
        help_text=_("Where the sources disagree or are silent."),
    )

    history = HistoricalRecords(bases=[ChangeSetRecord])
    objects = OutcomeDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["meeting__start_date", "kind", "title"]
        verbose_name = _("outcome document")
        verbose_name_plural = _("outcome documents")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(url="") | ~Q(file=""),
                name="document_published_needs_link_or_file",
            ),
            models.CheckConstraint(
                condition=Q(adopted_on__isnull=True) | Q(status__in=["adopted", "published"]),
                name="document_adoption_date_only_when_adopted",
            ),
        ]

    def get_absolute_url(self):
        return f"{self.meeting.get_absolute_url()}#document-{self.pk}"

    @property
    def link(self):
        if self.url:
            return self.url
        if self.file:
            return self.file_url
        return ""

    @property
    def file_url(self):
        """The address of the file: a view that asks the access policy (never a /media/ path)."""
        return reverse("events:document_file", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        if self.session_id and self.meeting_id and self.session.meeting_id != self.meeting_id:
            errors["session"] = _("The session belongs to another meeting.")
        if self.status == self.DocumentStatus.PUBLISHED and not (self.url or self.file):
            errors["url"] = _("A published document needs a link or a file.")
        if self.adopted_on and self.status not in {self.DocumentStatus.ADOPTED, self.DocumentStatus.PUBLISHED}:
            errors["adopted_on"] = _("Only an adopted or published document has an adoption date.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.touch_meeting()

    def touch_meeting(self):
        # Feed descriptions list a meeting's documents, so they are part of what subscribers see.
        Meeting.objects.filter(pk=self.meeting_id).update(revision=F("revision") + 1, updated=timezone.now())


@receiver(post_delete, sender=OutcomeDocument, dispatch_uid="document_deleted_touches_meeting")
def _document_deleted(sender, instance, **kwargs):
    # A signal, not delete(): bulk deletes in the admin skip Model.delete().
    instance.touch_meeting()
