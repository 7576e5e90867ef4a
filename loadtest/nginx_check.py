"""Run deploy/nginx.conf in front of a running app and check that it caches and revalidates.

Used by `make load` (loadtest/run.py) while its gunicorn is up: the deployment file is
taken as it is, with TLS swapped for a local port, the upstream pointed at the load
test's gunicorn and the cache in a scratch directory. Checks, through nginx:
an anonymous page is a MISS, then a HIT, then, once its max-age is over, REVALIDATED
(the app answered nginx's If-None-Match with a 304); a compressed feed is cached
compressed; a signed-in visitor (session cookie) BYPASSes the cache.
"""

import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def local_config(upstream_port, listen_port, work):
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text = text.replace("/var/cache/nginx/ascn", str(work / "cache"))
    text = text.replace("server 127.0.0.1:8000;", f"server {HOST}:{upstream_port};")
    text = text.replace("listen 443 ssl http2;", f"listen {HOST}:{listen_port};")
    text = re.sub(r"\n\s*ssl_certificate(_key)? [^;]+;", "", text)
    return (
        f"daemon off;\nworker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\naccess_log {work}/access.log;\nclient_body_temp_path {work}/body;\n"
        f"proxy_temp_path {work}/proxy;\n{text}\n}}\n"
    )


def fetch(port, path, **headers):
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers={"Host": HOST, **headers})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.headers


def check(upstream_port, page_max_age):
    """Start nginx, run the checks, stop it; returns {check: (expected, seen)}. Needs the nginx binary."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    work = Path(tempfile.mkdtemp(prefix="ascn-nginx-"))
    work.chmod(0o755)
    (work / "cache").mkdir(mode=0o777)
    (work / "cache").chmod(0o777)
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(local_config(upstream_port, port, work))
    subprocess.run([nginx, "-t", "-q", "-p", str(work), "-c", str(conf)], check=True)
    server = subprocess.Popen([nginx, "-p", str(work), "-c", str(conf)])
    try:
        for _ in range(50):
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        page = "/meetings/?nginx-check=1"
        seen = {"page first": fetch(port, page)["X-Cache"], "page again": fetch(port, page)["X-Cache"]}
        time.sleep(page_max_age + 1.5)
        seen["page after max-age"] = fetch(port, page)["X-Cache"]
        feed = "/feeds/all.ics?nginx-check=1"
        first = fetch(port, feed, **{"Accept-Encoding": "gzip"})
        again = fetch(port, feed, **{"Accept-Encoding": "gzip"})
        seen["feed first"], seen["feed again"] = first["X-Cache"], again["X-Cache"]
        seen["feed coding"] = again["Content-Encoding"]
        seen["signed in"] = fetch(port, page, Cookie="sessionid=someone")["X-Cache"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    expected = {
        "page first": "MISS", "page again": "HIT", "page after max-age": "REVALIDATED",
        "feed first": "MISS", "feed again": "HIT", "feed coding": "gzip", "signed in": "BYPASS",
    }  # fmt: skip
    return {name: (expected[name], seen[name]) for name in expected}
