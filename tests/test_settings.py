"""The production settings start only when configured, and pass Django's deployment checks."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what a process needs to run: nothing leaks in from the test environment.
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production_env(tmp_path):
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TRACKER_VAR_DIR": str(tmp_path),
    }


def test_production_settings_pass_the_deployment_checks(production_env):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_weak_secret_key_fails_the_deployment_checks(production_env):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**production_env, "DJANGO_SECRET_KEY": "short"},
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_start_up_fails_clearly_without_required_settings(production_env, missing):
    env = {k: v for k, v in production_env.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable." in result.stderr


def _database_options(env: dict[str, str]) -> dict:
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_postgresql_waits_are_bounded_by_the_settings(production_env):
    # No connection is opened: the options are what every connection will be opened with.
    env = {**production_env, "DATABASE_URL": "postgres://tracker@127.0.0.1:5432/tracker"}
    options = _database_options(env)
    assert options["connect_timeout"] == 5
    assert options["options"] == "-c statement_timeout=30000"
    assert options["tcp_user_timeout"] == 10000  # DATABASE_NETWORK_TIMEOUT's default, 10 s
    assert options["keepalives"] == 1

    options = _database_options({**env, "DATABASE_NETWORK_TIMEOUT": "4"})
    assert options["tcp_user_timeout"] == 4000
    assert options["keepalives_idle"] + options["keepalives_count"] == 4

    options = _database_options({**env, "DATABASE_NETWORK_TIMEOUT": "0"})
    assert "tcp_user_timeout" not in options and "keepalives" not in options
    assert options["connect_timeout"] == 5

    # What DATABASE_URL says wins.
    url = env["DATABASE_URL"] + "?tcp_user_timeout=2500&keepalives_idle=1"
    options = _database_options({**env, "DATABASE_URL": url})
    assert options["tcp_user_timeout"] == 2500
    assert options["keepalives_idle"] == 1


def test_postgresql_prepares_repeated_statements_unless_told_not_to(production_env):
    env = {**production_env, "DATABASE_URL": "postgres://tracker@127.0.0.1:5432/tracker"}
    options = _database_options(env)
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5

    options = _database_options({**env, "DATABASE_PREPARE_THRESHOLD": "0"})
    assert "server_side_binding" not in options and "prepare_threshold" not in options
    assert options["connect_timeout"] == 5
