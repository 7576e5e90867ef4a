"""JSON API (issue 5): pagination here, views and routes in events.api_views.

DRF's generic views read DEFAULT_PAGINATION_CLASS (this module's Pagination)
the first time they are imported, which may happen while this module is
being imported. So the routes, which need those views, are loaded only when
`urlpatterns` is first read (PEP 562 module __getattr__).
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        # Refuse rather than silently cap: a client asking for 10**9 rows must learn it gets at most 200.
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            message = _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return int(raw)


def __getattr__(name):
    if name == "urlpatterns":
        from .api_views import urlpatterns

        return urlpatterns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
