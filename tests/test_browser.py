"""The planner UI in a real browser: Debian's Chromium driven by Playwright against a live server.

Chromium comes from the system (.ci/install-system-deps); Playwright never downloads a browser.
Screenshots of the main pages land in test-artifacts/.
"""

import datetime as dt
import os
import re
import warnings
from pathlib import Path

import pytest
from django.conf import settings

from events.models import Mode

from .factories import (
    DelegationFactory,
    DelegationMemberFactory,
    MeetingFactory,
    SeriesFactory,
    SessionFactory,
    timed,
)

# Playwright's sync API keeps an event loop running in the test thread; the factories'
# database writes there are plain synchronous code, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
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
    summit_series = SeriesFactory(name="ASEAN Summit", name_id="KTT ASEAN", slug="asean-summit")
    summit = MeetingFactory(
        series=summit_series,
        title="32nd ASEAN Summit",
        title_id="KTT ASEAN ke-32",
        slug="summit-2030",
        start_date=dt.date(2030, 4, 25),
        end_date=dt.date(2030, 4, 28),
        mode=Mode.IN_PERSON,
    )
    som = MeetingFactory(
        title="Senior Officials' Meeting",
        title_id="Pertemuan Pejabat Senior",
        parent=summit,
        start_date=dt.date(2030, 4, 26),
        end_date=dt.date(2030, 4, 26),
    )
    start, end = timed(dt.date(2030, 4, 27), 9, hours=2)
    plenary = SessionFactory(meeting=summit, title="Plenary Session", title_id="Sesi Pleno", start=start, end=end)
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
