"""What staff decide about the Rada's data: differences, suggested bills, bills by number.

A difference (`RadaReview`) is settled by accepting the Rada's side (applied through the
timeline and law services, as written by the person deciding), keeping ours, or editing (the
person gives the value). Either way it stays settled until the Rada says something else.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import (
    DatePrecision,
    DraftLaw,
    ProceduralEvent,
    ProceduralEventKind,
    RadaBill,
    RadaPhase,
    RadaReview,
    ReviewKind,
    ReviewState,
    StatusChange,
    SuggestedBill,
    SuggestionState,
    Visibility,
    parse_date_as_known,
)

from .laws import MAX_NUMBER_LENGTH, add_registration_number, unrelate_laws
from .rada_dump import read_card
from .rada_phases import Step
from .rada_sync import (
    PLACEHOLDER_TITLE,
    Report,
    Sync,
    _active_version,
    _parse_field,
    created_law_fields,
    record_rada_step,
    set_law_field,
)
from .records import record_create
from .transitions import correct_entry, record_transition, retract_entry


def _lock_open(review: RadaReview) -> RadaReview:
    locked = RadaReview.objects.select_for_update().select_related("law").get(pk=review.pk)
    if locked.state != ReviewState.OPEN:
        raise ValidationError(
            _("This difference was already settled (%(state)s).")
            % {"state": locked.get_state_display()}
        )
    return locked


def _close(review: RadaReview, user: AbstractBaseUser, state: str, note: str) -> RadaReview:
    review.state = state
    review.resolved_by = user
    review.resolved_at = timezone.now()
    review.resolution_note = (note or "").strip()[:2000]
    review.save(update_fields=["state", "resolved_by", "resolved_at", "resolution_note"])
    return review


def _entry(review: RadaReview) -> StatusChange | ProceduralEvent:
    entry = review.status_change or review.procedural_event
    current = _active_version(entry) if entry is not None else None
    if current is None:
        raise ValidationError(
            _("The entry this difference is about was retracted; keep ours or edit instead.")
        )
    return current


def _source(review: RadaReview) -> str:
    return review.source_url or _("the Rada's card")


def accept_review(*, review: RadaReview, user: AbstractBaseUser, note: str = "") -> RadaReview:
    """Apply the Rada's side of the difference, as written by `user`."""
    with transaction.atomic():
        review = _lock_open(review)
        law, rada = review.law, review.rada
        if review.kind == ReviewKind.DATE_DIFFERS:
            correct_entry(
                entry=_entry(review),
                recorded_by=user,
                reason=note
                or _("The date the Rada's card gives (%(source)s).") % {"source": _source(review)},
                changes={
                    "occurred_on": datetime.date.fromisoformat(rada["date"]),
                    "date_precision": DatePrecision.DAY,
                },
            )
        elif review.kind == ReviewKind.NOT_IN_RADA and rada.get("action") == "retract":
            retract_entry(
                entry=_entry(review),
                recorded_by=user,
                reason=note
                or _("The Rada's card does not show this step (%(source)s).")
                % {"source": _source(review)},
            )
        elif review.kind == ReviewKind.NOT_IN_RADA and rada.get("action") == "unrelate":
            other = DraftLaw.objects.get(pk=rada["other"])
            unrelate_laws(law=law, kind=rada["kind"], other=other, actor=user)
        elif review.kind == ReviewKind.REFUSED:
            on = datetime.date.fromisoformat(rada["date"]) if rada.get("date") else None
            _record_refused(review, law, on, user)
        elif review.kind == ReviewKind.VALUE_DIFFERS:
            _set_value(review, law, _parse_field(rada["field"], rada["value"]), user)
        # An unknown phase is already on the timeline as an event: accepting keeps it.
        return _close(review, user, ReviewState.ACCEPTED, note)


def keep_ours(*, review: RadaReview, user: AbstractBaseUser, note: str = "") -> RadaReview:
    """Leave the tracker as it is; the difference stays settled until the Rada changes."""
    with transaction.atomic():
        review = _lock_open(review)
        return _close(review, user, ReviewState.KEPT, note)


