from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("laws", views.LawViewSet, basename="law")
router.register("tax-measures", views.TaxMeasureViewSet, basename="tax-measure")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("partners", views.PartnerViewSet, basename="partner")
router.register("events", views.EventViewSet, basename="event")
router.register("deadlines", views.DeadlineViewSet, basename="deadline")

urlpatterns = [
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
