"""`make load`: gunicorn with production settings on PostgreSQL and Redis, driven by locust.

1. (Re)creates the database named in DATABASE_URL, migrates it and seeds it with
   seed_scale (LOAD_MEETINGS, default 5000), and empties the Redis database.
2. Starts gunicorn on 127.0.0.1 only, with ascn_events.settings_production:
   LOAD_WORKERS (default 3) processes of LOAD_THREADS (default 2) threads, sized
   for the 2-core machine: a feed request is CPU-bound Python, so more threads
   only queue on the GIL, and a third process keeps a core busy while another
   waits on PostgreSQL or Redis.
3. Runs locust headless from a second process for LOAD_SECONDS (default 30).
4. Prints requests/second, p50/p99 latency and the error count; exits 1 if any request failed.
"""

import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from fresh_db import recreate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return str(probe.getsockname()[1])


PORT = os.environ.get("LOAD_PORT") or free_port()
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ascn_load")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/1")
MEETINGS = os.environ.get("LOAD_MEETINGS", "5000")
SECONDS = os.environ.get("LOAD_SECONDS", "30")
USERS = os.environ.get("LOAD_USERS", "10")
WORKERS = os.environ.get("LOAD_WORKERS", "3")
THREADS = os.environ.get("LOAD_THREADS", "2")

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "ascn_events.settings_production",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": HOST,
    "CONN_MAX_AGE": "600",
    "PYTHONPATH": str(ROOT),
    "STATIC_ROOT": os.environ.get("STATIC_ROOT") or tempfile.mkdtemp(prefix="ascn-static-"),
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
        "print(json.dumps({'meetings': list(Meeting.objects.public().values_list('slug', flat=True)[:2000]), "
        "'series': list(Series.objects.filter(meetings__access='public').distinct().values_list('slug', flat=True))}))"
    )
    out = manage("shell", "--no-imports", "-c", script, capture_output=True, text=True).stdout
    path.write_text(out.strip().splitlines()[-1])


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


def prime(targets):
    urls = ["/feeds/all.ics"] + [f"/feeds/series/{slug}.ics" for slug in targets["series"]]
    for url in urls:
        request = urllib.request.Request(f"http://{HOST}:{PORT}{url}", headers={"X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()


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
        step("priming the feed caches (one request per feed), as subscribers' polls would")
        prime(json.loads(targets.read_text()))
        step(f"locust: {USERS} users for {SECONDS}s")
        subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless", "-u", USERS,
             "-r", USERS, "-t", f"{SECONDS}s", "--host", f"http://{HOST}:{PORT}", "--csv", str(work / "load"),
             "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, "LOAD_TARGETS": str(targets)}, check=False,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    result = summary(work / "load_stats.csv")
    print(json.dumps(result))
    print(
        f"requests/s {result['requests_per_second']}  p50 {result['p50_ms']:.0f} ms  "
        f"p99 {result['p99_ms']:.0f} ms  errors {result['errors']}  (logs in {work})"
    )
    if result["errors"] or not result["requests"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
