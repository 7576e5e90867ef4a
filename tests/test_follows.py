"""Follows and the alerts they are owed (events/follows.py): the models' own rules."""

import pytest
from django.db import transaction

from events.models import Alert
from events.models import Change
from events.models import Status
from tests.conftest import follow
from tests.conftest import save_changes


def test_alert_key_is_unique_per_follower_and_change(planner, summit):
    from django.db import IntegrityError

    follow(planner, meeting=summit)
    save_changes(summit, status=Status.CANCELLED)
    change = Change.objects.get()
    Alert.objects.create(user=planner, change=change, cadence="immediate")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(user=planner, change=change, cadence="daily")
