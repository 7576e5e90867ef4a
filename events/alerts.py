"""Change alerts (issue 16): from a saved change to each follower who may see it.

1. Every historical record of a meeting, session, outcome document or delegation saved while
   anybody follows anything becomes a `Change`, and a `fan_out` task is enqueued in the
   same transaction (django-tasks' database backend writes the task as a row): a change
   that rolls back never alerts, and one that commits cannot be lost by a worker restart.
2. `fan_out` finds the follows the change concerns, asks the access policy what each
   follower may see, and writes one `Alert` per follower × change and one
   `WebhookDelivery` per follow-with-endpoint × change, in batches, ignoring rows that
   already exist (a retried fan-out adds nothing). It then enqueues `deliver` tasks, one
   per batch of followers, and schedules daily digests.
3. `deliver` takes a lease on each follower (one sender at a time keeps their alerts in
   order), sends their pending alerts oldest first in one email per follower, posts their
   webhooks, and marks what went. A failure leaves the rest pending with a retry time
   (exponential backoff) and a task enqueued for it.
4. `recover` (run every minute by every worker) re-enqueues whatever a crashed worker
   left behind: changes not fanned out, alerts due with no task.
"""

import dataclasses
import datetime as dt
import logging
import secrets
import threading
import time
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import receiver
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task
from simple_history.signals import post_create_historical_record

from . import access, history, times
from .access import visible_levels, visible_levels_of
from .follows import Alert, AlertProfile, Cadence, Change, DeliveryStatus, Follow, WebhookDelivery
from .models import Access, Delegation, Meeting, OutcomeDocument, Session

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 15  # 30 s doubling, capped at an hour: about 10 hours of trying before an alert is marked failed

# What a calendar subscriber sees, per kind of item (bookkeeping such as participant counts is left out).
ALERT_FIELDS = {
    "meeting": (
        "title", "title_id", "start_date", "end_date", "venue", "timezone", "mode", "status", "access",
        "official_url", "description",
    ),
    "session": (
        "title", "title_id", "starts_on", "ends_on", "start", "end", "venue", "room", "mode", "join_url",
        "join_passcode", "status", "access", "meeting", "description",
    ),
    "document": ("title", "title_id", "kind", "status", "adopted_on", "url", "file", "language", "session"),
    # A country's delegation added to (or taken off) a meeting changes that country's schedule.
    "delegation": ("country", "organisation", "meeting"),
}  # fmt: skip
MODELS = {"meeting": Meeting, "session": Session, "document": OutcomeDocument, "delegation": Delegation}
# Items with an access level of their own; documents and delegations take their meeting's (and session's).
LEVELLED = {"meeting", "session"}


def retry_delay(attempts):
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# --- 1. Capture --------------------------------------------------------------


@receiver(post_create_historical_record, dispatch_uid="alerts_capture_change")
def capture_change(sender, instance, history_instance, **kwargs):
    what = {model.history.model: name for name, model in MODELS.items()}.get(sender)
    if what is None or not Follow.objects.exists():
        return
    meeting_ref = instance.pk if what == "meeting" else instance.meeting_id
    change = Change.objects.create(
        what=what, object_id=instance.pk, history_id=history_instance.history_id, meeting_ref=meeting_ref
    )
    fan_out.enqueue(change.pk)


# --- What one follower sees of one change ---------------------------------------


