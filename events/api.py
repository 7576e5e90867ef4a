"""JSON API (issue 5): pagination here, views and routes in events.api_views.

DRF's generic views read DEFAULT_PAGINATION_CLASS (this module's Pagination)
the first time they are imported, which may happen while this module is
being imported. So the routes, which need those views, are loaded only when
`urlpatterns` is first read (PEP 562 module __getattr__).
"""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    # A huge page_size is capped rather than refused: clients that ask for "everything" still get a page.
    max_page_size = 200


def __getattr__(name):
    if name == "urlpatterns":
        from .api_views import urlpatterns

        return urlpatterns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
