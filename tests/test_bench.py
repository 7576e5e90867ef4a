"""The bench command (events/management/commands/bench.py) runs end to end on a tiny calendar made by seed_scale
(figures are not asserted as timings)."""

import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PAGE_KEYS = {
    f"{size}{name}_{figure}"
    for size in ("", "small_")
    for name in ("list_page", "api_list")
    for figure in ("s", "queries", "cached_s", "cached_queries", "304_s")
}
BENCH_KEYS = {
    "database", "meetings", "sessions", "feed_events", "feed_bytes", "cold_feed_s", "fstring_floor_s",
    "fstring_same_text", "cold_fstring_ratio", "library_floor_s", "library_bytes", "cold_library_ratio", "warm_feed_s",
    "warm_fstring_ratio", "cached_feed_s", "gzip_first_s", "gzip_cached_s", "gzip_bytes", "gzip_wire_ratio",
    "brotli_first_s", "brotli_cached_s", "brotli_bytes", "brotli_wire_ratio", "not_modified_s", "not_modified_queries",
    "small_sessions", "small_not_modified_s", "not_modified_size_ratio", "queries_per_feed", "queries_per_small_feed",
    "queries_constant", "peak_memory_mb", "max_rss_mb", "list_page_cached_size_ratio", "api_list_cached_size_ratio",
    *PAGE_KEYS,
}  # fmt: skip


def test_bench_prints_one_json_line_with_every_figure():
    call_command("seed_scale", meetings=12, stdout=io.StringIO())
    out = io.StringIO()
    call_command("bench", runs=1, stdout=out)
    [line] = out.getvalue().splitlines()
    result = json.loads(line)
    assert set(result) == BENCH_KEYS
    assert result["sessions"] == 48
    assert result["feed_events"] > 0
    assert result["not_modified_queries"] == 1  # the validator; no session, user or FilterSet queries
    assert result["queries_constant"] is True
    # The f-string floor writes the very bytes the feed serves, so the ratios compare like with like.
    assert result["fstring_same_text"] is True
    assert result["gzip_bytes"] < result["feed_bytes"]
    assert result["brotli_bytes"] < result["feed_bytes"]
    assert result["small_sessions"] == 48  # the whole tiny calendar is below the second size
    cached = [f"{size}{name}_cached_queries" for size in ("", "small_") for name in ("list_page", "api_list")]
    assert [result[key] for key in cached] == [1, 1, 1, 1]
    assert all(result[key] > 0 for key in ("cold_feed_s", "fstring_floor_s", "warm_feed_s", "not_modified_s"))
