"""Where a record lives: its API resource and its public page, named after its record type."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def detail_url_name(namespace: str, record_type: str) -> str:
    """`api:tax-measure-detail`, `web:law-detail`...: URL names follow the record type."""
    return f"{namespace}:{record_type.replace('_', '-')}-detail"


def api_path(record_type: str, record_id: int) -> str:
    return reverse(detail_url_name("api", record_type), kwargs={"pk": record_id})


def api_url(record_type: str, record_id: int | None) -> str | None:
    """Absolute API address, for messages that leave the site (webhooks, e-mail)."""
    if record_id is None or not record_type:
        return None
    return settings.TRACKER_BASE_URL.rstrip("/") + api_path(record_type, record_id)


def public_path(record_type: str, record_id: int) -> str:
    return reverse(detail_url_name("web", record_type), kwargs={"pk": record_id})
