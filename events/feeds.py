"""iCalendar feed views: /feeds/all.ics, per series, meeting, delegation, and personal feeds.

Each feed answers conditional requests from one primary-key read of the change
stamp (`events.caching.site_stamp`), whatever the size of the calendar. To send a feed
it takes the digest of each month of events (computed once per change stamp for
all feeds, see `month_digests`) and lets `events.ical` assemble the text from
cached month chunks, reading full rows only for the months whose digest moved.
"""

import dataclasses
import datetime as dt
import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, CharField, Count, Exists, F, Max, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Cast, Substr
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext, gettext_lazy
from django.views import View
from django_countries import countries

from . import caching, ical, ical_assembly
from .access import visible_levels
from .feed_tokens import FeedTokenRevokeView, FeedTokenView
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
)

# The list's own filters, so a feed link made from a filtered list selects what the list shows.
FILTER_PARAMS = tuple(MeetingFilter.base_filters)
# A closed-session listing shows only its time, so only facets that reveal
# nothing more may select it: its own dates and status, and its meeting's facets.
STUB_SESSION_PARAMS = ("from", "to", "status")
STUB_MEETING_PARAMS = ("series", "country", "mode", "year", "q")
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


@dataclasses.dataclass(frozen=True)
class FeedOptions:
    data: QueryDict  # the filter parameters only
    filterset: SessionFilter  # validated: its cleaned data filters sessions and meetings alike
    per_day: bool
    language: str | None

    def etag_part(self):
        return sorted((key, sorted(values)) for key, values in self.data.lists()), self.per_day, self.language


# Validated options by query string, per process: building and validating a FilterSet was a third of
# a conditional request's time. Only options whose validation reads nothing from the database are kept.
_OPTIONS_CACHE = {}
_OPTIONS_CACHE_SIZE = 256


def feed_options(query):
    """Validated FeedOptions from a feed's query string; BadFeedRequest if invalid.

    One FilterSet validates the filters: the meeting and session FilterSets
    declare the same feed parameters, and building FilterSets is what made
    a 304 slow.
    """
    key = query.urlencode()
    options = _OPTIONS_CACHE.get(key)
    if options is None:
        options = _validated_options(query)
        if "series" not in options.data:  # series slugs are looked up: a deleted one must be refused
            if len(_OPTIONS_CACHE) >= _OPTIONS_CACHE_SIZE:
                _OPTIONS_CACHE.clear()
            _OPTIONS_CACHE[key] = options
    return options


def _validated_options(query):
    data = _subset(query, FILTER_PARAMS)
    filterset = SessionFilter(data, queryset=Session.objects.none())
    if not filterset.is_valid():
        problems = [
            f"{field}: {' '.join(map(str, errors))}" if field != "__all__" else " ".join(map(str, errors))
            for field, errors in filterset.form.errors.items()
        ]
        raise BadFeedRequest(gettext("Invalid filter. %(problems)s") % {"problems": "; ".join(problems)})
    per_day = query.get("per_day", "").strip().lower()
    if per_day not in TRUE_VALUES | FALSE_VALUES:
        raise BadFeedRequest(gettext("per_day must be 1 or 0."))
    language = query.get("lang")
    if language is not None and language not in dict(settings.LANGUAGES):
        choices = ", ".join(code for code, _name in settings.LANGUAGES)
        raise BadFeedRequest(gettext("lang must be one of: %(choices)s.") % {"choices": choices})
    return FeedOptions(data=data, filterset=filterset, per_day=per_day in TRUE_VALUES, language=language)


def _filtered(queryset, filters, cleaned, names=FILTER_PARAMS):
    for name in names:
        queryset = filters[name].filter(queryset, cleaned[name])
    return queryset


