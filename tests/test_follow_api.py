"""The follows API (events/follow_api.py): a signed-in user's own follows at /api/v1/follows/."""

import pytest
from rest_framework.test import APIClient

from events.models import Access
from events.models import Alert
from events.models import Change
from events.models import Follow
from tests.factories import MeetingFactory
from tests.factories import SeriesFactory
from tests.factories import UserFactory


def test_follow_api_creates_lists_and_deletes_each_kind(planner_api, user, summit):
    bodies = [
        {"meeting": "summit-2030"},
        {"series": "asean-summit", "cadence": "daily"},
        {"delegation": "id"},
        {"query": "?status=cancelled&country=sg&page=3"},
    ]
    created = [planner_api.post("/api/v1/follows/", body, format="json") for body in bodies]
    assert [r.status_code for r in created] == [201, 201, 201, 201]
    assert [(r.data["kind"], r.data["cadence"]) for r in created] == [
        ("meeting", "immediate"), ("series", "daily"), ("delegation", "immediate"), ("query", "immediate"),
    ]  # fmt: skip
    assert created[0].data["meeting"] == "summit-2030"
    assert created[2].data["delegation"] == "ID"
    # Canonical form: sorted, page dropped, so the same filter cannot be followed twice.
    assert created[3].data["query"] == "country=sg&status=cancelled"
    listed = planner_api.get("/api/v1/follows/").json()
    assert sorted(f["kind"] for f in listed["results"]) == ["delegation", "meeting", "query", "series"]
    assert planner_api.delete(f"/api/v1/follows/{created[0].data['id']}/").status_code == 204
    assert set(Follow.objects.filter(user=user).values_list("series__slug", flat=True)) == {"asean-summit", None}
    assert Follow.objects.filter(user=user).count() == 3


def test_follow_api_is_per_user(planner_api, summit):
    other = Follow.objects.create(user=UserFactory(username="other"), meeting=summit)
    assert planner_api.get("/api/v1/follows/").json()["count"] == 0
    assert planner_api.get(f"/api/v1/follows/{other.pk}/").status_code == 404
    assert planner_api.delete(f"/api/v1/follows/{other.pk}/").status_code == 404
    assert Follow.objects.filter(pk=other.pk).exists()


def test_follow_api_needs_sign_in(db, summit):
    response = APIClient().post("/api/v1/follows/", {"meeting": "summit-2030"}, format="json")
    assert response.status_code in {401, 403}
    assert Follow.objects.count() == 0


def test_follow_api_list_is_flat(planner_api, user, django_assert_num_queries):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert planner_api.get("/api/v1/follows/").status_code == 200
        return len(ctx)

    Follow.objects.create(user=user, meeting=MeetingFactory())
    one = count()
    for _ in range(19):
        Follow.objects.create(user=user, series=SeriesFactory())
    assert count() == one


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"meeting": "no-such-meeting"}, "meeting", "No meeting has the slug “no-such-meeting”."),
        ({"series": "no-such-series"}, "series", "No series has the slug “no-such-series”."),
        (
            {"meeting": "summit-2030", "series": "asean-summit"},
            "non_field_errors",
            "Give exactly one of meeting, series, delegation or query.",
        ),
        ({}, "non_field_errors", "Give exactly one of meeting, series, delegation or query."),
        ({"meeting": "summit-2030", "cadence": "hourly"}, "cadence", '"hourly" is not a valid choice.'),
        ({"delegation": "ZZ"}, "delegation", "“ZZ” is not a country code."),
        ({"query": "colour=red"}, "query", "Unknown filter: colour."),
        ({"query": "from=2030-03-05&to=2030-03-01"}, "query", "to: The end of the date range is before its start."),
        ({"query": "page=2"}, "query", "The filter selects nothing: give at least one filter value."),
        ({"meeting": "secret-talks"}, "meeting", "No meeting has the slug “secret-talks”."),
        (
            {"meeting": "summit-2030", "webhook_url": "http://example.org/hook"},
            "webhook_url",
            "A webhook endpoint must be an https:// URL.",
        ),
        *(
            (
                {"meeting": "summit-2030", "webhook_url": url},
                "webhook_url",
                f"The webhook host “{host}” is a private, loopback or link-local address.",
            )
            for url, host in [
                ("https://127.0.0.1/hook", "127.0.0.1"),
                ("https://169.254.169.254/latest", "169.254.169.254"),
                ("https://10.1.2.3/hook", "10.1.2.3"),
                ("https://[::1]/hook", "::1"),
            ]
        ),
    ],
)
def test_follow_api_bad_input_is_400_and_writes_nothing(planner_api, summit, body, field, message):
    MeetingFactory(slug="secret-talks", access=Access.RESTRICTED)
    response = planner_api.post("/api/v1/follows/", body, format="json")
    assert response.status_code == 400
    assert message in [str(m) for m in response.json()[field]]
    assert (Follow.objects.count(), Change.objects.count(), Alert.objects.count()) == (0, 0, 0)


def test_follow_api_refuses_following_twice(planner_api, summit):
    assert planner_api.post("/api/v1/follows/", {"meeting": "summit-2030"}, format="json").status_code == 201
    second = planner_api.post("/api/v1/follows/", {"meeting": "summit-2030"}, format="json")
    assert (second.status_code, second.json()) == (400, {"non_field_errors": ["You already follow this."]})
    assert Follow.objects.count() == 1


def test_follow_api_shows_webhook_secret_only_on_create(planner_api, summit, settings):
    settings.ALERT_WEBHOOKS_ALLOW_LOCAL = True
    created = planner_api.post(
        "/api/v1/follows/", {"meeting": "summit-2030", "webhook_url": "http://127.0.0.1:9/hook"}, format="json"
    ).json()
    assert len(created["webhook_secret"]) == 64
    assert created["webhook_secret"] == Follow.objects.get().webhook_secret
    assert planner_api.get(f"/api/v1/follows/{created['id']}/").json()["webhook_secret"] is None
