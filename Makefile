# Two commands for a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := ascn_events.settings

.PHONY: run test test-sqlite test-postgres install deps-system lint migrate fixtures messages bench bench-alerts bench-import load clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

# Third-party tools the interop and browser tests drive: Node's ical.js,
# Debian's libical bindings and Chromium. Installed once, never downloaded by Playwright.
deps-system:
	bash .ci/install-system-deps

migrate: install
	$(PY) manage.py migrate --noinput

fixtures: migrate
	$(PY) manage.py load_seed

# Translations are committed compiled (.mo) so `make run` needs no gettext;
# after editing locale/*/LC_MESSAGES/django.po run this (needs gettext's msgfmt).
messages: install
	$(PY) manage.py makemessages -l id --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

run: fixtures
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: install deps-system
	$(PY) -m pytest

lint: install
	$(BIN)/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

# Benchmark (issues 6, 14): a fresh scratch database seeded with BENCH_MEETINGS synthetic meetings
# (about 4 sessions each), then one JSON line of timings and ratios (feeds cold, warm, cached, 304 at
# 20,000 and 1,000 sessions, wire bytes, f-string and library floors, pages and API lists). PostgreSQL:
#   make bench BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ascn_bench
# The scratch database is dropped and created again: never point it at real data.
BENCH_MEETINGS ?= 5000
BENCH_DATABASE_URL ?= sqlite:////tmp/ascn-bench.sqlite3
bench: install
	$(PY) loadtest/fresh_db.py $(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py seed_scale --meetings $(BENCH_MEETINGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench

# Load test (issues 7, 14): gunicorn with production settings on PostgreSQL + Redis, on 127.0.0.1 only.
# Locust first measures the floor (a bare Django view answering 304, same middleware), then runs the
# realistic mix (90% conditional feed GETs, 10% pages/API) paced at 55% of the floor's rate; then, if
# nginx is installed, checks deploy/nginx.conf in front of the same gunicorn. Prints one JSON line;
# fails on any error, p99 >= 50 ms or less than 50% of the floor's rate. LOAD_SECONDS per phase (30).
# LOAD_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ascn_load) is dropped and re-seeded;
# LOAD_REDIS_URL (default redis://127.0.0.1:6379/1) is emptied.
load: install
	@command -v nginx >/dev/null || [ "$$(id -u)" != 0 ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light) >/tmp/ascn-apt-nginx.log 2>&1 || echo 'WARNING: nginx not installed; the nginx check is skipped'
	$(PY) loadtest/run.py

# Change alerts (issue 16): one change to a series with 1,000 and 10,000 followers, delivered into a
# local SMTP sink; prints deliveries/s and change-to-last-delivery time. Scratch database, dropped first.
ALERTS_BENCH_DATABASE_URL ?= sqlite:////tmp/ascn-bench-alerts.sqlite3
bench-alerts: install
	$(PY) loadtest/fresh_db.py $(ALERTS_BENCH_DATABASE_URL)
	DATABASE_URL=$(ALERTS_BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(ALERTS_BENCH_DATABASE_URL) $(PY) manage.py bench_alerts --followers 1000 10000

# Import benchmark (issue 11): rows/s of a 1,000- and a 10,000-row spreadsheet import, the 1,000 / 100
# same-title iCalendar import ratio (about 10 when linear), and refusals of a 12 MB CSV and a zip bomb.
# Runs in a transaction that is rolled back; one JSON line.
IMPORT_BENCH_DATABASE_URL ?= sqlite:////tmp/ascn-bench-import.sqlite3
bench-import: install
	$(PY) loadtest/fresh_db.py $(IMPORT_BENCH_DATABASE_URL)
	DATABASE_URL=$(IMPORT_BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(IMPORT_BENCH_DATABASE_URL) $(PY) manage.py bench_import
