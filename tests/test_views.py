"""The planner pages (events/views.py): what they show, to whom, in which zone, and at what query cost."""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from events.models import Access
from events.models import DelegationMember
from events.models import Meeting
from events.models import Mode
from events.models import Session
from events.models import Status

from .conftest import count_queries
from .conftest import embedded_json_ld
from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import DocumentFactory
from .factories import MeetingFactory
from .factories import PersonFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import UserFactory
from .factories import VenueFactory
from .factories import timed

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "/",
    "/meetings/",
    "/meetings/?mode=in_person&from=2030-01-01",
    "/meetings/?series=flat-series&country=ID&year=2030&status=scheduled",
    "/series/",
    "/series/flat-series/",
    "/documents/",
    "/documents/?kind=declaration",
    "/calendar/2030/3/",
    "/delegations/",
    "/delegations/ID/",
    "/delegations/id/",
    "/changes/?since=2000-01-01",
    "/changes/feed/?since=2000-01-01",
]


def populate(count, *, series=None, summit=None):
    """`count` public meetings with a timed and a date-only session, a document and an Indonesian delegation."""
    series = series or SeriesFactory()
    meetings = []
    for n in range(count):
        day = dt.date(2030, 3, 1) + dt.timedelta(days=n % 20)
        meeting = MeetingFactory(series=series, start_date=day, end_date=day + dt.timedelta(days=1), parent=summit)
        start, end = timed(day, 9)
        SessionFactory(meeting=meeting, start=start, end=end, venue=meeting.venue)
        SessionFactory(meeting=meeting, starts_on=day + dt.timedelta(days=1), venue=meeting.venue)
        DocumentFactory(meeting=meeting)
        member = DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting, country="ID"))
        member.sessions.set(meeting.sessions.all()[:1])
        meetings.append(meeting)
    return meetings


@pytest.mark.parametrize("url", LIST_PAGES)
def test_list_page_query_count_constant_from_1_to_20_meetings(client, url):
    series = SeriesFactory(slug="flat-series")
    summit = MeetingFactory(series=series, start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 25))
    populate(1, series=series, summit=summit)
    client.get(url)  # warm the session and any per-process caches
    one = count_queries(client, url)
    populate(19, series=series, summit=summit)
    twenty = count_queries(client, url)
    assert one == twenty


def test_meeting_detail_query_count_constant_in_sessions(client):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting)
    DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting, country="BN"))
    DocumentFactory(meeting=meeting)
    url = meeting.get_absolute_url()
    client.get(url)
    one = count_queries(client, url)
    for n, country in enumerate(["ID", "SG", "TH", "VN", "MY", "PH", "KH", "LA", "MM"] * 2 + ["TL"]):
        start, end = timed(meeting.start_date, 8 + n % 10)
        SessionFactory(meeting=meeting, start=start, end=end)
        DocumentFactory(meeting=meeting)
        if n < 9:
            DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting, country=country))
    twenty = count_queries(client, url)
    assert one == twenty


# --- Visibility --------------------------------------------------------------


@pytest.fixture
def secret_meeting(db):
    series = SeriesFactory(slug="secret-series")
    meeting = MeetingFactory(
        series=series, title="Hidden Retreat", title_id="Retret Rahasia", slug="hidden", access=Access.RESTRICTED
    )
    start, end = timed(meeting.start_date, 10)
    SessionFactory(meeting=meeting, title="Hidden Session", start=start, end=end)
    DocumentFactory(meeting=meeting, title="Hidden Declaration")
    DelegationFactory(meeting=meeting, country="ID")
    return meeting


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/meetings/",
        "/series/",
        "/series/secret-series/",
        "/documents/",
        "/calendar/2030/3/",
        "/delegations/ID/",
        "/changes/?since=2000-01-01",
        "/changes/feed/?since=2000-01-01",
    ],
)
def test_restricted_meeting_invisible_to_anonymous_users(client, secret_meeting, url):
    MeetingFactory(title="Open Forum")
    body = client.get(url).content.decode()
    assert "Hidden" not in body
    assert "Rahasia" not in body


