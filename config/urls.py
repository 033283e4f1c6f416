from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(("tracker.api.urls", "api"), namespace="api")),
]

# Under /api/ these answer with a problem document; elsewhere they defer to Django's own.
handler404 = "tracker.api.problems.handler404"
handler500 = "tracker.api.problems.handler500"
urlpatterns += [path("", include("tracker.web.urls"))]
