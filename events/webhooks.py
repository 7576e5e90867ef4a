"""Webhook endpoints: which targets are allowed, how deliveries are signed and posted.

Signature header (as Stripe and GitHub do it)::

    ASCN-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

The receiver recomputes v1 over the raw body with the follow's secret, compares
in constant time and refuses timestamps older than a few minutes (replays).
"""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

SIGNATURE_HEADER = "ASCN-Signature"
USER_AGENT = "ASCN-Events-Webhooks/1"


def sign(secret, body, timestamp=None):
    """The header value for `body` (bytes) signed with `secret` at `timestamp`."""
    timestamp = int(time.time() if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _refused_address(address):
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_endpoint(url):
    """Raise ValidationError unless `url` is an HTTPS URL whose host resolves only to public addresses.

    Every address the name resolves to is checked: one private answer is enough to refuse,
    or a round-robin name could reach the internal network. ALERT_WEBHOOKS_ALLOW_LOCAL lifts
    both rules for tests and closed networks.
    """
    parts = urllib.parse.urlsplit(url)
    allow_local = settings.ALERT_WEBHOOKS_ALLOW_LOCAL
    if parts.scheme != "https" and not (allow_local and parts.scheme == "http"):
        raise ValidationError(gettext("A webhook endpoint must be an https:// URL."))
    if not parts.hostname:
        raise ValidationError(gettext("The webhook URL has no host."))
    if parts.username or parts.password:
        raise ValidationError(gettext("Put no user name or password in the webhook URL."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        answers = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        message = gettext("The webhook host “%(host)s” cannot be resolved.") % {"host": parts.hostname}
        raise ValidationError(message) from None
    if not allow_local and any(_refused_address(answer[4][0]) for answer in answers):
        raise ValidationError(
            gettext("The webhook host “%(host)s” is a private, loopback or link-local address.")
            % {"host": parts.hostname}
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could point at an internal address that check_endpoint never saw.
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(*, url, secret, payload):
    """POST `payload` as signed JSON; returns the HTTP status. Raises OSError/ValidationError on failure."""
    check_endpoint(url)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(secret, body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.ALERT_WEBHOOK_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
