from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Notifications: before any other api/v1/ include.
    path("api/v1/webhooks/", include("tracker.api.webhooks.urls")),
    path("api/v1/email-subscriptions/", include("tracker.api.webhooks.email_urls")),
]
