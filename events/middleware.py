import functools
import zoneinfo

from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from .text import printable
from .timezones import known_zones

SESSION_KEY = "viewer_tz"


@functools.cache
def admin_prefix():
    return reverse("admin:index")


class ViewerTimezoneMiddleware:
    """Activate the time zone the viewer chose (`?tz=`), remembered in the session.

    Without a choice nothing is activated, so pages fall back to each venue's zone.
    The admin never uses it: staff type and read times in the venue's zone, and a zone
    picked while browsing the public pages must not shift what they type.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get("tz")
        if chosen and chosen not in known_zones():
            message = gettext("“%(zone)s” is not a known IANA time zone, e.g. Asia/Jakarta.") % {"zone": chosen[:64]}
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        if chosen is not None and hasattr(request, "session"):
            if chosen == "":
                request.session.pop(SESSION_KEY, None)
            else:
                request.session[SESSION_KEY] = chosen
        name = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        request.viewer_timezone = name
        if name and not request.path.startswith(admin_prefix()):
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PrintableHtmlMiddleware:
    """HTML pages never carry the control characters entry refuses.

    Entry refuses them and a data migration cleaned old rows, but a row written by
    hand in the database may still hold one; HTML forbids them, and escaping does
    not remove them. One pass over each page here covers every template at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and not response.has_header("Content-Encoding")
        ):
            text = response.content.decode(response.charset, errors="surrogateescape")
            cleaned = printable(text)
            if cleaned is not text:
                response.content = cleaned.encode(response.charset, errors="surrogateescape")
                if response.has_header("Content-Length"):
                    response["Content-Length"] = str(len(response.content))
        return response
