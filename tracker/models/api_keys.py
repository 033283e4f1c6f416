from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class PartnerAPIKey(AbstractAPIKey):
    """A key a partner country's systems use; only its hash is stored."""

    partner = models.ForeignKey(
        "tracker.PartnerCountry",
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("partner country"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")
