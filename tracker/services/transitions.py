"""Recording a status change: the one place a record's status is written."""

from __future__ import annotations

import datetime
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from tracker.models import StatusChange, TrackedRecord
from tracker.selectors import latest_change_date
from tracker.workflows import RADA_SEATS, VETO_OVERRIDE_MIN_VOTES, LawStatus

from .errors import TransitionNotAllowed
from .events import emit_event

R = TypeVar("R", bound=TrackedRecord)

MAX_NOTE_LENGTH = 5000


def record_transition(
    *,
    record: R,
    to_status: str,
    occurred_on: datetime.date,
    recorded_by: AbstractBaseUser | None,
    note: str = "",
    source_url: str = "",
    votes_for: int | None = None,
    votes_against: int | None = None,
    abstained: int | None = None,
    expected_status: str | None = None,
) -> StatusChange:
    """Move `record` to `to_status`, writing its status change and event, or nothing at all.

    `expected_status` is the status the caller saw; if the record has moved since, the
    change is refused rather than applied on top of a state the caller did not see.
    Raises `TransitionNotAllowed` for a move the workflow forbids and `ValidationError`
    for bad input. `record` is refreshed with the new status on success.
    """
    model = type(record)
    workflow = model.workflow
    if to_status not in workflow.statuses.values:
        raise ValidationError(
            {"to_status": f"'{to_status}' is not a {workflow.name} status."}, code="invalid"
        )
    votes = {"votes_for": votes_for, "votes_against": votes_against, "abstained": abstained}
    _validate_input(occurred_on=occurred_on, note=note, source_url=source_url, votes=votes)

    with transaction.atomic():
        # The row lock makes a second concurrent transition wait, then see the new status.
        locked = model.objects.select_for_update().get(pk=record.pk)
        current = locked.status
        if locked.archived_at is not None:
            raise ValidationError("This record is archived; restore it before changing status.")
        if (expected_status is not None and expected_status != current) or not (
            workflow.is_allowed(current, to_status)
        ):
            raise TransitionNotAllowed(
                record_type=model.record_type,
                current_status=current,
                to_status=to_status,
                allowed=workflow.allowed_targets(current),
                expected_status=expected_status,
            )
        _validate_votes(workflow.is_vote(current, to_status), current, to_status, votes)

        content_type = ContentType.objects.get_for_model(model)
        previous = latest_change_date(locked)
        if previous is not None and occurred_on < previous:
            raise ValidationError(
                {
                    "occurred_on": (
                        f"The previous status change happened on {previous.isoformat()}; "
                        "this one cannot be earlier."
                    )
                },
                code="before_previous",
            )

        change = StatusChange.objects.create(
            content_type=content_type,
            record_id=locked.pk,
            from_status=current,
            to_status=to_status,
            occurred_on=occurred_on,
            recorded_by=recorded_by if recorded_by and recorded_by.is_authenticated else None,
            note=note.strip(),
            source_url=source_url.strip(),
            **votes,
        )
        locked.status = to_status
        locked._change_reason = f"Status {current} → {to_status}"
        locked.save(update_fields=["status", "updated_at"])
        emit_event(
            type=f"{model.record_type}.status_changed",
            record=locked,
            actor=change.recorded_by,
            status_change=change,
            data={
                "from": current,
                "to": to_status,
                "occurred_on": occurred_on.isoformat(),
                "note": change.note,
                "source_url": change.source_url,
                **{k: v for k, v in votes.items() if v is not None},
            },
        )

    record.status = locked.status
    record.updated_at = locked.updated_at
    return change


def _validate_input(
    *, occurred_on: datetime.date, note: str, source_url: str, votes: dict[str, int | None]
) -> None:
    errors: dict[str, str] = {}
    if not isinstance(occurred_on, datetime.date) or isinstance(occurred_on, datetime.datetime):
        errors["occurred_on"] = "Give the date the change happened, as YYYY-MM-DD."
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = "A status change cannot be recorded for a future date."
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = f"Keep the note under {MAX_NOTE_LENGTH} characters."
    if source_url:
        try:
            URLValidator(schemes=["http", "https"])(source_url.strip())
        except ValidationError:
            errors["source_url"] = "Give the source as a full http(s) link."
    for name, value in votes.items():
        if value is not None and (not isinstance(value, int) or not 0 <= value <= RADA_SEATS):
            errors[name] = f"Vote counts are whole numbers from 0 to {RADA_SEATS}."
    if errors:
        raise ValidationError(errors, code="invalid")


def _validate_votes(
    is_vote: bool, current: str, to_status: str, votes: dict[str, int | None]
) -> None:
    given = {k: v for k, v in votes.items() if v is not None}
    if not given:
        if current == LawStatus.VETOED and to_status == LawStatus.SIGNED_BY_PRESIDENT:
            raise ValidationError(
                {"votes_for": f"Overriding a veto needs the vote: {VETO_OVERRIDE_MIN_VOTES}+ for."}
            )
        return
    if not is_vote:
        raise ValidationError(
            {"votes_for": "Vote counts belong only to a vote in parliament; leave them empty."}
        )
    if sum(given.values()) > RADA_SEATS:
        raise ValidationError(
            {"votes_for": f"The votes add up to more than the Rada's {RADA_SEATS} seats."}
        )
    if (
        current == LawStatus.VETOED
        and to_status == LawStatus.SIGNED_BY_PRESIDENT
        and (votes["votes_for"] or 0) < VETO_OVERRIDE_MIN_VOTES
    ):
        raise ValidationError(
            {
                "votes_for": (
                    f"Overriding a veto takes at least {VETO_OVERRIDE_MIN_VOTES} votes for."
                )
            }
        )
