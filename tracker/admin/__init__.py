"""Staff admin: one module per topic, each registering its own classes."""

from . import api_keys, notifications, records, staff_tokens  # noqa: F401
