"""The planner UI in a real browser: Debian's Chromium driven by Playwright against a live server.

Chromium comes from the system (.ci/install-system-deps); Playwright never downloads a browser.
Screenshots of the main pages land in test-artifacts/.
"""

import datetime as dt
import os
import re
import warnings
from pathlib import Path

import icalendar
import pytest
from django.conf import settings
from playwright.sync_api import expect

from .factories import DelegationFactory
from .factories import DelegationMemberFactory
from .factories import MeetingFactory
from .factories import SeriesFactory
from .factories import SessionFactory
from .factories import bilingual_summit

# Playwright's sync API keeps an event loop running in the test thread; the factories'
# database writes there are plain synchronous code, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
# What entering a summit week takes (README, "Entering a summit week"): it may go down, never up.
CLERK_FIELDS, CLERK_CLICKS = 33, 14
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="BROWSER TESTS SKIPPED: /usr/bin/chromium is missing; run `bash .ci/install-system-deps` (as root)",
    ),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def planner_data(transactional_db):
    summit = bilingual_summit(slug="summit-2030", plenary_day=dt.date(2030, 4, 27))
    som = MeetingFactory(
        title="Senior Officials' Meeting",
        title_id="Pertemuan Pejabat Senior",
        parent=summit,
        start_date=dt.date(2030, 4, 26),
        end_date=dt.date(2030, 4, 26),
    )
    plenary = summit.sessions.get()
    SessionFactory(meeting=summit, title="Retreat Session", title_id="Sesi Retreat", starts_on=dt.date(2030, 4, 28))
    MeetingFactory(title="Smart Cities Annual Meeting", start_date=dt.date(2030, 8, 30), end_date=dt.date(2030, 8, 30))
    member = DelegationMemberFactory(delegation=DelegationFactory(meeting=summit, country="ID"))
    member.sessions.set([plenary])
    DelegationMemberFactory(delegation=DelegationFactory(meeting=som, country="ID"), person=member.person)
    return summit


