import pytest
from django.core.management import call_command

from events.models import Meeting

from .factories import MeetingFactory

pytestmark = pytest.mark.django_db


def test_load_seed_fills_an_empty_database(capsys):
    call_command("load_seed", "--no-record", verbosity=0)
    assert Meeting.objects.filter(slug="32nd-asean-summit-2018").exists()
    assert Meeting.objects.count() == 6  # the founding facts; the sourced record is tests/test_record.py's


def test_load_seed_never_overwrites_existing_data(capsys):
    MeetingFactory(title="Edited by staff")
    call_command("load_seed", "--no-record")
    assert "seed fixtures not loaded" in capsys.readouterr().out
    assert list(Meeting.objects.values_list("title", flat=True)) == ["Edited by staff"]
