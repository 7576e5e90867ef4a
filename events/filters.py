"""The one set of filters shared by the HTML list, the API and the calendar feeds.

Parameter names are the public contract: `series`, `country`, `mode`,
`status`, `from`, `to`, `q`. None is called `format`: DRF reserves it.
"""

import dataclasses
import datetime as dt

import django_filters
from django import forms
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce, ExtractYear, NullIf
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import Meeting, Mode, OutcomeDocument, Series, Session, Status

EARLIEST = dt.date(1967, 1, 1)  # ASEAN was founded in 1967.
LATEST = dt.date(2100, 12, 31)
MAX_QUERY_LENGTH = 200


class DateRangeForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        for name in ("from", "to"):
            value = cleaned.get(name)
            if value and not (EARLIEST <= value <= LATEST):
                self.add_error(name, _("Dates must lie between 1967 and 2100."))
        if start and end and end < start:
            self.add_error("to", _("The end of the date range is before its start."))
        return cleaned


class SearchFilter(django_filters.CharFilter):
    def __init__(self, *args, search_fields=(), **kwargs):
        self.search_fields = search_fields
        kwargs.setdefault("max_length", MAX_QUERY_LENGTH)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        words = value.split() if value else []
        for word in words[:10]:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": word})
            qs = qs.filter(condition)
        return qs


def country_choices():
    return list(countries)


@extend_schema_field(OpenApiTypes.STR)
class CountryFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, fields=(), **kwargs):
        self.country_fields = fields
        # A callable: every FilterSet deep-copies its filters and form fields, and
        # copying ~250 country choices each time cost milliseconds per request.
        kwargs.setdefault("choices", country_choices)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        condition = Q()
        for field in self.country_fields:
            condition |= Q(**{field: value})
        return qs.filter(condition)


def _uppercase_country(data):
    if data is not None and "country" in data:
        data = data.copy()
        data["country"] = data["country"].upper()
    return data


@extend_schema_field(OpenApiTypes.STR)
class SeriesSlugFilter(django_filters.ModelMultipleChoiceFilter):
    """Series chosen by slug. django-filter looks rows up by {field_name: value.slug},
    so field_name ends in the slug; the schema type is declared since it cannot be inferred."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Series.objects.all())
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", _("Series"))
        super().__init__(*args, **kwargs)


class _BaseFilterSet(django_filters.FilterSet):
    def __init__(self, data=None, *args, **kwargs):
        super().__init__(_uppercase_country(data), *args, **kwargs)


STRPTIME_FOR_DJANGO_FORMAT = {"d": "%d", "j": "%d", "m": "%m", "n": "%m", "Y": "%Y", "y": "%y"}


class PageLanguageDateFormats:
    """Dates as ISO (bookmarks, the API, feeds) or in the page language's short format, which the form shows.

    Only those two: the languages' other formats would let 05/10/2023 mean 10 May in one and 5 October in another.
    """

    def __iter__(self):
        yield "%Y-%m-%d"
        yield "".join(STRPTIME_FOR_DJANGO_FORMAT.get(char, char) for char in get_format("SHORT_DATE_FORMAT"))


def _date_filters(start_field, end_field):
    """`from`/`to` select items that overlap the range, so a meeting running into it counts."""
    formats = PageLanguageDateFormats()
    return {
        "from": django_filters.DateFilter(
            field_name=end_field, lookup_expr="gte", label=_("From"), input_formats=formats
        ),
        "to": django_filters.DateFilter(
            field_name=start_field, lookup_expr="lte", label=_("To"), input_formats=formats
        ),
    }


class MeetingFilter(_BaseFilterSet):
    series = SeriesSlugFilter(field_name="series__slug")
    country = CountryFilter(fields=("host_country", "venue__country"), label=_("Country"))
    mode = django_filters.MultipleChoiceFilter(choices=Mode.choices, label=_("Format"))
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    year = django_filters.NumberFilter(
        field_name="start_date", lookup_expr="year", label=_("Year"), min_value=1967, max_value=2100
    )
    q = SearchFilter(
        search_fields=("title", "title_id", "theme", "series__name", "series__abbreviation", "venue__city"),
        label=_("Search"),
    )

    class Meta:
        model = Meeting
        fields = ["series", "country", "mode", "status", "year", "from", "to", "q"]
        form = DateRangeForm

    # `from` is a Python keyword, so these two cannot be written as attributes.
    locals().update(_date_filters("start_date", "end_date"))


class SessionFilter(_BaseFilterSet):
    """The planner's filters applied to sessions: meeting-level facets come from the meeting."""

    series = SeriesSlugFilter(field_name="meeting__series__slug")
    country = CountryFilter(
        fields=("meeting__host_country", "meeting__venue__country", "venue__country"), label=_("Country")
    )
    mode = django_filters.MultipleChoiceFilter(choices=Mode.choices, label=_("Format"))
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    meeting = django_filters.CharFilter(field_name="meeting__slug", label=_("Meeting"), max_length=150)
    year = django_filters.NumberFilter(
        field_name="meeting__start_date", lookup_expr="year", label=_("Year"), min_value=1967, max_value=2100
    )
    q = SearchFilter(
        search_fields=("title", "title_id", "meeting__title", "meeting__title_id", "meeting__series__name"),
        label=_("Search"),
    )

    class Meta:
        model = Session
        fields = ["series", "country", "mode", "status", "meeting", "year", "from", "to", "q"]
        form = DateRangeForm

    locals().update(_date_filters("starts_on", "ends_on"))


