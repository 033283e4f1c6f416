"""Mounted at /api/v1/webhooks/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.WebhookListView.as_view(), name="webhook-list"),
    path("<int:pk>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("<int:pk>/test/", views.WebhookTestView.as_view(), name="webhook-test"),
    path(
        "<int:pk>/rotate-secret/",
        views.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path("<int:pk>/deliveries/", views.DeliveryListView.as_view(), name="webhook-deliveries"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/",
        views.DeliveryDetailView.as_view(),
        name="webhook-delivery-detail",
    ),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/retry/",
        views.DeliveryRetryView.as_view(),
        name="webhook-delivery-retry",
    ),
]
