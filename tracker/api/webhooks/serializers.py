"""Input and output shapes of the subscription endpoints."""

from __future__ import annotations

from rest_framework import serializers

from tracker.api.fields import IdField
from tracker.api.serializers import NamedChoiceField, choices_class
from tracker.models import (
    RECORD_MODELS,
    Delivery,
    DeliveryState,
    EmailFrequency,
    EmailLanguage,
    EmailSubscription,
    WebhookSubscription,
)
from tracker.models.notifications import MY_FACILITIES
from tracker.services.subscriptions import EVENT_TYPE_PATTERNS

EVENT_TYPE_HELP = "Event types such as `law.status_changed`; `law.*` and `*` match several."
# Every event type, `<record>.*` and `*`: the schema's `EventTypePattern` enum.
EventTypePattern = choices_class("EventTypePattern", sorted(EVENT_TYPE_PATTERNS))


def event_types_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=NamedChoiceField(EventTypePattern), help_text=EVENT_TYPE_HELP, **kwargs
    )


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: 0, 1 or "yes" are refused rather than guessed at."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SubscriptionFilterFields(serializers.Serializer):
    event_types = event_types_field(
        allow_empty=False, min_length=1, max_length=len(EVENT_TYPE_PATTERNS)
    )
    record_type = serializers.ChoiceField(
        choices=[*RECORD_MODELS, MY_FACILITIES],
        required=False,
        allow_blank=True,
        help_text="Only this record type; or `my_facilities`: anything that affects your "
        "country's facilities (events about a facility linked to it, and events whose "
        "`affects` names one).",
    )
    record_id = StrictIntegerField(
        required=False, allow_null=True, min_value=1, help_text="Only this record."
    )
    description = StrictCharField(
        required=False, allow_blank=True, max_length=300, trim_whitespace=True
    )
    is_active = StrictBooleanField(required=False)


class WebhookInput(SubscriptionFilterFields):
    url = serializers.URLField(max_length=500, help_text="Your endpoint; https in production.")


class WebhookOutput(serializers.ModelSerializer):
    record_type = serializers.CharField()
    event_types = event_types_field()

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "event_types",
            "record_type",
            "record_id",
            "description",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "failing_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookWithSecretOutput(WebhookOutput):
    secret = serializers.CharField(
        help_text="Signing secret, shown only now. Verify each delivery with it."
    )

    class Meta(WebhookOutput.Meta):
        fields = [*WebhookOutput.Meta.fields, "secret"]
        read_only_fields = fields


class SecretOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret, shown only now.")
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="Until then deliveries carry signatures with the old and the new secret."
    )


class DeliveryOutput(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id")
    event_id = IdField()
    event_type = serializers.CharField(source="event.type")
    subscription_id = IdField()
    state = serializers.ChoiceField(choices=DeliveryState.choices)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "event_id",
            "event_type",
            "subscription_id",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "last_latency_ms",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryPageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, if any.")
    previous = serializers.URLField(allow_null=True)
    results = DeliveryOutput(many=True)


class EmailSubscriptionInput(SubscriptionFilterFields):
    email = serializers.EmailField()
    language = serializers.ChoiceField(choices=EmailLanguage.choices, required=False)
    frequency = serializers.ChoiceField(
        choices=EmailFrequency.choices,
        required=False,
        help_text="`immediate` (default): one mail per change; `daily` or `weekly`: one digest "
        "per day or week (what changed, what is due, what was missed), with a link that "
        "unsubscribes without logging in.",
    )


class EmailSubscriptionOutput(serializers.ModelSerializer):
    event_types = event_types_field()

    class Meta:
        model = EmailSubscription
        fields = [
            "id",
            "email",
            "language",
            "frequency",
            "event_types",
            "record_type",
            "record_id",
            "description",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
