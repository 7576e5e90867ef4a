"""Reference data: series, venues, chairs, network cities and the people in delegations."""

import zoneinfo

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .changesets import ChangeSetRecord
from .models import TEXT, TIMEZONE_SHAPE, Meeting, Revisioned, Session, validate_timezone
from .slugs import unique_slug


class Series(Revisioned):
    name = models.CharField(_("name (English)"), max_length=200, validators=TEXT)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200, blank=True, validators=TEXT)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True, validators=TEXT)
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, blank=True, help_text=_("Made from the name if left empty.")
    )
    organising_body = models.CharField(_("organising body"), max_length=200, blank=True, validators=TEXT)
    description = models.TextField(_("description"), blank=True, validators=TEXT)
    color = models.CharField(
        _("calendar colour"),
        validators=TEXT,
        max_length=30,
        blank=True,
        help_text=_("A CSS3 colour name (RFC 7986 COLOR), e.g. “steelblue”."),
    )

    history = HistoricalRecords(bases=[ChangeSetRecord])

    class Meta:
        ordering = ["name"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self):
        # Shown in filter choices on bilingual pages.
        return self.localized_name

    def get_absolute_url(self):
        return reverse("events:series_detail", kwargs={"slug": self.slug})

    @property
    def localized_name(self):
        if get_language() == "id" and self.name_id:
            return self.name_id
        return self.name

    def clean(self):
        if not self.slug:
            self.slug = unique_slug(Series, self.name, fallback=self.abbreviation)

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Series, self.name, fallback=self.abbreviation)
        super().save(*args, **kwargs)


class Venue(Revisioned):
    name = models.CharField(_("name"), max_length=200, validators=TEXT)
    city = models.CharField(_("city"), max_length=100, validators=TEXT)
    country = CountryField(_("country"))
    timezone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_timezone], help_text=_("IANA name, e.g. Asia/Jakarta.")
    )
    address = models.CharField(_("address"), max_length=300, blank=True, validators=TEXT)

    history = HistoricalRecords(bases=[ChangeSetRecord])

    class Meta:
        ordering = ["country", "city", "name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [
            models.CheckConstraint(condition=Q(timezone__regex=TIMEZONE_SHAPE), name="venue_timezone_shape"),
            models.UniqueConstraint(fields=["name", "city"], name="venue_unique_name_city"),
        ]

    def __str__(self):
        return self.name if self.name == self.city else f"{self.name}, {self.city}"

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # LOCATION in every feed event held here changes with the venue.
        now = timezone.now()
        Meeting.objects.filter(venue=self).update(revision=F("revision") + 1, updated=now)
        Session.objects.filter(venue=self).update(revision=F("revision") + 1, updated=now)


class Chairmanship(Revisioned):
    class Body(models.TextChoices):
        ASEAN = "asean", _("ASEAN")
        ASCN = "ascn", _("ASEAN Smart Cities Network")

    body = models.CharField(_("body"), max_length=10, choices=Body.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    country = CountryField(_("chair"))
    note = models.CharField(_("note"), max_length=300, blank=True, validators=TEXT)
    source_url = models.URLField(
        _("source"), max_length=500, blank=True, help_text=_("The public page the facts of this row are taken from.")
    )

    history = HistoricalRecords(bases=[ChangeSetRecord])

    class Meta:
        ordering = ["body", "year"]
        verbose_name = _("chairmanship")
        verbose_name_plural = _("chairmanships")
        constraints = [
            models.UniqueConstraint(fields=["body", "year"], name="chairmanship_unique_body_year"),
            models.CheckConstraint(condition=Q(year__gte=1967, year__lte=2100), name="chairmanship_year_range"),
        ]

    def __str__(self):
        return f"{self.get_body_display()} {self.year}: {self.country.name}"

    def get_absolute_url(self):
        return reverse("events:series_list")


class NetworkCity(Revisioned):
    """A city in a network such as the ASEAN Smart Cities Network."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="cities", verbose_name=_("network"))
    name = models.CharField(_("city"), max_length=100, validators=TEXT)
    country = CountryField(_("country"))
    joined = models.PositiveSmallIntegerField(_("joined in"), null=True, blank=True)

    history = HistoricalRecords(bases=[ChangeSetRecord])

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("network city")
        verbose_name_plural = _("network cities")
        constraints = [models.UniqueConstraint(fields=["series", "name", "country"], name="networkcity_unique")]

    def __str__(self):
        return f"{self.name} ({self.country.code})"

    def get_absolute_url(self):
        return self.series.get_absolute_url()


class Person(Revisioned):
    name = models.CharField(_("name"), max_length=200, validators=TEXT)
    country = CountryField(_("country"))
    position = models.CharField(_("position"), max_length=300, blank=True, validators=TEXT)

    history = HistoricalRecords(bases=[ChangeSetRecord])

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("events:delegation_detail", kwargs={"country": self.country.code})
