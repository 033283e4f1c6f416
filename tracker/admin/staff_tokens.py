"""Staff API tokens: superusers issue them for a named staff member (the token is shown once,
in a message) and revoke them."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import StaffAPIToken
from tracker.services.staff_tokens import (
    staff_token_issue,
    staff_token_problems,
    staff_token_revoke,
)

from .mixins.permissions import SuperuserOnlyMixin

DEFAULT_LIFETIME = datetime.timedelta(days=90)


class IssueTokenForm(forms.ModelForm):
    class Meta:
        model = StaffAPIToken
        fields = ["user", "name", "expiry_date"]
        help_texts = {
            "user": _("The staff member the system writes as: the history names this person."),
            "name": _("The system that will use the token, e.g. 'Ministry registry sync'."),
            "expiry_date": _("The token stops working at this moment."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(
            is_active=True, is_staff=True
        )
        self.fields["expiry_date"].required = True
        self.fields["expiry_date"].initial = timezone.now() + DEFAULT_LIFETIME

    def clean(self):
        cleaned = super().clean()
        problems = staff_token_problems(
            user=cleaned.get("user"),
            name=cleaned.get("name") or "",
            expires_at=cleaned.get("expiry_date"),
        )
        for field, message in problems.items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned


@admin.register(StaffAPIToken)
class StaffAPITokenAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "user",
        "created",
        "created_by",
        "expiry_date",
        "has_expired_display",
        "revoked",
        "last_used_at",
    )
    list_filter = ("revoked", "user")
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user", "created_by")
    actions = ["revoke_tokens"]
    readonly_fields = (
        "prefix",
        "user",
        "name",
        "created",
        "created_by",
        "expiry_date",
        "revoked",
        "last_used_at",
    )

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, so the record of who had one stays

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IssueTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return IssueTokenForm.Meta.fields if obj is None else self.readonly_fields

    @admin.display(boolean=True, description=_("expired"))
    def has_expired_display(self, obj: StaffAPIToken) -> bool:
        return obj.has_expired

    def save_model(self, request, obj, form, change):
        if change:
            return
        issued, key = staff_token_issue(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data["expiry_date"],
            created_by=request.user,
        )
        obj.pk = issued.pk
        obj.prefix = issued.prefix
        obj.hashed_key = issued.hashed_key
        obj.created = issued.created
        obj.created_by = issued.created_by
        messages.warning(
            request,
            _(
                "The API token for %(user)s is: %(key)s. Hand it over now: it is stored "
                "hashed and cannot be shown again. Send it as `Authorization: Bearer "
                "<token>`."
            )
            % {"user": issued.user.get_username(), "key": key},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset):
        count = sum(staff_token_revoke(token=token) for token in queryset.filter(revoked=False))
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count})
