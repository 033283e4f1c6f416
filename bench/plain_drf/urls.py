from django.urls import include, path
from rest_framework import routers

from . import views

router = routers.SimpleRouter()
router.register("laws", views.LawViewSet, basename="plain-law")
router.register("tax-measures", views.TaxMeasureViewSet, basename="plain-tax-measure")
router.register("facilities", views.FacilityViewSet, basename="plain-facility")
router.register("events", views.EventViewSet, basename="plain-event")

urlpatterns = [path("api/v1/", include(router.urls))]
