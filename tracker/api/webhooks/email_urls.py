"""Mounted at /api/v1/email-subscriptions/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.EmailSubscriptionListView.as_view(), name="email-subscription-list"),
    path(
        "<int:pk>/",
        views.EmailSubscriptionDetailView.as_view(),
        name="email-subscription-detail",
    ),
]
