"""The partner API: thin views over `tracker.selectors` (reads) and `tracker.services` (writes)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker import links, selectors
from tracker.models import (
    RECORD_MODELS,
    DraftLaw,
    Facility,
    PartnerCountry,
    TaxMeasure,
    TrackedRecord,
)
from tracker.services.errors import TransitionNotAllowed
from tracker.services.transitions import record_transition

from . import filters
from . import serializers as s
from .authentication import PartnerPrincipal, viewer_for
from .conditional import ConditionalGetMixin
from .fields import url_prefix
from .pagination import RecordCursorPagination
from .problems import TransitionConflict
from .response_cache import cached_read
from .rows import EVENT_COLUMNS, ListRows, render_events

MAX_ID = filters.MAX_ID


class ApiViewMixin(ConditionalGetMixin):
    """What every API view shares: the caller's visibility scope in `self.viewer`."""

    metadata_class = None  # OPTIONS is not part of the API: 405

    @property
    def allowed_methods(self):
        return [m for m in super().allowed_methods if m != "OPTIONS"]

    @property
    def viewer(self) -> selectors.Viewer:
        if not hasattr(self.request, "_tracker_viewer"):
            self.request._tracker_viewer = viewer_for(self.request)
        return self.request._tracker_viewer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "viewer": self.viewer}


class RecordViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """List, detail, history and transitions of one record type."""

    model: type[TrackedRecord]
    detail_serializer_class: type[serializers.Serializer]
    history_serializer_class: type[serializers.Serializer]
    allowed_serializer_class: type[serializers.Serializer]
    transition_serializer_class: type[serializers.Serializer]

    filter_backends = [DjangoFilterBackend, filters.StrictOrderingFilter]
    pagination_class = RecordCursorPagination
    ordering = ("-updated_at",)
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.api_records(self.model, self.viewer, detail=True)
        return selectors.visible_records(self.model, self.viewer)

    def get_serializer_class(self):
        return {
            "retrieve": self.detail_serializer_class,
            "history": self.history_serializer_class,
            "transitions": (
                self.transition_serializer_class
                if self.request is not None and self.request.method == "POST"
                else self.allowed_serializer_class
            ),
        }.get(self.action, self.serializer_class)

    def get_object(self):
        # Never filtered by the list's query parameters; ids beyond bigint simply do not exist.
        pk = int(self.kwargs["pk"])
        if pk > MAX_ID:
            raise exceptions.NotFound()
        record = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, record)
        return record

    @cached_read
    def list(self, request, *args, **kwargs):
        rows = ListRows(
            model=self.model,
            serializer_class=self.serializer_class,
            viewer=self.viewer,
            request=request,
        )
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows.values(queryset))
        return self.get_paginated_response(rows.render(page))

    @cached_read
    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    @cached_read
    def history(self, request, *args, **kwargs):
        """The record's status changes, oldest first."""
        record = self.get_object()
        changes = selectors.status_history(record)
        return Response(self.get_serializer(changes, many=True).data)

    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def transitions(self, request, *args, **kwargs):
        record = self.get_object()
        if request.method == "POST":
            return self._record_transition(record)
        workflow = self.model.workflow
        targets = workflow.allowed_targets(record.status) if self._may_transition() else ()
        if record.archived_at is not None:
            targets = ()
        allowed = [{"to": target, "label": workflow.label(target)} for target in targets]
        return Response(self.get_serializer(allowed, many=True).data)

    def _may_transition(self) -> bool:
        user = self.request.user
        return (
            self.viewer.is_staff
            and not isinstance(user, PartnerPrincipal)
            and user.has_perm(f"tracker.transition_{self.model._meta.model_name}")
        )

    def _record_transition(self, record: TrackedRecord) -> Response:
        request = self.request
        if isinstance(request.user, PartnerPrincipal):
            raise exceptions.PermissionDenied("Partners have read access only.")
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if not self._may_transition():
            raise exceptions.PermissionDenied(
                f"You may not record {self.model._meta.verbose_name} status changes."
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            record_transition(
                record=record,
                to_status=data["to"],
                occurred_on=data.get("occurred_on") or timezone.localdate(),
                recorded_by=request.user,
                note=data.get("note", ""),
                source_url=data.get("source_url", ""),
                votes_for=data.get("votes_for"),
                votes_against=data.get("votes_against"),
                abstained=data.get("abstained"),
                expected_status=data.get("expected_status"),
            )
        except TransitionNotAllowed as exc:
            raise TransitionConflict(
                exc.message, allowed=exc.allowed, current_status=exc.current_status
            ) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_validation_errors(exc)) from exc
        fresh = selectors.api_records(self.model, self.viewer, detail=True).get(pk=record.pk)
        body = self.detail_serializer_class(fresh, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


def _validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        renamed = {"to_status": "to"}
        return {renamed.get(k, k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


# --- Per resource ------------------------------------------------------------------------

ETAG_HEADER = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag from an earlier answer; 304 if nothing you see has changed.",
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: your copy (its ETag) is current.")
COMMON_ORDERING = ["updated_at", "created_at", "id", "status"]


def _record_schema(cls, name: str, plural: str):
    """The per-method documentation of one record type's viewset."""
    return extend_schema(tags=[plural])(
        extend_schema_view(
            list=extend_schema(
                summary=f"List {plural}",
                description=f"The {plural} you may see.",
                parameters=[ETAG_HEADER],
                responses={200: cls.serializer_class(many=True), 304: NOT_MODIFIED},
            ),
            retrieve=extend_schema(
                summary=f"One {name}",
                description="With the related records you may see.",
                parameters=[ETAG_HEADER],
                responses={200: cls.detail_serializer_class, 304: NOT_MODIFIED},
            ),
            history=extend_schema(
                summary=f"Status history of one {name}",
                description="Every recorded status change, oldest first.",
                parameters=[ETAG_HEADER],
                responses={200: cls.history_serializer_class(many=True), 304: NOT_MODIFIED},
            ),
            transitions=[
                extend_schema(
                    methods=["GET"],
                    summary=f"Status changes you may record on one {name}",
                    description="Empty unless you are staff allowed to record them.",
                    parameters=[ETAG_HEADER],
                    responses={200: cls.allowed_serializer_class(many=True), 304: NOT_MODIFIED},
                ),
                extend_schema(
                    methods=["POST"],
                    summary=f"Record a status change of one {name} (staff)",
                    description="201 with the record in its new status; 409 (with `allowed`) "
                    "if the workflow does not allow it or the record is no longer in "
                    "`expected_status`.",
                    request=cls.transition_serializer_class,
                    responses={201: cls.detail_serializer_class},
                ),
            ],
        )(cls)
    )


def _record_viewset(
    *,
    name: str,
    plural: str,
    model: type[TrackedRecord],
    list_serializer,
    detail_serializer,
    filterset,
    ordering_fields: list[str],
    ordering: tuple[str, ...] = ("-updated_at",),
):
    prefix = model.__name__.replace("DraftLaw", "Law").replace("PartnerCountry", "Partner")
    statuses = model.workflow.statuses
    base = type(
        f"{prefix}ViewSet",
        (RecordViewSet,),
        {
            "__doc__": f"{plural.capitalize()}.",
            "model": model,
            "serializer_class": list_serializer,
            "detail_serializer_class": detail_serializer,
            "history_serializer_class": s.history_serializer(
                f"{prefix}StatusChangeSerializer", statuses
            ),
            "allowed_serializer_class": s.allowed_transition_serializer(
                f"{prefix}AllowedTransitionSerializer", statuses
            ),
            "transition_serializer_class": s.transition_input_serializer(
                f"{prefix}TransitionSerializer", statuses
            ),
            "filterset_class": filterset,
            "ordering_fields": ordering_fields,
            "ordering": ordering,
        },
    )
    return _record_schema(base, name, plural)


LawViewSet = _record_viewset(
    name="draft law",
    plural="laws",
    model=DraftLaw,
    list_serializer=s.LawSerializer,
    detail_serializer=s.LawDetailSerializer,
    filterset=filters.LawFilterSet,
    ordering_fields=[*COMMON_ORDERING, "title_en", "title_uk"],
)
TaxMeasureViewSet = _record_viewset(
    name="tax measure",
    plural="tax-measures",
    model=TaxMeasure,
    list_serializer=s.TaxMeasureSerializer,
    detail_serializer=s.TaxMeasureDetailSerializer,
    filterset=filters.TaxMeasureFilterSet,
    ordering_fields=[*COMMON_ORDERING, "name_en", "name_uk", "kind"],
)
FacilityViewSet = _record_viewset(
    name="facility",
    plural="facilities",
    model=Facility,
    list_serializer=s.FacilitySerializer,
    detail_serializer=s.FacilityDetailSerializer,
    filterset=filters.FacilityFilterSet,
    ordering_fields=[*COMMON_ORDERING, "name_en", "name_uk", "product_category"],
)
PartnerViewSet = _record_viewset(
    name="partner country",
    plural="partners",
    model=PartnerCountry,
    list_serializer=s.PartnerSerializer,
    detail_serializer=s.PartnerDetailSerializer,
    filterset=filters.PartnerFilterSet,
    ordering_fields=[*COMMON_ORDERING, "name_en", "name_uk", "code"],
    ordering=("name_en",),
)


# --- Change feed -------------------------------------------------------------------------


class FeedQuerySerializer(serializers.Serializer):
    """`after` and `limit`; the other query parameters are filters."""

    after = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, default=100)

    def validate_limit(self, value: int) -> int:
        if value > settings.API_EVENTS_MAX_LIMIT:
            raise serializers.ValidationError(
                f"Ask for at most {settings.API_EVENTS_MAX_LIMIT} events at a time."
            )
        return value


RECORD_DETAIL_VIEWS = {
    record_type: links.detail_url_name("api", record_type) for record_type in RECORD_MODELS
}


@extend_schema(tags=["events"])
class EventViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """The change feed."""

    serializer_class = s.EventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.EventFilterSet
    pagination_class = None

    def get_queryset(self):
        return selectors.visible_events(self.viewer)

    def record_url_prefixes(self) -> dict[str, str]:
        return {kind: url_prefix(self.request, name) for kind, name in RECORD_DETAIL_VIEWS.items()}

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "record_url_prefixes": self.record_url_prefixes(),
        }

    @extend_schema(
        summary="The change feed",
        description=(
            "Events about records you may see, in ascending id order. Remember the last id "
            "you processed and ask again with `after=<id>` (or follow `next`): every event "
            "appears exactly once. Ids become visible in order, so nothing can appear later "
            "below an id you have already seen."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                {"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_ID},
                description="Only events with a greater id.",
                default=0,
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": settings.API_EVENTS_MAX_LIMIT},
                description="How many events at most.",
                default=100,
            ),
            ETAG_HEADER,
        ],
        responses={200: s.EventPageSerializer, 304: NOT_MODIFIED},
    )
    @cached_read
    def list(self, request, *args, **kwargs):
        blank = {
            name: ["Give a value, or leave the parameter out."]
            for name in ("after", "limit")
            if request.query_params.get(name) == ""
        }
        if blank:
            raise exceptions.ValidationError(blank)
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        events = list(
            self.filter_queryset(self.get_queryset())
            .filter(id__gt=after)
            .order_by("id")
            .values(*EVENT_COLUMNS)[: limit + 1]
        )
        has_more = len(events) > limit
        events = events[:limit]
        last_id = events[-1]["id"] if events else after
        params = request.query_params.copy()
        params["after"] = str(last_id)
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params, doseq=True)}")
        return Response(
            {
                "results": render_events(
                    events,
                    viewer=self.viewer,
                    record_url_prefixes=self.record_url_prefixes(),
                ),
                "next": next_url,
                "has_more": has_more,
                "last_id": last_id,
            }
        )


__all__ = [
    "EventViewSet",
    "FacilityViewSet",
    "LawViewSet",
    "PartnerViewSet",
    "TaxMeasureViewSet",
]
