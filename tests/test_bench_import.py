"""The bench_import command: import rates and ratios as JSON, nothing kept."""

import io
import json

import pytest
from django.core.management import call_command

from events.models import Meeting
from events.models import Series

pytestmark = pytest.mark.django_db


def test_bench_import_prints_rates_and_ratios_and_keeps_nothing():
    out = io.StringIO()
    call_command("bench_import", "--rows", "5", "10", "--events", "3", "6", stdout=out)
    figures = json.loads(out.getvalue())
    assert set(figures) >= {
        "meetings_rows_per_s_5", "meetings_rows_per_s_10", "rows_ratio", "ics_same_title_s_3",
        "ics_same_title_s_6", "ics_same_title_ratio", "refuse_12mb_csv_s", "refuse_zip_bomb_s",
    }  # fmt: skip
    assert Meeting.objects.count() == 0
    assert not Series.objects.filter(slug="bench-import").exists()
