"""Bringing the Rada's bill cards into the tracker, without overriding staff.

For each tracked bill in the dump, the sync records what the card shows that the tracker
does not have yet, through the same services staff use (so events, the feed and webhooks
follow, under the same visibility), attributed to the sync's own user. It never changes
what staff recorded: where the card and the tracker disagree it opens a `RadaReview`.
Running it twice changes nothing the second time: phases already brought in are remembered
(`RadaPhase`), a field is rewritten only while it still holds what the sync last wrote
(`RadaBill.applied`), and a bill whose card and record are both unchanged is skipped.

Bills not tracked are matched against the suggestion rules and, if they match, wait in
`SuggestedBill` for a person to accept or dismiss them.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker.models import (
    DatePrecision,
    DraftLaw,
    LawDocument,
    LawRelation,
    ProceduralEvent,
    ProceduralEventKind,
    RadaBill,
    RadaPhase,
    RadaReview,
    RadaSuggestionRule,
    RelationKind,
    ReviewKind,
    ReviewState,
    StatusChange,
    SuggestedBill,
    SuggestionState,
    SyncRun,
    Visibility,
)
from tracker.models.laws import ACT_NUMBER as ACT_NUMBER_PATTERN
from tracker.workflows import LAW_WORKFLOW

from .errors import TransitionNotAllowed
from .laws import add_committee, add_registration_number, relate_laws, set_law_identifiers
from .rada_dump import Card, DumpError, Phase, RawCard, read_card, read_raw_cards
from .rada_phases import SHOWN_BY_THE_RADA, EventOf, Step, meaning_of, normalize
from .records import record_create, record_update
from .transitions import active_entries, correct_entry, record_procedural_event, record_transition

logger = logging.getLogger(__name__)

REGISTERED_TITLE = "Зареєстровано"
MAX_REPORT_LINES = 500
PLACEHOLDER_TITLE = "Законопроект № {number} (чекає на дані Ради)"


def sync_user() -> AbstractBaseUser:
    """The user imported changes are attributed to: not a person, cannot log in."""
    user, created = get_user_model().objects.get_or_create(
        username=settings.RADA_SYNC_USERNAME,
        defaults={"is_active": False, "first_name": "Rada open data", "last_name": "(sync)"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass
class Report:
    """What a run found; `lines` say what changed (or would, in a dry run)."""

    bills_read: int = 0
    bills_followed: int = 0
    changes: int = 0
    reviews_opened: int = 0
    suggestions: int = 0
    warnings: int = 0
    lines: list[str] = field(default_factory=list)
    warning_lines: list[str] = field(default_factory=list)

    def change(self, where: str, what: str) -> None:
        self.changes += 1
        self._line(self.lines, f"{where}: {what}")

    def warn(self, where: str, what: str) -> None:
        self.warnings += 1
        self._line(self.warning_lines, f"{where}: {what}")

    @staticmethod
    def _line(lines: list[str], text: str) -> None:
        if len(lines) < MAX_REPORT_LINES:
            lines.append(text)
        elif len(lines) == MAX_REPORT_LINES:
            lines.append("...")

    def summary(self) -> str:
        return (
            f"{self.bills_read} bills read, {self.bills_followed} tracked, "
            f"{self.changes} changes, {self.reviews_opened} differences for review, "
            f"{self.suggestions} new suggestions, {self.warnings} warnings"
        )


def _law_label(law: DraftLaw) -> str:
    return f"No. {law.registration_number}" if law.registration_number else f"law {law.pk}"


def _iso(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# The fields of a law the card gives, each with its reviewer-facing name. `title_en` is only
# filled while it holds the placeholder (staff translate it; no review when they did).
CARD_FIELDS = {
    "registration_number": "registration number",
    "registration_date": "registration date",
    "convocation": "convocation",
    "title_uk": "title (Ukrainian)",
    "title_en": "title (English)",
    "initiator": "initiator",
    "lead_committee": "main committee",
    "lead_committee_received_on": "main committee received it on",
    "act_number": "act number",
    "act_date": "act date",
}
UNREVIEWED_FIELDS = frozenset({"title_en"})
IDENTIFIERS = frozenset(
    {
        "registration_number",
        "registration_date",
        "convocation",
        "lead_committee",
        "lead_committee_received_on",
        "act_number",
        "act_date",
    }
)


def card_values(card: Card) -> dict[str, Any]:
    main = card.main_committee
    return {
        "registration_number": card.number or None,
        "registration_date": card.registration_date,
        "convocation": card.convocation,
        "title_uk": card.title or None,
        "title_en": card.title or None,
        "initiator": card.initiator_kind or None,
        "lead_committee": main.name if main else None,
        "lead_committee_received_on": main.received_on if main else None,
        "act_number": card.act_number if ACT_NUMBER_PATTERN.fullmatch(card.act_number) else None,
        "act_date": card.act_date if ACT_NUMBER_PATTERN.fullmatch(card.act_number) else None,
    }


def set_law_field(
    law: DraftLaw, name: str, value: Any, actor: AbstractBaseUser | None
) -> list[str]:
    """Write one field the card gives, through the service that owns it."""
    if name in IDENTIFIERS:
        return set_law_identifiers(law=law, actor=actor, **{name: value})
    return record_update(record=law, values={name: value}, actor=actor)


def _parse_field(name: str, text: str) -> Any:
    """A field's value from its text in a review (what `_iso` wrote)."""
    if not text:
        return None
    if name in ("registration_date", "lead_committee_received_on", "act_date"):
        return datetime.date.fromisoformat(text)
    if name == "convocation":
        return int(text)
    return text


