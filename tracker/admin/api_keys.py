"""Partner API keys: superusers issue (the key is shown once, in a message) and revoke them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import PartnerAPIKey
from tracker.services.api_keys import api_key_issue, api_key_revoke

from .mixins.permissions import SuperuserOnlyMixin


class IssueKeyForm(forms.ModelForm):
    class Meta:
        model = PartnerAPIKey
        fields = ["partner", "name", "expiry_date"]
        help_texts = {
            "name": _("The system that will use the key, e.g. 'BMVg tracker sync'."),
            "expiry_date": _("Optional. The key stops working at this moment."),
        }

    def clean_expiry_date(self):
        expiry = self.cleaned_data.get("expiry_date")
        if expiry is not None and expiry <= timezone.now():
            raise ValidationError(_("The expiry must be in the future."))
        return expiry


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "partner",
        "created",
        "expiry_date",
        "has_expired_display",
        "revoked",
        "last_used_at",
    )
    list_filter = ("revoked", "partner")
    search_fields = ("name", "prefix", "partner__name_en")
    list_select_related = ("partner",)
    actions = ["revoke_keys"]
    readonly_fields = (
        "prefix",
        "partner",
        "name",
        "created",
        "expiry_date",
        "revoked",
        "last_used_at",
    )

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IssueKeyForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return IssueKeyForm.Meta.fields if obj is None else self.readonly_fields

    @admin.display(boolean=True, description=_("expired"))
    def has_expired_display(self, obj: PartnerAPIKey) -> bool:
        return obj.has_expired

    def save_model(self, request, obj, form, change):
        if change:
            return
        issued, key = api_key_issue(
            partner=form.cleaned_data["partner"],
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data.get("expiry_date"),
        )
        obj.pk = issued.pk
        obj.prefix = issued.prefix
        obj.hashed_key = issued.hashed_key
        obj.created = issued.created
        messages.warning(
            request,
            _(
                "The API key for %(partner)s is: %(key)s. Hand it over now: it is stored "
                "hashed and cannot be shown again."
            )
            % {"partner": issued.partner, "key": key},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_keys(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked=False):
            api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(request, _("%(count)d key(s) revoked.") % {"count": count})