class DocumentFilter(_BaseFilterSet):
    series = SeriesSlugFilter(field_name="meeting__series__slug")
    kind = django_filters.MultipleChoiceFilter(choices=OutcomeDocument.Kind.choices, label=_("Kind"))
    status = django_filters.MultipleChoiceFilter(choices=OutcomeDocument.DocumentStatus.choices, label=_("Status"))
    country = CountryFilter(fields=("meeting__host_country", "meeting__venue__country"), label=_("Country"))
    q = SearchFilter(search_fields=("title", "title_id", "summary", "meeting__title"), label=_("Search"))

    class Meta:
        model = OutcomeDocument
        fields = ["series", "kind", "status", "country", "from", "to", "q"]
        form = DateRangeForm

    locals().update(_date_filters("meeting__start_date", "meeting__end_date"))


# --- Facets -----------------------------------------------------------------------

# ASEAN's members (Timor-Leste since October 2025): listed first among the countries.
ASEAN_MEMBERS = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN")


@dataclasses.dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclasses.dataclass
class Facet:
    name: str
    label: str
    options: list
    multiple: bool = True
    groups: list = dataclasses.field(default_factory=list)  # (group label, options), for the countries


def _others(filterset, name, queryset):
    """The list as the other filters leave it: a facet counts what choosing one of its options would show."""
    data = filterset.data.copy()
    data.pop(name, None)
    others = type(filterset)(data, queryset=queryset)
    return (others.qs if others.is_valid() else queryset).order_by()


def _counts(queryset, expression):
    rows = queryset.annotate(facet=expression).values("facet").annotate(n=Count("pk", distinct=True))
    return {row["facet"]: row["n"] for row in rows if row["facet"] not in (None, "")}


def _options(filterset, name, counts, labels):
    chosen = {str(value) for value in filterset.data.getlist(name)} if hasattr(filterset.data, "getlist") else set()
    values = [value for value in labels if counts.get(value) or str(value) in chosen]
    return [FacetOption(str(value), str(labels[value]), counts.get(value, 0), str(value) in chosen) for value in values]


def meeting_facets(*, filterset, queryset):
    """Series, country, format, status and year, each option with the number of meetings it would list.

    Five grouped queries whatever the number of meetings; only countries with meetings are offered,
    ASEAN's members first.
    """
    series_counts = _counts(_others(filterset, "series", queryset), F("series__slug"))
    series = Series.objects.filter(slug__in=series_counts.keys() | set(filterset.data.getlist("series")))
    series_labels = {s.slug: s.localized_name for s in sorted(series, key=lambda s: s.localized_name.lower())}
    country_counts = _counts(
        _others(filterset, "country", queryset), Coalesce(NullIf("host_country", Value("")), "venue__country")
    )
    chosen_country = filterset.data.get("country", "").upper()
    country_labels = {code: name for code, name in countries if code in country_counts or code == chosen_country}
    country_options = _options(filterset, "country", country_counts, country_labels)
    for option in country_options:
        option.selected = option.value == chosen_country
    members = [o for o in country_options if o.value in ASEAN_MEMBERS]
    others = [o for o in country_options if o.value not in ASEAN_MEMBERS]
    year_counts = _counts(_others(filterset, "year", queryset), ExtractYear("start_date"))
    years = {year: year for year in sorted(year_counts, reverse=True)}
    mode_counts = _counts(_others(filterset, "mode", queryset), F("mode"))
    status_counts = _counts(_others(filterset, "status", queryset), F("status"))
    groups = [(_("ASEAN members"), members), (_("Other countries"), others)]
    return [
        Facet("series", _("Series"), _options(filterset, "series", series_counts, series_labels)),
        Facet("country", _("Country"), members + others, multiple=False, groups=[g for g in groups if g[1]]),
        Facet("mode", _("Format"), _options(filterset, "mode", mode_counts, dict(Mode.choices))),
        Facet("status", _("Status"), _options(filterset, "status", status_counts, dict(Status.choices))),
        Facet("year", _("Year"), _options(filterset, "year", year_counts, years), multiple=False),
    ]