class Sync:
    """One pass over a dump. Feed it the cards (`feed`), then `finish`."""

    def __init__(self, *, report: Report, only: set[int] | None = None) -> None:
        self.report = report
        self.user = sync_user()
        self.only = only
        self.by_id: dict[int, RadaBill] = {
            b.rada_id: b
            for b in RadaBill.objects.filter(rada_id__isnull=False).select_related("law")
        }
        self.by_number: dict[str, RadaBill] = {
            b.registration_number: b
            for b in RadaBill.objects.filter(rada_id__isnull=True).select_related("law")
        }
        self.unlinked: dict[str, tuple[int, int | None]] = {
            number: (pk, convocation)
            for pk, number, convocation in DraftLaw.objects.filter(
                registration_number__isnull=False, rada_bill__isnull=True
            ).values_list("pk", "registration_number", "convocation")
        }
        rules = list(RadaSuggestionRule.objects.filter(is_active=True))
        self.rules = {
            kind: [r.value.casefold() for r in rules if r.kind == kind]
            for kind in RadaSuggestionRule.Kind.values
        }
        self.suggested: dict[int, tuple[str, str]] = {
            rada_id: (state, digest)
            for rada_id, state, digest in SuggestedBill.objects.values_list(
                "rada_id", "state", "card_digest"
            )
        }
        # Every bill of the dump, lightly: related bills are created from it at the end.
        self.index: dict[int, tuple[str, str, datetime.date | None, int | None]] = {}
        self.relations: list[tuple[RadaBill, Card]] = []
        # Related bills created by this pass, whose cards a second pass reads.
        self.created: set[int] = set()

    # --- the stream ------------------------------------------------------------------

    def feed(self, raw: RawCard) -> None:
        report = self.report
        report.bills_read += 1
        if raw.problem:
            report.warn(f"card {raw.index + 1}", f"{raw.problem}: skipped")
            return
        card, warnings = read_card(raw.value)
        if card is None:
            for warning in warnings:
                report.warn(f"card {raw.index + 1}", warning)
            return
        if self.only is not None and card.id not in self.only:
            return
        self.index[card.id] = (card.number, card.title, card.registration_date, card.convocation)
        bill = self._bill_for(card)
        where = f"bill {card.number or card.id} (Rada id {card.id})"
        if bill is None:
            self._suggest(card, raw.value)
            return
        report.bills_followed += 1
        for warning in warnings:
            report.warn(where, warning)
        try:
            with transaction.atomic():
                self.apply(bill, card)
        except (ValidationError, TransitionNotAllowed, DatabaseError, ValueError) as exc:
            report.warn(where, f"not updated, left as it was: {_message(exc)}")
            logger.warning("Rada sync: %s not updated: %s", where, exc)
        except Exception as exc:
            # One bill's surprise must not stop the others; its transaction rolled back.
            report.warn(where, f"not updated, left as it was: {type(exc).__name__}: {exc}"[:400])
            logger.exception("Rada sync: %s not updated", where)

    def _bill_for(self, card: Card) -> RadaBill | None:
        bill = self.by_id.get(card.id)
        if bill is not None:
            return bill
        if not card.number:
            return None
        bill = self.by_number.pop(card.number, None)
        if bill is not None:
            bill.rada_id = card.id
            bill.save(update_fields=["rada_id"])
        else:
            found = self.unlinked.get(card.number)
            if found is None:
                return None
            law_pk, convocation = found
            if convocation is not None and card.convocation not in (None, convocation):
                return None
            del self.unlinked[card.number]
            bill = RadaBill.objects.create(
                law=DraftLaw.objects.get(pk=law_pk),
                rada_id=card.id,
                registration_number=card.number,
                # Staff wrote the number: it is the tracker's, not the sync's.
                applied={},
            )
        self.report.change(
            _law_label(bill.law), f"linked to the Rada's bill {card.id} by its number"
        )
        self.by_id[card.id] = bill
        return bill

    # --- one tracked bill ----------------------------------------------------------------

    def apply(self, bill: RadaBill, card: Card) -> None:
        """Bring `card` into `bill`'s law; the caller holds the transaction."""
        law = DraftLaw.objects.get(pk=bill.law_id)
        bill.law = law
        self.relations.append((bill, card))
        unchanged_record = bill.synced_at is not None and law.updated_at <= bill.synced_at
        if bill.card_digest == card.digest and unchanged_record:
            return
        if law.archived_at is not None:
            self.report.warn(_law_label(law), "archived: not updated")
            return
        for name, value in card_values(card).items():
            self._field(bill, law, name, value, card)
        self._committees(bill, law, card)
        self._documents(law, card)
        self._timeline(bill, law, card)
        bill.registration_number = card.number or bill.registration_number
        bill.initiators = card.initiators
        bill.rubric = (card.rubric or card.subject)[:300]
        bill.current_phase = card.current_phase[:300]
        bill.card_digest = card.digest
        bill.synced_at = timezone.now()
        bill.save()

    def _field(self, bill: RadaBill, law: DraftLaw, name: str, value: Any, card: Card) -> None:
        if value in (None, ""):
            return  # the card gives nothing: whatever the tracker has stays
        ours = getattr(law, name)
        text, our_text = _iso(value), _iso(ours)
        applied = bill.applied.get(name)
        if text == our_text:
            bill.applied[name] = text
            self.gone(law, f"value:{name}")
            return
        if our_text and our_text != applied:
            if name not in UNREVIEWED_FIELDS:
                self.review(
                    law,
                    key=f"value:{name}",
                    kind=ReviewKind.VALUE_DIFFERS,
                    subject=CARD_FIELDS[name],
                    rada_value=text,
                    our_value=our_text,
                    rada={"field": name, "value": text},
                    source_url=card.url,
                )
            return
        try:
            with transaction.atomic():
                if name == "registration_number" and our_text:
                    # The Rada renumbered the bill (1234 -> 1234-д): the old number stays as
                    # an earlier one.
                    old_date = law.registration_date
                    set_law_field(law, name, value, self.user)
                    add_registration_number(
                        law=law, number=our_text, actor=self.user, registered_on=old_date
                    )
                else:
                    set_law_field(law, name, value, self.user)
        except ValidationError as exc:
            self.review(
                law,
                key=f"value:{name}",
                kind=ReviewKind.VALUE_DIFFERS,
                subject=CARD_FIELDS[name],
                rada_value=text,
                our_value=our_text,
                rada={"field": name, "value": text, "refused": _message(exc)},
                source_url=card.url,
            )
            return
        bill.applied[name] = text
        self.report.change(_law_label(law), f"{CARD_FIELDS[name]}: {our_text or '—'} → {text}")

    def _committees(self, bill: RadaBill, law: DraftLaw, card: Card) -> None:
        known = {c.casefold() for c in law.other_committees.values_list("name", flat=True)}
        known.add(law.lead_committee.strip().casefold())
        for executive in card.executives:
            if executive.main or executive.name.casefold() in known:
                continue
            try:
                add_committee(
                    law=law, name=executive.name, received_on=executive.received_on, actor=self.user
                )
            except ValidationError as exc:
                self.report.warn(_law_label(law), f"committee {executive.name}: {_message(exc)}")
                continue
            known.add(executive.name.casefold())
            self.report.change(_law_label(law), f"committee added: {executive.name}")

    def _documents(self, law: DraftLaw, card: Card) -> None:
        if not card.documents:
            return
        known = set(law.documents.values_list("url", flat=True))
        added = []
        check = URLValidator(schemes=["http", "https"])
        for document in card.documents:
            if document.url in known:
                continue
            try:
                check(document.url)
            except ValidationError:
                self.report.warn(_law_label(law), f"document link {document.url[:80]!r} refused")
                continue
            added.append(
                LawDocument(
                    law=law,
                    kind=document.kind,
                    title=document.title[:300],
                    url=document.url,
                    published_on=document.on,
                )
            )
            known.add(document.url)
        if added:
            LawDocument.objects.bulk_create(added)
            record_update(record=law, values={}, actor=self.user, related_changed=["documents"])
            self.report.change(_law_label(law), f"{len(added)} document link(s) added")

    # --- the timeline --------------------------------------------------------------------

    def _timeline(self, bill: RadaBill, law: DraftLaw, card: Card) -> None:
        done = {p.key: p for p in bill.phases.select_related("status_change", "procedural_event")}
        for row in done.values():
            _follow_corrections(row)
        claimed_steps = {p.status_change_id for p in done.values() if p.status_change_id}
        claimed_events = {p.procedural_event_id for p in done.values() if p.procedural_event_id}
        phases = list(card.phases)
        if card.registration_date is not None:
            phases.insert(0, Phase(REGISTERED_TITLE, card.registration_date))
            phases.sort(key=lambda p: (p.on is None, p.on or datetime.date.min))
        seen: Counter[str] = Counter()
        where = _law_label(law)
        for phase in phases:
            normal = normalize(phase.title)
            key = f"{normal}#{seen[normal]}"[:400]
            seen[normal] += 1
            if key in done:
                self._check_date(law, done[key], phase, card)
                continue
            if phase.on is not None and phase.on > timezone.localdate():
                self.report.warn(where, f"{phase.title}: dated in the future, left for later")
                continue
            meaning = meaning_of(phase.title)
            row = RadaPhase(bill=bill, key=key, title=phase.title[:300], occurred_on=phase.on)
            if isinstance(meaning, Step):
                self._step(law, row, meaning, phase, card, claimed_steps)
            else:
                kind = meaning.kind if isinstance(meaning, EventOf) else ProceduralEventKind.OTHER
                self._event(law, row, kind, phase, card, claimed_events)
                if meaning is None:
                    row.unknown_title = True
                    self.review(
                        law,
                        key=f"unknown:{key}",
                        kind=ReviewKind.UNKNOWN_PHASE,
                        subject=phase.title[:300],
                        rada_value=f"{phase.title} ({_iso(phase.on) or 'no date'})"[:500],
                        our_value="kept as a procedural event (other)",
                        rada={"title": phase.title, "date": _iso(phase.on)},
                        procedural_event=row.procedural_event,
                        source_url=card.url,
                    )
            row.save()
            done[key] = row
        self._not_in_card(law, claimed_steps, card)

    def _step(
        self,
        law: DraftLaw,
        row: RadaPhase,
        meaning: Step,
        phase: Any,
        card: Card,
        claimed: set[int],
    ) -> None:
        entries = active_entries(law)
        match = next(
            (
                e
                for e in entries
                if isinstance(e, StatusChange)
                and e.to_status == meaning.status
                and e.pk not in claimed
            ),
            None,
        )
        if match is not None:
            # Already on the timeline (staff recorded it): claim it, compare the dates.
            row.status_change = match
            claimed.add(match.pk)
            self._compare_date(law, row, match, phase, card)
            return
        if _status_at(entries, phase.on) == meaning.status:
            # The card says again where the bill stands: a fact, not a step; unless its title
            # implies a reading in between (a repeated first reading back in committee).
            step = None
            if meaning.via:
                try:
                    step = record_rada_step(
                        law, meaning, phase.title, phase.on, card.url, self.user
                    )
                except (TransitionNotAllowed, ValidationError):
                    step = None
            if step is None:
                self._event(law, row, ProceduralEventKind.OTHER, phase, card, set())
                return
            row.status_change = step
            claimed.add(step.pk)
            law.refresh_from_db()
            self.report.change(
                _law_label(law),
                f"step {LAW_WORKFLOW.label(meaning.status)} on {_iso(phase.on) or 'unknown date'}",
            )
            return
        try:
            row.status_change = record_rada_step(
                law, meaning, phase.title, phase.on, card.url, self.user
            )
        except (TransitionNotAllowed, ValidationError) as exc:
            self.review(
                law,
                key=f"refused:{row.key}",
                kind=ReviewKind.REFUSED,
                subject=phase.title[:300],
                rada_value=f"{LAW_WORKFLOW.label(meaning.status)} ({_iso(phase.on) or 'no date'})",
                our_value=f"{law.status_label}: {_message(exc)}"[:500],
                rada={
                    "status": str(meaning.status),
                    "via": [str(s) for s in meaning.via],
                    "title": phase.title,
                    "date": _iso(phase.on),
                },
                source_url=card.url,
            )
            return
        claimed.add(row.status_change.pk)
        law.refresh_from_db()
        self.report.change(
            _law_label(law),
            f"step {LAW_WORKFLOW.label(meaning.status)} on {_iso(phase.on) or 'unknown date'}",
        )

    def _event(
        self, law: DraftLaw, row: RadaPhase, kind: str, phase: Any, card: Card, claimed: set[int]
    ) -> None:
        title = phase.title[:300] if kind == ProceduralEventKind.OTHER else ""
        existing = ProceduralEvent.objects.filter(
            content_type__model="draftlaw",
            record_id=law.pk,
            is_active=True,
            kind=kind,
            occurred_on=phase.on,
        ).exclude(pk__in=claimed)
        if title:
            existing = existing.filter(title=title)
        match = existing.order_by("position").first()
        if match is not None:
            row.procedural_event = match
            claimed.add(match.pk)
            return
        row.procedural_event = record_procedural_event(
            record=law,
            kind=kind,
            occurred_on=phase.on,
            recorded_by=self.user,
            title=title,
            note=phase.title[:300] if not title else "",
            source_url=card.url,
        )
        claimed.add(row.procedural_event.pk)
        self.report.change(
            _law_label(law),
            f"event {ProceduralEventKind(kind).label}: {phase.title} on "
            f"{_iso(phase.on) or 'unknown date'}",
        )

    def _check_date(self, law: DraftLaw, row: RadaPhase, phase: Any, card: Card) -> None:
        entry = row.status_change or row.procedural_event
        if entry is None:
            return  # refused before: its review says so
        entry = _active_version(entry)
        if entry is None:
            return  # staff retracted it: their decision
        self._compare_date(law, row, entry, phase, card)
        if row.occurred_on != phase.on:
            row.occurred_on = phase.on
            row.save(update_fields=["occurred_on"])

    def _compare_date(self, law: DraftLaw, row: RadaPhase, entry: Any, phase: Any, card: Card):
        if phase.on is None or entry.occurred_on == phase.on:
            self.gone(law, f"date:{row.key}")
            return
        if entry.recorded_by_id == self.user.pk and entry.corrects_id is None:
            # The sync's own entry: the Rada changed its date, follow it.
            correct_entry(
                entry=entry,
                recorded_by=self.user,
                reason="The Rada's card now gives this date.",
                changes={"occurred_on": phase.on, "date_precision": DatePrecision.DAY},
            )
            self.report.change(_law_label(law), f"{phase.title}: date → {_iso(phase.on)}")
            return
        is_step = isinstance(entry, StatusChange)
        self.review(
            law,
            key=f"date:{row.key}",
            kind=ReviewKind.DATE_DIFFERS,
            subject=phase.title[:300],
            rada_value=_iso(phase.on),
            our_value=entry.date_text or "date not known",
            rada={"date": _iso(phase.on)},
            status_change=entry if is_step else None,
            procedural_event=None if is_step else entry,
            source_url=card.url,
        )

    def _not_in_card(self, law: DraftLaw, claimed: set[int], card: Card) -> None:
        # A step asked about that is now the card's, or no longer on the timeline: settled.
        for review in RadaReview.objects.filter(
            law=law, state=ReviewState.OPEN, key__startswith="missing:step:"
        ).select_related("status_change"):
            step = review.status_change
            if step is None or not step.is_active or step.pk in claimed:
                review.delete()
        for entry in active_entries(law):
            if (
                isinstance(entry, StatusChange)
                and entry.pk not in claimed
                and entry.recorded_by_id != self.user.pk
                and entry.to_status in SHOWN_BY_THE_RADA
            ):
                self.review(
                    law,
                    key=f"missing:step:{entry.pk}",
                    kind=ReviewKind.NOT_IN_RADA,
                    subject=LAW_WORKFLOW.label(entry.to_status),
                    rada_value="",
                    our_value=f"{LAW_WORKFLOW.label(entry.to_status)} "
                    f"({entry.date_text or 'date not known'})",
                    rada={"action": "retract"},
                    status_change=entry,
                    source_url=card.url,
                )

    # --- differences ---------------------------------------------------------------------

    def gone(self, law: DraftLaw, key: str) -> None:
        """The difference `key` no longer exists (staff fixed it by hand, or the Rada did):
        a review nobody decided is dropped, a decided one stays as it was."""
        RadaReview.objects.filter(law=law, key=key, state=ReviewState.OPEN).delete()

    def review(self, law: DraftLaw, *, key: str, rada_value: str, **values: Any) -> None:
        """Open (or reopen, when the Rada's side changed) the review `key` of `law`."""
        opened = open_review(law, key=key, rada_value=rada_value, **values)
        if opened:
            self.report.reviews_opened += 1
            self.report._line(
                self.report.lines, f"{_law_label(law)}: to review: {values.get('subject')}"
            )

    # --- after the stream ------------------------------------------------------------------

    def finish(self) -> None:
        """Relations (their other bills may come later in the dump than the bill)."""
        for bill, card in self.relations:
            try:
                with transaction.atomic():
                    self._relations(bill, card)
            except (ValidationError, TransitionNotAllowed, DatabaseError) as exc:
                self.report.warn(_law_label(bill.law), f"relations not updated: {_message(exc)}")
        self.relations = []

    def _relations(self, bill: RadaBill, card: Card) -> None:
        law = bill.law
        wanted = [(RelationKind.ALTERNATIVE_TO, i) for i in card.alternative] + [
            (RelationKind.PACKAGE_WITH, i) for i in card.bind
        ]
        before = {tuple(pair) for pair in bill.applied.get("relations", [])}
        now: set[tuple[str, int]] = set()
        for kind, other_id in wanted:
            other = self._other_law(law, other_id)
            if other is None:
                continue
            now.add((str(kind), other_id))
            exists = LawRelation.objects.filter(law=law, kind=kind, other=other).exists() or (
                LawRelation.objects.filter(law=other, kind=kind, other=law).exists()
            )
            if exists:
                continue
            relate_laws(law=law, kind=kind, other=other, actor=self.user)
            # The sync's own touch of both laws is not a change staff made since the sync.
            RadaBill.objects.filter(law__in=[law, other], synced_at__isnull=False).update(
                synced_at=timezone.now()
            )
            self.report.change(_law_label(law), f"{RelationKind(kind).label} {_law_label(other)}")
        for kind, other_id in sorted(before - now):
            other_bill = self.by_id.get(other_id)
            if other_bill is None:
                continue
            self.review(
                law,
                key=f"missing:relation:{kind}:{other_id}",
                kind=ReviewKind.NOT_IN_RADA,
                subject=f"{RelationKind(kind).label} {_law_label(other_bill.law)}",
                rada_value="",
                our_value=f"{RelationKind(kind).label} {_law_label(other_bill.law)}",
                rada={"action": "unrelate", "kind": kind, "other": other_bill.law_id},
                source_url=card.url,
            )
        if now != before:
            bill.applied["relations"] = sorted([list(pair) for pair in now])
            RadaBill.objects.filter(pk=bill.pk).update(applied=bill.applied)

    def _other_law(self, law: DraftLaw, other_id: int) -> DraftLaw | None:
        other_bill = self.by_id.get(other_id)
        if other_bill is not None:
            return other_bill.law
        light = self.index.get(other_id)
        if light is None:
            self.report.warn(_law_label(law), f"related bill {other_id} is not in the dump")
            return None
        number, title, registered_on, convocation = light
        values: dict[str, Any] = {
            "title_uk": title or PLACEHOLDER_TITLE.format(number=number or other_id),
            "title_en": title or PLACEHOLDER_TITLE.format(number=number or other_id),
            "convocation": convocation,
            # Staff see it; partners do not until staff publish it.
            "visibility": Visibility.RESTRICTED,
            "internal_notes": f"Added by the Rada sync as related to {_law_label(law)}; "
            "check it, translate the title and publish it when ready.",
        }
        if number and not DraftLaw.objects.filter(registration_number=number).exists():
            values["registration_number"] = number
            values["registration_date"] = registered_on
        other = record_create(model=DraftLaw, values=values, actor=self.user)
        other_bill = RadaBill.objects.create(
            law=other,
            rada_id=other_id,
            registration_number=number,
            applied=created_law_fields(other),
        )
        # Tracked now: a suggestion of it is settled.
        SuggestedBill.objects.filter(rada_id=other_id, state=SuggestionState.PENDING).update(
            state=SuggestionState.ACCEPTED,
            law=other,
            decided_by=self.user,
            decided_at=timezone.now(),
        )
        self.by_id[other_id] = other_bill
        self.created.add(other_id)
        self.report.change(_law_label(other), f"created (related to {_law_label(law)})")
        return other

    # --- suggestions -----------------------------------------------------------------------

    def _suggest(self, card: Card, raw: Any) -> None:
        reasons = self._reasons(card)
        if not reasons:
            return
        known = self.suggested.get(card.id)
        if known is not None and (known[0] != SuggestionState.PENDING or known[1] == card.digest):
            return
        main = card.main_committee
        values = {
            "registration_number": card.number,
            "registration_date": card.registration_date,
            "title": card.title[:500] or f"({card.id})",
            "rubric": (card.rubric or card.subject)[:300],
            "committee": main.name[:300] if main else "",
            "current_phase": card.current_phase[:300],
            "reasons": "; ".join(reasons)[:500],
            "card": raw,
            "card_digest": card.digest,
        }
        SuggestedBill.objects.update_or_create(rada_id=card.id, defaults=values)
        self.suggested[card.id] = (SuggestionState.PENDING, card.digest)
        if known is None:
            self.report.suggestions += 1
            self.report._line(self.report.lines, f"suggested: {card.number} {card.title[:80]}")

    def _reasons(self, card: Card) -> list[str]:
        places = self.rules[RadaSuggestionRule.Kind.COMMITTEE]
        rubrics = self.rules[RadaSuggestionRule.Kind.RUBRIC]
        words = self.rules[RadaSuggestionRule.Kind.WORD]
        if not (places or rubrics or words):
            return []
        reasons: list[str] = []
        if places or rubrics:
            committees = " | ".join(e.name for e in card.executives).casefold()
            topic = f"{card.rubric} | {card.subject}".casefold()
            reasons += [f"committee: {p}" for p in places if p in committees]
            reasons += [f"rubric: {r}" for r in rubrics if r in topic]
            if not reasons:
                return []
        if words:
            title = card.title.casefold()
            found = [f"word: {w}" for w in words if w in title]
            if not found:
                return []
            reasons += found
        return reasons


