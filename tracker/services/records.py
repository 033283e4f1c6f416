"""Creating, editing, archiving and deleting records; each write leaves an event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import Event, PartnerCountry, ProceduralEvent, StatusChange, TrackedRecord
from tracker.selectors import partners_who_can_see

from .errors import PermissionDeniedError
from .events import emit_event

R = TypeVar("R", bound=TrackedRecord)

# Fields whose change may take the record out of some partner's sight.
SIGHT_FIELDS = frozenset({"visibility", "partners"})

# Written only by their own services.
PROTECTED_FIELDS = frozenset({"id", "status", "created_at", "updated_at", "archived_at"})


def _split_fields(
    model: type[TrackedRecord], values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Iterable[Any]]]:
    plain: dict[str, Any] = {}
    many: dict[str, Iterable[Any]] = {}
    for name, value in values.items():
        if name in PROTECTED_FIELDS:
            message = (
                _("Status changes only through a recorded transition.")
                if name == "status"
                else _("This field is set by the system.")
            )
            raise ValidationError({name: message})
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValidationError({name: _("Unknown field.")}) from None
        if isinstance(field, models.ManyToManyField):
            many[name] = value
        elif field.concrete and not field.auto_created:
            plain[name if not field.is_relation else field.name] = value
        else:
            raise ValidationError({name: _("This field cannot be written.")})
    return plain, many


def _set_many(record: TrackedRecord, many: Mapping[str, Iterable[Any]]) -> list[str]:
    changed = []
    for name, values in many.items():
        manager = getattr(record, name)
        new_ids = {v.pk if isinstance(v, models.Model) else int(v) for v in values}
        old_ids = set(manager.values_list("pk", flat=True))
        if new_ids != old_ids:
            manager.set(new_ids)
            changed.append(name)
    return changed


def _keep_main_legal_basis(record: TrackedRecord) -> list[str]:
    """A tax measure's main legal basis is always among its legal bases."""
    basis = getattr(record, "legal_basis_id", None)
    if basis is None or not hasattr(record, "legal_bases"):
        return []
    if record.legal_bases.filter(pk=basis).exists():
        return []
    record.legal_bases.add(basis)
    return ["legal_bases"]


def _partners_seeing(record: TrackedRecord) -> set[int]:
    """The partner countries that may see `record` now: the audience of its tombstone."""
    return partners_who_can_see(
        record_type=record.record_type,
        record_id=record.pk,
        partner_ids=set(PartnerCountry.objects.values_list("pk", flat=True)),
    )


def record_create(
    *, model: type[R], values: Mapping[str, Any], actor: AbstractBaseUser | None
) -> R:
    """Create a record of `model` in its workflow's initial status."""
    plain, many = _split_fields(model, values)
    with transaction.atomic():
        record = model(**plain)
        record.full_clean()
        record.save()
        _set_many(record, many)
        _keep_main_legal_basis(record)
        emit_event(
            type=f"{model.record_type}.created",
            record=record,
            actor=actor,
            data={"status": record.status, "visibility": record.visibility},
        )
    return record


def record_update(
    *,
    record: R,
    values: Mapping[str, Any],
    actor: AbstractBaseUser | None,
    related_changed: Iterable[str] = (),
) -> list[str]:
    """Apply `values` to `record`; returns the names of the fields that changed.

    `related_changed` names inline collections (documents, agreements...) the caller has
    already saved in this transaction, so that the event mentions them too. The partner
    countries that lose sight of the record (its visibility changed, or they were unlinked)
    are told by a `<record>.hidden` tombstone.
    """
    model = type(record)
    plain, many = _split_fields(model, values)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=record.pk)
        sight_may_change = bool(SIGHT_FIELDS & (set(plain) | set(many)))
        seeing_before = _partners_seeing(locked) if sight_may_change else set()
        before = {name: getattr(locked, name) for name in plain}
        for name, value in plain.items():
            setattr(locked, name, value)
        # Compared after validation, which turns "2025-07-01" into a date, "" into None...
        locked.full_clean()
        changed = [name for name in plain if getattr(locked, name) != before[name]]
        for name in plain:
            setattr(record, name, getattr(locked, name))
        saved = bool(changed)
        if saved:
            locked.save()
        changed += _set_many(locked, many)
        changed += _keep_main_legal_basis(locked)
        changed += list(related_changed)
        if changed:
            if not saved:
                model.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
            emit_event(
                type=f"{model.record_type}.updated",
                record=locked,
                actor=actor,
                data={"changed": sorted(set(changed))},
            )
            lost_sight = seeing_before - _partners_seeing(locked) if seeing_before else set()
            if lost_sight:
                emit_event(
                    type=f"{model.record_type}.hidden",
                    record=locked,
                    actor=actor,
                    audience=lost_sight,
                )
    return changed


def record_archive(*, record: R, actor: AbstractBaseUser | None) -> None:
    """Take a record out of circulation without losing it or its history.

    The partner countries that could see it are told by a `<record>.archived` tombstone.
    """
    _set_archived(record=record, actor=actor, archived=True)


def record_restore(*, record: R, actor: AbstractBaseUser | None) -> None:
    _set_archived(record=record, actor=actor, archived=False)


def _set_archived(*, record: TrackedRecord, actor: AbstractBaseUser | None, archived: bool) -> None:
    model = type(record)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=record.pk)
        if (locked.archived_at is not None) == archived:
            return
        seeing_before = _partners_seeing(locked) if archived else set()
        locked.archived_at = timezone.now() if archived else None
        locked.save(update_fields=["archived_at", "updated_at"])
        record.archived_at = locked.archived_at
        if archived:
            emit_event(
                type=f"{model.record_type}.archived",
                record=locked,
                actor=actor,
                audience=seeing_before,
            )
        else:
            emit_event(
                type=f"{model.record_type}.updated",
                record=locked,
                actor=actor,
                data={"changed": ["archived"], "archived": False},
            )


def record_delete(*, record: TrackedRecord, actor: AbstractBaseUser | None) -> None:
    """Delete for good. Superusers only; the event log keeps a trace.

    The partner countries that could see the record are told by a `<record>.deleted`
    tombstone, which names it by type and id only; staff also read its label and status.
    """
    if actor is None or not getattr(actor, "is_superuser", False):
        raise PermissionDeniedError(_("Only a superuser may delete records; archive it instead."))
    model = type(record)
    with transaction.atomic():
        emit_event(
            type=f"{model.record_type}.deleted",
            record=record,
            actor=actor,
            data={"label": str(record), "status": record.status},
            audience=_partners_seeing(record),
        )
        # The timeline goes with the record; its events stay, and keep what they said.
        scope = {
            "content_type": ContentType.objects.get_for_model(model),
            "record_id": record.pk,
        }
        steps = StatusChange.objects.filter(**scope)
        procedural = ProceduralEvent.objects.filter(**scope)
        Event.objects.filter(status_change__in=steps).update(status_change=None)
        Event.objects.filter(procedural_event__in=procedural).update(procedural_event=None)
        for entries in (steps, procedural):
            entries.exclude(corrects=None).update(corrects=None)
            entries.delete()
        try:
            record.delete()
        except ProtectedError as exc:
            names = ", ".join(sorted({str(obj) for obj in exc.protected_objects})[:5])
            raise ValidationError(
                _(
                    "Other records depend on this one (%(names)s); unlink them or archive it "
                    "instead."
                )
                % {"names": names}
            ) from None