@dataclasses.dataclass
class ChangeContext:
    """A change's before and after records, loaded once per task."""

    change: Change
    record: object
    previous: object
    meetings: dict  # pk -> current Meeting (the item's, and the one a session moved from)

    @property
    def what(self):
        return self.change.what

    def field_changes(self):
        if self.previous is None or self.record.history_type != "~":
            return []
        model = MODELS[self.what]
        return [
            name
            for name in ALERT_FIELDS[self.what]
            if getattr(self.previous, model._meta.get_field(name).attname)
            != getattr(self.record, model._meta.get_field(name).attname)
        ]

    def _levels_needed(self, state):
        """Access levels one must hold to see the item in `state` (a historical record), or None if it is gone."""
        if state is None or state.history_type == "-":
            return None
        needed = {state.access} if self.what in LEVELLED else set()
        meeting_id = state.id if self.what == "meeting" else state.meeting_id
        meeting = self.meetings.get(meeting_id)
        if self.what != "meeting":
            if meeting is None:
                return None
            needed.add(meeting.access)
        if self.what == "document" and state.session_id:
            session_access = Session.objects.filter(pk=state.session_id).values_list("access", flat=True).first()
            if session_access:
                needed.add(session_access)
        return needed

    @property
    def needed_before(self):
        if not hasattr(self, "_before"):
            self._before = self._levels_needed(self.previous)
        return self._before

    @property
    def needed_after(self):
        if not hasattr(self, "_after"):
            self._after = self._levels_needed(self.record)
        return self._after

    @property
    def public_throughout(self):
        return all(needed is None or needed <= {Access.PUBLIC} for needed in (self.needed_before, self.needed_after))

    def kind_for(self, levels):
        """added, changed, removed, or None when the follower is not to hear of it."""
        before = self.needed_before is not None and self.needed_before <= set(levels)
        after = self.needed_after is not None and self.needed_after <= set(levels)
        if after and not before:
            return "added"  # created, or newly visible to this follower: it arrives as new
        if before and not after:
            return "removed"
        if before and after and self.field_changes():
            return "changed"
        return None


def load_context(change):
    history = MODELS[change.what].history
    record = history.filter(history_id=change.history_id).first()
    if record is None:
        return None
    previous = (
        history.filter(id=record.id)
        .filter(Q(history_date__lt=record.history_date) | Q(history_date=record.history_date, history_id__lt=record.pk))
        .order_by("-history_date", "-history_id")
        .first()
    )
    meeting_ids = {change.meeting_ref}
    if change.what != "meeting" and previous is not None:
        meeting_ids.add(previous.meeting_id)
    meetings = {m.pk: m for m in Meeting.objects.filter(pk__in=meeting_ids - {None}).select_related("series")}
    return ChangeContext(change, record, previous, meetings)


@dataclasses.dataclass
class AlertItem:
    kind: str
    what: str
    title: str
    meeting_title: str
    url: str
    when: str
    zone: str
    changes: list

    @property
    def kind_label(self):
        return {"added": gettext("New"), "changed": gettext("Changed"), "removed": gettext("Removed")}[self.kind]

    @property
    def what_label(self):
        labels = {
            "meeting": gettext("Meeting"),
            "session": gettext("Session"),
            "document": gettext("Outcome document"),
            "delegation": gettext("Delegation"),
        }
        return labels[self.what]

    def as_json(self):
        return {
            "kind": self.kind,
            "what": self.what,
            "title": self.title,
            "meeting": self.meeting_title,
            "url": self.url,
            "when": self.when,
            "zone": self.zone,
            "changes": [{"field": c.label, "old": c.old, "new": c.new} for c in self.changes],
        }


def describe(context, *, user, levels, zone_name):
    """The change as `user` may see it, in the active language and in `zone_name` (or the item's own zone)."""
    kind = context.kind_for(levels)
    if kind is None:
        return None
    record = context.record if context.record.history_type != "-" else context.previous
    model = MODELS[context.what]
    labels = history._Labels([r for r in (context.record, context.previous) if r is not None], user)
    meeting_id = record.id if context.what == "meeting" else record.meeting_id
    meeting = context.meetings.get(meeting_id)
    meeting_zone = meeting.timezone if meeting else "UTC"
    if zone_name:
        zone = zoneinfo.ZoneInfo(zone_name)
    elif context.what == "session":
        zone = history._record_zone(record, labels.venue_zones, meeting_zone)
    else:
        zone = zoneinfo.ZoneInfo(meeting_zone or "UTC")
    changes = []
    if kind == "changed":
        shown = set(context.field_changes())
        hidden = {f.name for f in model._meta.concrete_fields} - shown
        if not access.sees_join_details(user):
            hidden |= set(access.JOIN_FIELDS)
        changes = history._diff(record, context.previous, model=model, hidden=hidden, labels=labels, zone=zone)
    if context.what == "meeting":
        when = times.format_date_span(record.start_date, record.end_date)
    elif context.what == "delegation" and meeting is not None:
        when = times.format_date_span(meeting.start_date, meeting.end_date)
    elif context.what == "session":
        when = history._when_text(record, "session", zone)
    else:
        when = ""
    url = meeting.get_absolute_url() if meeting else ""
    if url and context.what == "delegation":
        url += "#delegations-heading"
    elif url and kind != "removed" and context.what != "meeting":
        url += f"#{context.what}-{record.id}"
    if context.what == "delegation":
        title = gettext("Delegation of %(country)s") % {"country": record.country.name}
    else:
        title = history._localized(record)
    return AlertItem(
        kind=kind,
        what=context.what,
        title=title,
        meeting_title=meeting.localized_title if meeting else title,
        url=f"{settings.SITE_URL}{url}" if url else settings.SITE_URL + "/",
        when=when,
        zone=str(zone),
        changes=changes,
    )


