import calendar
import dataclasses
import datetime as dt
import os
from collections import defaultdict

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView, TemplateView
from django_countries import countries
from django_filters.views import FilterView
from django_sendfile import sendfile

from . import access, families, history, jsonld, times
from .conflicts import delegation_schedule
from .filters import EARLIEST, LATEST, DocumentFilter, MeetingFilter, meeting_facets
from .models import Chairmanship, Delegation, DelegationMember, Meeting, OutcomeDocument, Series, Session
from .slugs import readable_slug
from .text import printable

CHANGES_DEFAULT_DAYS = 30
TIMELINE_MAX_DAYS = 14


class FilteredListMixin:
    """A FilterView that answers 400 with the form's errors when a filter value is bad,
    and only the results when htmx asks for an update."""

    partial_template_name = None

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.filterset.is_bound and not self.filterset.is_valid():
            response.status_code = 400
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and self.partial_template_name:
            return [self.partial_template_name]
        return [self.template_name]


class HomeView(ListView):
    template_name = "events/home.html"
    context_object_name = "meetings"

    def get_queryset(self):
        return Meeting.objects.visible_to(self.request.user).upcoming().select_related("series", "venue")[:20]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = Meeting.objects.visible_to(self.request.user)
        today = timezone.localdate()
        past = visible.filter(end_date__lt=today).select_related("series", "venue")
        context["recent"] = past.order_by("-end_date", "-start_date")[:10]
        # At a glance: the next and the latest main meeting (a summit, not one of its related meetings).
        main = visible.filter(parent__isnull=True).select_related("series", "venue")
        context["next_meeting"] = main.upcoming(today).exclude(status="cancelled").order_by("start_date").first()
        context["latest_meeting"] = past.filter(parent__isnull=True).order_by("-end_date", "-start_date").first()
        context["record_as_of"] = visible.record_as_of()
        return context


class MeetingListView(FilteredListMixin, FilterView):
    filterset_class = MeetingFilter
    template_name = "events/meeting_list.html"
    # The facets' counts change with the results, so an htmx update swaps both.
    partial_template_name = "events/_meeting_planner.html"
    context_object_name = "meetings"
    paginate_by = 50

    def get_queryset(self):
        return Meeting.objects.visible_to(self.request.user).select_related("series", "venue")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["facets"] = meeting_facets(
            filterset=self.filterset, queryset=Meeting.objects.visible_to(self.request.user)
        )
        return context


