"""Partners manage their own webhook and e-mail subscriptions; another partner's are a 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker import selectors
from tracker.api.authentication import PartnerAPIKeyAuthentication, PartnerPrincipal
from tracker.api.event_schema import CALLBACKS
from tracker.api.pagination import RecordCursorPagination
from tracker.models import Delivery, EmailSubscription, WebhookSubscription
from tracker.services import subscriptions as services

from . import serializers as s

RECEIVING = """
Deliveries follow the Standard Webhooks specification. Each is a `POST` with
`Content-Type: application/json`, a body `{"type", "timestamp", "data"}` whose `data` is
the event exactly as the change feed lists it (`GET /api/v1/events/<id>/`:
`{"id", "type", "record_type", "record_id", "record_url", "occurred_at", "data"}`; the
callbacks below give each type's body), and the headers
`webhook-id` (the same on every retry of one delivery: use it to ignore duplicates),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the base64-decoded part
of the secret after `whsec_`; during a secret rotation two space-separated signatures).
Verify with any Standard Webhooks library, e.g. `Webhook(secret).verify(body, headers)`.

Answer 2xx within 15 seconds. Redirects are not followed. `410 Gone` switches the
subscription off; any other answer or a timeout is retried after 5 s, 5 min, 30 min, 2 h,
5 h, 10 h and 10 h (`Retry-After` is honoured), then the delivery fails and your contacts
are told. Missed changes can always be read from `GET /api/v1/events/?after=<id>`.
"""


class IsPartner(permissions.BasePermission):
    message = "Subscriptions belong to a partner country: call with its API key."

    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.user, PartnerPrincipal)


class PartnerView(APIView):
    authentication_classes = [PartnerAPIKeyAuthentication, SessionAuthentication]
    permission_classes = [IsPartner]

    def partner(self, request: Request):
        return request.user.partner

    def deliveries(self, request: Request):
        """The partner's deliveries about what it may still see (tombstones sent to it too)."""
        return selectors.visible_deliveries(
            selectors.Viewer.partner(self.partner(request)),
            Delivery.objects.filter(partner=self.partner(request)),
        )

    def webhook(self, request: Request, pk: int) -> WebhookSubscription:
        return get_object_or_404(
            WebhookSubscription.objects.select_related("partner"),
            pk=pk,
            partner=self.partner(request),
        )


