"""The follow button (events/templatetags/follow_tags.py) on meeting, series, delegation and list pages."""

from django.urls import reverse

from events.models import Follow


def test_follow_buttons_on_series_delegation_and_filtered_list(client, planner, summit):
    client.force_login(planner)
    assert 'name="series" value="asean-summit"' in client.get("/series/asean-summit/").content.decode()
    assert 'name="delegation" value="ID"' in client.get("/delegations/id/").content.decode()
    listing = client.get("/meetings/?status=cancelled&country=SG").content.decode()
    assert 'name="query" value="country=SG&amp;status=cancelled"' in listing
    assert 'name="query"' not in client.get("/meetings/").content.decode()
    client.post(reverse("events:follows"), {"query": "country=SG&status=cancelled", "cadence": "immediate"})
    assert Follow.objects.get(user=planner).query == "country=SG&status=cancelled"


def test_follow_button_asks_anonymous_visitors_to_sign_in(client, summit):
    page = client.get(summit.get_absolute_url()).content.decode()
    assert "Sign in to follow changes" in page
    assert client.post(reverse("events:follows"), {"meeting": "summit-2030"}).status_code == 302
    assert Follow.objects.count() == 0
