"""ModelViewSets over the tracker's models: the usual DRF way, scoped by the same selectors.

Partner scoping goes through `tracker.selectors` so that every app in the comparison
answers with the same rows; related lists are prefetched, as a careful DRF user would.
"""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import pagination, permissions, viewsets

from tracker.api.authentication import PartnerAPIKeyAuthentication, viewer_for
from tracker.selectors import (
    visible_events,
    visible_facilities,
    visible_laws,
    visible_partners,
    visible_tax_measures,
)

from . import serializers


class RecordPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-updated_at", "-id")


class EventPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "id"


class PartnerViewSet(viewsets.ReadOnlyModelViewSet):
    authentication_classes = [PartnerAPIKeyAuthentication]
    permission_classes = [permissions.IsAuthenticated]


class LawViewSet(PartnerViewSet):
    pagination_class = RecordPagination

    def get_queryset(self):
        viewer = viewer_for(self.request)
        queryset = visible_laws(viewer).prefetch_related(
            Prefetch("partners", queryset=visible_partners(viewer))
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "documents",
                Prefetch("tax_measures", queryset=visible_tax_measures(viewer)),
                Prefetch("facilities", queryset=visible_facilities(viewer)),
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.LawDetailSerializer
        return serializers.LawSerializer


class TaxMeasureViewSet(PartnerViewSet):
    pagination_class = RecordPagination
    serializer_class = serializers.TaxMeasureSerializer

    def get_queryset(self):
        viewer = viewer_for(self.request)
        return visible_tax_measures(viewer).prefetch_related(
            Prefetch("partners", queryset=visible_partners(viewer))
        )


class FacilityViewSet(PartnerViewSet):
    pagination_class = RecordPagination
    serializer_class = serializers.FacilitySerializer

    def get_queryset(self):
        viewer = viewer_for(self.request)
        return visible_facilities(viewer).prefetch_related(
            Prefetch("partners", queryset=visible_partners(viewer))
        )


class EventViewSet(PartnerViewSet):
    pagination_class = EventPagination
    serializer_class = serializers.EventSerializer

    def get_queryset(self):
        queryset = visible_events(viewer_for(self.request))
        after = self.request.query_params.get("after")
        if after and after.isdigit():
            queryset = queryset.filter(id__gt=int(after))
        return queryset