def _input(serializer_class, request: Request, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WebhookListView(PartnerView):
    @extend_schema(
        operation_id="webhooks_list",
        tags=["webhooks"],
        responses={200: s.WebhookOutput(many=True)},
        summary="Your webhook subscriptions",
    )
    def get(self, request: Request) -> Response:
        found = WebhookSubscription.objects.filter(partner=self.partner(request)).order_by("id")
        return Response(s.WebhookOutput(found, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        tags=["webhooks"],
        request=s.WebhookInput,
        responses={201: s.WebhookWithSecretOutput},
        summary="Subscribe an endpoint; the secret is in this answer only",
        description=RECEIVING,
        callbacks=CALLBACKS,
    )
    def post(self, request: Request) -> Response:
        data = _input(s.WebhookInput, request)
        subscription, _secret = services.webhook_subscription_create(
            partner=self.partner(request), **data
        )
        return Response(s.WebhookWithSecretOutput(subscription).data, status=201)


class WebhookDetailView(PartnerView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        tags=["webhooks"],
        responses={200: s.WebhookOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.WebhookOutput(self.webhook(request, pk)).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        tags=["webhooks"],
        request=s.WebhookInput(partial=True),
        responses={200: s.WebhookOutput},
        summary="Change a subscription; switching it on again also clears its failure record",
    )
    def patch(self, request: Request, pk: int) -> Response:
        subscription = self.webhook(request, pk)
        data = _input(s.WebhookInput, request, partial=True)
        services.webhook_subscription_update(subscription=subscription, values=data)
        return Response(s.WebhookOutput(subscription).data)

    @extend_schema(
        operation_id="webhooks_update",
        tags=["webhooks"],
        request=s.WebhookInput,
        responses={200: s.WebhookOutput},
    )
    def put(self, request: Request, pk: int) -> Response:
        subscription = self.webhook(request, pk)
        data = _input(s.WebhookInput, request)
        services.webhook_subscription_update(subscription=subscription, values=data)
        return Response(s.WebhookOutput(subscription).data)

    @extend_schema(operation_id="webhooks_destroy", tags=["webhooks"], responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.webhook_subscription_delete(subscription=self.webhook(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookTestView(PartnerView):
    @extend_schema(
        operation_id="webhooks_test",
        tags=["webhooks"],
        request=None,
        responses={202: s.DeliveryOutput},
        summary="Send a webhook.test event to this endpoint",
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = services.webhook_subscription_test(subscription=self.webhook(request, pk))
        return Response(s.DeliveryOutput(delivery).data, status=202)


class WebhookRotateSecretView(PartnerView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        tags=["webhooks"],
        request=None,
        responses={200: s.SecretOutput},
        summary="New signing secret; the old one keeps signing for a grace period",
    )
    def post(self, request: Request, pk: int) -> Response:
        subscription = self.webhook(request, pk)
        secret = services.webhook_secret_rotate(subscription=subscription)
        return Response(
            s.SecretOutput(
                {
                    "secret": secret,
                    "previous_secret_expires_at": subscription.previous_secret_expires_at,
                }
            ).data
        )


class DeliveryPagination(RecordCursorPagination):
    ordering = "-id"


class DeliveryListView(PartnerView):
    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=["webhooks"],
        responses={200: s.DeliveryPageOutput},
        parameters=[
            OpenApiParameter("cursor", str, description="From `next` of the previous page."),
            OpenApiParameter("page_size", int, description="Deliveries per page."),
        ],
        summary="The delivery log of one subscription, newest first",
        description="Only deliveries about records you may still see, tombstones sent to "
        "you and test deliveries: a record you lost sight of leaves your log too.",
    )
    def get(self, request: Request, pk: int) -> Response:
        subscription = self.webhook(request, pk)
        deliveries = (
            self.deliveries(request).filter(subscription=subscription).select_related("event")
        )
        paginator = DeliveryPagination()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        return paginator.get_paginated_response(s.DeliveryOutput(page, many=True).data)


class DeliveryLookup(PartnerView):
    def delivery(self, request: Request, pk: int, delivery_pk: int) -> Delivery:
        return get_object_or_404(
            self.deliveries(request).select_related("event", "subscription"),
            pk=delivery_pk,
            subscription__pk=pk,
        )


class DeliveryDetailView(DeliveryLookup):
    @extend_schema(
        operation_id="webhooks_deliveries_retrieve",
        tags=["webhooks"],
        responses={200: s.DeliveryOutput},
    )
    def get(self, request: Request, pk: int, delivery_pk: int) -> Response:
        return Response(s.DeliveryOutput(self.delivery(request, pk, delivery_pk)).data)


class DeliveryRetryView(DeliveryLookup):
    @extend_schema(
        operation_id="webhooks_deliveries_retry",
        tags=["webhooks"],
        request=None,
        responses={202: s.DeliveryOutput},
        summary="Send this delivery again now (same webhook-id)",
    )
    def post(self, request: Request, pk: int, delivery_pk: int) -> Response:
        delivery = services.delivery_retry(delivery=self.delivery(request, pk, delivery_pk))
        return Response(s.DeliveryOutput(delivery).data, status=202)


class EmailSubscriptionListView(PartnerView):
    @extend_schema(
        operation_id="email_subscriptions_list",
        tags=["email subscriptions"],
        responses={200: s.EmailSubscriptionOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        found = EmailSubscription.objects.filter(partner=self.partner(request)).order_by("id")
        return Response(s.EmailSubscriptionOutput(found, many=True).data)

    @extend_schema(
        operation_id="email_subscriptions_create",
        tags=["email subscriptions"],
        request=s.EmailSubscriptionInput,
        responses={201: s.EmailSubscriptionOutput},
    )
    def post(self, request: Request) -> Response:
        data = _input(s.EmailSubscriptionInput, request)
        subscription = services.email_subscription_create(partner=self.partner(request), **data)
        return Response(s.EmailSubscriptionOutput(subscription).data, status=201)


class EmailSubscriptionDetailView(PartnerView):
    def subscription(self, request: Request, pk: int) -> EmailSubscription:
        return get_object_or_404(
            EmailSubscription.objects.select_related("partner"),
            pk=pk,
            partner=self.partner(request),
        )

    @extend_schema(
        operation_id="email_subscriptions_retrieve",
        tags=["email subscriptions"],
        responses={200: s.EmailSubscriptionOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.EmailSubscriptionOutput(self.subscription(request, pk)).data)

    @extend_schema(
        operation_id="email_subscriptions_partial_update",
        tags=["email subscriptions"],
        request=s.EmailSubscriptionInput(partial=True),
        responses={200: s.EmailSubscriptionOutput},
    )
    def patch(self, request: Request, pk: int) -> Response:
        subscription = self.subscription(request, pk)
        data = _input(s.EmailSubscriptionInput, request, partial=True)
        services.email_subscription_update(subscription=subscription, values=data)
        return Response(s.EmailSubscriptionOutput(subscription).data)

    @extend_schema(
        operation_id="email_subscriptions_destroy",
        tags=["email subscriptions"],
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.email_subscription_delete(subscription=self.subscription(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