def test_restricted_meeting_page_is_404_for_anonymous_and_shown_to_staff(administrator_client, secret_meeting):
    assert Client().get("/meetings/hidden/").status_code == 404
    response = administrator_client.get("/meetings/hidden/")
    assert response.status_code == 200
    assert "Hidden Session" in response.content.decode()


def test_restricted_session_of_public_meeting_hidden_from_anonymous(client, user):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting, title="Open Plenary")
    SessionFactory(meeting=meeting, title="Closed Retreat", access=Access.RESTRICTED)
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "Open Plenary" in body
    assert "Closed Retreat" not in body
    user.user_permissions.add(Permission.objects.get(codename="view_restricted"))
    client.force_login(user)
    assert "Closed Retreat" in client.get(meeting.get_absolute_url()).content.decode()


def test_join_link_never_shown_to_anonymous_users(client, user):
    meeting = MeetingFactory(mode=Mode.HYBRID)
    SessionFactory(meeting=meeting, mode=Mode.VIRTUAL, join_url="https://meet.example.org/xyz", join_passcode="s3cret")
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "meet.example.org" not in body
    assert "s3cret" not in body
    client.force_login(user)
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "https://meet.example.org/xyz" in body
    assert "s3cret" in body


def test_join_link_change_hidden_from_anonymous_history(administrator_client):
    meeting = MeetingFactory()
    session = SessionFactory(meeting=meeting, mode=Mode.HYBRID, join_url="https://meet.example.org/old")
    session.join_url = "https://meet.example.org/new"
    session.save()
    assert "meet.example.org" not in Client().get(meeting.get_absolute_url()).content.decode()
    assert "https://meet.example.org/new" in administrator_client.get(meeting.get_absolute_url()).content.decode()


# --- Lists and filters --------------------------------------------------------


def test_meeting_list_filters_by_series_and_status(client):
    summit = SeriesFactory(slug="summit")
    MeetingFactory(series=summit, title="Summit A")
    MeetingFactory(series=summit, title="Summit B", status=Status.CANCELLED)
    MeetingFactory(title="Other Meeting")
    body = client.get("/meetings/?series=summit&status=scheduled").content.decode()
    assert "Summit A" in body
    assert "Summit B" not in body
    assert "Other Meeting" not in body


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/meetings/?country=ZZ", "Select a valid choice"),
        ("/meetings/?from=2030-13-45", "Enter a valid date"),
        ("/meetings/?from=2030-05-01&to=2030-01-01", "The end of the date range is before its start."),
        ("/meetings/?series=no-such-series", "Select a valid choice"),
        ("/documents/?kind=poem", "Select a valid choice"),
        ("/changes/?since=yesterday", "Enter a valid date"),
        ("/changes/?since=1900-01-01", "Dates must lie between 1967 and 2100."),
    ],
)
def test_bad_filter_value_gets_400_with_message(client, url, message):
    MeetingFactory(title="Should Not Be Listed")
    response = client.get(url)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "Should Not Be Listed" not in body


