"""Redis down (events/caching.py): pages, API and feeds answer uncached, conditional requests still work,
and the cache errors are logged."""

import logging

import pytest
from django.core.cache import cache
from django.test import Client
from django.test import override_settings

pytestmark = pytest.mark.django_db


DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6390/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture
def dead_redis(caplog):
    logger = logging.getLogger("django_redis.cache")
    logger.addHandler(caplog.handler)  # the project's logging config does not propagate django_redis
    with override_settings(CACHES=DEAD_REDIS, DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=True):
        yield caplog
    logger.removeHandler(caplog.handler)


def redis_errors(caplog):
    return [r for r in caplog.records if r.name == "django_redis.cache" and r.levelno >= logging.ERROR]


def test_cache_really_is_unreachable_in_these_tests(dead_redis):
    cache.set("probe", 1)
    assert cache.get("probe") is None
    assert redis_errors(dead_redis)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", "Cache-free Summit"),
        ("/meetings/", "Cache-free Summit"),
        ("/meetings/cache-free-summit/", "Opening"),
        ("/api/v1/meetings/", "Cache-free Summit"),
        ("/feeds/all.ics", "SUMMARY:Opening – Cache-free Summit"),
        ("/feeds/meetings/cache-free-summit.ics", "SUMMARY:Opening – Cache-free Summit"),
    ],
)
def test_pages_and_feeds_answer_with_redis_down_and_the_error_is_logged(dead_redis, calendar_meeting, url, expected):
    response = Client().get(url)
    assert response.status_code == 200
    assert expected in response.content.decode().replace("\r\n ", "")
    if url.endswith(".ics"):
        assert redis_errors(dead_redis), "the feed uses the cache, so its failure must be logged"


def test_feed_conditional_request_still_works_with_redis_down(dead_redis, calendar_meeting):
    client = Client()
    first = client.get("/feeds/all.ics")
    again = client.get("/feeds/all.ics", headers={"If-None-Match": first["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)