# --- 2. Fan-out --------------------------------------------------------------


def matching_follows(context):
    """Follows a change concerns: of its meeting(s), their series, their delegations' countries, matching filters."""
    from .filters import MeetingFilter

    meeting_ids = set(context.meetings)
    series_ids = {m.series_id for m in context.meetings.values()}
    if context.what == "meeting":
        series_ids |= {r.series_id for r in (context.record, context.previous) if r is not None}
    countries = set(Delegation.objects.filter(meeting_id__in=meeting_ids).values_list("country", flat=True))
    if context.what == "delegation":
        # A delegation taken off a meeting is gone from the table; its country still hears of it.
        countries |= {str(r.country) for r in (context.record, context.previous) if r is not None}
    query_ids = []
    queries = Follow.objects.exclude(query="").values_list("query", flat=True).distinct()
    for query in queries:
        filterset = MeetingFilter(QueryDict(query), queryset=Meeting.objects.filter(pk__in=meeting_ids))
        if filterset.is_valid() and filterset.qs.exists():
            query_ids.extend(Follow.objects.filter(query=query).values_list("pk", flat=True))
    return Follow.objects.for_meeting(
        meeting_ids=meeting_ids, series_ids=series_ids, countries=countries, query_follow_ids=query_ids
    )


@task()
def fan_out(change_id):
    change = Change.objects.filter(pk=change_id).first()
    if change is None:
        return 0
    context = load_context(change)
    if context is None:
        return 0
    if context.previous is not None and context.record.history_type == "~" and not context.field_changes():
        Change.objects.filter(pk=change.pk).update(fanned_out=timezone.now())
        return 0
    follows = matching_follows(context).select_related("user").order_by("user_id", "pk")
    by_user = defaultdict(list)
    for follow in follows.iterator(chunk_size=2000):
        by_user[follow.user_id].append(follow)
    users = list(by_user)
    written = 0
    for start in range(0, len(users), BATCH_SIZE):
        batch = users[start : start + BATCH_SIZE]
        alerts, hooks, immediate, daily = [], [], [], []
        # The followers' levels in two queries per batch, not two per follower.
        batch_levels = {} if context.public_throughout else visible_levels_of([by_user[pk][0].user for pk in batch])
        for user_id in batch:
            user_follows = by_user[user_id]
            user = user_follows[0].user
            levels = [Access.PUBLIC] if context.public_throughout else batch_levels[user_id]
            if not user.is_active or context.kind_for(levels) is None:
                continue
            emailed = [f for f in user_follows if f.email]
            if emailed:
                cadence = Cadence.IMMEDIATE if any(f.cadence == Cadence.IMMEDIATE for f in emailed) else Cadence.DAILY
                alerts.append(Alert(user_id=user_id, change=change, follow=emailed[0], cadence=cadence))
                (immediate if cadence == Cadence.IMMEDIATE else daily).append(user_id)
            for follow in user_follows:
                if follow.webhook_url:
                    hooks.append(WebhookDelivery(follow=follow, change=change))
                    if not emailed or user_id in daily:
                        immediate.append(user_id)
        with transaction.atomic():
            Alert.objects.bulk_create(alerts, ignore_conflicts=True)
            WebhookDelivery.objects.bulk_create(hooks, ignore_conflicts=True)
            ensure_profiles(batch)
            if immediate:
                deliver.enqueue(sorted(set(immediate)))
            schedule_digests(daily)
        written += len(alerts) + len(hooks)
    Change.objects.filter(pk=change.pk).update(fanned_out=timezone.now())
    return written


