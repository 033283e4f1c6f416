"""The partner API: thin views over `tracker.selectors` (reads) and `tracker.services` (writes)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
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

from tracker import deadlines as deadline_rules
from tracker import links, selectors
from tracker.models import (
    RECORD_MODELS,
    DraftLaw,
    Facility,
    PartnerCountry,
    ProceduralEvent,
    StatusChange,
    TaxMeasure,
    TimelineEntry,
    TrackedRecord,
)
from tracker.services import laws as law_services
from tracker.services.errors import TransitionNotAllowed
from tracker.services.transitions import (
    correct_entry,
    record_procedural_event,
    record_transition,
    retract_entry,
)

from . import filters
from . import serializers as s
from .authentication import PartnerPrincipal, viewer_for
from .conditional import ConditionalGetMixin
from .fields import url_prefix
from .idempotency import IDEMPOTENCY_KEY, idempotent
from .pagination import RecordCursorPagination, link_header
from .problems import TransitionConflict
from .response_cache import cached_read
from .rows import EVENT_COLUMNS, ListRows, render_events

logger = logging.getLogger(__name__)

MAX_ID = filters.MAX_ID
VOTE_FIELDS = TimelineEntry.VOTE_FIELDS
ENTRY_PATH = r"history/(?P<entry>status_change|procedural_event)/(?P<entry_id>[0-9]+)"


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
        return selectors.listed_records(self.model, self.viewer)

    def get_serializer_class(self):
        post = self.request is not None and self.request.method == "POST"
        return {
            "retrieve": self.detail_serializer_class,
            "history": self.history_serializer_class,
            "transitions": (
                self.transition_serializer_class if post else self.allowed_serializer_class
            ),
            "procedural_events": s.ProceduralEventInputSerializer,
            "correct_entry": s.CorrectionInputSerializer,
            "retract_entry": s.RetractionInputSerializer,
        }.get(self.action, self.serializer_class)

    def get_object(self):
        # Never filtered by the list's query parameters; ids beyond bigint simply do not exist.
        pk = int(self.kwargs["pk"])
        if pk > MAX_ID:
            raise exceptions.NotFound()
        if self.action == "retrieve":
            record = selectors.api_record(self.model, self.viewer, pk)
            if record is None:
                raise exceptions.NotFound()
        else:
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
        """The record's timeline: steps and procedural events in order."""
        record = self.get_object()
        entries = selectors.timeline(record, self.viewer)
        return Response(self.get_serializer(entries, many=True).data)

    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    @idempotent
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

    def _require_staff_writer(self) -> None:
        """Staff with the record type's transition permission; partners 403, anonymous 401."""
        request = self.request
        if isinstance(request.user, PartnerPrincipal):
            raise exceptions.PermissionDenied(_("Partners have read access only."))
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if not self._may_transition():
            raise exceptions.PermissionDenied(
                _("You may not record %(record)s changes.")
                % {"record": self.model._meta.verbose_name}
            )

    def _input(self, serializer_class=None) -> dict:
        serializer = (serializer_class or self.get_serializer_class())(
            data=self.request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _after_step(self, record: TrackedRecord, step_id: int | None) -> StatusChange | None:
        if step_id is None:
            return None
        step = (
            StatusChange.objects.filter(
                pk=step_id,
                content_type=ContentType.objects.get_for_model(self.model),
                record_id=record.pk,
                is_active=True,
            )
            .select_related("content_type")
            .first()
        )
        if step is None:
            raise exceptions.ValidationError(
                {"after_step": [_("Give the id of a step on this record's current timeline.")]}
            )
        return step

    def _committed(
        self, code: int, build: Callable[[], dict[str, Any]], known: dict[str, Any]
    ) -> Response:
        """The answer to a change the database has committed. `build` reads it back for the
        full body; if that read fails because the database went away meanwhile, the answer
        is still `code`, with what is known (the ids) and a `detail` saying to read it again:
        a saved change is never answered as a failure, which a retry would then repeat."""
        try:
            body = build()
        except (OperationalError, InterfaceError) as exc:
            if transaction.get_connection().in_atomic_block:
                raise  # the change is not committed yet (an idempotency key's transaction)
            logger.warning(
                "Change saved, reading it back failed (%s: %s); answering with its ids",
                type(exc).__name__,
                exc,
            )
            body = {
                **known,
                "detail": _(
                    "The change is saved. Its new state could not be read back just now; "
                    "read it again shortly."
                ),
            }
        return Response(body, status=code)

    def _detail(
        self,
        record: TrackedRecord,
        code: int = status.HTTP_200_OK,
        known: dict[str, Any] | None = None,
    ) -> Response:
        def build() -> dict[str, Any]:
            fresh = selectors.api_record(self.model, self.viewer, record.pk)
            return self.detail_serializer_class(fresh, context=self.get_serializer_context()).data

        return self._committed(code, build, {"id": record.pk, **(known or {})})

    def _entry(self, record: TrackedRecord, entry: TimelineEntry, code: int) -> Response:
        def build() -> dict[str, Any]:
            context = self.get_serializer_context()
            return self.history_serializer_class(entry, context=context).data

        return self._committed(code, build, {"id": entry.pk, "record_id": record.pk})

    def _record_transition(self, record: TrackedRecord) -> Response:
        self._require_staff_writer()
        data = self._input()
        with _service_errors():
            step = record_transition(
                record=record,
                to_status=data["to"],
                **s.known_date(data, default_today=True),
                recorded_by=self.request.user,
                note=data.get("note", ""),
                source_url=data.get("source_url", ""),
                **{name: data.get(name) for name in VOTE_FIELDS},
                expected_status=data.get("expected_status"),
                reopening=data.get("reopening", False),
                after_step=self._after_step(record, data.get("after_step")),
            )
        return self._detail(
            record,
            status.HTTP_201_CREATED,
            known={"step": {"id": step.pk, "to_status": step.to_status}},
        )

    @action(
        detail=True,
        methods=["post"],
        url_path="procedural-events",
        pagination_class=None,
        filter_backends=[],
    )
    @idempotent
    def procedural_events(self, request, *args, **kwargs):
        record = self.get_object()
        self._require_staff_writer()
        data = self._input()
        with _service_errors():
            event = record_procedural_event(
                record=record,
                kind=data["kind"],
                **s.known_date(data, default_today=True),
                recorded_by=request.user,
                title=data.get("title", ""),
                note=data.get("note", ""),
                source_url=data.get("source_url", ""),
                **{name: data.get(name) for name in VOTE_FIELDS},
                after_step=self._after_step(record, data.get("after_step")),
            )
        return self._entry(record, event, status.HTTP_201_CREATED)

    def _timeline_entry(self, record: TrackedRecord) -> TimelineEntry:
        model = StatusChange if self.kwargs["entry"] == "status_change" else ProceduralEvent
        entry_id = int(self.kwargs["entry_id"])
        if entry_id > MAX_ID:
            raise exceptions.NotFound()
        entry = model.objects.filter(
            pk=entry_id,
            content_type=ContentType.objects.get_for_model(self.model),
            record_id=record.pk,
        ).first()
        if entry is None:
            raise exceptions.NotFound(_("No such entry on this record's timeline."))
        return entry

    @action(
        detail=True,
        methods=["post"],
        url_path=ENTRY_PATH + "/correct",
        pagination_class=None,
        filter_backends=[],
    )
    @idempotent
    def correct_entry(self, request, *args, **kwargs):
        record = self.get_object()
        self._require_staff_writer()
        entry = self._timeline_entry(record)
        data = dict(self._input())
        reason = data.pop("reason")
        changes = {k: v for k, v in data.items() if k not in ("occurred_on", "date_precision")}
        changes.update(s.known_date(data, default_today=False))
        with _service_errors():
            new = correct_entry(
                entry=entry, recorded_by=request.user, reason=reason, changes=changes
            )
        return self._entry(record, new, status.HTTP_201_CREATED)

    @action(
        detail=True,
        methods=["post"],
        url_path=ENTRY_PATH + "/retract",
        pagination_class=None,
        filter_backends=[],
    )
    @idempotent
    def retract_entry(self, request, *args, **kwargs):
        record = self.get_object()
        self._require_staff_writer()
        entry = self._timeline_entry(record)
        data = self._input()
        with _service_errors():
            old = retract_entry(entry=entry, recorded_by=request.user, reason=data["reason"])

        def build() -> dict[str, Any]:
            record.refresh_from_db(fields=["status"])
            retracted = type(old).objects.select_related("recorded_by").get(pk=old.pk)
            context = self.get_serializer_context()
            return {
                "status": record.status,
                "status_label": self.model.workflow.label(record.status),
                "entry": self.history_serializer_class(retracted, context=context).data,
            }

        return self._committed(
            status.HTTP_200_OK, build, {"record_id": record.pk, "entry": {"id": old.pk}}
        )


@contextmanager
def _service_errors():
    """A service's refusals as API problems: 409 for the workflow, 400 for bad input."""
    try:
        yield
    except TransitionNotAllowed as exc:
        raise TransitionConflict(
            exc.message, allowed=exc.allowed, current_status=exc.current_status
        ) from exc
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(_validation_errors(exc)) from exc


def _validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        renamed = {"to_status": "to"}
        return {renamed.get(k, k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


# --- Laws: identifiers, numbers, relations, committees, entries into force (staff) ---------

LAW_WRITE_ERRORS = "400 with what to fix; 403 for partners and staff without the right."


class LawWritesMixin:
    """Staff writes on a bill beside its status; each reaches partners as `law.updated`."""

    def _law_write(self):
        law = self.get_object()
        self._require_staff_writer()
        return law

    @extend_schema(
        summary="Set a draft law's identifiers (staff)",
        description="Numbers, act number and date, convocation, urgency, shortened procedure, "
        "constitutional majority, main committee and when it received the bill. Only the "
        f"fields sent change. {LAW_WRITE_ERRORS}",
        request=s.LawIdentifiersInputSerializer,
        responses={200: s.LawDetailSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def partial_update(self, request, *args, **kwargs):
        law = self._law_write()
        data = self._input(s.LawIdentifiersInputSerializer)
        with _service_errors():
            law_services.set_law_identifiers(law=law, actor=request.user, **data)
        return self._detail(law)

    @extend_schema(
        summary="Add an earlier registration number (staff)",
        description="A number the bill had before its current one (1234 before 1234-д). A "
        f"number belongs to one bill only. {LAW_WRITE_ERRORS}",
        request=s.RegistrationNumberInputSerializer,
        responses={201: s.LawDetailSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="registration-numbers", filter_backends=[])
    @idempotent
    def add_registration_number(self, request, *args, **kwargs):
        law = self._law_write()
        data = self._input(s.RegistrationNumberInputSerializer)
        with _service_errors():
            law_services.add_registration_number(law=law, actor=request.user, **data)
        return self._detail(law, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove an earlier registration number (staff)",
        parameters=[
            IDEMPOTENCY_KEY,
            OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH),
        ],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"registration-numbers/(?P<number>[^/]+)",
        filter_backends=[],
    )
    @idempotent
    def remove_registration_number(self, request, *args, **kwargs):
        law = self._law_write()
        with _service_errors():
            law_services.remove_registration_number(
                law=law, number=kwargs["number"], actor=request.user
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Relate this bill to another (staff)",
        description="This bill is `kind` the other (e.g. an alternative to it). Shown on both "
        f"bills. {LAW_WRITE_ERRORS}",
        request=s.RelationInputSerializer,
        responses={201: s.LawDetailSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="relations", filter_backends=[])
    @idempotent
    def relate(self, request, *args, **kwargs):
        law = self._law_write()
        data = self._input(s.RelationInputSerializer)
        other = DraftLaw.objects.filter(pk=data["other"]).first()
        if other is None:
            raise exceptions.ValidationError({"other": [f"No bill has the id {data['other']}."]})
        with _service_errors():
            law_services.relate_laws(
                law=law,
                kind=data["kind"],
                other=other,
                note=data.get("note", ""),
                actor=request.user,
            )
        return self._detail(law, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a relation (staff)",
        parameters=[
            IDEMPOTENCY_KEY,
            OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter("other_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"relations/(?P<kind>[a-z_]+)/(?P<other_id>[0-9]+)",
        filter_backends=[],
    )
    @idempotent
    def unrelate(self, request, *args, **kwargs):
        law = self._law_write()
        other_id = int(kwargs["other_id"])
        other = DraftLaw.objects.filter(pk=other_id).first() if other_id <= MAX_ID else None
        if other is None:
            raise exceptions.NotFound(_("No such bill."))
        with _service_errors():
            law_services.unrelate_laws(
                law=law, kind=kwargs["kind"], other=other, actor=request.user
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add another committee (staff)",
        description=f"A committee beside the main one, with the date it received the bill. "
        f"{LAW_WRITE_ERRORS}",
        request=s.CommitteeInputSerializer,
        responses={201: s.LawDetailSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="committees", filter_backends=[])
    @idempotent
    def add_committee(self, request, *args, **kwargs):
        law = self._law_write()
        data = self._input(s.CommitteeInputSerializer)
        with _service_errors():
            law_services.add_committee(law=law, actor=request.user, **data)
        return self._detail(law, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove another committee (staff)",
        parameters=[
            IDEMPOTENCY_KEY,
            OpenApiParameter("committee_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"committees/(?P<committee_id>[0-9]+)",
        filter_backends=[],
    )
    @idempotent
    def remove_committee(self, request, *args, **kwargs):
        law = self._law_write()
        with _service_errors():
            law_services.remove_committee(
                law=law, committee=_small_id(kwargs["committee_id"]), actor=request.user
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add an entry into force (staff)",
        description="When the law, or some of its provisions, enters into force: a date, a "
        "condition, or both. Never before publication. The law's `effective_date` is the "
        f"earliest dated entry. {LAW_WRITE_ERRORS}",
        request=s.EntryIntoForceInputSerializer,
        responses={201: s.LawDetailSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="entries-into-force", filter_backends=[])
    @idempotent
    def add_entry_into_force(self, request, *args, **kwargs):
        law = self._law_write()
        data = self._input(s.EntryIntoForceInputSerializer)
        with _service_errors():
            law_services.add_entry_into_force(law=law, actor=request.user, **data)
        return self._detail(law, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove an entry into force (staff)",
        description="A law in force keeps at least one.",
        parameters=[
            IDEMPOTENCY_KEY,
            OpenApiParameter("entry_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"entries-into-force/(?P<entry_id>[0-9]+)",
        filter_backends=[],
    )
    @idempotent
    def remove_entry_into_force(self, request, *args, **kwargs):
        law = self._law_write()
        with _service_errors():
            law_services.remove_entry_into_force(
                law=law, entry=_small_id(kwargs["entry_id"]), actor=request.user
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _small_id(text: str) -> int:
    value = int(text)
    if value > MAX_ID:
        raise exceptions.NotFound()
    return value


# --- Per resource ------------------------------------------------------------------------

ETAG_HEADER = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag from an earlier answer; 304 if nothing you see has changed.",
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: your copy (its ETag) is current.")
COMMON_ORDERING = ["updated_at", "created_at", "id", "status"]
ENTRY_PARAMETERS = [
    OpenApiParameter(
        "entry",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        enum=["status_change", "procedural_event"],
        description="The kind of timeline entry.",
    ),
    OpenApiParameter(
        "entry_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The entry's id."
    ),
]


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
                summary=f"Timeline of one {name}",
                description="Status changes and procedural events in the order they happened "
                "(a step learned late takes its place). Dates are given as far as they are "
                "known: `2025-07-01`, `2025-07`, or null. Partners and the public read the "
                "timeline as it stands; staff also read corrected and retracted entries, with "
                "who recorded them and why they were replaced.",
                parameters=[ETAG_HEADER],
                responses={200: cls.history_serializer_class(many=True), 304: NOT_MODIFIED},
            ),
            procedural_events=extend_schema(
                summary=f"Record a procedural event of one {name} (staff)",
                description="Something that happened without a change of status: a hearing, "
                "a consultation, a failed vote (with its count)... 201 with the entry.",
                parameters=[IDEMPOTENCY_KEY],
                request=s.ProceduralEventInputSerializer,
                responses={201: cls.history_serializer_class},
            ),
            correct_entry=extend_schema(
                summary=f"Correct an entry of one {name}'s timeline (staff)",
                description="Records a corrected copy that replaces the entry (which staff "
                "still see); send the reason and what changes. 201 with the new entry; 409 if "
                "the entry was already corrected or retracted, or the corrected date would "
                "leave a path the workflow does not allow.",
                parameters=[*ENTRY_PARAMETERS, IDEMPOTENCY_KEY],
                request=s.CorrectionInputSerializer,
                responses={201: cls.history_serializer_class},
            ),
            retract_entry=extend_schema(
                summary=f"Retract an entry of one {name}'s timeline (staff)",
                description="For an entry recorded by mistake. The status is recomputed from "
                "the remaining steps; 409 if they would not make an allowed path or the entry "
                "is no longer active.",
                parameters=[*ENTRY_PARAMETERS, IDEMPOTENCY_KEY],
                request=s.RetractionInputSerializer,
                responses={200: cls.retraction_serializer_class},
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
                    "`expected_status`. If the change is saved but cannot be read back (the "
                    "database went away just after), still 201, with the record's `id`, the "
                    "new `step` and a `detail` saying to read the record again.",
                    parameters=[IDEMPOTENCY_KEY],
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
    bases: tuple[type, ...] = (),
):
    prefix = model.__name__.replace("DraftLaw", "Law").replace("PartnerCountry", "Partner")
    statuses = model.workflow.statuses
    history = s.history_serializer(f"{prefix}TimelineEntrySerializer", statuses)
    base = type(
        f"{prefix}ViewSet",
        (*bases, RecordViewSet),
        {
            "__doc__": f"{plural.capitalize()}.",
            "model": model,
            "serializer_class": list_serializer,
            "detail_serializer_class": detail_serializer,
            "history_serializer_class": history,
            "retraction_serializer_class": s.retraction_result_serializer(
                f"{prefix}RetractionSerializer", history
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
    bases=(LawWritesMixin,),
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
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.feed_events(self.viewer)

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
            },
            headers={"Link": link_header({"next": next_url})},
        )

    @extend_schema(
        summary="One event",
        description="The event with this id, as the feed lists it and a webhook delivery "
        "carries it (`data` of the body). 404 if there is none you may see.",
        parameters=[ETAG_HEADER],
        responses={200: s.EventSerializer, 304: NOT_MODIFIED},
    )
    @cached_read
    def retrieve(self, request, *args, **kwargs):
        # The feed's query parameters do not filter a single event.
        pk = int(self.kwargs["pk"])
        if pk > MAX_ID:
            raise exceptions.NotFound()
        event = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(self.get_serializer(event).data)


__all__ = [
    "EventViewSet",
    "FacilityViewSet",
    "LawViewSet",
    "PartnerViewSet",
    "TaxMeasureViewSet",
]


# --- Deadlines -----------------------------------------------------------------------------


class DeadlinePagination(RecordCursorPagination):
    ordering = ("due_on", "id")


class DeadlineItemSerializer(s.DeadlineSerializer):
    """A deadline with the record it belongs to."""

    record_type = s.NamedChoiceField(s.RecordType)
    record_id = serializers.IntegerField()
    record_url = serializers.CharField(allow_null=True)


@extend_schema(tags=["deadlines"])
@extend_schema_view(
    list=extend_schema(
        summary="Deadlines",
        description="What is due, and by when, on the records you may see, soonest first "
        "(only deadlines with a date; those without one are on each record's `deadlines`, "
        "with the reason). The rules: docs/deadlines.md.",
        parameters=[ETAG_HEADER],
        responses={200: DeadlineItemSerializer(many=True), 304: NOT_MODIFIED},
    )
)
class DeadlineViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Deadlines computed from the records you may see."""

    serializer_class = DeadlineItemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.DeadlineFilterSet
    pagination_class = DeadlinePagination

    def get_queryset(self):
        return selectors.visible_deadlines(self.viewer).filter(due_on__isnull=False)

    @cached_read
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        prefixes = {kind: url_prefix(request, name) for kind, name in RECORD_DETAIL_VIEWS.items()}
        today = timezone.localdate()
        items = [
            {
                **deadline_rules.present(row, today),
                "record_type": row.record_type,
                "record_id": row.record_id,
                "record_url": s.event_record_url(prefixes, row.record_type, row.record_id),
            }
            for row in page
        ]
        return self.get_paginated_response(DeadlineItemSerializer(items, many=True).data)