@pytest.fixture
def console_errors(page):
    """Console errors, CSP violations included: a strict CSP reports blocked inline code here."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def axe_violations(page):
    """axe-core's violations on the page as it is now: "rule: target" for each offending node.

    Injected through the DevTools protocol, which the pages' strict CSP does not govern.
    """
    if not AXE.exists():
        message = f"ACCESSIBILITY NOT CHECKED: axe-core is not installed at {AXE}; run `bash .ci/install-system-deps`"
        warnings.warn(message, stacklevel=2)
        return []
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']}: {', '.join(str(n['target']) for n in v['nodes'])}" for v in violations]


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_planner_journey(live_server, planner_data, page, console_errors):
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{base}/")
    shot(page, "home")

    # Filter the list: htmx swaps the results and puts the filters in the address bar.
    assert axe_violations(page) == []
    page.goto(f"{base}/meetings/")
    assert page.locator(".meeting-item").count() == 3
    assert axe_violations(page) == []
    # Facets: whole labels with counts, a tick per series.
    summit_label = page.locator(".facet-series label", has_text="ASEAN Summit")
    assert " ".join(summit_label.inner_text().split()) == "ASEAN Summit (1)"
    page.check("#facet-series-asean-summit")
    page.wait_for_url(re.compile(r"series=asean-summit"))
    page.wait_for_function("document.querySelectorAll('.meeting-item').length === 1")
    assert page.locator(".meeting-title").all_inner_texts() == ["32nd ASEAN Summit"]
    assert page.locator("#facet-series-asean-summit").is_checked()
    assert axe_violations(page) == []
    shot(page, "meeting-list-filtered")

    # Subscribe to this view: the same filters, as webcal:// and as the web address.
    webcal = page.locator("#subscribe-webcal").get_attribute("href")
    https = page.locator("#subscribe-https").get_attribute("href")
    host = base.split("://", 1)[1]
    assert webcal == f"webcal://{host}/feeds/all.ics?series=asean-summit"
    assert https == f"{base}/feeds/all.ics?series=asean-summit"
    feed = page.request.get(https)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = feed.text()
    assert "BEGIN:VCALENDAR" in calendar
    assert "32nd ASEAN Summit" in calendar
    assert "Smart Cities Annual Meeting" not in calendar

    # Open the meeting: times at the venue.
    page.click("text=32nd ASEAN Summit")
    page.wait_for_url(f"{base}/meetings/summit-2030/")
    assert page.locator("h1").inner_text() == "32nd ASEAN Summit"
    plenary = page.locator(".session", has_text="Plenary Session")
    assert plenary.locator(".time-local time").inner_text() == "09:00–11:00"
    assert plenary.locator(".time-viewer").count() == 0
    assert axe_violations(page) == []
    shot(page, "meeting")

    # Switch the time zone: the viewer's time appears beside the venue's, and is remembered.
    page.select_option("#tz-select", "Asia/Tokyo")
    page.click(".tz-form button[type=submit]")
    page.wait_for_url(re.compile(r"tz=Asia%2FTokyo|tz=Asia/Tokyo"))
    plenary = page.locator(".session", has_text="Plenary Session")
    assert plenary.locator(".time-local time").inner_text() == "09:00–11:00"
    assert plenary.locator(".time-viewer time").inner_text() == "10:00–12:00"
    assert page.locator(".session", has_text="Retreat Session").locator(".time-allday").count() == 1
    shot(page, "meeting-tokyo")
    page.select_option("#tz-select", "America/New_York")
    page.click(".tz-form button[type=submit]")
    page.wait_for_url(re.compile(r"tz=America"))
    viewer = page.locator(".session", has_text="Plenary Session").locator(".time-viewer time").inner_text()
    assert viewer == "Fri 26 Apr 21:00–23:00"
    page.goto(f"{base}/delegations/ID/")
    assert page.locator("#tz-select").input_value() == "America/New_York"
    assert page.locator(".time-viewer time").first.inner_text() == "Fri 26 Apr 21:00–23:00"
    assert axe_violations(page) == []
    shot(page, "delegation")
    page.emulate_media(media="print")
    shot(page, "delegation-print")
    page.emulate_media(media="screen")

    page.goto(f"{base}/calendar/2030/4/")
    assert page.locator(".timeline .tl-bar").count() == 2
    assert axe_violations(page) == []
    shot(page, "calendar")

    # Switch to Indonesian.
    page.goto(f"{base}/meetings/summit-2030/")
    page.click(".lang-form button[value=id]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "KTT ASEAN ke-32"
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.locator("#schedule-heading").inner_text() == "Jadwal"
    assert page.locator(".session", has_text="Sesi Pleno").locator(".time-local time").inner_text() == "09.00–11.00"
    shot(page, "meeting-id")
    page.goto(f"{base}/meetings/?from=2030-04-01")
    assert page.locator(".facet-series legend").inner_text() == "Seri"
    assert page.locator("#id_from").input_value() == "01-04-2030"  # the page language's date format
    assert axe_violations(page) == []
    shot(page, "meeting-list-id")

    page.goto(f"{base}/changes/")
    shot(page, "changes-id")

    # The check can fail: an image without a text alternative is a violation.
    if AXE.exists():
        unlabelled = "Object.assign(document.createElement('img'), {src: '/static/events/favicon.svg'})"
        page.evaluate(f"document.body.append({unlabelled})")
        assert [v for v in axe_violations(page) if v.startswith("image-alt:")]

    assert console_errors == []


# --- A clerk enters a summit week ------------------------------------------------------------


class Clerk:
    """Drives the admin as a clerk does, counting the fields filled and the clicks made."""

    def __init__(self, page):
        self.page, self.fields, self.clicks = page, 0, 0

    def fill(self, selector, value):
        self.page.fill(selector, value)
        self.fields += 1

    def select(self, selector, value):
        self.page.select_option(selector, value)
        self.fields += 1

    def click(self, selector):
        self.page.click(selector)
        self.clicks += 1

    def pick(self, select_id, text):
        """An autocomplete (select2) field: open it, type, choose."""
        self.click(f"#{select_id} + .select2 .select2-selection")
        self.page.fill(".select2-search__field", text)
        self.fields += 1
        self.click(f".select2-results__option:has-text('{text}')")

    def save(self, name="_continue"):
        with self.page.expect_navigation():
            self.click(f"input[name={name}]")
        errors = self.page.locator(".errornote, .errorlist")
        assert errors.count() == 0, errors.all_inner_texts()


@pytest.fixture
def clerk_world(transactional_db):
    from events.models import Venue

    from .factories import StaffFactory

    user = StaffFactory(username="clerk")
    user.set_password("a long clerk password")
    user.save()
    SeriesFactory(name="ASEAN Summit", abbreviation="Summit", slug="asean-summit")
    SeriesFactory(name="Senior Officials' Meeting", abbreviation="SOM", slug="som")
    SeriesFactory(name="ASEAN Foreign Ministers' Meeting", abbreviation="AMM", slug="amm")
    Venue.objects.create(name="Meruorah Convention Center", city="Labuan Bajo", country="ID", timezone="Asia/Makassar")


def test_clerk_enters_a_summit_week_then_the_public_page_and_feed_show_it(live_server, clerk_world, page):
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/?tz=America/New_York")  # a zone picked while browsing must not shift what is typed
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "a long clerk password")
    page.click("input[type=submit]")
    clerk = Clerk(page)

    # The summit: picking the venue fills the zone; four sessions, one per line, and one document.
    page.goto(f"{base}/admin/events/meeting/add/")
    clerk.fill("#id_title", "42nd ASEAN Summit")
    clerk.pick("id_series", "ASEAN Summit")
    clerk.fill("#id_ordinal", "42")
    clerk.fill("#id_start_date", "2023-05-10")
    clerk.fill("#id_end_date", "2023-05-11")
    clerk.pick("id_venue", "Meruorah")
    expect(page.locator("#id_timezone")).to_have_value("Asia/Makassar")
    clerk.select("#id_mode", "in_person")
    sessions = [
        ("Opening ceremony", "opening_ceremony", "2023-05-10", "08:30", "09:00"),
        ("Plenary", "plenary", "2023-05-10", "09:00", "10:30"),
        ("Gala dinner", "working_dinner", "2023-05-10", "19:00", ""),
        ("Retreat", "retreat", "2023-05-11", "09:00", ""),
    ]
    for row, (title, kind, day, start, end) in enumerate(sessions):
        clerk.click("#sessions-group .add-row a")
        clerk.fill(f"#id_sessions-{row}-title", title)
        clerk.select(f"#id_sessions-{row}-kind", kind)
        clerk.fill(f"#id_sessions-{row}-starts_on", day)
        clerk.fill(f"#id_sessions-{row}-start_time", start)
        if end:
            clerk.fill(f"#id_sessions-{row}-end_time", end)
    zones = page.locator("#sessions-group tr.form-row:not(.empty-form) .venue-zone")
    expect(zones).to_have_text(["Asia/Makassar, UTC+8"] * 8)  # from and to of each of the four
    clerk.click("#documents-group .add-row a")
    clerk.fill("#id_documents-0-title", "Chairman's Statement of the 42nd ASEAN Summit")
    clerk.select("#id_documents-0-kind", "chairmans_statement")
    clerk.select("#id_documents-0-status", "published")
    clerk.fill("#id_documents-0-url", "https://asean.org/chairmans-statement-42nd-summit.pdf")
    clerk.save()
    summit_url = page.url
    # The summit with its four sessions and document: about 2,000 px, two screens (it was about 5,800 px).
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"summit form: {height} px")  # noqa: T201
    shot(page, "clerk-summit")
    assert height <= 2100, height

    # Two related meetings from the summit's page, prefilled: only their dates change.
    for abbreviation, day in (("SOM", "2023-05-08"), ("AMM", "2023-05-09")):
        page.goto(summit_url)
        with page.expect_navigation():
            clerk.click(f"a.related-add:text-is('{abbreviation}')")
        assert page.locator("#id_timezone").input_value() == "Asia/Makassar"
        clerk.fill("#id_start_date", day)
        clerk.fill("#id_end_date", day)
        clerk.save("_save")

    print(f"clerk: {clerk.fields} fields, {clerk.clicks} clicks")  # noqa: T201 - the README quotes these
    assert (clerk.fields, clerk.clicks) == (CLERK_FIELDS, CLERK_CLICKS)

    # The public page, in the zone the clerk picked for browsing: venue time and New York time.
    from events.models import Meeting

    summit = Meeting.objects.get(ordinal=42)
    page.goto(f"{base}{summit.get_absolute_url()}")
    plenary = page.locator(".session", has_text="Plenary")
    assert plenary.locator(".time-local time").inner_text() == "09:00–10:30"
    assert plenary.locator(".time-viewer time").inner_text() == "Tue 9 May 21:00–22:30"
    assert page.locator(".session", has_text="Retreat").locator(".time-local time").inner_text() == "from 09:00"
    family = page.locator(".family").inner_text()
    assert "Senior Officials' Meeting (42nd ASEAN Summit)" in family
    assert "ASEAN Foreign Ministers' Meeting (42nd ASEAN Summit)" in family
    assert "Chairman's Statement of the 42nd ASEAN Summit" in page.content()
    assert axe_violations(page) == []

    feed = page.request.get(f"{base}/feeds/meetings/{summit.slug}.ics").text()
    assert "DTSTART;TZID=Asia/Makassar:20230510T090000\r\nDTEND;TZID=Asia/Makassar:20230510T103000" in feed
    events = {str(e["SUMMARY"]).split(" – ")[0]: e for e in icalendar.Calendar.from_ical(feed).walk("VEVENT")}
    retreat = events["Retreat"]
    assert retreat["DTSTART"].to_ical() == b"20230511T090000"
    assert retreat["DTSTART"].params["TZID"] == "Asia/Makassar"
    assert "DTEND" not in retreat  # no announced end
    assert feed.count("BEGIN:VEVENT") == 6  # four sessions, and the two related meetings as all-day events
