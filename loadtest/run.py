"""`make load`: gunicorn with production settings on PostgreSQL and Redis, driven by locust.

1. (Re)creates the database named in LOAD_DATABASE_URL, migrates it and seeds it with
   seed_scale (LOAD_MEETINGS, default 5000), and empties the Redis database.
2. Starts gunicorn on 127.0.0.1 only, with the production settings plus one route,
   /__floor__/ (loadtest/settings_load.py): LOAD_WORKERS (default 3) processes of
   LOAD_THREADS (default 2) threads, sized for the 2-core machine.
3. Primes what subscribers and visitors hold: one request per feed (keeping its ETag)
   and per page of the working set.
4. The floor: LOAD_USERS locust users send conditional GETs to the bare 304 view as fast
   as it answers, for LOAD_SECONDS (default 30): this machine's rate.
5. The mix: the same users send 90% conditional feed GETs and 10% pages and API lists,
   paced at LOAD_PACE (default 0.55) of the floor's rate, for LOAD_SECONDS.
6. If nginx is installed, runs deploy/nginx.conf in front of the same gunicorn and checks
   that it caches and revalidates (loadtest/nginx_check.py).
7. Prints both rates, the ratio, p50/p99 and errors as one JSON line; exits 1 on any
   error, a p99 of LOAD_P99_MS (default 50) or more, a ratio below LOAD_SHARE (default
   0.5), or an nginx check that fails.
"""

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from fresh_db import recreate
from nginx_check import check as check_nginx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return str(probe.getsockname()[1])


PORT = os.environ.get("LOAD_PORT") or free_port()
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ascn_load")
# The mix is paced a little above the share it must hold, so pacing jitter does not decide the verdict.
SHARE = float(os.environ.get("LOAD_SHARE", "0.5"))
PACE = float(os.environ.get("LOAD_PACE", "0.55"))
P99_MS = float(os.environ.get("LOAD_P99_MS", "50"))
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/1")
MEETINGS = os.environ.get("LOAD_MEETINGS", "5000")
SECONDS = os.environ.get("LOAD_SECONDS", "30")
USERS = os.environ.get("LOAD_USERS", "10")
# The paced mix needs more users than the floor: a user waits for each answer, so ten users
# could not reach the pace once answers queue behind other work on two cores. More users
# than that only queue inside gunicorn and raise the tail (40 users: p99 100 ms; 28: 24 ms).
MIX_USERS = os.environ.get("LOAD_MIX_USERS", "28")
WORKERS = os.environ.get("LOAD_WORKERS", "3")
THREADS = os.environ.get("LOAD_THREADS", "2")

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "loadtest.settings_load",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": HOST,
    "CONN_MAX_AGE": "600",
    "PYTHONPATH": str(ROOT),
    "STATIC_ROOT": os.environ.get("STATIC_ROOT") or tempfile.mkdtemp(prefix="ascn-static-"),
    # Short, so the nginx check sees a revalidation within seconds.
    "PAGE_CACHE_MAX_AGE": "2",
}


def step(message):
    print(f"== {message}", flush=True)


