"""Staff view of every subscription and delivery; writes go through the subscription services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracker.models import Delivery, DeliveryState, EmailSubscription, WebhookSubscription
from tracker.services import subscriptions as services

from .mixins import ReadOnlyMixin, ServiceFormAdmin

SUBSCRIPTION_FIELDS = ("event_types", "record_type", "record_id", "description", "is_active")


def _form_values(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ServiceFormAdmin):
    list_display = ("id", "partner", "url", "event_types", "is_active", "failing_since")
    list_filter = ("is_active", "partner")
    search_fields = ("url", "description")
    list_select_related = ("partner",)
    readonly_fields = ("failing_since", "disabled_at", "disabled_reason", "created_at")
    fields = ("partner", "url", *SUBSCRIPTION_FIELDS, *readonly_fields)
    actions = ("send_test", "rotate_secret", "switch_on", "switch_off")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "partner") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        values = _form_values(form, ("url", *SUBSCRIPTION_FIELDS))
        with self._refusals():
            if change:
                # The stored row: the form has already put its values on `obj`.
                stored = WebhookSubscription.objects.get(pk=obj.pk)
                services.webhook_subscription_update(subscription=stored, values=values)
                return
            created, secret = services.webhook_subscription_create(
                partner=form.cleaned_data["partner"], **values
            )
        obj.pk = created.pk
        messages.warning(
            request, _("Signing secret (shown once, give it to the partner): %s") % secret
        )

    @admin.action(description=_("Send a webhook.test event"))
    def send_test(self, request, queryset):
        for subscription in queryset:
            try:
                services.webhook_subscription_test(subscription=subscription)
            except ValidationError as exc:
                messages.error(request, f"#{subscription.pk}: {'; '.join(exc.messages)}")

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            secret = services.webhook_secret_rotate(subscription=subscription)
            messages.warning(request, _("New secret of #%(id)s (shown once): %(secret)s")
                             % {"id": subscription.pk, "secret": secret})  # fmt: skip

    @admin.action(description=_("Switch on"))
    def switch_on(self, request, queryset):
        for subscription in queryset:
            services.webhook_subscription_update(
                subscription=subscription, values={"is_active": True}
            )

    @admin.action(description=_("Switch off"))
    def switch_off(self, request, queryset):
        for subscription in queryset:
            services.webhook_subscription_update(
                subscription=subscription, values={"is_active": False}
            )


@admin.register(EmailSubscription)
class EmailSubscriptionAdmin(ServiceFormAdmin):
    list_display = ("id", "partner", "email", "language", "event_types", "is_active")
    list_filter = ("is_active", "language", "partner")
    search_fields = ("email", "description")
    list_select_related = ("partner",)
    fields = ("partner", "email", "language", "frequency", *SUBSCRIPTION_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return ("partner",) if obj else ()

    def save_model(self, request, obj, form, change):
        values = _form_values(form, ("email", "language", "frequency", *SUBSCRIPTION_FIELDS))
        with self._refusals():
            if change:
                stored = EmailSubscription.objects.get(pk=obj.pk)
                services.email_subscription_update(subscription=stored, values=values)
            else:
                obj.pk = services.email_subscription_create(
                    partner=form.cleaned_data["partner"], **values
                ).pk


class HasErrorFilter(admin.SimpleListFilter):
    title = _("error")
    parameter_name = "error"

    def lookups(self, request, model_admin):
        return (("yes", _("With an error")), ("no", _("Without")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        if self.value() == "no":
            return queryset.filter(last_error="")
        return queryset


class ResponseCodeFilter(admin.SimpleListFilter):
    title = _("response code")
    parameter_name = "code"

    def lookups(self, request, model_admin):
        return (
            ("2xx", "2xx"),
            ("4xx", "4xx"),
            ("410", "410"),
            ("429", "429"),
            ("5xx", "5xx"),
            ("none", _("No answer")),
        )

    def queryset(self, request, queryset):
        ranges = {"2xx": (200, 299), "4xx": (400, 499), "5xx": (500, 599)}
        value = self.value()
        if value in ranges:
            low, high = ranges[value]
            return queryset.filter(last_status_code__gte=low, last_status_code__lte=high)
        if value in ("410", "429"):
            return queryset.filter(last_status_code=int(value))
        if value == "none":
            return queryset.filter(last_status_code__isnull=True).exclude(last_error="")
        return queryset


class LatencyFilter(admin.SimpleListFilter):
    title = _("latency")
    parameter_name = "latency"
    BUCKETS = {
        "fast": (None, 300, _("under 0.3 s")),
        "medium": (300, 2000, _("0.3 to 2 s")),
        "slow": (2000, 10000, _("2 to 10 s")),
        "very_slow": (10000, None, _("10 s or more")),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (_low, _high, label) in self.BUCKETS.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.BUCKETS:
            return queryset
        low, high, _label = self.BUCKETS[self.value()]
        condition = Q(last_latency_ms__isnull=False)
        if low is not None:
            condition &= Q(last_latency_ms__gte=low)
        if high is not None:
            condition &= Q(last_latency_ms__lt=high)
        return queryset.filter(condition)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "message_id",
        "event",
        "partner",
        "target",
        "state",
        "attempts",
        "last_status_code",
        "last_latency_ms",
        "next_attempt_at",
        "short_error",
    )
    list_filter = (
        "state",
        "partner",
        ResponseCodeFilter,
        HasErrorFilter,
        LatencyFilter,
        ("subscription", admin.RelatedOnlyFieldListFilter),
        ("email_subscription", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("message_id", "last_error", "subscription__url", "email_subscription__email")
    list_select_related = ("event", "partner", "subscription", "email_subscription")
    date_hierarchy = "created_at"
    actions = ("retry",)
    readonly_fields = [f.name for f in Delivery._meta.fields]

    @admin.display(description=_("to"))
    def target(self, obj: Delivery) -> str:
        return obj.subscription.url if obj.subscription_id else obj.email_subscription.email

    @admin.display(description=_("error"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    def get_actions(self, request):
        # Viewing is enough to see; retrying needs the right to change subscriptions.
        actions = super().get_actions(request)
        if not request.user.has_perm("tracker.change_webhooksubscription"):
            actions.pop("retry", None)
        return actions

    @admin.action(description=_("Retry the selected deliveries now"))
    def retry(self, request, queryset):
        queued = services.deliveries_retry(
            deliveries=queryset.select_related("subscription").exclude(state=DeliveryState.SENDING)
        )
        messages.success(request, _("%d deliveries queued again.") % queued)
