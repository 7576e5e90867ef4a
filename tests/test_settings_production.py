"""Production settings (ascn_events/settings_production.py over settings.py): the deploy checks pass, and the
secret key and database come only from the environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ascn_events.settings_production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_production_settings_reports_nothing():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", SECRET_KEY=secrets.token_urlsafe(50))
    assert (result.returncode, result.stdout.strip()) == (0, "System check identified no issues (0 silenced)."), (
        result.stderr[-2000:]
    )


def test_check_deploy_with_development_settings_reports_the_insecure_switches():
    result = run_manage(
        "check", "--deploy", DJANGO_SETTINGS_MODULE="ascn_events.settings", SECRET_KEY=secrets.token_urlsafe(50)
    )
    assert "security.W008" in result.stdout + result.stderr


def test_production_settings_without_secret_key_refuse_to_start():
    result = run_manage("check")
    assert result.returncode == 1
    assert "SECRET_KEY must be set in the environment" in result.stderr


def test_production_settings_with_a_short_secret_key_refuse_to_start():
    result = run_manage("check", SECRET_KEY="short")
    assert "SECRET_KEY must be set in the environment" in result.stderr


def test_production_secret_key_and_database_come_from_the_environment():
    key = secrets.token_urlsafe(50)
    script = "from django.conf import settings as s; print(s.SECRET_KEY, s.DATABASES['default']['NAME'], s.DEBUG)"
    result = run_manage(
        "shell", "--no-imports", "-c", script, SECRET_KEY=key, DATABASE_URL="sqlite:////tmp/from-env.sqlite3"
    )
    assert result.stdout.split() == [key, "/tmp/from-env.sqlite3", "False"]
