"""The follow pages (events/follow_views.py): follow from a page, manage follows and alert settings, unsubscribe."""

import re

from django.urls import reverse

from events.models import AlertProfile
from events.models import Follow
from events.models import Mode
from tests.conftest import follow
from tests.conftest import save_changes
from tests.conftest import text_of
from tests.factories import MeetingFactory
from tests.factories import SeriesFactory


def test_follow_button_follows_and_unfollows_by_page(client, planner, summit):
    client.force_login(planner)
    page = client.get(summit.get_absolute_url()).content.decode()
    assert 'name="meeting" value="summit-2030"' in page
    response = client.post(
        reverse("events:follows"), {"meeting": "summit-2030", "cadence": "daily", "next": summit.get_absolute_url()}
    )
    assert (response.status_code, response["Location"]) == (302, summit.get_absolute_url())
    made = Follow.objects.get(user=planner)
    assert (made.meeting, made.cadence, made.email) == (summit, "daily", True)
    listing = client.get(reverse("events:follows")).content.decode()
    assert "ASEAN Summit 2030" in listing
    assert "You follow this." in client.get(summit.get_absolute_url()).content.decode()
    client.post(reverse("events:follow_update", args=[made.pk]), {"action": "delete"})
    assert not Follow.objects.filter(user=planner).exists()


def test_follow_page_bad_input_is_400_and_writes_nothing(client, planner, summit):
    client.force_login(planner)
    for data, message in [
        ({"meeting": "nope", "cadence": "daily"}, "No meeting has the slug “nope”."),
        ({"meeting": "summit-2030", "series": "asean-summit", "cadence": "daily"}, "Give exactly one of"),
        ({"meeting": "summit-2030", "cadence": "hourly"}, "Select a valid choice."),
    ]:
        response = client.post(reverse("events:follows"), data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert Follow.objects.count() == 0


def test_follows_page_is_flat(client, planner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(planner)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("events:follows")).status_code == 200
        return len(ctx)

    AlertProfile.objects.create(user=planner)
    follow(planner, meeting=MeetingFactory())
    one = count()
    for i in range(19):
        follow(planner, series=SeriesFactory()) if i % 2 else follow(planner, meeting=MeetingFactory())
    assert count() == one


def test_follows_page_sets_language_and_zone(client, planner):
    client.force_login(planner)
    response = client.post(reverse("events:alert_profile"), {"language": "id", "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    profile = AlertProfile.objects.get(user=planner)
    assert (profile.language, profile.timezone) == ("id", "Asia/Tokyo")
    bad = client.post(reverse("events:alert_profile"), {"language": "id", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert AlertProfile.objects.get(user=planner).timezone == "Asia/Tokyo"


def test_unsubscribe_link_confirms_before_acting(smtp_server, run_tasks, client, planner, summit):
    made = follow(planner, meeting=summit)
    save_changes(summit, mode=Mode.VIRTUAL)
    run_tasks()
    path = re.search(r"/alerts/unsubscribe/[^/\s]+/", text_of(smtp_server.messages[0])).group(0)
    page = client.get(path)
    assert page.status_code == 200
    assert "ASEAN Summit 2030" in page.content.decode()
    made.refresh_from_db()
    assert made.email is True  # a link scanner's GET changes nothing
    assert "no more emails" in client.post(path).content.decode()
    made.refresh_from_db()
    assert made.email is False


def test_forged_unsubscribe_token_is_404_and_changes_nothing(client, planner, summit):
    from events.notify_email import unsubscribe_token

    made = follow(planner, meeting=summit)
    token = unsubscribe_token(planner.pk, [made.pk])
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.post(f"/alerts/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    made.refresh_from_db()
    assert made.email is True