def test_changes_feed_bad_since_gets_400(client):
    response = client.get("/changes/feed/?since=nope")
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_meeting_list_facets_show_whole_labels_counts_and_dates_in_the_page_language(client):
    series = SeriesFactory(
        name="ASEAN Smart Cities Network Annual Meeting", name_id="Pertemuan Tahunan ASCN", slug="ascn"
    )
    jakarta = VenueFactory(name="JCC", city="Jakarta", country="ID", timezone="Asia/Jakarta")
    MeetingFactory(series=series, venue=jakarta, start_date=dt.date(2023, 9, 5), end_date=dt.date(2023, 9, 7))
    MeetingFactory(series=series, start_date=dt.date(2023, 10, 1), end_date=dt.date(2023, 10, 1))

    body = client.get("/meetings/", {"series": "ascn", "from": "2023-09-01"}).content.decode()

    assert (
        '<input type="checkbox" id="facet-series-ascn" name="series" value="ascn" checked> '
        '<span class="facet-label">ASEAN Smart Cities Network Annual Meeting</span> <span class="count">(2)</span>'
    ) in body
    assert '<optgroup label="ASEAN members"><option value="ID">Indonesia (1)</option>' in body
    assert '<option value="SG">Singapore (1)</option></optgroup>' in body
    assert "Other countries" not in body
    assert 'value="09/01/2023" placeholder="mm/dd/yyyy"' in body
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    body = client.get("/meetings/", {"series": "ascn", "from": "2023-09-01"}).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<span class="facet-label">Pertemuan Tahunan ASCN</span> <span class="count">(2)</span>' in body
    assert 'value="01-09-2023" placeholder="hh-bb-tttt"' in body


def test_meeting_list_htmx_request_gets_the_facets_and_results_only(client):
    MeetingFactory(title="Partial Meeting")
    response = client.get("/meetings/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="planner"')  # the facets' counts change with the results
    assert "<html" not in body
    assert "Partial Meeting" in body
    assert "HX-Request" in response["Vary"]


def test_document_register_filters_by_kind(client):
    DocumentFactory(title="Vision Paper", kind="vision")
    DocumentFactory(title="Some Declaration", kind="declaration")
    body = client.get("/documents/?kind=vision").content.decode()
    assert "Vision Paper" in body
    assert "Some Declaration" not in body


def test_series_page_lists_all_editions_newest_first(client):
    series = SeriesFactory(slug="amm", name="Foreign Ministers")
    MeetingFactory(series=series, title="Edition 2018", start_date=dt.date(2018, 8, 1), end_date=dt.date(2018, 8, 2))
    MeetingFactory(series=series, title="Edition 2019", start_date=dt.date(2019, 8, 1), end_date=dt.date(2019, 8, 2))
    body = client.get("/series/amm/").content.decode()
    assert body.index("Edition 2019") < body.index("Edition 2018")
    assert 'href="webcal://testserver/feeds/series/amm.ics"' in body


def test_home_lists_upcoming_meetings_and_recent_ones(client):
    MeetingFactory(title="Future Meeting")
    MeetingFactory(title="Past Meeting", start_date=dt.date(2019, 1, 1), end_date=dt.date(2019, 1, 2))
    body = client.get("/").content.decode()
    lists = body[body.index('<ul class="meeting-list">') :]  # after "at a glance", which names both
    assert lists.index("Future Meeting") < lists.index("Recent meetings") < lists.index("Past Meeting")


# --- Meeting page ---------------------------------------------------------------


def test_meeting_page_groups_sessions_by_day_with_badges_and_status(client):
    meeting = MeetingFactory(mode=Mode.HYBRID, status=Status.POSTPONED)
    SessionFactory(meeting=meeting, title="Day One Session", starts_on=dt.date(2030, 3, 1))
    SessionFactory(meeting=meeting, title="Day Two Session", starts_on=dt.date(2030, 3, 2), status=Status.CANCELLED)
    page = client.get(meeting.get_absolute_url()).content.decode()
    body = page[page.index('id="schedule-heading"') :]
    assert body.index("Friday, 1 March 2030") < body.index("Day One Session")
    assert body.index("Day One Session") < body.index("Saturday, 2 March 2030") < body.index("Day Two Session")
    body = page
    assert '<span class="badge mode mode-hybrid">Hybrid</span>' in body
    assert "This meeting has been postponed" in body
    assert '<span class="badge status status-cancelled">Cancelled</span>' in body


def test_meeting_page_lists_summit_family_in_order(client):
    summit = MeetingFactory(title="The Summit", start_date=dt.date(2030, 4, 25), end_date=dt.date(2030, 4, 28))
    for title, day in [("AMM", 27), ("CPR", 25), ("SOM", 26)]:
        MeetingFactory(title=title, parent=summit, start_date=dt.date(2030, 4, day), end_date=dt.date(2030, 4, day))
    MeetingFactory(title="Hidden SOM", parent=summit, access=Access.CONFIDENTIAL)
    body = client.get(summit.get_absolute_url()).content.decode()
    family = body[body.index("Summit week") :]
    positions = [family.index(t) for t in ("CPR", "SOM", "AMM", "The Summit")]
    assert positions == sorted(positions)
    assert "Hidden SOM" not in body


def test_meeting_page_shows_documents_and_delegations(client):
    meeting = MeetingFactory()
    DocumentFactory(meeting=meeting, title="Jakarta Declaration")
    head = DelegationMemberFactory(
        delegation=DelegationFactory(meeting=meeting, country="ID"), person=PersonFactory(name="Ibu Menteri")
    )
    head.is_head = True
    head.save()
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "Jakarta Declaration" in body
    assert 'href="/delegations/ID/">Indonesia</a>' in body
    assert "led by Ibu Menteri" in body


# --- Time zones -------------------------------------------------------------------


def test_date_only_sessions_and_meeting_dates_never_shift_a_day(client):
    meeting = MeetingFactory(start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 1), title="Single Day")
    SessionFactory(meeting=meeting, title="All Day", starts_on=dt.date(2030, 3, 1))
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        body = client.get(meeting.get_absolute_url() + f"?tz={zone}").content.decode()
        assert "Friday, 1 March 2030" in body
        assert "Thursday" not in body
        assert "Saturday" not in body
        assert "Time not announced (all day)" in body
        listing = client.get("/meetings/").content.decode()
        assert '<time datetime="2030-03-01">March 1, 2030</time>' in listing