def feed_querysets(*, viewer, private, options, session_scope=None, meeting_scope=None):
    """(sessions, meetings) of a feed, filtered like the planner's list.

    Sessions are those the viewer may see plus, for viewers without access to
    restricted items, restricted sessions an admin lists as closed. Meetings
    are the ones with no session in the feed (they become all-day events).
    """
    session_scope = session_scope if session_scope is not None else Q()
    meeting_scope = meeting_scope if meeting_scope is not None else Q()
    cleaned = options.filterset.form.cleaned_data
    session_filters = options.filterset.filters
    meeting_filters = MeetingFilter(queryset=Meeting.objects.none()).filters
    meetings_seen = Meeting.objects.visible_to(viewer) if private else Meeting.objects.public()
    sessions_seen = (Session.objects.visible_to(viewer) if private else Session.objects.public()).filter(session_scope)
    sessions = _filtered(sessions_seen, session_filters, cleaned)
    listed = sessions_seen
    if Access.RESTRICTED not in visible_levels(viewer if private else None):
        stubs = Session.objects.filter(
            session_scope, access=Access.RESTRICTED, show_as_closed=True, meeting__in=meetings_seen
        )
        listed = sessions_seen | stubs
        stub_meetings = _filtered(Meeting.objects.all(), meeting_filters, cleaned, STUB_MEETING_PARAMS)
        stubs = _filtered(stubs, session_filters, cleaned, STUB_SESSION_PARAMS)
        stubs = stubs.filter(meeting__in=stub_meetings.values("pk"))
        # The filters may make either query DISTINCT, which `|` cannot combine.
        sessions = Session.objects.filter(Q(pk__in=sessions.values("pk")) | Q(pk__in=stubs.values("pk")))
    sessionless = meetings_seen.filter(meeting_scope).filter(~Exists(listed.filter(meeting=OuterRef("pk"))))
    meetings = _filtered(sessionless, meeting_filters, cleaned)
    return sessions.order_by(), meetings.order_by()


def exists_sql(queryset):
    """A scalar subquery: the id of the queryset's first row, or NULL, as (sql, params)."""
    sql, params = queryset.order_by().values("pk")[:1].query.sql_with_params()
    return f"({sql})", list(params)


_SLUG = "\x00slug"


@functools.cache
def _slug_exists_sql(queryset_for):
    return exists_sql(queryset_for(_SLUG))


def slug_exists_sql(queryset_for, slug):
    """exists_sql(queryset_for(slug)), compiled once per query shape: compiling was a tenth of a 304."""
    sql, params = _slug_exists_sql(queryset_for)
    return sql, [slug if param == _SLUG else param for param in params]


def _series_by_slug(slug):
    return Series.objects.filter(slug=slug)


def _public_meeting_by_slug(slug):
    return Meeting.objects.public().filter(slug=slug)


_SINCE_SEEN = {}


def etag_since(*, variant, etag, last_change):
    """The Last-Modified time of a feed address: its last data change, or the time its ETag last moved.

    Some changes move only the ETag (who attends what, what a token's owner may see, the
    negotiated language): without this, a client sending only If-Modified-Since would be
    told nothing changed. The first ETag seen at an address is dated by its data.
    """
    key = "ical:since:" + hashlib.sha256(variant.encode()).hexdigest()[:40]
    # This process's memory first: most requests repeat the ETag they saw last, and a cache round trip
    # per conditional request was a tenth of its time.
    seen = _SINCE_SEEN.get(key)
    if seen is None or seen[0] != etag:
        seen = cache.get(key)
    if seen is not None and seen[0] == etag:
        since = seen[1]
    else:
        since = timezone.now() if seen is not None else last_change
        cache.set(key, (etag, since), timeout=ical.PIECE_TIMEOUT)
    if len(_SINCE_SEEN) >= _OPTIONS_CACHE_SIZE * 16:
        _SINCE_SEEN.clear()
    _SINCE_SEEN[key] = (etag, since)
    return max((moment for moment in (last_change, since) if moment is not None), default=None)


def documents_loader(sessions, meetings):
    def load(meeting_ids):
        documents = OutcomeDocument.objects.order_by("meeting_id", "kind", "title", "id")
        if len(meeting_ids) <= MAX_IN_LIST:
            return list(documents.filter(meeting_id__in=meeting_ids).values(*ical.DOCUMENT_FIELDS))
        selected = documents.filter(Q(meeting__in=sessions.values("meeting_id")) | Q(meeting__in=meetings.values("id")))
        return [row for row in selected.values(*ical.DOCUMENT_FIELDS) if row["meeting_id"] in meeting_ids]

    return load


