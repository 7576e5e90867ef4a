"""iCalendar feed views: /feeds/all.ics, per series, meeting, delegation, and personal feeds.

Each feed answers conditional requests from an aggregate over its rows (no
rendering), then fetches the rows with `values()` and lets `events.ical`
assemble the text from cached per-event pieces.
"""

import datetime as dt
import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from django_countries import countries

from . import ical
from .filters import MeetingFilter, SessionFilter
from .models import (
    Access,
    Delegation,
    DelegationMember,
    FeedToken,
    Meeting,
    OutcomeDocument,
    Series,
    Session,
    visible_access_levels,
)

FILTER_PARAMS = ("series", "country", "mode", "status", "from", "to", "q")
# A closed-session listing shows only its time, so only facets that reveal
# nothing more may select it: its own dates and status, and its meeting's facets.
STUB_SESSION_PARAMS = ("from", "to", "status")
STUB_MEETING_PARAMS = ("series", "country", "mode", "q")
TRUE_VALUES, FALSE_VALUES = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}
# Personal feeds are polled every few hours; recording each poll would be a write per request.
LAST_USED_RESOLUTION = dt.timedelta(hours=1)
# Above this many meetings, documents are selected by subquery rather than a long IN list.
MAX_IN_LIST = 500


class BadFeedRequest(Exception):
    pass


def _subset(data, keys):
    subset = data.copy()
    for key in list(subset.keys()):
        if key not in keys:
            del subset[key]
    return subset


def feed_options(query):
    """Validated (filter data, per_day, language) from a feed's query string; BadFeedRequest if invalid."""
    data = _subset(query, FILTER_PARAMS)
    for filterset in (
        SessionFilter(data, queryset=Session.objects.none()),
        MeetingFilter(data, Meeting.objects.none()),
    ):
        if not filterset.is_valid():
            problems = [
                f"{field}: {' '.join(map(str, errors))}" if field != "__all__" else " ".join(map(str, errors))
                for field, errors in filterset.form.errors.items()
            ]
            raise BadFeedRequest(_("Invalid filter. %(problems)s") % {"problems": "; ".join(problems)})
    per_day = query.get("per_day", "").strip().lower()
    if per_day not in TRUE_VALUES | FALSE_VALUES:
        raise BadFeedRequest(_("per_day must be 1 or 0."))
    language = query.get("lang")
    if language is not None and language not in dict(settings.LANGUAGES):
        choices = ", ".join(code for code, _name in settings.LANGUAGES)
        raise BadFeedRequest(_("lang must be one of: %(choices)s.") % {"choices": choices})
    return data, per_day in TRUE_VALUES, language


def feed_querysets(*, viewer, private, data, session_scope=None, meeting_scope=None):
    """(sessions, meetings) of a feed, filtered like the planner's list.

    Sessions are those the viewer may see plus, for viewers without access to
    restricted items, restricted sessions an admin lists as closed. Meetings
    are the ones with no session in the feed (they become all-day events).
    """
    session_scope = session_scope if session_scope is not None else Q()
    meeting_scope = meeting_scope if meeting_scope is not None else Q()
    meetings_seen = Meeting.objects.visible_to(viewer) if private else Meeting.objects.public()
    sessions_seen = (Session.objects.visible_to(viewer) if private else Session.objects.public()).filter(session_scope)
    sessions = SessionFilter(data, queryset=sessions_seen).qs
    listed = sessions_seen
    if Access.RESTRICTED not in visible_access_levels(viewer if private else None):
        stubs = Session.objects.filter(
            session_scope, access=Access.RESTRICTED, show_as_closed=True, meeting__in=meetings_seen
        )
        listed = sessions_seen | stubs
        stub_meetings = MeetingFilter(_subset(data, STUB_MEETING_PARAMS), queryset=Meeting.objects.all()).qs
        stubs = SessionFilter(_subset(data, STUB_SESSION_PARAMS), queryset=stubs).qs
        stubs = stubs.filter(meeting__in=stub_meetings.values("pk"))
        # The filters may make either query DISTINCT, which `|` cannot combine.
        sessions = Session.objects.filter(Q(pk__in=sessions.values("pk")) | Q(pk__in=stubs.values("pk")))
    sessionless = meetings_seen.filter(meeting_scope).filter(~Exists(listed.filter(meeting=OuterRef("pk"))))
    meetings = MeetingFilter(data, queryset=sessionless).qs
    return sessions.order_by(), meetings.order_by()