def created_law_fields(law: DraftLaw) -> dict[str, str]:
    """The fields of a law the sync (or a bill added by number) created, as the sync's own:
    the Rada's values replace them until staff change them."""
    return {name: _iso(getattr(law, name)) for name in CARD_FIELDS if getattr(law, name)}


def _status_at(entries: Iterable[Any], on: datetime.date | None) -> str:
    status = LAW_WORKFLOW.initial
    for entry in entries:
        if not isinstance(entry, StatusChange):
            continue
        if on is not None and entry.occurred_on is not None and entry.occurred_on > on:
            break
        status = entry.to_status
    return status


def _follow_corrections(row: RadaPhase) -> None:
    """Point `row` at the corrected version of its entry (a correction is a new entry)."""
    for name in ("status_change", "procedural_event"):
        entry = getattr(row, name)
        if entry is None or entry.is_active:
            continue
        current = _active_version(entry)
        if current is not None:
            setattr(row, name, current)
            row.save(update_fields=[name])


def _active_version(entry: Any) -> Any:
    """The entry as it now stands: its latest correction, or None if retracted."""
    model = type(entry)
    seen = 0
    while not entry.is_active and seen < 100:
        if entry.retracted_at is not None:
            return None
        follower = model.objects.filter(corrects=entry).first()
        if follower is None:
            return None
        entry, seen = follower, seen + 1
    return entry


