"""The four status workflows, as data.

Every reader of a workflow (the transition service, the admin, the API, the dashboard stepper,
the docs) uses these tables; nothing else decides which status may follow which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _


class LawStatus(models.TextChoices):
    DRAFTING = "drafting", _("Drafting")
    STAKEHOLDER_REVIEW = "stakeholder_review", _("Stakeholder review")
    CABINET_APPROVED = "cabinet_approved", _("Approved by the Cabinet")
    REGISTERED = "registered", _("Registered in the Rada")
    IN_COMMITTEE = "in_committee", _("In committee")
    FIRST_READING = "first_reading", _("First reading")
    RETURNED_FOR_REVISION = "returned_for_revision", _("Returned for revision")
    PUBLIC_DISCUSSION = "public_discussion", _("Public discussion")
    ADOPTED_IN_PRINCIPLE = "adopted_in_principle", _("Adopted in principle")
    SECOND_READING = "second_reading", _("Second reading")
    THIRD_READING = "third_reading", _("Third reading")
    ADOPTED_AS_WHOLE = "adopted_as_whole", _("Adopted as a whole")
    SIGNED_BY_SPEAKER = "signed_by_speaker", _("Signed by the Speaker")
    SENT_TO_PRESIDENT = "sent_to_president", _("Sent to the President")
    VETOED = "vetoed", _("Vetoed")
    SIGNED_BY_PRESIDENT = "signed_by_president", _("Signed by the President")
    PUBLISHED = "published", _("Published")
    IN_FORCE = "in_force", _("In force")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REMOVED = "removed", _("Removed from consideration")
    LAPSED = "lapsed", _("Lapsed")


class TaxMeasureStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    IN_DRAFT_LAW = "in_draft_law", _("In a draft law")
    ADOPTED = "adopted", _("Adopted")
    IN_EFFECT = "in_effect", _("In effect")
    EXPIRED = "expired", _("Expired")
    REPEALED = "repealed", _("Repealed")
    DROPPED = "dropped", _("Dropped")


class FacilityStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    FINANCED = "financed", _("Financed")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    OPERATIONAL = "operational", _("Operational")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class CooperationStatus(models.TextChoices):
    PROSPECTIVE = "prospective", _("Prospective")
    NEGOTIATING = "negotiating", _("Negotiating")
    MOU_SIGNED = "mou_signed", _("Memorandum signed")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


@dataclass(frozen=True)
class Workflow:
    """Allowed transitions of one record type.

    `main_path` is the sequence a record normally follows; the dashboard draws it as a
    stepper, and every other state is a side exit from it.
    """

    name: str
    statuses: type[models.TextChoices]
    initial: str
    transitions: dict[str, tuple[str, ...]]
    main_path: tuple[str, ...]
    # (from, to) pairs that are votes in parliament and may carry vote counts.
    votes: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def allowed_targets(self, status: str) -> tuple[str, ...]:
        return self.transitions.get(status, ())

    def is_allowed(self, from_status: str, to_status: str) -> bool:
        return to_status in self.allowed_targets(from_status)

    def is_terminal(self, status: str) -> bool:
        return not self.allowed_targets(status)

    def is_vote(self, from_status: str, to_status: str) -> bool:
        return (from_status, to_status) in self.votes

    def label(self, status: str) -> str:
        return str(self.statuses(status).label)

    @property
    def terminal(self) -> tuple[str, ...]:
        return tuple(s for s in self.statuses.values if self.is_terminal(s))


def _with_exits(
    table: dict[str, tuple[str, ...]], sources: tuple[str, ...], exits: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    result = dict(table)
    for source in sources:
        result[source] = tuple(dict.fromkeys((*result.get(source, ()), *exits)))
    return result


L = LawStatus
_LAW_TABLE: dict[str, tuple[str, ...]] = {
    L.DRAFTING: (L.STAKEHOLDER_REVIEW, L.REGISTERED),
    L.STAKEHOLDER_REVIEW: (L.CABINET_APPROVED, L.DRAFTING),
    L.CABINET_APPROVED: (L.REGISTERED,),
    L.REGISTERED: (L.IN_COMMITTEE,),
    L.IN_COMMITTEE: (L.FIRST_READING,),
    L.FIRST_READING: (
        L.ADOPTED_IN_PRINCIPLE,
        L.ADOPTED_AS_WHOLE,
        L.RETURNED_FOR_REVISION,
        L.PUBLIC_DISCUSSION,
        L.REJECTED,
    ),
    L.RETURNED_FOR_REVISION: (L.IN_COMMITTEE,),
    L.PUBLIC_DISCUSSION: (L.IN_COMMITTEE,),
    L.ADOPTED_IN_PRINCIPLE: (L.SECOND_READING,),
    L.SECOND_READING: (L.ADOPTED_AS_WHOLE, L.THIRD_READING, L.SECOND_READING, L.REJECTED),
    L.THIRD_READING: (L.ADOPTED_AS_WHOLE, L.REJECTED),
    L.ADOPTED_AS_WHOLE: (L.SIGNED_BY_SPEAKER,),
    L.SIGNED_BY_SPEAKER: (L.SENT_TO_PRESIDENT,),
    L.SENT_TO_PRESIDENT: (L.SIGNED_BY_PRESIDENT, L.VETOED),
    L.VETOED: (L.ADOPTED_AS_WHOLE, L.SIGNED_BY_PRESIDENT, L.REJECTED),
    L.SIGNED_BY_PRESIDENT: (L.PUBLISHED,),
    L.PUBLISHED: (L.IN_FORCE,),
}
# Until it is adopted as a whole, a bill can be withdrawn, removed or lapse (Rada rules).
_LAW_BEFORE_ADOPTION = (
    L.DRAFTING,
    L.STAKEHOLDER_REVIEW,
    L.CABINET_APPROVED,
    L.REGISTERED,
    L.IN_COMMITTEE,
    L.FIRST_READING,
    L.RETURNED_FOR_REVISION,
    L.PUBLIC_DISCUSSION,
    L.ADOPTED_IN_PRINCIPLE,
    L.SECOND_READING,
    L.THIRD_READING,
)

LAW_WORKFLOW = Workflow(
    name="law",
    statuses=LawStatus,
    initial=L.DRAFTING,
    transitions=_with_exits(_LAW_TABLE, _LAW_BEFORE_ADOPTION, (L.WITHDRAWN, L.REMOVED, L.LAPSED)),
    main_path=(
        L.DRAFTING,
        L.STAKEHOLDER_REVIEW,
        L.CABINET_APPROVED,
        L.REGISTERED,
        L.IN_COMMITTEE,
        L.FIRST_READING,
        L.ADOPTED_IN_PRINCIPLE,
        L.SECOND_READING,
        L.ADOPTED_AS_WHOLE,
        L.SIGNED_BY_SPEAKER,
        L.SENT_TO_PRESIDENT,
        L.SIGNED_BY_PRESIDENT,
        L.PUBLISHED,
        L.IN_FORCE,
    ),
    votes=frozenset(
        (source, target)
        for source in (L.FIRST_READING, L.SECOND_READING, L.THIRD_READING, L.VETOED)
        for target in _LAW_TABLE[source]
    ),
)
# Overriding a presidential veto takes two thirds of the Rada's 450 seats (Constitution art. 94).
VETO_OVERRIDE_MIN_VOTES = 300
RADA_SEATS = 450

T = TaxMeasureStatus
TAX_MEASURE_WORKFLOW = Workflow(
    name="tax_measure",
    statuses=TaxMeasureStatus,
    initial=T.PROPOSED,
    transitions={
        T.PROPOSED: (T.IN_DRAFT_LAW, T.DROPPED),
        T.IN_DRAFT_LAW: (T.ADOPTED, T.DROPPED),
        T.ADOPTED: (T.IN_EFFECT,),
        T.IN_EFFECT: (T.EXPIRED, T.REPEALED),
    },
    main_path=(T.PROPOSED, T.IN_DRAFT_LAW, T.ADOPTED, T.IN_EFFECT, T.EXPIRED),
)

F = FacilityStatus
FACILITY_WORKFLOW = Workflow(
    name="facility",
    statuses=FacilityStatus,
    initial=F.PROPOSED,
    transitions={
        F.PROPOSED: (F.AGREEMENT_SIGNED, F.CANCELLED),
        F.AGREEMENT_SIGNED: (F.FINANCED, F.CANCELLED),
        F.FINANCED: (F.UNDER_CONSTRUCTION, F.CANCELLED),
        F.UNDER_CONSTRUCTION: (F.OPERATIONAL, F.CANCELLED),
        F.OPERATIONAL: (F.SUSPENDED, F.CLOSED, F.CANCELLED),
        F.SUSPENDED: (F.OPERATIONAL, F.CANCELLED),
    },
    main_path=(
        F.PROPOSED,
        F.AGREEMENT_SIGNED,
        F.FINANCED,
        F.UNDER_CONSTRUCTION,
        F.OPERATIONAL,
    ),
)

C = CooperationStatus
PARTNER_WORKFLOW = Workflow(
    name="partner",
    statuses=CooperationStatus,
    initial=C.PROSPECTIVE,
    transitions={
        C.PROSPECTIVE: (C.NEGOTIATING, C.ENDED),
        C.NEGOTIATING: (C.MOU_SIGNED, C.ENDED),
        C.MOU_SIGNED: (C.AGREEMENT_SIGNED, C.ENDED),
        C.AGREEMENT_SIGNED: (C.ACTIVE, C.ENDED),
        C.ACTIVE: (C.SUSPENDED, C.ENDED),
        C.SUSPENDED: (C.ACTIVE, C.ENDED),
    },
    main_path=(C.PROSPECTIVE, C.NEGOTIATING, C.MOU_SIGNED, C.AGREEMENT_SIGNED, C.ACTIVE),
)

WORKFLOWS: dict[str, Workflow] = {
    w.name: w for w in (LAW_WORKFLOW, TAX_MEASURE_WORKFLOW, FACILITY_WORKFLOW, PARTNER_WORKFLOW)
}
