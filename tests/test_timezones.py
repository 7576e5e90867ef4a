import datetime as dt
import zoneinfo

from events.timezones import offset_text


def test_offset_text_formats_negative_and_fractional_offsets():
    value = dt.datetime(2030, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Yangon"))
    assert offset_text(value) == "UTC+6:30"
    assert offset_text(dt.datetime(2030, 1, 1, tzinfo=zoneinfo.ZoneInfo("America/St_Johns"))) == "UTC−3:30"