def _message(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)[:400]
    return str(getattr(exc, "message", None) or exc)[:400]


def record_rada_step(
    law: DraftLaw,
    meaning: Step,
    title: str,
    on: datetime.date | None,
    source_url: str,
    user: AbstractBaseUser | None,
) -> StatusChange:
    """Record the card's step, with a reading its title implies if the workflow needs it.

    Raises what `record_transition` raises when no way is allowed; writes nothing then."""
    common = {
        "record": law,
        "occurred_on": on,
        "recorded_by": user,
        "source_url": source_url,
    }
    try:
        with transaction.atomic():
            return record_transition(to_status=meaning.status, note=title[:300], **common)
    except (TransitionNotAllowed, ValidationError) as refused:
        for via in meaning.via:
            try:
                with transaction.atomic():
                    record_transition(
                        to_status=via, note=f"{title[:300]} (implied by the phase)", **common
                    )
                    return record_transition(to_status=meaning.status, note=title[:300], **common)
            except (TransitionNotAllowed, ValidationError):
                law.refresh_from_db()
                continue
        raise refused from None


def open_review(law: DraftLaw, *, key: str, rada_value: str, **values: Any) -> bool:
    """Open the review `key` of `law`, or reopen it when the Rada's side is new.

    Returns whether anything was opened. A review decided on the same Rada value stays
    decided: keeping ours holds until the Rada says something else."""
    existing = RadaReview.objects.filter(law=law, key=key).first()
    if existing is None:
        RadaReview.objects.create(law=law, key=key, rada_value=rada_value[:500], **values)
        return True
    if existing.rada_value == rada_value[:500]:
        return False
    for name, value in values.items():
        setattr(existing, name, value)
    existing.rada_value = rada_value[:500]
    existing.state = ReviewState.OPEN
    existing.resolved_by = None
    existing.resolved_at = None
    existing.save()
    return True


