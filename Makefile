# Two commands for a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := ascn_events.settings

.PHONY: run test test-sqlite test-postgres install deps-system lint migrate fixtures messages bench load clean

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
