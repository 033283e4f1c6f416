from django.contrib import admin
from django.urls import include, path, re_path

from tracker.api.problems import api_not_found
from tracker.ops import views as ops_views

urlpatterns = [
    # Operations (tracker/ops): no login; /metrics has its own guard.
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Notifications: before any other api/v1/ include.
    path("api/v1/webhooks/", include("tracker.api.webhooks.urls")),
    path("api/v1/email-subscriptions/", include("tracker.api.webhooks.email_urls")),
    path("api/v1/", include(("tracker.api.urls", "api"), namespace="api")),
    # Any other path under /api/ (ending in a slash: the others are redirected to one first)
    # is a problem document, with DEBUG on too.
    re_path(r"^api/(?:.*/)?$", api_not_found),
]

# Under /api/ these answer with a problem document; elsewhere they defer to Django's own.
handler404 = "tracker.api.problems.handler404"
handler500 = "tracker.api.problems.handler500"
urlpatterns += [path("", include("tracker.web.urls"))]