# --- Running it ----------------------------------------------------------------------------

Progress = Callable[[int, int, Report], None]


class _Rollback(Exception):
    pass


def sync_stream(
    open_stream: Callable[[], IO[bytes]],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    report: Report | None = None,
) -> Report:
    """Read the dump `open_stream()` gives and apply it; a dry run changes nothing.

    Raises `DumpError` when the file cannot be read on; the bills read before stay applied
    (each bill is its own transaction), the rest are left as they were."""
    report = report or Report()
    if not dry_run:
        _run(open_stream, report, progress)
        return report
    failure: DumpError | None = None
    try:
        with transaction.atomic():
            try:
                _run(open_stream, report, progress)
            except DumpError as exc:
                failure = exc
            raise _Rollback
    except _Rollback:
        pass
    if failure is not None:
        raise failure
    return report


@contextlib.contextmanager
def _history_by(user: AbstractBaseUser) -> Iterator[None]:
    """Records' own history (django-simple-history) names `user` for what the sync saves, as
    it names the person of a request for the admin and the API."""
    context = HistoricalRecords.context
    had, before = hasattr(context, "request"), getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if had:
            context.request = before
        else:
            del context.request


def _run(open_stream: Callable[[], IO[bytes]], report: Report, progress: Progress | None) -> None:
    with _history_by(sync_user()):
        _read(open_stream, report, progress)


