"""The tracker's settings, serving only the plain DRF comparison API (bench only)."""

from config.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.plain_drf.urls"
MIDDLEWARE = [m for m in MIDDLEWARE if "simple_history" not in m]  # noqa: F405
