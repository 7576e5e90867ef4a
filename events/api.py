"""JSON API (issue 5): pagination here, views and routes in events.api_views.

DRF's generic views read DEFAULT_PAGINATION_CLASS (this module's Pagination)
when they are first imported, so this module must not import them itself:
the routes are included by dotted path, which imports them later.
"""

from django.urls import include, path
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    # A huge page_size is capped here rather than refused: clients that ask for "everything" still get a page.
    max_page_size = 200


urlpatterns = [path("", include("events.api_views"))]
