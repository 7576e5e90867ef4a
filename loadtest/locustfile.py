"""The load mix for `make load`: feeds (half of them conditional), list pages and API calls.

Public meeting and series slugs come from LOAD_TARGETS (a JSON file written by run.py).
Every request says it came through the TLS proxy, as production settings expect.
"""

import json
import os
import random

from locust import HttpUser, between, task

TARGETS = json.loads(open(os.environ["LOAD_TARGETS"]).read())  # noqa: SIM115
PROXY = {"X-Forwarded-Proto": "https"}


class Subscriber(HttpUser):
    wait_time = between(0.05, 0.2)

    def on_start(self):
        self.etags = {}

    def feed(self, url, name):
        headers = dict(PROXY)
        if url in self.etags and random.random() < 0.5:
            headers["If-None-Match"] = self.etags[url]
            name += " (conditional)"
        with self.client.get(url, headers=headers, name=name, catch_response=True) as response:
            if response.status_code in (200, 304):
                self.etags[url] = response.headers.get("ETag", self.etags.get(url))
                response.success()
            else:
                response.failure(f"{response.status_code}")

    @task(3)
    def meeting_feed(self):
        self.feed(f"/feeds/meetings/{random.choice(TARGETS['meetings'])}.ics", "/feeds/meetings/[slug].ics")

    @task(2)
    def series_feed(self):
        self.feed(f"/feeds/series/{random.choice(TARGETS['series'])}.ics", "/feeds/series/[slug].ics")

    @task(1)
    def all_feed(self):
        self.feed("/feeds/all.ics", "/feeds/all.ics")

    @task(2)
    def meeting_list(self):
        page = random.randint(1, 20)
        self.client.get(f"/meetings/?page={page}", headers=PROXY, name="/meetings/?page=[n]")

    @task(2)
    def meeting_detail(self):
        self.client.get(f"/meetings/{random.choice(TARGETS['meetings'])}/", headers=PROXY, name="/meetings/[slug]/")

    @task(1)
    def series_list_filtered(self):
        series = random.choice(TARGETS["series"])
        self.client.get(f"/meetings/?series={series}", headers=PROXY, name="/meetings/?series=[slug]")

    @task(2)
    def api_sessions(self):
        year = random.randint(2001, 2024)
        self.client.get(
            f"/api/v1/sessions/?from={year}-01-01&to={year}-06-30", headers=PROXY, name="/api/v1/sessions/?from&to"
        )

    @task(2)
    def api_meeting(self):
        slug = random.choice(TARGETS["meetings"])
        self.client.get(f"/api/v1/meetings/{slug}/", headers=PROXY, name="/api/v1/meetings/[slug]/")

    @task(1)
    def api_meetings(self):
        self.client.get("/api/v1/meetings/?page_size=50", headers=PROXY, name="/api/v1/meetings/")
