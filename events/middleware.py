import zoneinfo

from django.utils import timezone

SESSION_KEY = "viewer_tz"


class ViewerTimezoneMiddleware:
    """Activate the time zone the viewer chose (`?tz=`), remembered in the session.

    Without a choice nothing is activated, so pages fall back to each venue's zone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get("tz")
        if chosen is not None and hasattr(request, "session"):
            if chosen == "":
                request.session.pop(SESSION_KEY, None)
            elif chosen in zoneinfo.available_timezones():
                request.session[SESSION_KEY] = chosen
        name = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        request.viewer_timezone = name
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
