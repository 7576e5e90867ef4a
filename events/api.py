"""JSON API (issue 5): pagination here, views and routes in events.api_views.

DRF's generic views read DEFAULT_PAGINATION_CLASS (this module's Pagination)
the first time they are imported, which may happen while this module is
being imported. So the routes, which need those views, are loaded only when
`urlpatterns` is first read (PEP 562 module __getattr__).
"""

import json

from django.conf import settings
from django.utils.translation import gettext
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant


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
            message = gettext("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return int(raw)


class LimitedJSONParser(JSONParser):
    """JSON bodies within a size and a nesting depth (settings API_MAX_JSON_BYTES / API_MAX_JSON_DEPTH).

    The size is checked before reading past it, the depth after parsing (our payloads are two levels
    deep); a body nested beyond Python's recursion limit is caught as it is parsed. Either is a 400 with a
    message, never a 500. The default parser of every endpoint (REST_FRAMEWORK in settings).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(
                gettext("The JSON body is larger than %(limit)s bytes; send less at a time.") % {"limit": f"{limit:,}"}
            )
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            data = json.loads(raw.decode(encoding), parse_constant=strict_constant)
        except RecursionError:
            data = None
            depth = None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        else:
            depth = nesting_depth(data)
        if depth is None or depth > settings.API_MAX_JSON_DEPTH:
            raise ParseError(
                gettext("The JSON body is nested more than %(limit)s levels deep.")
                % {"limit": settings.API_MAX_JSON_DEPTH}
            )
        return data


def nesting_depth(data):
    """Levels of arrays and objects in parsed JSON (a scalar is 0), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <secret>`, checked against django-rest-knox's SHA-512 digests (never stored plain).

    A header that is not ASCII is a 401 like any wrong token (knox would fail decoding it with a 500).
    """

    def authenticate_credentials(self, token):
        try:
            token.decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(gettext("Invalid token.")) from None
        return super().authenticate_credentials(token)


def __getattr__(name):
    if name == "urlpatterns":
        from .api_views import urlpatterns

        return urlpatterns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