def ensure_profiles(user_ids):
    existing = set(AlertProfile.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    AlertProfile.objects.bulk_create(
        [AlertProfile(user_id=pk) for pk in user_ids if pk not in existing], ignore_conflicts=True
    )


def next_digest_time(zone_name, now=None):
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(zone_name or settings.ALERT_DIGEST_ZONE)
    local = now.astimezone(zone)
    due = local.replace(hour=settings.ALERT_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if due <= local:
        due = (local + dt.timedelta(days=1)).replace(hour=settings.ALERT_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return due.astimezone(dt.UTC)


def schedule_digests(user_ids):
    """A digest task at the next digest hour for each of these followers who has none scheduled yet."""
    if not user_ids:
        return
    unscheduled = AlertProfile.objects.filter(user_id__in=user_ids, digest_due__isnull=True)
    by_zone = defaultdict(list)
    for user_id, zone_name in unscheduled.values_list("user_id", "timezone"):
        by_zone[zone_name].append(user_id)
    for zone_name, ids in by_zone.items():
        due = next_digest_time(zone_name)
        AlertProfile.objects.filter(user_id__in=ids, digest_due__isnull=True).update(digest_due=due)
        deliver.using(run_after=due).enqueue(ids, digest=True)


# --- 3. Delivery -------------------------------------------------------------


def _claim(user_ids):
    """Leases on those followers nobody else is sending to; returns (token, owned ids)."""
    token = secrets.token_hex(8)
    now = timezone.now()
    AlertProfile.objects.filter(user_id__in=user_ids).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    ).update(lease_until=now + LEASE, lease_token=token)
    owned = set(AlertProfile.objects.filter(user_id__in=user_ids, lease_token=token).values_list("user_id", flat=True))
    return token, owned


def _release(token, user_ids):
    AlertProfile.objects.filter(user_id__in=user_ids, lease_token=token).update(lease_until=None, lease_token="")


@task()
def deliver(user_ids, digest=False):
    """Send these followers what they are owed: immediate alerts (or, for `digest`, their daily ones) and webhooks."""
    from . import notify_email

    ensure_profiles(user_ids)
    token, owned = _claim(user_ids)
    busy = sorted(set(user_ids) - owned)
    if busy:
        # Somebody is sending to them right now; come back when they are done, so order holds.
        deliver.using(run_after=timezone.now() + dt.timedelta(seconds=5)).enqueue(busy, digest=digest)
    if not owned:
        return 0
    try:
        if digest:
            AlertProfile.objects.filter(user_id__in=owned).update(digest_due=None)
        sent = notify_email.send_pending(user_ids=sorted(owned), digest=digest)
        sent += post_webhooks(user_ids=sorted(owned))
    finally:
        _release(token, owned)
    return sent


def due_pending(queryset, now):
    """Pending rows that may go now: none of the same follower's (or endpoint's) is waiting for a retry."""
    return queryset.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def record_failure(queryset, rows, error, *, on_retry):
    """Count an attempt on `rows`; retry later with backoff, or give up after MAX_ATTEMPTS."""
    now = timezone.now()
    attempts = max(row.attempts for row in rows) + 1
    message = f"{type(error).__name__}: {error}"[:500]
    if attempts >= MAX_ATTEMPTS:
        queryset.filter(pk__in=[r.pk for r in rows]).update(
            attempts=attempts, status=DeliveryStatus.FAILED, last_error=message
        )
        return
    retry_at = now + retry_delay(attempts)
    queryset.filter(pk__in=[r.pk for r in rows]).update(attempts=attempts, next_attempt_at=retry_at, last_error=message)
    on_retry(retry_at)


def post_webhooks(*, user_ids):
    from . import webhooks

    now = timezone.now()
    pending = list(
        due_pending(WebhookDelivery.objects.filter(follow__user_id__in=user_ids), now)
        .exclude(
            Exists(
                WebhookDelivery.objects.filter(
                    follow=OuterRef("follow"), status=DeliveryStatus.PENDING, next_attempt_at__gt=now
                )
            )
        )
        .select_related("follow__user", "change")
        .order_by("follow_id", "change__created", "change_id")
    )
    contexts, sent, stopped = {}, 0, set()
    for delivery in pending:
        follow = delivery.follow
        if follow.pk in stopped:
            continue
        payload = webhook_payload(delivery, contexts)
        if payload is None:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, last_error="not visible")
            continue
        try:
            status = webhooks.post(url=follow.webhook_url, secret=follow.webhook_secret, payload=payload)
            if not 200 <= status < 300:
                raise OSError(f"HTTP {status}")
        except Exception as error:  # noqa: BLE001 - any failure of a foreign endpoint is retried, never raised
            stopped.add(follow.pk)
            record_failure(
                WebhookDelivery.objects,
                [delivery],
                error,
                on_retry=lambda at, user_id=follow.user_id: deliver.using(run_after=at).enqueue([user_id]),
            )
            if isinstance(error, OSError) and str(error).startswith("HTTP "):
                WebhookDelivery.objects.filter(pk=delivery.pk).update(response_status=int(str(error)[5:]))
            continue
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), response_status=status, attempts=delivery.attempts + 1
        )
        sent += 1
    return sent


