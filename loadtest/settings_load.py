"""The production settings plus one route: the floor view the load test compares the site with."""

from ascn_events.settings_production import *  # noqa: F403

ROOT_URLCONF = "loadtest.urls"