# --- What changed -------------------------------------------------------------------


def test_meeting_page_shows_field_diffs_and_user_only_to_staff(administrator_client, administrator_user):
    meeting = MeetingFactory(title="Original Title")
    meeting = Meeting.objects.get(pk=meeting.pk)
    meeting._history_user = administrator_user
    meeting.title = "Renamed Title"
    meeting.end_date = dt.date(2030, 3, 4)
    meeting.save()
    body = Client().get(meeting.get_absolute_url()).content.decode()
    assert "Meeting changed" in body
    assert "<del>Original Title</del>" in body
    assert "<ins>Renamed Title</ins>" in body
    assert "<del>March 3, 2030</del>" in body
    assert "<ins>March 4, 2030</ins>" in body
    assert "by administrator" not in body
    assert "by administrator" in administrator_client.get(meeting.get_absolute_url()).content.decode()


def change_schedule():
    meeting = MeetingFactory(title="Changing Meeting")
    start, end = timed(meeting.start_date, 9)
    moved = SessionFactory(meeting=meeting, title="Moved Session", start=start, end=end)
    cancelled = SessionFactory(meeting=meeting, title="Cancelled Session")
    SessionFactory(meeting=meeting, title="Restricted Session", access=Access.RESTRICTED)
    moved = Session.objects.get(pk=moved.pk)
    moved.start, moved.end = timed(meeting.start_date, 14)
    moved.save()
    cancelled = Session.objects.get(pk=cancelled.pk)
    cancelled.status = Status.CANCELLED
    cancelled.save()
    removed = SessionFactory(meeting=meeting, title="Removed Session")
    removed.delete()
    cosmetic = Session.objects.get(pk=cancelled.pk)
    cosmetic.description = "typo fixed"
    cosmetic.save()
    return meeting


def test_changes_page_lists_added_moved_cancelled_and_removed(client):
    change_schedule()
    body = client.get("/changes/").content.decode()
    rows = re.findall(r'<tr class="change change-(\w+)">.*?</tr>', body, re.S)
    assert sorted(rows) == sorted(["added"] * 4 + ["moved", "cancelled", "removed"])
    assert "Moved Session" in body
    assert "Friday, 1 March 2030 14:00 (UTC+8)" in body
    assert "Restricted Session" not in body


