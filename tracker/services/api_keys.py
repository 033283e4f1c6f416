from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.models import PartnerAPIKey, PartnerCountry


def api_key_issue(
    *, partner: PartnerCountry, name: str, expires_at: datetime.datetime | None = None
) -> tuple[PartnerAPIKey, str]:
    """Issue a key for `partner`; the returned plain key is never stored and shown only now."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the key after the system that will use it."})
    if len(name) > 50:
        raise ValidationError({"name": "Keep the name within 50 characters."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    with transaction.atomic():
        return PartnerAPIKey.objects.create_key(partner=partner, name=name, expiry_date=expires_at)


def api_key_revoke(*, api_key: PartnerAPIKey) -> None:
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