def edit_review(
    *, review: RadaReview, user: AbstractBaseUser, value: str, note: str = ""
) -> RadaReview:
    """Settle the difference with the value `user` gives.

    A date (YYYY-MM-DD, YYYY-MM or empty for not known) for a date or a refused step, the
    field's value for a field, a kind of procedural event for an unknown phase."""
    value = (value or "").strip()
    with transaction.atomic():
        review = _lock_open(review)
        law = review.law
        if review.kind in (ReviewKind.DATE_DIFFERS, ReviewKind.REFUSED):
            try:
                on, precision = parse_date_as_known(value)
            except ValueError:
                raise ValidationError(
                    {"value": _("Give the date as YYYY-MM-DD, the month as YYYY-MM, or nothing.")}
                ) from None
            if review.kind == ReviewKind.DATE_DIFFERS:
                correct_entry(
                    entry=_entry(review),
                    recorded_by=user,
                    reason=note or _("Date checked against the Rada's card and other sources."),
                    changes={"occurred_on": on, "date_precision": precision},
                )
            else:
                _record_refused(review, law, on, user, precision=precision)
        elif review.kind == ReviewKind.VALUE_DIFFERS:
            try:
                parsed = _parse_field(review.rada["field"], value)
            except ValueError:
                raise ValidationError({"value": _("This is not a valid value here.")}) from None
            _set_value(review, law, parsed, user)
        elif review.kind == ReviewKind.UNKNOWN_PHASE:
            if value not in ProceduralEventKind.values:
                raise ValidationError(
                    {
                        "value": _("Give the kind of procedural event: %(kinds)s.")
                        % {"kinds": ", ".join(ProceduralEventKind.values)}
                    }
                )
            correct_entry(
                entry=_entry(review),
                recorded_by=user,
                reason=note or _("Kind chosen for a phase the tracker did not know."),
                changes={"kind": value},
            )
        else:
            raise ValidationError(
                {"value": _("There is nothing to edit here: accept or keep ours.")}
            )
        return _close(review, user, ReviewState.EDITED, note)


def _set_value(review: RadaReview, law: DraftLaw, value: Any, user: AbstractBaseUser) -> None:
    name = review.rada["field"]
    if value in (None, "") and name in ("registration_number", "title_uk", "title_en"):
        raise ValidationError({"value": _("This value cannot be empty.")})
    before = law.registration_number
    set_law_field(law, name, value, user)
    if name == "registration_number" and before and before != value:
        # The number staff had stays known, as an earlier one.
        add_registration_number(law=law, number=before, actor=user, registered_on=None)
    bill = RadaBill.objects.filter(law=law).first()
    if bill is not None and value == _parse_field(name, review.rada.get("value", "")):
        # The Rada's value is now the tracker's: the sync may follow its later changes.
        bill.applied[name] = review.rada["value"]
        bill.save(update_fields=["applied"])


def _record_refused(
    review: RadaReview,
    law: DraftLaw,
    on: datetime.date | None,
    user: AbstractBaseUser,
    *,
    precision: str | None = None,
) -> None:
    rada = review.rada
    meaning = Step(rada["status"], via=tuple(rada.get("via", ())))
    if precision == DatePrecision.MONTH and on is not None:
        step = _record_month(law, meaning, rada, on, user, review)
    else:
        step = record_rada_step(law, meaning, rada.get("title", ""), on, review.source_url, user)
    key = review.key.removeprefix("refused:")
    RadaPhase.objects.filter(bill__law=law, key=key).update(status_change=step)


def _record_month(
    law: DraftLaw,
    meaning: Step,
    rada: dict[str, Any],
    on: datetime.date,
    user: AbstractBaseUser,
    review: RadaReview,
) -> StatusChange:
    return record_transition(
        record=law,
        to_status=meaning.status,
        occurred_on=on,
        date_precision=DatePrecision.MONTH,
        recorded_by=user,
        note=rada.get("title", "")[:300],
        source_url=review.source_url,
    )


# --- Which bills are followed --------------------------------------------------------------


