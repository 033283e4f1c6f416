"""The tracker's settings, serving only the plain DRF comparison API (bench only)."""

from config.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.plain_drf.urls"
MIDDLEWARE = [m for m in MIDDLEWARE if "simple_history" not in m]  # noqa: F405

# DRF's defaults (JSON and browsable renderers, default errors); the same throttles as ours.
REST_FRAMEWORK = {
    "DEFAULT_THROTTLE_CLASSES": REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"],  # noqa: F405
    "DEFAULT_THROTTLE_RATES": REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
}
