"""Slugs for titles in any script, allocated with one query per title (events/slugs.py)."""

import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.ics_import import import_calendar
from events.models import Meeting
from events.models import Series
from events.resources import MeetingResource
from events.slugs import SlugAllocator
from events.slugs import readable_slug

from .conftest import admin_meeting_post
from .conftest import ics_calendar
from .conftest import vevent
from .factories import MeetingFactory
from .factories import SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("การประชุมสุดยอดอาเซียน ครั้งที่ 42", "karprachumsudyodoaesiyn-khrangthi-42"),
        ("កិច្ចប្រជុំកំពូលអាសាន", "kechchbrchoamkampoulasan"),
        ("အာဆီယံ ထိပ်သီး အစည်းအဝေး", "achiym-thipsi-cnnve"),
        ("东盟峰会", "dongmengfenghui"),
        ("Hội nghị Cấp cao ASEAN lần thứ 42", "hoi-nghi-cap-cao-asean-lan-thu-42"),
        ("KTT ASEAN ke-42", "ktt-asean-ke-42"),
    ],
)
def test_titles_in_any_script_get_a_readable_slug(title, slug):
    assert readable_slug(title) == slug


def test_meeting_saved_without_a_slug_gets_title_and_year():
    meeting = MeetingFactory(title="东盟峰会", slug="")
    assert meeting.slug == "dongmengfenghui-2030"
    assert MeetingFactory(title="东盟峰会", slug="").slug == "dongmengfenghui-2030-2"


def test_title_with_nothing_to_transliterate_falls_back_to_series_and_year():
    meeting = MeetingFactory(title="☆☆☆", slug="", series=SeriesFactory(slug="asean-summit"))
    assert meeting.slug == "asean-summit-2030"


def test_admin_add_form_with_an_empty_slug_fills_it(administrator_client):
    series = SeriesFactory()
    data = admin_meeting_post(
        MeetingFactory.build(series=series, venue=None, timezone="Asia/Bangkok", mode=""),
        "",
        title="การประชุมสุดยอดอาเซียน",
        slug="",
    )
    response = administrator_client.post(reverse("admin:events_meeting_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Meeting.objects.get().slug == "karprachumsudyodoaesiyn-2030"


def test_allocator_reads_taken_slugs_once_per_base():
    MeetingFactory(slug="forum-2030")
    MeetingFactory(slug="forum-2030-3")
    MeetingFactory(slug="forum-2030-extra")
    slugs = SlugAllocator(Meeting)
    with CaptureQueriesContext(connection) as queries:
        allocated = [slugs.allocate("Forum 2030", fallback="x") for _ in range(5)]
    assert allocated == ["forum-2030-2", "forum-2030-4", "forum-2030-5", "forum-2030-6", "forum-2030-7"]
    assert len(queries) == 1


def test_icalendar_import_of_many_same_title_events_reads_slugs_once():
    series = SeriesFactory(slug="partner")
    data = ics_calendar(
        *(vevent(f"e{n}@x", "Working Group", "DTSTART:20300601T060000Z", "DTEND:20300601T070000Z") for n in range(30))
    )
    with CaptureQueriesContext(connection) as queries:
        import_calendar(data=data.encode(), series=series)
    slug_reads = [q for q in queries if "LIKE" in q["sql"] and '"slug"' in q["sql"]]
    assert len(slug_reads) == 1
    slugs = set(Meeting.objects.values_list("slug", flat=True))
    assert slugs == {"working-group-2030", *(f"working-group-2030-{n}" for n in range(2, 31))}


def test_spreadsheet_rows_without_slugs_get_unique_ones(summit_series):
    header = "slug,title,series,start_date,end_date,timezone,mode\n"
    text = header + ",ASEAN 东盟,summit,2030-11-10,2030-11-13,UTC,\n" * 3
    result = MeetingResource().import_data(
        tablib.Dataset().load(text, format="csv"), rollback_on_validation_errors=True
    )
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert sorted(Meeting.objects.values_list("slug", flat=True)) == [
        "asean-dongmeng-2030",
        "asean-dongmeng-2030-2",
        "asean-dongmeng-2030-3",
    ]


def test_series_saved_without_a_slug_gets_one_from_its_name():
    assert Series.objects.create(name="ការប្រជុំ").slug == "karbrchoam"
