"""Faults: a dead Redis degrades to uncached answers (logged), and a database error
in the middle of an import leaves nothing of that import behind."""

import logging

import pytest
from django.core.cache import cache
from django.db import DatabaseError
from django.test import Client, override_settings

from events.models import Meeting, Session

from .factories import MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db

# Nothing listens on 6390: every cache call fails to connect.
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


@pytest.fixture
def calendar(db):
    meeting = MeetingFactory(title="Cache-free Summit", slug="cache-free-summit")
    SessionFactory(meeting=meeting, title="Opening")
    return meeting


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
def test_pages_and_feeds_answer_with_redis_down_and_the_error_is_logged(dead_redis, calendar, url, expected):
    response = Client().get(url)
    assert response.status_code == 200
    assert expected in response.content.decode().replace("\r\n ", "")
    if url.endswith(".ics"):
        assert redis_errors(dead_redis), "the feed uses the cache, so its failure must be logged"


def test_feed_conditional_request_still_works_with_redis_down(dead_redis, calendar):
    client = Client()
    first = client.get("/feeds/all.ics")
    again = client.get("/feeds/all.ics", headers={"If-None-Match": first["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)


# --- A database error mid-import --------------------------------------------------------

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:import-one@example.org\r
DTSTAMP:20300101T000000Z\r
DTSTART:20300301T010000Z\r
DTEND:20300301T020000Z\r
SUMMARY:Imported One\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:import-two@example.org\r
DTSTAMP:20300101T000000Z\r
DTSTART:20300302T010000Z\r
DTEND:20300302T020000Z\r
SUMMARY:Imported Two\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:import-three@example.org\r
DTSTAMP:20300101T000000Z\r
DTSTART:20300303T010000Z\r
DTEND:20300303T020000Z\r
SUMMARY:Imported Three\r
END:VEVENT\r
END:VCALENDAR\r
"""


def fail_on_second_save(monkeypatch, model):
    original = model.save
    calls = {"n": 0}

    def save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise DatabaseError("disk I/O error (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(model, "save", save)
    return calls


def test_database_error_mid_import_rolls_back_the_whole_ics_import(tmp_path, monkeypatch, calendar):
    pytest.importorskip("events.management.commands.import_ics", reason="import_ics has not landed yet")
    from django.core.management import CommandError, call_command

    path = tmp_path / "calendar.ics"
    path.write_text(ICS)
    before = (Meeting.objects.count(), Session.objects.count())
    calls_meeting = fail_on_second_save(monkeypatch, Meeting)
    calls_session = fail_on_second_save(monkeypatch, Session)
    with pytest.raises((CommandError, DatabaseError)):
        call_command("import_ics", str(path), series=calendar.series.slug)
    assert calls_meeting["n"] + calls_session["n"] >= 2, "the import never reached its second save"
    assert (Meeting.objects.count(), Session.objects.count()) == before
    assert not Meeting.objects.filter(title__startswith="Imported").exists()