def _pending(suggestion: SuggestedBill) -> SuggestedBill:
    """The suggestion, locked for the caller's transaction, if nobody decided it meanwhile."""
    locked = SuggestedBill.objects.select_for_update().get(pk=suggestion.pk)
    if locked.state != SuggestionState.PENDING:
        raise ValidationError(
            _("This suggestion was already decided (%(state)s).")
            % {"state": locked.get_state_display()}
        )
    return locked


def accept_suggestion(*, suggestion: SuggestedBill, user: AbstractBaseUser) -> DraftLaw:
    """Track the suggested bill: a law (hidden from partners until staff publish it), linked
    to the Rada's bill, with the whole history its card shows."""
    with transaction.atomic():
        suggestion = _pending(suggestion)
        if RadaBill.objects.filter(rada_id=suggestion.rada_id).exists():
            raise ValidationError(_("This bill is already tracked."))
        law, created = _law_for(suggestion, user)
        bill = RadaBill.objects.create(
            law=law,
            rada_id=suggestion.rada_id,
            registration_number=suggestion.registration_number,
            # What the sync wrote may follow the Rada; what staff wrote stays theirs.
            applied=created_law_fields(law) if created else {},
        )
        card, _warnings = read_card(suggestion.card)
        if card is not None:
            sync = Sync(report=Report())
            sync.apply(bill, card)
            sync.finish()
            # The next full sync brings the related bills, which the card alone cannot.
            RadaBill.objects.filter(pk=bill.pk).update(card_digest="")
        suggestion.state = SuggestionState.ACCEPTED
        suggestion.decided_by = user
        suggestion.decided_at = timezone.now()
        suggestion.law = law
        suggestion.save(update_fields=["state", "decided_by", "decided_at", "law"])
    law.refresh_from_db()
    return law


def _law_for(suggestion: SuggestedBill, user: AbstractBaseUser) -> tuple[DraftLaw, bool]:
    number = suggestion.registration_number or None
    existing = (
        DraftLaw.objects.filter(registration_number=number, rada_bill__isnull=True).first()
        if number
        else None
    )
    if existing is not None:
        return existing, False
    title = suggestion.title or PLACEHOLDER_TITLE.format(number=number or suggestion.rada_id)
    law = record_create(
        model=DraftLaw,
        values={
            "title_uk": title,
            "title_en": title,
            "visibility": Visibility.RESTRICTED,
            "internal_notes": _(
                "Followed from the Rada's open data; translate the title and publish it when ready."
            ),
        },
        actor=user,
    )
    return law, True


def dismiss_suggestion(*, suggestion: SuggestedBill, user: AbstractBaseUser) -> SuggestedBill:
    with transaction.atomic():
        suggestion = _pending(suggestion)
        suggestion.state = SuggestionState.DISMISSED
        suggestion.decided_by = user
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["state", "decided_by", "decided_at"])
    return suggestion


def add_bill_by_number(*, number: str, user: AbstractBaseUser) -> DraftLaw:
    """Follow the bill registered as `number`.

    A suggested bill of that number is accepted at once; a law of that number is linked; else
    a law is created with the number alone and the next sync fills it in."""
    number = " ".join(str(number or "").split())
    if not number or len(number) > MAX_NUMBER_LENGTH:
        raise ValidationError({"number": _("Give the registration number, e.g. 1234 or 1234-д.")})
    law = DraftLaw.objects.filter(registration_number=number).first()
    if law is not None and hasattr(law, "rada_bill"):
        raise ValidationError(
            {"number": _("Bill %(number)s is already followed.") % {"number": number}}
        )
    if law is None:
        suggestion = SuggestedBill.objects.filter(registration_number=number).first()
        if suggestion is not None and suggestion.state == SuggestionState.PENDING:
            return accept_suggestion(suggestion=suggestion, user=user)
    with transaction.atomic():
        if law is None:
            title = PLACEHOLDER_TITLE.format(number=number)
            law = record_create(
                model=DraftLaw,
                values={
                    "title_uk": title,
                    "title_en": title,
                    "registration_number": number,
                    "visibility": Visibility.RESTRICTED,
                },
                actor=user,
            )
            applied = created_law_fields(law)
        else:
            applied = {}
        RadaBill.objects.create(law=law, registration_number=number, applied=applied)
    return law