def fingerprint(sessions, meetings):
    """Aggregates that change whenever the feed's text would: (digest input, last change)."""
    s = sessions.aggregate(
        n=Count("id"),
        ids=Sum("id"),
        revs=Sum("revision"),
        mrevs=Sum("meeting__revision"),
        last=Max("updated"),
        mlast=Max("meeting__updated"),
        slast=Max("meeting__series__updated"),
    )
    m = meetings.aggregate(
        n=Count("id"), ids=Sum("id"), revs=Sum("revision"), last=Max("updated"), slast=Max("series__updated")
    )
    stamps = [value for value in (s["last"], s["mlast"], m["last"]) if value is not None]
    return repr(sorted(s.items())) + repr(sorted(m.items())), max(stamps) if stamps else None


def documents_loader(sessions, meetings):
    def load(meeting_ids):
        documents = OutcomeDocument.objects.order_by("meeting_id", "kind", "title", "id")
        if len(meeting_ids) <= MAX_IN_LIST:
            return list(documents.filter(meeting_id__in=meeting_ids).values(*ical.DOCUMENT_FIELDS))
        selected = documents.filter(Q(meeting__in=sessions.values("meeting_id")) | Q(meeting__in=meetings.values("id")))
        return [row for row in selected.values(*ical.DOCUMENT_FIELDS) if row["meeting_id"] in meeting_ids]

    return load


class FeedView(View):
    """A public feed; subclasses narrow the scope and name the calendar."""

    http_method_names = ["get", "head", "options"]
    private = False

    def get_viewer(self):
        return None

    def get_scope(self):
        """(session scope, meeting scope, CalendarMeta, a string that changes with the header)."""
        meta = ical.CalendarMeta(
            name=settings.SITE_NAME,
            description=_("ASEAN meetings and their sessions, from %(site)s.") % {"site": settings.SITE_NAME},
        )
        return Q(), Q(), meta, ""

    def get(self, request, *args, **kwargs):
        try:
            data, per_day, language = feed_options(request.GET)
        except BadFeedRequest as error:
            return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        viewer = self.get_viewer()
        with translation.override(language):
            session_scope, meeting_scope, meta, header_version = self.get_scope()
        sessions, meetings = feed_querysets(
            viewer=viewer, private=self.private, data=data, session_scope=session_scope, meeting_scope=meeting_scope
        )
        levels = visible_access_levels(viewer if self.private else None)
        state, last_change = fingerprint(sessions, meetings)
        params = sorted((key, sorted(values)) for key, values in data.lists())
        version = repr((ical.FORMAT_VERSION, request.path, params, per_day, language, levels, header_version, state))
        etag = '"' + hashlib.sha256(version.encode()).hexdigest()[:40] + '"'

        response = HttpResponse(content_type="text/calendar; charset=utf-8")
        response["ETag"] = etag
        if last_change is not None:
            response["Last-Modified"] = http_date(last_change.timestamp())
        scope = "private" if self.private else "public"
        response["Cache-Control"] = f"{scope}, max-age={settings.FEED_CACHE_MAX_AGE}"
        if self.private:
            response["X-Robots-Tag"] = "noindex"
        conditional = get_conditional_response(
            request, etag=etag, last_modified=last_change and int(last_change.timestamp()), response=response
        )
        if conditional is not response:
            return conditional

        base_url = request.build_absolute_uri("/").rstrip("/")
        # Clients without If-None-Match get the same bytes as the last request for this state.
        feed_key = f"ical:feed:{etag.strip(chr(34))}:{hashlib.sha256(base_url.encode()).hexdigest()[:12]}"
        content = cache.get(feed_key)
        if content is None:
            ctx = ical.FeedContext(
                domain=settings.SITE_DOMAIN, base_url=base_url, language=language, private=self.private, per_day=per_day
            )
            content = ical.render_feed(
                meta=meta,
                ctx=ctx,
                sessions=list(sessions.values(*ical.SESSION_FIELDS)),
                meetings=list(meetings.values(*ical.MEETING_FIELDS)),
                levels=levels,
                documents=documents_loader(sessions, meetings),
            ).encode()
            cache.set(feed_key, content, timeout=settings.FEED_CACHE_MAX_AGE)
        response.content = content
        return response


class AllFeed(FeedView):
    pass


class SeriesFeed(FeedView):
    def get_scope(self):
        series = get_object_or_404(Series, slug=self.kwargs["slug"])
        meta = ical.CalendarMeta(
            name=f"{settings.SITE_NAME}: {series.localized_name}",
            description=series.description or series.organising_body,
            color=series.color,
        )
        return Q(meeting__series=series), Q(series=series), meta, series.updated.isoformat()