def _read(open_stream: Callable[[], IO[bytes]], report: Report, progress: Progress | None) -> None:
    sync = Sync(report=report)
    failure: DumpError | None = None
    with open_stream() as stream:
        try:
            for raw in read_raw_cards(stream):
                sync.feed(raw)
                if progress is not None and report.bills_read % 50 in (0, 1):
                    progress(_position(stream), report.bills_read, report)
        except DumpError as exc:
            failure = exc
    sync.finish()
    # Related bills created from the dump's light index: their whole history, now.
    if sync.created and failure is None:
        again = Sync(report=Report(), only=set(sync.created))
        with open_stream() as stream:
            for raw in read_raw_cards(stream):
                again.feed(raw)
        again.finish()
        report.changes += again.report.changes
        report.reviews_opened += again.report.reviews_opened
        report.lines += again.report.lines
        report.warning_lines += again.report.warning_lines
        report.warnings += again.report.warnings
    if progress is not None:
        progress(-1, report.bills_read, report)
    if failure is not None:
        raise failure


def _position(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def check_size(path: str) -> None:
    size = os.path.getsize(path)
    if size > settings.RADA_MAX_DUMP_BYTES:
        raise DumpError(
            f"The file is {size} bytes, more than the {settings.RADA_MAX_DUMP_BYTES} "
            "allowed (RADA_MAX_DUMP_BYTES)."
        )


def sync_file(
    path: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    source: str | None = None,
) -> SyncRun | Report:
    """Sync from a dump on disk. Writes a `SyncRun` unless it is a dry run."""
    check_size(path)
    run = None if dry_run else SyncRun.objects.create(source=(source or path)[:500])
    report = Report()
    try:
        sync_stream(
            functools.partial(open, path, "rb"), dry_run=dry_run, progress=progress, report=report
        )
    except DumpError as exc:
        if run is not None:
            finish_run(run, report, SyncRun.Outcome.FAILED, error=str(exc))
        raise
    if run is None:
        return report
    finish_run(run, report, SyncRun.Outcome.DONE)
    run.report_object = report
    return run


def finish_run(run: SyncRun, report: Report, outcome: str, error: str = "") -> None:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.bills_read = report.bills_read
    run.bills_followed = report.bills_followed
    run.changes = report.changes
    run.reviews_opened = report.reviews_opened
    run.suggestions = report.suggestions
    run.warnings = report.warnings
    run.report = "\n".join([*report.lines, *(f"warning: {w}" for w in report.warning_lines)])
    run.error = error[:2000]
    run.save()
