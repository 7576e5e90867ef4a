"""The load mix for `make load`, and the floor it is compared with.

- `Floor`: conditional GETs of /__floor__/ (a bare Django view answering 304), as fast as answered.
- `Subscriber`: the realistic mix, 90% conditional feed GETs (calendar apps polling with the
  ETag they hold) and 10% pages and API lists, paced at LOAD_RATE requests/s in all.

Targets and the feeds' ETags come from LOAD_TARGETS (a JSON file written by run.py after
priming). Every request says it came through the TLS proxy, as production settings expect.
"""

import json
import os
import random

from locust import FastHttpUser, constant, constant_throughput, task

TARGETS = json.loads(open(os.environ["LOAD_TARGETS"]).read())  # noqa: SIM115
PROXY = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip, br"}
USERS = int(os.environ.get("LOAD_USERS", "10"))
RATE = float(os.environ.get("LOAD_RATE", "100"))


class Floor(FastHttpUser):
    wait_time = constant(0)

    @task
    def not_modified(self):
        headers = {**PROXY, "If-None-Match": '"floor"'}
        with self.client.get("/__floor__/", headers=headers, name="floor 304", catch_response=True) as response:
            if response.status_code == 304:
                response.success()
            else:
                response.failure(f"{response.status_code}")


class Subscriber(FastHttpUser):
    wait_time = constant_throughput(RATE / USERS)

    def conditional(self, url, name):
        headers = {**PROXY, "If-None-Match": TARGETS["etags"][url]}
        with self.client.get(url, headers=headers, name=name, catch_response=True) as response:
            if response.status_code == 304:
                response.success()
            else:
                response.failure(f"{response.status_code}, expected 304")

    def page(self, url, name):
        with self.client.get(url, headers=PROXY, name=name, catch_response=True) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"{response.status_code}")

    # 90 of every 100 requests: feeds polled with the ETag the calendar app holds.
    @task(60)
    def meeting_feed(self):
        self.conditional(random.choice(TARGETS["meeting_feeds"]), "feed: meeting (conditional)")

    @task(25)
    def series_feed(self):
        self.conditional(random.choice(TARGETS["series_feeds"]), "feed: series (conditional)")

    @task(5)
    def all_feed(self):
        self.conditional("/feeds/all.ics", "feed: all (conditional)")

    # 10 of every 100: pages and API lists as visitors read them.
    @task(3)
    def meeting_list(self):
        self.page(f"/meetings/?page={random.randint(1, 5)}", "/meetings/?page=[n]")

    @task(3)
    def meeting_detail(self):
        self.page(f"/meetings/{random.choice(TARGETS['pages'])}/", "/meetings/[slug]/")

    @task(2)
    def api_sessions(self):
        self.page(f"/api/v1/sessions/?from={random.randint(2001, 2010)}-01-01&to=2030-12-31", "/api/v1/sessions/")

    @task(1)
    def api_meetings(self):
        self.page("/api/v1/meetings/?page_size=50", "/api/v1/meetings/")

    @task(1)
    def series_list(self):
        self.page("/series/", "/series/")
