"""The project's URLs plus stand-ins for the public dashboard pages the admin links to."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def _page(request, pk):
    return HttpResponse(f"public page {pk}")


web_patterns = (
    [
        path("laws/<int:pk>/", _page, name="law-detail"),
        path("tax-measures/<int:pk>/", _page, name="tax-measure-detail"),
        path("facilities/<int:pk>/", _page, name="facility-detail"),
        path("partners/<int:pk>/", _page, name="partner-detail"),
    ],
    "web",
)

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "web" for p in urlpatterns):
    urlpatterns.append(path("", include(web_patterns)))
