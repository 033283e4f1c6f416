"""Staff admin: one module per topic, each registering its own classes."""

from . import api_keys, deadlines, notifications, rada, records, staff_tokens  # noqa: F401