def manage(*args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, **kwargs)


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def write_targets(path):
    script = (
        "import json; from events.models import Meeting, Series; "
        "public = Meeting.objects.public().order_by('id'); "
        "print(json.dumps({'meetings': list(public.values_list('slug', flat=True)[:500]), "
        "'series': list(Series.objects.filter(meetings__access='public').distinct().values_list('slug', flat=True))}))"
    )
    out = manage("shell", "--no-imports", "-c", script, capture_output=True, text=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    targets = {
        "meeting_feeds": [f"/feeds/meetings/{slug}.ics" for slug in found["meetings"]],
        "series_feeds": [f"/feeds/series/{slug}.ics" for slug in found["series"]],
        # Visitors read the same few pages: the first 50 meetings.
        "pages": found["meetings"][:50],
    }
    path.write_text(json.dumps(targets))


def wait_until_up(server, timeout=30):
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"http://{HOST}:{PORT}/meetings/", headers={"X-Forwarded-Proto": "https"})
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; is port {PORT} taken?")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def fetch(url, timeout=120):
    request = urllib.request.Request(f"http://{HOST}:{PORT}{url}", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        return response.headers.get("ETag")


def prime(path):
    """One request per feed (keeping its ETag, as a calendar app does) and per page of the working set."""
    targets = json.loads(path.read_text())
    feeds = ["/feeds/all.ics", *targets["series_feeds"], *targets["meeting_feeds"]]
    targets["etags"] = {url: fetch(url) for url in feeds}
    pages = [f"/meetings/?page={n}" for n in range(1, 6)] + [f"/meetings/{slug}/" for slug in targets["pages"]]
    pages += [f"/api/v1/sessions/?from={year}-01-01&to=2030-12-31" for year in range(2001, 2011)]
    pages += ["/api/v1/meetings/?page_size=50", "/series/"]
    for url in pages:
        fetch(url)
    path.write_text(json.dumps(targets))


def run_locust(work, name, user_class, env, users):
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"), user_class, "--headless",
         "-u", users, "-r", users, "-t", f"{SECONDS}s", "--host", f"http://{HOST}:{PORT}",
         "--csv", str(work / name), "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env={**os.environ, **env}, check=False, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return summary(work / f"{name}_stats.csv")


def summary(stats_csv):
    with open(stats_csv, newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    for name, row in sorted(rows.items()):
        if name != "Aggregated":
            print(f"   {name:45} n={row['Request Count']:>6} fail={row['Failure Count']:>3} "
                  f"p50={row['50%']:>5} ms p99={row['99%']:>6} ms")  # fmt: skip
    return {
        "requests": int(total["Request Count"]),
        "requests_per_second": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p99_ms": float(total["99%"]),
        "errors": int(total["Failure Count"]),
    }


def main():
    work = Path(tempfile.mkdtemp(prefix="ascn-load-"))
    step(f"database {DATABASE_URL}: recreate, migrate, seed {MEETINGS} meetings")
    recreate(DATABASE_URL)
    flush_redis()
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    manage("seed_scale", "--meetings", MEETINGS)
    targets = work / "targets.json"
    write_targets(targets)

    step(f"gunicorn on {HOST}:{PORT}: {WORKERS} workers x {THREADS} threads, production settings, Redis {REDIS_URL}")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "ascn_events.wsgi", "-b", f"{HOST}:{PORT}", "-w", WORKERS,
         "-k", "gthread", "--threads", THREADS, "--timeout", "120", "--access-logfile", str(work / "access.log"),
         "--error-logfile", str(work / "error.log"), "--capture-output"],
        cwd=ROOT, env=ENV,
    )  # fmt: skip
    try:
        wait_until_up(server)
        step("priming: one request per feed (keeping its ETag) and per page of the working set")
        prime(targets)
        env = {"LOAD_TARGETS": str(targets)}
        step(f"floor: {USERS} users, conditional GETs of the bare 304 view, for {SECONDS}s")
        floor = run_locust(work, "floor", "Floor", {**env, "LOAD_USERS": USERS}, USERS)
        rate = round(floor["requests_per_second"] * PACE, 1)
        step(f"mix: {MIX_USERS} users, 90% conditional feed GETs and 10% pages/API, paced at {rate}/s, for {SECONDS}s")
        mix = run_locust(work, "mix", "Subscriber", {**env, "LOAD_RATE": str(rate), "LOAD_USERS": MIX_USERS}, MIX_USERS)
        nginx = {}
        if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
            step("nginx with deploy/nginx.conf in front of the same gunicorn: MISS, HIT, REVALIDATED, BYPASS")
            nginx = check_nginx(PORT, 2)
            for name, (expected, seen) in nginx.items():
                print(f"   {name:20} expected {expected:12} got {seen}")
        else:
            step("nginx not installed: deploy/nginx.conf not checked")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    ratio = round(mix["requests_per_second"] / floor["requests_per_second"], 3) if floor["requests_per_second"] else 0
    result = {
        "meetings": int(MEETINGS), "workers": int(WORKERS), "threads": int(THREADS), "floor_users": int(USERS),
        "mix_users": int(MIX_USERS), "mix_paced_at": rate,
        "floor_requests_per_second": floor["requests_per_second"], "floor_p99_ms": floor["p99_ms"],
        "floor_errors": floor["errors"],
        "mix_requests": mix["requests"], "mix_requests_per_second": mix["requests_per_second"],
        "mix_p50_ms": mix["p50_ms"], "mix_p99_ms": mix["p99_ms"], "mix_errors": mix["errors"],
        "mix_floor_ratio": ratio,
        "nginx_checked": bool(nginx), "nginx_ok": all(expected == seen for expected, seen in nginx.values()),
    }  # fmt: skip
    print(json.dumps(result))
    print(
        f"floor {floor['requests_per_second']}/s; mix {mix['requests_per_second']}/s = {ratio:.0%} of the floor, "
        f"p50 {mix['p50_ms']:.0f} ms, p99 {mix['p99_ms']:.0f} ms, errors {mix['errors'] + floor['errors']} "
        f"(logs in {work})"
    )
    if nginx and not result["nginx_ok"]:
        raise SystemExit(1)
    if mix["errors"] or floor["errors"] or not mix["requests"] or mix["p99_ms"] >= P99_MS or ratio < SHARE:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