def with_record_date(meta, *, levels):
    """The calendar's description, ending with the date the record of meetings holds as of."""
    as_of = Meeting.objects.filter(access__in=levels).record_as_of()
    if as_of is None:
        return meta
    note = gettext("Record as of %(date)s.") % {"date": as_of.isoformat()}
    return dataclasses.replace(meta, description=f"{meta.description}\n{note}" if meta.description else note)


class FeedView(View):
    """A public feed; subclasses narrow the scope and name the calendar.

    A conditional request costs one query (the change stamp, see `caching.site_stamp`)
    plus whatever a subclass needs to know who asks; the feed's rows are read
    only when the feed is sent.
    """

    http_method_names = ["get", "head", "options"]
    private = False

    def get_viewer(self):
        return None

    def get_scope(self):
        """(session scope, meeting scope) as Q objects, built without queries."""
        return Q(), Q()

    def get_state_extra(self):
        """Extra (sql, params) scalar subqueries for the validator; a first value of 0 means 404."""
        return []

    def get_meta(self):
        """The calendar's name and description (may query; only called when the feed is sent)."""
        return ical.CalendarMeta(
            name=settings.SITE_NAME,
            description=gettext("ASEAN meetings and their sessions, from %(site)s.") % {"site": settings.SITE_NAME},
        )

    def get(self, request, *args, **kwargs):
        try:
            options = feed_options(request.GET)
        except BadFeedRequest as error:
            return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
        language = options.language or translation.get_language() or settings.LANGUAGE_CODE
        viewer = self.get_viewer()
        levels = visible_levels(viewer if self.private else None)
        extra = self.get_state_extra()
        stamp, last_change, extra_values = caching.site_stamp(extra)
        if extra and not extra_values[0]:
            raise Http404(self.not_found_message)
        base_url = request.build_absolute_uri("/").rstrip("/")
        # The ETag names the uncompressed bytes: the same for every content coding.
        etag = caching.make_etag(
            ical.CODE_VERSION, request.path, base_url, options.etag_part(), language, levels, self.token_key(), stamp
        )
        last_change = etag_since(
            variant=repr((request.path, options.etag_part(), self.token_key())), etag=etag, last_change=last_change
        )

        response = HttpResponse(content_type="text/calendar; charset=utf-8")
        response["ETag"] = etag
        if last_change is not None:
            response["Last-Modified"] = http_date(last_change.timestamp())
        scope = "private" if self.private else "public"
        response["Cache-Control"] = f"{scope}, max-age={settings.FEED_CACHE_MAX_AGE}"
        patch_vary_headers(response, ["Accept-Encoding"])
        if self.private:
            response["X-Robots-Tag"] = "noindex"
        conditional = get_conditional_response(
            request, etag=etag, last_modified=last_change and int(last_change.timestamp()), response=response
        )
        if conditional is not response:
            return conditional

        # Clients without If-None-Match get the same bytes as the last request for this state,
        # in the coding they accept, compressed once per state.
        body, coding = caching.stored_body(
            "ical:feed:" + etag.strip('"'),
            caching.accepted_coding(request),
            lambda: self.render(options, language, viewer, levels, base_url, stamp),
            timeout=settings.FEED_CACHE_MAX_AGE,
        )
        caching.set_body(response, body, coding)
        return response

    not_found_message = gettext_lazy("No such feed.")

    def token_key(self):
        return ""

    # Large feeds are kept as month chunks reused across changes; small ones are read and written whole.
    chunked = True

    def render(self, options, language, viewer, levels, base_url, stamp):
        with translation.override(language):
            meta = with_record_date(self.get_meta(), levels=levels)
        session_scope, meeting_scope = self.get_scope()

        def querysets(months=None):
            scope = session_scope if months is None else session_scope & _month_ranges("starts_on", months)
            sessions, _meetings = feed_querysets(
                viewer=viewer, private=self.private, options=options, session_scope=scope, meeting_scope=meeting_scope
            )
            # A meeting is sessionless by all its sessions, so the meetings' read is never cut by month.
            _sessions, meetings = feed_querysets(
                viewer=viewer, private=self.private, options=options, session_scope=session_scope,
                meeting_scope=meeting_scope if months is None else meeting_scope & _month_ranges("start_date", months),
            )  # fmt: skip
            return sessions, meetings

        ctx = ical.FeedContext(
            domain=settings.SITE_DOMAIN, base_url=base_url, language=language, private=self.private,
            per_day=options.per_day,
        )  # fmt: skip
        if not self.chunked:
            sessions, meetings = querysets()
            return ical_assembly.render_feed(
                meta=meta, ctx=ctx, sessions=list(sessions.values(*ical.SESSION_FIELDS)),
                meetings=list(meetings.values(*ical.MEETING_FIELDS)), levels=levels,
                documents=documents_loader(sessions, meetings), use_cache=False,
            ).encode()  # fmt: skip

        def rows(months):
            sessions, meetings = querysets(None if months is None or len(months) > MAX_MONTH_RANGES else months)
            documents = documents_loader(sessions, meetings)
            return list(sessions.values(*ical.SESSION_FIELDS)), list(meetings.values(*ical.MEETING_FIELDS)), documents

        feed = repr((self.request.path, options.etag_part(), self.token_key()))
        return ical_assembly.render_chunked_feed(
            meta=meta, ctx=ctx, levels=levels, digests=month_digests(stamp), feed=feed, rows=rows
        )