def webhook_payload(delivery, contexts):
    follow, user = delivery.follow, delivery.follow.user
    change = delivery.change
    if change.pk not in contexts:
        contexts[change.pk] = load_context(change)
    context = contexts[change.pk]
    if context is None:
        return None
    profile = AlertProfile.for_user(user)
    with translation.override(profile.language):
        item = describe(context, user=user, levels=visible_levels(user), zone_name=profile.timezone)
        if item is None:
            return None
        return {
            "id": f"{change.pk}.{follow.pk}",
            "type": f"{item.what}.{item.kind}",
            "occurred_at": change.created.isoformat(),
            "follow": {"id": follow.pk, "kind": follow.kind, "target": str(follow.target_label)},
            "language": profile.language,
            "item": item.as_json(),
        }


# --- 4. Recovery and the embedded worker -------------------------------------------


def recover(now=None):
    """Re-enqueue what a crashed worker left: changes never fanned out, alerts and webhooks due with nobody on them."""
    now = now or timezone.now()
    stale = now - dt.timedelta(minutes=1)
    for change_id in Change.objects.filter(fanned_out__isnull=True, created__lt=stale).values_list("pk", flat=True)[
        :1000
    ]:
        fan_out.enqueue(change_id)
    users = set(
        due_pending(Alert.objects.filter(cadence=Cadence.IMMEDIATE, created__lt=stale), now).values_list(
            "user_id", flat=True
        )[:10000]
    )
    users |= set(
        due_pending(WebhookDelivery.objects.filter(created__lt=stale), now).values_list("follow__user_id", flat=True)[
            :10000
        ]
    )
    users -= set(AlertProfile.objects.filter(user_id__in=users, lease_until__gt=now).values_list("user_id", flat=True))
    ids = sorted(users)
    for start in range(0, len(ids), BATCH_SIZE):
        deliver.enqueue(ids[start : start + BATCH_SIZE])
    overdue = list(
        AlertProfile.objects.filter(digest_due__lt=now - dt.timedelta(minutes=5)).values_list("user_id", flat=True)
    )
    if overdue:
        deliver.enqueue(overdue, digest=True)


def run_worker(*, interval=1.0, stop=None):
    """A django-tasks database worker plus `recover` every minute; `stop` (an Event) ends it."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=interval,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"alerts-{secrets.token_hex(6)}",
        excluded_queue_names=[],
    )
    last_recover = 0.0
    while stop is None or not stop.is_set():
        if time.monotonic() - last_recover > 60:
            try:
                recover()
            except Exception:  # noqa: BLE001 - the loop must survive a database hiccup
                logger.exception("alerts: recovery failed")
            last_recover = time.monotonic()
        try:
            worker.run()  # batch mode: runs what is ready, then returns
        except Exception:  # noqa: BLE001
            logger.exception("alerts: worker loop failed")
        if stop is not None:
            stop.wait(interval)
        else:
            time.sleep(interval)


def start_embedded_worker():
    """For `make run`: alerts go out with no worker started. Tasks stay rows in the database, so stopping
    runserver loses nothing; the next start (or any `manage.py alerts_worker`) picks them up."""
    thread = threading.Thread(target=run_worker, name="alerts-embedded-worker", daemon=True)
    thread.start()
    return thread
