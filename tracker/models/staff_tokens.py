from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.crypto import KeyGenerator
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

# What every staff token starts with: the API tells it from a partner key by this alone.
STAFF_TOKEN_PREFIX = "tst_"


class StaffTokenGenerator(KeyGenerator):
    """The partner keys' scheme (`prefix.secret`, SHA-512 at rest) behind `tst_`."""

    def generate(self) -> tuple[str, str, str]:
        prefix, secret = self.get_prefix(), self.get_secret_key()
        key = f"{STAFF_TOKEN_PREFIX}{prefix}.{secret}"
        return key, prefix, self.hash(key)


class StaffAPITokenManager(BaseAPIKeyManager):
    key_generator = StaffTokenGenerator()


class StaffAPIToken(AbstractAPIKey):
    """A token a ministry system uses to write through the API as one named staff member.

    Only its hash is stored; what it writes is recorded as written by `user`.
    """

    objects = StaffAPITokenManager()

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_api_tokens",
        verbose_name=_("acts as"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("staff API token")
        verbose_name_plural = _("staff API tokens")