def _month(field):
    return Substr(Cast(field, output_field=CharField()), 1, 7)


def _digest_of(value):
    return hashlib.sha256(repr(value).encode()).hexdigest()[:24]


def _id_if(condition):
    return Sum(Case(When(condition, then=F("id")), default=Value(0)))


def month_digests(stamp):
    """{month ("yyyy-mm"): digest} of every month with sessions or meetings, the same for every feed.

    Computed once per change stamp (and kept under it) from three grouped queries
    over whole tables, so every feed after a change shares them. A month's digest
    moves with any insert, delete or edit of its sessions and meetings: edits move
    `updated` (document and venue changes touch the meetings and sessions showing
    them; every revision bump moves it too), inserts and deletes the counts and id sums, access and
    "show as closed" changes their own sums, a meeting gaining or losing sessions
    the session sums of its month, a parent's edit (its level) its parts' months, and
    any series edit every month. Who attends what is not followed here: delegation
    feeds are not chunked.
    """
    key = f"ical:digests:{ical.CODE_VERSION}:{stamp[0]}.{stamp[1]}"
    digests = cache.get(key)
    if digests is not None:
        return digests
    public = Q(access=Access.PUBLIC)
    # Sessions grouped by their month and their meeting's month: a session's text shows its
    # meeting, and a meeting is an all-day event of its own month only while it has no sessions.
    session_groups = (
        Session.objects.order_by().annotate(month=_month("starts_on"), meeting_month=_month("meeting__start_date"))
        .values("month", "meeting_month")
        .annotate(n=Count("id"), ids=Sum("id"), updated=Max("updated"), meeting_updated=Max("meeting__updated"),
                  public=_id_if(public),
                  closed=_id_if(Q(show_as_closed=True)), meeting_access=_id_if(Q(meeting__access=Access.PUBLIC)))
    )  # fmt: skip
    meeting_groups = (
        Meeting.objects.order_by().annotate(month=_month("start_date")).values("month")
        .annotate(n=Count("id"), ids=Sum("id"), updated=Max("updated"), public=_id_if(public),
                  # RELATED-TO names a parent only for readers who may see it: its level is part of the month.
                  parent_updated=Max("parent__updated"))
    )  # fmt: skip
    series = Series.objects.aggregate(n=Count("id"), ids=Sum("id"), updated=Max("updated"))
    parts = {}
    for kind, groups in (("s", session_groups), ("m", meeting_groups)):
        for group in _raw_rows(groups):
            months = {group.pop("month"), group.pop("meeting_month", None)} - {None}
            for month in months:
                parts.setdefault(month, []).append((kind, sorted(group.items())))
    digests = {month: _digest_of((sorted(values), series)) for month, values in parts.items()}
    cache.set(key, digests, timeout=ical.PIECE_TIMEOUT)
    return digests


