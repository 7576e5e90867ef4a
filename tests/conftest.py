import pytest
from django.core.cache import cache

from .factories import StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    return StaffFactory(username="staff")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def user(db):
    return UserFactory(username="planner")


@pytest.fixture
def seed(db):
    from django.core.management import call_command

    call_command("loaddata", "fixtures/seed.json", verbosity=0)
