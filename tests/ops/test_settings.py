"""Production settings with the operations settings: metrics need a guard, JSON logs and
metrics still pass Django's deployment checks, and the probes are not redirected to HTTPS."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
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


def test_metrics_without_a_guard_refuse_to_start(production_env):
    result = manage("check", env={**production_env, "METRICS_ENABLED": "true"})
    assert result.returncode != 0
    assert "METRICS_ENABLED needs METRICS_TOKEN or METRICS_ALLOWED_IPS" in result.stderr


def test_an_unknown_log_format_refuses_to_start(production_env):
    result = manage("check", env={**production_env, "LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "Set LOG_FORMAT to plain or json." in result.stderr


def test_metrics_and_json_logs_pass_the_deployment_checks(production_env):
    env = {
        **production_env,
        "METRICS_ENABLED": "true",
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        "LOG_FORMAT": "json",
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
for path in ("/healthz", "/metrics", "/api/v1/"):
    print(path, client.get(path, HTTP_HOST="tracker.example.org").status_code)
"""


def test_probes_are_answered_over_plain_http_where_the_rest_is_redirected(production_env):
    env = {**production_env, "METRICS_ENABLED": "true", "METRICS_ALLOWED_IPS": "127.0.0.1"}
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["/healthz 200", "/metrics 200", "/api/v1/ 301"]