def _raw_rows(queryset):
    """A values() queryset's rows as dicts of the database's own values: digests need no Python conversion."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _month_ranges(field, months):
    ranges = Q()
    for month in months:
        year, number = map(int, month.split("-"))
        first = dt.date(year, number, 1)
        following = dt.date(year + number // 12, number % 12 + 1, 1)
        ranges |= Q(**{f"{field}__gte": first, f"{field}__lt": following})
    return ranges


# Above this many changed months, one read of every row is cheaper than a long OR of ranges.
MAX_MONTH_RANGES = 24


class AllFeed(FeedView):
    pass


class SeriesFeed(FeedView):
    not_found_message = gettext_lazy("No such series.")

    def get_scope(self):
        return Q(meeting__series__slug=self.kwargs["slug"]), Q(series__slug=self.kwargs["slug"])

    def get_state_extra(self):
        return [slug_exists_sql(_series_by_slug, self.kwargs["slug"])]

    def get_meta(self):
        series = get_object_or_404(Series, slug=self.kwargs["slug"])
        return ical.CalendarMeta(
            name=f"{settings.SITE_NAME}: {series.localized_name}",
            description=series.description or series.organising_body,
            color=series.color,
        )


class MeetingFeed(FeedView):
    not_found_message = gettext_lazy("No such meeting.")
    chunked = False  # a meeting and its related meetings: a handful of events

    def get_scope(self):
        slug = self.kwargs["slug"]
        # Only a public meeting has a public feed (checked in get_state_extra), so its slug is scope enough.
        return Q(meeting__slug=slug) | Q(meeting__parent__slug=slug), Q(slug=slug) | Q(parent__slug=slug)

    def get_state_extra(self):
        return [slug_exists_sql(_public_meeting_by_slug, self.kwargs["slug"])]

    def get_meta(self):
        meeting = get_object_or_404(Meeting.objects.public().select_related("series"), slug=self.kwargs["slug"])
        return ical.CalendarMeta(
            name=f"{settings.SITE_NAME}: {meeting.localized_title}",
            description=meeting.theme or meeting.description,
            color=meeting.series.color,
        )


class DelegationFeed(FeedView):
    chunked = False  # who attends what is not in the month digests
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.code = kwargs["country"].upper()

    def get(self, request, *args, **kwargs):
        if self.code not in countries:
            raise Http404(gettext("Unknown country code."))
        return super().get(request, *args, **kwargs)

    def get_scope(self):
        code = self.code
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
        session_scope = Q(Exists(attends_all)) | Q(Exists(attends_this))
        return session_scope, Q(Exists(delegations.filter(meeting=OuterRef("pk"))))

    def get_meta(self):
        name = countries.name(self.code)
        return ical.CalendarMeta(
            name=f"{settings.SITE_NAME}: " + gettext("%(country)s delegation") % {"country": name},
            description=gettext("Meetings and sessions the delegation of %(country)s attends.") % {"country": name},
        )


class PrivateFeed(FeedView):
    """A personal feed: what the token's owner may see, with join links."""

    private = True

    def dispatch(self, request, *args, **kwargs):
        self.token = FeedToken.objects.for_secret(kwargs["token"])
        if self.token is None or not self.token.user.is_active:
            raise Http404(gettext("Unknown or revoked feed address."))
        now = timezone.now()
        if self.token.last_used is None or now - self.token.last_used > LAST_USED_RESOLUTION:
            FeedToken.objects.filter(pk=self.token.pk).update(last_used=now)
        return super().dispatch(request, *args, **kwargs)

    def get_viewer(self):
        return self.token.user

    def token_key(self):
        return f"{self.token.pk}/{self.token.name}"

    def get_meta(self):
        meta = super().get_meta()
        return ical.CalendarMeta(name=f"{settings.SITE_NAME}: {self.token.name}", description=meta.description)


# --- Managing personal feed tokens -----------------------------------------------


urlpatterns = [
    path("all.ics", AllFeed.as_view(), name="feed_all"),
    path("series/<slug:slug>.ics", SeriesFeed.as_view(), name="feed_series"),
    path("meetings/<slug:slug>.ics", MeetingFeed.as_view(), name="feed_meeting"),
    path("delegations/<str:country>.ics", DelegationFeed.as_view(), name="feed_delegation"),
    path("private/<str:token>.ics", PrivateFeed.as_view(), name="feed_private"),
    path("tokens/", FeedTokenView.as_view(), name="feed_tokens"),
    path("tokens/<int:pk>/revoke/", FeedTokenRevokeView.as_view(), name="feed_token_revoke"),
]