class MeetingFeed(FeedView):
    def get_scope(self):
        meeting = get_object_or_404(
            Meeting.objects.public().select_related("series"), slug=self.kwargs["slug"]
        )  # a public feed of a restricted meeting would not exist
        meta = ical.CalendarMeta(
            name=f"{settings.SITE_NAME}: {meeting.localized_title}",
            description=meeting.theme or meeting.description,
            color=meeting.series.color,
        )
        header_version = f"{meeting.revision}/{meeting.updated.isoformat()}/{meeting.series.updated.isoformat()}"
        return (
            Q(meeting=meeting) | Q(meeting__parent=meeting),
            Q(pk=meeting.pk) | Q(parent=meeting),
            meta,
            header_version,
        )


class DelegationFeed(FeedView):
    def get_scope(self):
        code = self.kwargs["country"].upper()
        if code not in countries:
            raise Http404(_("Unknown country code."))
        delegations = Delegation.objects.filter(country=code)
        members = DelegationMember.objects.filter(delegation=OuterRef("pk"))
        # A delegation without named members, or with a member who attends
        # everything (no sessions chosen), attends all of the meeting's sessions.
        attends_all = delegations.filter(meeting=OuterRef("meeting")).filter(
            ~Exists(members) | Exists(members.filter(sessions__isnull=True))
        )
        attends_this = DelegationMember.objects.filter(
            delegation__country=code, delegation__meeting=OuterRef("meeting"), sessions=OuterRef("pk")
        )
        meta = ical.CalendarMeta(
            name=f"{settings.SITE_NAME}: " + _("%(country)s delegation") % {"country": countries.name(code)},
            description=_("Meetings and sessions the delegation of %(country)s attends.")
            % {"country": countries.name(code)},
        )
        session_scope = Q(Exists(attends_all)) | Q(Exists(attends_this))
        return session_scope, Q(Exists(delegations.filter(meeting=OuterRef("pk")))), meta, code


class PrivateFeed(FeedView):
    """A personal feed: what the token's owner may see, with join links."""

    private = True

    def dispatch(self, request, *args, **kwargs):
        self.token = FeedToken.objects.for_secret(kwargs["token"])
        if self.token is None or not self.token.user.is_active:
            raise Http404(_("Unknown or revoked feed address."))
        now = timezone.now()
        if self.token.last_used is None or now - self.token.last_used > LAST_USED_RESOLUTION:
            FeedToken.objects.filter(pk=self.token.pk).update(last_used=now)
        return super().dispatch(request, *args, **kwargs)

    def get_viewer(self):
        return self.token.user

    def get_scope(self):
        session_scope, meeting_scope, meta, _version = super().get_scope()
        meta = ical.CalendarMeta(name=f"{settings.SITE_NAME}: {self.token.name}", description=meta.description)
        return session_scope, meeting_scope, meta, f"{self.token.pk}/{self.token.name}"


# --- Managing personal feed tokens -----------------------------------------------


class FeedTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, initial="Calendar")


class FeedTokenView(LoginRequiredMixin, TemplateView):
    """The user's own personal feed addresses: create one (shown once) or revoke one."""

    template_name = "events/feeds/tokens.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", FeedTokenForm())
        context["tokens"] = FeedToken.objects.filter(user=self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        form = FeedTokenForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        _token, secret = FeedToken.issue(user=request.user, name=form.cleaned_data["name"])
        feed_path = reverse("events:feed_private", kwargs={"token": secret})
        context = self.get_context_data(
            form=FeedTokenForm(),
            new_feed_url=request.build_absolute_uri(feed_path),
            new_webcal_url=f"webcal://{request.get_host()}{feed_path}",
        )
        response = self.render_to_response(context, status=201)
        response["Cache-Control"] = "no-store"  # the secret is shown once and must not be kept
        return response


class FeedTokenRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        token = get_object_or_404(FeedToken.objects.active(), pk=pk, user=request.user)
        token.revoke()
        messages.success(request, _("The feed address “%(name)s” no longer works.") % {"name": token.name})
        return redirect("events:feed_tokens")


urlpatterns = [
    path("all.ics", AllFeed.as_view(), name="feed_all"),
    path("series/<slug:slug>.ics", SeriesFeed.as_view(), name="feed_series"),
    path("meetings/<slug:slug>.ics", MeetingFeed.as_view(), name="feed_meeting"),
    path("delegations/<str:country>.ics", DelegationFeed.as_view(), name="feed_delegation"),
    path("private/<str:token>.ics", PrivateFeed.as_view(), name="feed_private"),
    path("tokens/", FeedTokenView.as_view(), name="feed_tokens"),
    path("tokens/<int:pk>/revoke/", FeedTokenRevokeView.as_view(), name="feed_token_revoke"),
]