def test_changes_page_only_lists_changes_since_the_date(client):
    change_schedule()
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    body = client.get(f"/changes/?since={tomorrow.isoformat()}").content.decode()
    assert "No schedule changes in this period." in body


def test_changes_atom_feed_lists_changes(client):
    change_schedule()
    response = client.get("/changes/feed/?since=2000-01-01")
    assert response["Content-Type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(response.content)
    titles = sorted(entry.find("a:title", ns).text for entry in root.findall("a:entry", ns))
    assert "Moved: Moved Session" in titles
    assert "Cancelled: Cancelled Session" in titles
    assert "Removed: Removed Session" in titles
    assert not any("Restricted" in t for t in titles)
    ids = [entry.find("a:id", ns).text for entry in root.findall("a:entry", ns)]
    assert len(ids) == len(set(ids)) == 7


# --- Structured data, HTML and CSP ---------------------------------------------------------


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class StrictHTML(HTMLParser):
    """Checks what a validator would: balanced elements, unique ids, no inline styles or scripts."""

    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.problems, self.in_script = [], set(), [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.problems.append(f"inline style on <{tag}>")
        if any(name.startswith("on") for name in attrs):
            self.problems.append(f"inline event handler on <{tag}>")
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/ld+json":
            self.problems.append("inline script")
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.problems.append(f"duplicate id {attrs['id']}")
            self.ids.add(attrs["id"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/meetings/",
        "/meetings/?country=ZZ",
        "/meetings/summit-2030/",
        "/meetings/summit-2030/?tz=Asia/Tokyo",
        "/series/",
        "/series/summit/",
        "/documents/",
        "/calendar/2030/3/",
        "/delegations/",
        "/delegations/ID/",
        "/changes/",
    ],
)
def test_pages_are_valid_html_without_inline_script_or_style(client, url):
    summit = MeetingFactory(slug="summit-2030", series=SeriesFactory(slug="summit"), mode=Mode.HYBRID)
    populate(2, summit=summit)
    start, end = timed(summit.start_date, 9)
    SessionFactory(meeting=summit, start=start, end=end)
    response = client.get(url)
    body = response.content.decode()
    assert body.startswith("<!doctype html>")
    parser = StrictHTML()
    parser.feed(body)
    assert parser.problems == []
    assert parser.stack == []
    assert body.count("<h1") == 1
    assert re.search(r'<html lang="en">', body)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_print_stylesheet_linked_for_print(client):
    body = client.get("/delegations/ID/").content.decode()
    assert '<link rel="stylesheet" href="/static/events/print.css" media="print">' in body
    assert '<script src="/static/events/htmx.min.js" defer></script>' in body


# --- Calendar ---------------------------------------------------------------------------


def test_month_grid_places_meeting_on_each_of_its_days(client):
    MeetingFactory(title="Three Day Meeting", start_date=dt.date(2030, 3, 1), end_date=dt.date(2030, 3, 3))
    body = client.get("/calendar/2030/3/").content.decode()
    assert "<h1>March 2030</h1>" in body
    assert body.count("Three Day Meeting") == 3
    assert 'href="/calendar/2030/2/"' in body
    assert 'href="/calendar/2030/4/"' in body


def test_month_grid_shows_summit_week_timeline(client):
    summit = MeetingFactory(title="Big Summit", start_date=dt.date(2030, 4, 25), end_date=dt.date(2030, 4, 28))
    MeetingFactory(title="SOM Meeting", parent=summit, start_date=dt.date(2030, 4, 26), end_date=dt.date(2030, 4, 26))
    body = client.get("/calendar/2030/4/").content.decode()
    assert "Week of the Big Summit" in body
    assert 'class="tl-bar tl-col-2 tl-span-1"' in body
    assert 'class="tl-bar tl-col-1 tl-span-4 tl-summit"' in body


@pytest.mark.parametrize("url", ["/calendar/2030/13/", "/calendar/1800/1/"])
def test_calendar_rejects_impossible_months(client, url):
    assert client.get(url).status_code == 404


def test_calendar_root_redirects_to_this_month(client):
    today = dt.date.today()
    response = client.get("/calendar/")
    assert response.status_code == 302
    assert response["Location"] == reverse("events:calendar_month", args=[today.year, today.month])


# --- Delegations ---------------------------------------------------------------------------


def test_delegation_page_flags_overlap_and_travel_conflicts(client):
    jakarta = VenueFactory(name="JCC", city="Jakarta", country="ID", timezone="Asia/Jakarta")
    singapore = VenueFactory(name="MBS", city="Singapore")
    day = dt.date(2030, 3, 1)
    first = MeetingFactory(title="Meeting in Singapore", venue=singapore, start_date=day, end_date=day)
    second = MeetingFactory(title="Meeting in Jakarta", venue=jakarta, start_date=day, end_date=day)
    a = SessionFactory(meeting=first, title="Morning SG", start=timed(day, 9)[0], end=timed(day, 11)[0])
    b = SessionFactory(meeting=first, title="Late morning SG", start=timed(day, 10)[0], end=timed(day, 12)[0])
    c = SessionFactory(
        meeting=second,
        title="Afternoon JKT",
        start=timed(day, 13, zone="Asia/Jakarta")[0],  # 14:00 in Singapore: 2 h after 12:00
        end=timed(day, 15, zone="Asia/Jakarta")[0],
    )
    minister = PersonFactory(name="Menteri Satu")
    DelegationMemberFactory(delegation=DelegationFactory(meeting=first, country="ID"), person=minister)
    member = DelegationMemberFactory(delegation=DelegationFactory(meeting=second, country="ID"), person=minister)
    member.sessions.set([c])
    body = client.get("/delegations/id/").content.decode()
    assert "2 conflicts" in body
    assert "Menteri Satu is in two sessions at once: “Morning SG” and “Late morning SG”." in body
    assert "Menteri Satu has 2.0 h to travel from Singapore (“Late morning SG”) to Jakarta (“Afternoon JKT”)." in body
    for session in (a, b, c):
        assert f'<tr id="row-{session.pk}" class="has-conflict">' in body


def test_delegation_page_puts_sessions_without_times_under_to_confirm_and_shows_remote_attendance(client):
    day = dt.date(2030, 3, 1)
    meeting = MeetingFactory(title="Summit", start_date=day, end_date=day)
    retreat = SessionFactory(meeting=meeting, title="Retreat", starts_on=day)
    plenary = SessionFactory(meeting=meeting, title="Plenary", start=timed(day, 9)[0], end=timed(day, 11)[0])
    online = SessionFactory(
        meeting=meeting, title="Online briefing", mode=Mode.VIRTUAL, venue=None, join_url="https://meet.example/1",
        start=timed(day, 14)[0], end=timed(day, 15)[0],
    )  # fmt: skip
    delegation = DelegationFactory(meeting=meeting, country="PH")
    DelegationMemberFactory(delegation=delegation, person=PersonFactory(name="Kalihim"))
    remote = DelegationMemberFactory(
        delegation=delegation, person=PersonFactory(name="Pangalawa"), attendance=DelegationMember.Attendance.REMOTE
    )
    remote.sessions.set([plenary])

    body = client.get("/delegations/PH/").content.decode()

    assert "No conflicts in this schedule." in body
    assert "conflicts</h2>" not in body
    assert '<h2 id="to-confirm-heading">2 to confirm</h2>' in body
    assert "Kalihim attends “Retreat” and “Plenary” on the same day; their times are not all announced yet." in body
    assert f'<tr id="row-{retreat.pk}" class="to-confirm">' in body
    row = body[body.index(f'<tr id="row-{plenary.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'Kalihim, Pangalawa <span class="badge attendance-remote">remote</span>' in row
    row = body[body.index(f'<tr id="row-{online.pk}"') :]
    assert 'Kalihim <span class="badge attendance-remote">remote</span>' in row[: row.index("</tr>")]


def test_delegation_page_without_conflicts_says_so(client):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting)
    DelegationMemberFactory(delegation=DelegationFactory(meeting=meeting, country="TH"))
    body = client.get("/delegations/TH/").content.decode()
    assert "No conflicts in this schedule." in body
    assert 'href="webcal://testserver/feeds/delegations/TH.ics"' in body


def test_delegation_page_unknown_country_is_404(client):
    assert client.get("/delegations/XX/").status_code == 404


def test_delegation_list_counts_visible_meetings(client, secret_meeting):
    DelegationFactory(country="ID")
    DelegationFactory(country="SG")
    body = client.get("/delegations/").content.decode()
    assert re.findall(r'<a href="/delegations/(\w\w)/">', body) == ["ID", "SG"]
    assert "1 meeting<" in body
    assert "2 meetings" not in body


def test_seed_pages_render(client, seed):
    for url in ("/meetings/32nd-asean-summit-2018/", "/delegations/ID/", "/calendar/2018/4/", "/series/cpr/"):
        response = client.get(url)
        assert response.status_code == 200
    body = client.get("/meetings/amm-32nd-asean-summit-2018/").content.decode()
    assert embedded_json_ld(body)["superEvent"]["name"] == "32nd ASEAN Summit"


def test_staff_user_can_see_confidential_in_lists(administrator_client, secret_meeting):
    secret_meeting.access = Access.CONFIDENTIAL
    secret_meeting.save()
    assert "Hidden Retreat" in administrator_client.get("/meetings/").content.decode()
    other = UserFactory(username="other")
    administrator_client.force_login(other)
    assert "Hidden Retreat" not in administrator_client.get("/meetings/").content.decode()


def test_restricted_parent_not_named_on_public_child_page(administrator_client):
    summit = MeetingFactory(title="Secret Summit", slug="secret-summit", access=Access.RESTRICTED)
    open_summit = MeetingFactory(title="Open Summit")
    child = MeetingFactory(title="Public SOM", parent=open_summit)
    child.parent = summit
    child.save()
    body = Client().get(child.get_absolute_url()).content.decode()
    assert "Public SOM" in body
    assert "Secret Summit" not in body
    assert "secret-summit" not in body
    assert "<del>Open Summit</del></td><td><ins>(not shown)</ins>" in body
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1))
    assert "superEvent" not in ld
    staff_body = administrator_client.get(child.get_absolute_url()).content.decode()
    assert "Secret Summit" in staff_body


def test_changes_and_history_show_session_times_in_the_session_venues_zone(administrator_client):
    meeting = MeetingFactory(title="Two Zone Meeting")  # Singapore, UTC+8
    tokyo = VenueFactory(name="Tokyo Hall", city="Tokyo", country="JP", timezone="Asia/Tokyo")
    start, end = timed(meeting.start_date, 9, zone="Asia/Tokyo")
    session = SessionFactory(meeting=meeting, title="Tokyo Session", venue=tokyo, start=start, end=end)
    session = Session.objects.get(pk=session.pk)
    session.start, session.end = timed(meeting.start_date, 14, zone="Asia/Tokyo")
    session.save()
    changes = Client().get("/changes/").content.decode()
    assert "Friday, 1 March 2030 14:00 (UTC+9)" in changes
    history = Client().get(meeting.get_absolute_url()).content.decode()
    assert "<del>March 1, 2030 09:00 (UTC+9)</del>" in history
    assert "<ins>March 1, 2030 14:00 (UTC+9)</ins>" in history
