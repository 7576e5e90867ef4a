from .timezones import COMMON_ZONES


def viewer_timezone(request):
    return {"viewer_timezone": getattr(request, "viewer_timezone", None), "common_zones": COMMON_ZONES}
