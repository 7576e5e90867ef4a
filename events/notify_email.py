"""Alert emails: one multipart (text + HTML) message per follower and run, with RFC 8058 one-click unsubscribe."""

import contextlib
import smtplib

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from .access import visible_levels
from .alerts import describe, due_pending, load_context, record_failure
from .follows import Alert, AlertProfile, Cadence, DeliveryStatus
from .models import Access

UNSUBSCRIBE_SALT = "events.alerts.unsubscribe"
SEND_CHUNK = 100


def unsubscribe_token(user_id, follow_ids):
    return signing.dumps({"u": user_id, "f": sorted(set(follow_ids))}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """(user id, follow ids) of a genuine token, else None."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), list):
        return None
    return data["u"], [pk for pk in data["f"] if isinstance(pk, int)]


def one_line(text):
    return " ".join(str(text).split())[:200]


UNSUBSCRIBE_PLACEHOLDER = "\x00unsubscribe\x00"


def render_bodies(*, items, digest):
    """Subject, text and HTML for these items in the active language. The unsubscribe link is a placeholder,
    so followers who are told the same thing share one rendering."""
    if digest:
        subject = gettext("Daily digest: %(count)d changes to what you follow") % {"count": len(items)}
    elif len(items) == 1:
        item = items[0]
        subject = f"{item.kind_label}: {item.title}"
        if item.changes:
            subject += f" ({', '.join(c.label for c in item.changes)})"
    else:
        subject = gettext("%(count)d changes to what you follow") % {"count": len(items)}
    context = {
        "items": items,
        "digest": digest,
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "follows_url": settings.SITE_URL + reverse("events:follows"),
        "site_name": settings.SITE_NAME,
    }
    return (
        one_line(f"{settings.SITE_NAME}: {subject}"),
        render_to_string("events/email/alert.txt", context),
        render_to_string("events/email/alert.html", context),
    )


def build_message(*, user, bodies, follow_ids):
    subject, text, html = bodies
    token = unsubscribe_token(user.pk, follow_ids)
    unsubscribe = settings.SITE_URL + reverse("events:unsubscribe", kwargs={"token": token})
    message = EmailMultiAlternatives(
        subject=subject,
        body=text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": make_msgid("alert", domain=settings.SITE_DOMAIN),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html.replace(UNSUBSCRIBE_PLACEHOLDER, escape(unsubscribe)), "text/html")
    return message


def send_pending(*, user_ids, digest):
    """Email these followers their due alerts (immediate, or daily for a digest), oldest change first.

    A follower with an alert waiting for a retry gets nothing newer until it goes (order per follower).
    Returns the number of alerts sent.
    """
    now = timezone.now()
    cadence = Cadence.DAILY if digest else Cadence.IMMEDIATE
    base = Alert.objects.filter(user_id__in=user_ids, cadence=cadence)
    waiting = set(base.filter(status=DeliveryStatus.PENDING, next_attempt_at__gt=now).values_list("user_id", flat=True))
    alerts = list(
        due_pending(base, now)
        .exclude(user_id__in=waiting)
        .select_related("change", "user__alert_profile")
        .order_by("user_id", "change__created", "change_id")
    )
    if not alerts:
        return 0
    by_user = {}
    for alert in alerts:
        by_user.setdefault(alert.user_id, []).append(alert)
    contexts = {}
    for alert in alerts:
        if alert.change_id not in contexts:
            contexts[alert.change_id] = load_context(alert.change)
    rendered, bodies = {}, {}
    messages = []  # (user_id, alerts, message)
    skipped = []
    for user_alerts in by_user.values():
        user = user_alerts[0].user
        profile = getattr(user, "alert_profile", None) or AlertProfile.for_user(user)
        public_only = all(contexts[a.change_id] is None or contexts[a.change_id].public_throughout for a in user_alerts)
        levels = tuple([Access.PUBLIC] if public_only else visible_levels(user))
        items, shown, keys = [], [], []
        with translation.override(profile.language):
            for alert in user_alerts:
                context = contexts[alert.change_id]
                key = (alert.change_id, profile.language, profile.timezone, levels)
                if key not in rendered:
                    rendered[key] = (
                        describe(context, user=user, levels=levels, zone_name=profile.timezone) if context else None
                    )
                if rendered[key] is None:
                    skipped.append(alert.pk)
                else:
                    items.append(rendered[key])
                    shown.append(alert)
                    keys.append(key)
            if not shown:
                continue
            if not user.email:
                Alert.objects.filter(pk__in=[a.pk for a in shown]).update(
                    status=DeliveryStatus.FAILED, last_error="The follower has no email address."
                )
                continue
            body_key = (tuple(keys), digest)
            if body_key not in bodies:
                bodies[body_key] = render_bodies(items=items, digest=digest)
            follow_ids = [a.follow_id for a in shown if a.follow_id]
            message = build_message(user=user, bodies=bodies[body_key], follow_ids=follow_ids)
            messages.append((user.pk, shown, message))
    if skipped:
        # Not visible to the follower (any more): nothing to say, nothing to retry.
        Alert.objects.filter(pk__in=skipped).update(
            status=DeliveryStatus.SENT, last_error="not visible to the follower"
        )
    return _send(messages, digest=digest)


def _send(messages, *, digest):
    from .alerts import deliver

    def retry(user_id):
        return lambda at: deliver.using(run_after=at).enqueue([user_id], digest=digest)

    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as error:  # noqa: BLE001 - an unreachable server is retried later, never raised
        for user_id, alerts, _message in messages:
            record_failure(Alert.objects, alerts, error, on_retry=retry(user_id))
        return 0
    try:
        for start in range(0, len(messages), SEND_CHUNK):
            delivered = []
            for user_id, alerts, message in messages[start : start + SEND_CHUNK]:
                message.connection = connection
                try:
                    connection.send_messages([message])
                except (smtplib.SMTPException, OSError, ValueError) as error:
                    record_failure(Alert.objects, alerts, error, on_retry=retry(user_id))
                    if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                        connection.close()
                        with contextlib.suppress(Exception):
                            connection.open()
                    continue
                delivered.extend(a.pk for a in alerts)
            if delivered:
                Alert.objects.filter(pk__in=delivered).update(
                    status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
                )
                sent += len(delivered)
    finally:
        connection.close()
    return sent
