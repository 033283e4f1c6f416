"""The test suite: the same code as production, on whatever DATABASE_URL and REDIS_URL say."""

import os
from pathlib import Path

from .base import filesystem_broker_options
from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405
LANGUAGE_CODE = "en"

# --- Notifications ------------------------------------------------------------
# The suite's receivers listen on loopback on a random free port: allowed explicitly here
# (production allows 443 and 80 only).
WEBHOOKS_ALLOWED_PORTS = ["443", "80", "1024-65535"]
# Reliability tests run real Celery workers in subprocesses; they must share the test
# database (so SQLite's test database is a file) and must not share the development broker.
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-tracker.sqlite3")}  # noqa: F405
if not REDIS_URL:  # noqa: F405
    CELERY_BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", VAR_DIR / "test-broker"))  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)