class MeetingDetailView(DetailView):
    template_name = "events/meeting_detail.html"
    context_object_name = "meeting"

    def get_queryset(self):
        return Meeting.objects.visible_to(self.request.user).select_related(
            "series", "venue", "parent", "parent__series"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meeting, user = self.object, self.request.user
        sessions = list(Session.objects.visible_to(user).filter(meeting=meeting).select_related("venue"))
        days = defaultdict(list)
        for session in sessions:
            session.meeting = meeting
            days[session.starts_on].append(session)
        # A public meeting may be part of a restricted summit: only name the parent to those who may see it.
        parent = meeting.parent if meeting.parent_id and meeting.parent.is_visible_to(user) else None
        context.update(
            parent=parent,
            sessions=sessions,
            days=sorted(days.items()),
            show_join_links=access.sees_join_details(user),
            family=families.meeting_family(meeting=meeting, user=user),
            documents=meeting.documents.visible_to(user),
            delegations=Delegation.objects.visible_to(user)
            .filter(meeting=meeting)
            .prefetch_related(Prefetch("members", queryset=DelegationMember.objects.select_related("person")))
            .order_by("country"),
            history=history.meeting_history(meeting=meeting, user=user),
            show_history_user=user.is_staff,
            json_ld=jsonld.event_json_ld(
                meeting=meeting, parent=parent, sessions=sessions, absolute=self.request.build_absolute_uri
            ),
        )
        return context


class SeriesListView(ListView):
    template_name = "events/series_list.html"
    context_object_name = "series_list"

    def get_queryset(self):
        visible = Meeting.objects.visible_to(self.request.user)
        return Series.objects.annotate(meeting_count=Count("meetings", filter=Q(meetings__in=visible)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chairs = defaultdict(list)
        for chair in Chairmanship.objects.order_by("body", "-year"):
            chairs[chair.get_body_display()].append(chair)
        context["chairs"] = sorted(chairs.items())
        return context


class SeriesDetailView(DetailView):
    model = Series
    template_name = "events/series_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        editions = Meeting.objects.visible_to(self.request.user).filter(series=self.object)
        context["meetings"] = editions.select_related("series", "venue").order_by("-start_date", "-ordinal")
        context["record_as_of"] = editions.record_as_of()
        return context


class DocumentListView(FilteredListMixin, FilterView):
    filterset_class = DocumentFilter
    template_name = "events/document_list.html"
    partial_template_name = "events/_document_results.html"
    context_object_name = "documents"
    paginate_by = 50

    def get_queryset(self):
        return (
            OutcomeDocument.objects.visible_to(self.request.user)
            .select_related("meeting", "meeting__series")
            .order_by("-meeting__start_date", "kind", "title")
        )


def document_file(request, pk):
    """A document's file, to those the access policy lets see the document (404 to anyone else).

    Files are stored under random names outside any public URL; django-sendfile2 hands the transfer to
    the web server in production (X-Accel-Redirect) and streams it here otherwise.
    """
    document = get_object_or_404(
        OutcomeDocument.objects.visible_to(request.user).select_related("meeting", "session").exclude(file=""), pk=pk
    )
    extension = os.path.splitext(document.file.name)[1].lower()
    name = (readable_slug(document.title, max_length=80) or "document") + extension
    response = sendfile(request, document.file.path, attachment_filename=name)
    public = access.level_of(document) == access.Access.PUBLIC
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    patch_vary_headers(response, ["Cookie"])
    return response


def calendar_today(request):
    today = timezone.localdate()
    return redirect("events:calendar_month", year=today.year, month=today.month)


class CalendarMonthView(TemplateView):
    template_name = "events/calendar_month.html"

    def get_context_data(self, **kwargs):
        year, month = kwargs["year"], kwargs["month"]
        if not (EARLIEST.year <= year <= LATEST.year and 1 <= month <= 12):
            raise Http404(gettext("There is no such month in the calendar."))
        context = super().get_context_data(**kwargs)
        # Django counts weekdays from Sunday = 0, Python's calendar from Monday = 0.
        first_weekday = (int(formats.get_format("FIRST_DAY_OF_WEEK")) - 1) % 7
        weeks = calendar.Calendar(first_weekday).monthdatescalendar(year, month)
        first, last = weeks[0][0], weeks[-1][-1]
        meetings = list(
            Meeting.objects.visible_to(self.request.user)
            .filter(start_date__lte=last, end_date__gte=first)
            .select_related("series")
        )
        by_day = defaultdict(list)
        for meeting in meetings:
            for day in times.days_between(max(meeting.start_date, first), min(meeting.end_date, last)):
                by_day[day].append(meeting)
        month_start = dt.date(year, month, 1)
        previous = month_start - dt.timedelta(days=1)
        following = dt.date(year, month, calendar.monthrange(year, month)[1]) + dt.timedelta(days=1)
        context.update(
            month=month_start,
            weekdays=weeks[0],
            weeks=[[(day, day.month == month, by_day.get(day, [])) for day in week] for week in weeks],
            previous=previous if previous.year >= EARLIEST.year else None,
            following=following if following.year <= LATEST.year else None,
            timelines=self.summit_weeks(meetings, month_start, following - dt.timedelta(days=1)),
            today=timezone.localdate(),
        )
        return context

    def summit_weeks(self, meetings, first, last):
        """A timeline per summit in the month: the summit and its related meetings, day by day."""
        roots = {m.pk: m for m in meetings if m.parent_id is None and m.start_date <= last and m.end_date >= first}
        children = defaultdict(list)
        for child in (
            Meeting.objects.visible_to(self.request.user).filter(parent__in=list(roots)).select_related("series")
        ):
            children[child.parent_id].append(child)
        timelines = []
        for pk, kids in children.items():
            family = sorted([*kids, roots[pk]], key=lambda m: (m.end_date, m.start_date, m.title))
            start = min(m.start_date for m in family)
            days = times.days_between(start, min(max(m.end_date for m in family), start + dt.timedelta(13)))
            rows = []
            for m in family:
                column = (m.start_date - start).days + 1
                span = (min(m.end_date, days[-1]) - m.start_date).days + 1
                if column <= len(days):
                    rows.append({"meeting": m, "column": column, "span": span})
            timelines.append({"summit": roots[pk], "days": days, "rows": rows})
        return sorted(timelines, key=lambda t: t["summit"].start_date)


class DelegationListView(TemplateView):
    template_name = "events/delegation_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = (
            Delegation.objects.visible_to(self.request.user)
            .values("country")
            .annotate(meetings=Count("meeting", distinct=True))
            .order_by("country")
        )
        context["countries"] = [
            {"code": row["country"], "name": countries.name(row["country"]), "meetings": row["meetings"]}
            for row in counts
        ]
        return context


class DelegationDetailView(TemplateView):
    template_name = "events/delegation_detail.html"

    def get_context_data(self, **kwargs):
        code = self.kwargs["country"].upper()
        if code not in countries:
            raise Http404(gettext("Unknown country code."))
        context = super().get_context_data(**kwargs)
        delegations, rows, conflicts = delegation_schedule(country=code, user=self.request.user)
        days = defaultdict(list)
        for row in rows:
            days[row.session.starts_on].append(row)
        context.update(
            country=code,
            country_name=countries.name(code),
            delegations=delegations,
            days=sorted(days.items()),
            conflicts=[c for c in conflicts if c.kind != "to_confirm"],
            to_confirm=[c for c in conflicts if c.kind == "to_confirm"],
            travel_gap=settings.DELEGATION_TRAVEL_GAP_HOURS,
        )
        return context


def default_since():
    return timezone.localdate() - dt.timedelta(days=CHANGES_DEFAULT_DAYS)


class ChangesForm(forms.Form):
    since = forms.DateField(label=_("Changes since"), required=False)

    def clean_since(self):
        since = self.cleaned_data["since"] or default_since()
        if not (EARLIEST <= since <= LATEST):
            raise forms.ValidationError(_("Dates must lie between 1967 and 2100."))
        return since


class ChangesView(TemplateView):
    template_name = "events/changes.html"

    def get(self, request, *args, **kwargs):
        form = ChangesForm(request.GET)
        if form.is_valid():
            since = form.cleaned_data["since"]
            context = self.get_context_data(
                form=form, since=since, changes=history.schedule_changes(user=request.user, since=since)
            )
            return self.render_to_response(context)
        return self.render_to_response(self.get_context_data(form=form, since=None, changes=[]), status=400)


@dataclasses.dataclass(frozen=True)
class ChangesQuery:
    """Who asks the changes feed, and since when: the feed's "object", passed to each method."""

    user: object
    since: dt.date


class ChangesFeed(Feed):
    """Atom feed of /changes/, for planners who follow changes in a feed reader.

    One instance serves every request (it is the URL's callable), so nothing about a request is kept
    on `self`: the reader and the date travel as the feed's object (`ChangesQuery`).
    """

    feed_type = Atom1Feed
    item_guid_is_permalink = False

    def __call__(self, request, *args, **kwargs):
        form = ChangesForm(request.GET)
        if not form.is_valid():
            errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
            return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
        response = super().__call__(request, *args, **kwargs)
        patch_vary_headers(response, ["Cookie"])
        return response

    def get_object(self, request, *args, **kwargs):
        form = ChangesForm(request.GET)
        form.is_valid()  # checked in __call__
        return ChangesQuery(user=request.user, since=form.cleaned_data["since"])

    def title(self, query):
        return gettext("ASCN Events: schedule changes")

    def subtitle(self, query):
        return gettext("Meetings and sessions added, moved or cancelled since %(date)s.") % {
            "date": formats.date_format(query.since, "DATE_FORMAT")
        }

    def link(self, query):
        return f"{reverse('events:changes')}?since={query.since.isoformat()}"

    def items(self, query):
        return history.schedule_changes(user=query.user, since=query.since, limit=100)

    def item_title(self, item):
        # History rows may predate the rule against control characters, and XML cannot carry them.
        return printable(f"{item.kind_label}: {item.title}")

    def item_description(self, item):
        return printable(f"{item.what_label} · {item.meeting_title} · {item.detail}")

    def item_link(self, item):
        return item.url or reverse("events:changes")

    def item_guid(self, item):
        return item.guid

    def item_pubdate(self, item):
        return item.when

    def item_updateddate(self, item):
        return item.when
