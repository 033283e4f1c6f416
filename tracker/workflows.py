"""The four status workflows, as data.

Every reader of a workflow (the transition service, the admin, the API, the dashboard stepper,
the docs) uses these tables; nothing else decides which status may follow which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

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
    VETOED = "vetoed", _("Returned by the President with proposals")
    ADOPTED_WITH_PROPOSALS = "adopted_with_proposals", _("Adopted with the President's proposals")
    VETO_OVERRIDDEN = "veto_overridden", _("Veto overridden")
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
    PARTIALLY_OPERATIONAL = "partially_operational", _("Partly operational")
    OPERATIONAL = "operational", _("Operational")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class CooperationStatus(models.TextChoices):
    PROSPECTIVE = "prospective", _("Prospective")
    NEGOTIATING = "negotiating", _("Negotiating")
    FINANCING = "financing", _("Financing without an agreement")
    MOU_SIGNED = "mou_signed", _("Memorandum signed")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


@dataclass(frozen=True)
class Workflow:
    """Allowed transitions of one record type.

    `main_path` is the sequence a record normally follows; the dashboard draws what is still
    ahead of a record along it. `reopen` lists, for the statuses that end the workflow, where
    a record may go back to when the end proved not final (a reopening needs a reason).
    `thresholds` gives the votes for that a vote moving into a status needs.
    """

    name: str
    statuses: type[models.TextChoices]
    initial: str
    transitions: dict[str, tuple[str, ...]]
    main_path: tuple[str, ...]
    # (from, to) pairs that are votes in parliament and may carry vote counts.
    votes: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    reopen: dict[str, tuple[str, ...]] = field(default_factory=dict)
    thresholds: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    # Statuses whose vote must be given (an override cannot be recorded without its count).
    vote_required: frozenset[str] = field(default_factory=frozenset)

    def allowed_targets(self, status: str) -> tuple[str, ...]:
        return self.transitions.get(status, ())

    def reopen_targets(self, status: str) -> tuple[str, ...]:
        return self.reopen.get(status, ())

    def is_allowed(self, from_status: str, to_status: str, *, reopening: bool = False) -> bool:
        if reopening:
            return to_status in self.reopen_targets(from_status)
        return to_status in self.allowed_targets(from_status)

    def is_terminal(self, status: str) -> bool:
        return not self.allowed_targets(status)

    def is_vote(self, from_status: str, to_status: str) -> bool:
        return (from_status, to_status) in self.votes

    def threshold(self, to_status: str) -> int | None:
        return self.thresholds.get(to_status)

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


# The Rada has 450 seats (Constitution art. 76). A law needs the majority of them (art. 91);
# overriding the President's proposals, like amending the Constitution, two thirds (arts. 94,
# 155).
RADA_SEATS = 450
ADOPTION_MIN_VOTES = 226
VETO_OVERRIDE_MIN_VOTES = 300
CONSTITUTIONAL_MIN_VOTES = 300
# The President answers within 15 days of receiving a law; after an override, signs within 10
# (Constitution art. 94).
PRESIDENT_ANSWER_DAYS = 15
PRESIDENT_AFTER_OVERRIDE_DAYS = 10

_LAW = LawStatus
_LAW_TABLE: dict[str, tuple[str, ...]] = {
    _LAW.DRAFTING: (_LAW.STAKEHOLDER_REVIEW, _LAW.CABINET_APPROVED, _LAW.REGISTERED),
    _LAW.STAKEHOLDER_REVIEW: (_LAW.CABINET_APPROVED, _LAW.DRAFTING, _LAW.REGISTERED),
    _LAW.CABINET_APPROVED: (_LAW.REGISTERED, _LAW.DRAFTING),
    # Public discussion can be ordered before the committee has the bill or by the committee.
    _LAW.REGISTERED: (_LAW.IN_COMMITTEE, _LAW.PUBLIC_DISCUSSION, _LAW.FIRST_READING),
    # The committee can propose returning the bill to its initiator without a first reading.
    _LAW.IN_COMMITTEE: (
        _LAW.FIRST_READING,
        _LAW.RETURNED_FOR_REVISION,
        _LAW.PUBLIC_DISCUSSION,
        _LAW.REJECTED,
    ),
    _LAW.FIRST_READING: (
        _LAW.ADOPTED_IN_PRINCIPLE,
        _LAW.ADOPTED_AS_WHOLE,
        _LAW.RETURNED_FOR_REVISION,
        _LAW.PUBLIC_DISCUSSION,
        _LAW.IN_COMMITTEE,  # sent back to the committee for a repeated first reading
        _LAW.FIRST_READING,  # a repeated first reading
        _LAW.REJECTED,
    ),
    _LAW.RETURNED_FOR_REVISION: (_LAW.IN_COMMITTEE, _LAW.FIRST_READING),
    _LAW.PUBLIC_DISCUSSION: (_LAW.IN_COMMITTEE, _LAW.FIRST_READING),
    _LAW.ADOPTED_IN_PRINCIPLE: (_LAW.SECOND_READING,),
    _LAW.SECOND_READING: (
        _LAW.ADOPTED_AS_WHOLE,
        _LAW.THIRD_READING,
        _LAW.SECOND_READING,  # a repeated second reading
        _LAW.FIRST_READING,  # back to a repeated first reading
        _LAW.REJECTED,
    ),
    _LAW.THIRD_READING: (_LAW.ADOPTED_AS_WHOLE, _LAW.REJECTED),
    _LAW.ADOPTED_AS_WHOLE: (_LAW.SIGNED_BY_SPEAKER,),
    _LAW.SIGNED_BY_SPEAKER: (_LAW.SENT_TO_PRESIDENT,),
    _LAW.SENT_TO_PRESIDENT: (_LAW.SIGNED_BY_PRESIDENT, _LAW.VETOED),
    # The Rada adopts the law with the President's proposals (it goes to the President again),
    # overrides them (the Chairman signs again; the President must sign within 10 days), or
    # the law fails.
    _LAW.VETOED: (_LAW.ADOPTED_WITH_PROPOSALS, _LAW.VETO_OVERRIDDEN, _LAW.REJECTED),
    _LAW.ADOPTED_WITH_PROPOSALS: (_LAW.SIGNED_BY_SPEAKER,),
    _LAW.VETO_OVERRIDDEN: (_LAW.SIGNED_BY_SPEAKER,),
    _LAW.SIGNED_BY_PRESIDENT: (_LAW.PUBLISHED,),
    _LAW.PUBLISHED: (_LAW.IN_FORCE,),
}
# Until it is adopted as a whole, a bill can be withdrawn, removed or lapse (Rada rules).
_LAW_BEFORE_ADOPTION = (
    _LAW.DRAFTING,
    _LAW.STAKEHOLDER_REVIEW,
    _LAW.CABINET_APPROVED,
    _LAW.REGISTERED,
    _LAW.IN_COMMITTEE,
    _LAW.FIRST_READING,
    _LAW.RETURNED_FOR_REVISION,
    _LAW.PUBLIC_DISCUSSION,
    _LAW.ADOPTED_IN_PRINCIPLE,
    _LAW.SECOND_READING,
    _LAW.THIRD_READING,
)
# Where a bill can be when it is back after an end that proved not final: a bill removed from
# consideration returns to the agenda, a lapsed or rejected one is taken up again.
_LAW_REOPEN = dict.fromkeys(
    (_LAW.WITHDRAWN, _LAW.REMOVED, _LAW.LAPSED, _LAW.REJECTED), _LAW_BEFORE_ADOPTION[3:]
)
_LAW_READINGS = (_LAW.FIRST_READING, _LAW.SECOND_READING, _LAW.THIRD_READING, _LAW.VETOED)

LAW_WORKFLOW = Workflow(
    name="law",
    statuses=LawStatus,
    initial=_LAW.DRAFTING,
    transitions=_with_exits(
        _LAW_TABLE, _LAW_BEFORE_ADOPTION, (_LAW.WITHDRAWN, _LAW.REMOVED, _LAW.LAPSED)
    ),
    main_path=(
        _LAW.DRAFTING,
        _LAW.STAKEHOLDER_REVIEW,
        _LAW.CABINET_APPROVED,
        _LAW.REGISTERED,
        _LAW.IN_COMMITTEE,
        _LAW.FIRST_READING,
        _LAW.ADOPTED_IN_PRINCIPLE,
        _LAW.SECOND_READING,
        _LAW.ADOPTED_AS_WHOLE,
        _LAW.SIGNED_BY_SPEAKER,
        _LAW.SENT_TO_PRESIDENT,
        _LAW.SIGNED_BY_PRESIDENT,
        _LAW.PUBLISHED,
        _LAW.IN_FORCE,
    ),
    votes=frozenset(
        (source, target)
        for source in _LAW_READINGS
        for target in _LAW_TABLE[source]
        if target not in (_LAW.IN_COMMITTEE, _LAW.FIRST_READING, _LAW.SECOND_READING)
    ),
    reopen=_LAW_REOPEN,
    thresholds=MappingProxyType(
        {
            _LAW.ADOPTED_IN_PRINCIPLE: ADOPTION_MIN_VOTES,
            _LAW.ADOPTED_AS_WHOLE: ADOPTION_MIN_VOTES,
            _LAW.ADOPTED_WITH_PROPOSALS: ADOPTION_MIN_VOTES,
            _LAW.VETO_OVERRIDDEN: VETO_OVERRIDE_MIN_VOTES,
        }
    ),
    vote_required=frozenset({_LAW.VETO_OVERRIDDEN}),
)
# Statuses at which a law counts as adopted by the Rada, and as signed into law.
LAW_ADOPTED = frozenset(
    {
        _LAW.ADOPTED_AS_WHOLE,
        _LAW.SIGNED_BY_SPEAKER,
        _LAW.SENT_TO_PRESIDENT,
        _LAW.VETOED,
        _LAW.ADOPTED_WITH_PROPOSALS,
        _LAW.VETO_OVERRIDDEN,
        _LAW.SIGNED_BY_PRESIDENT,
        _LAW.PUBLISHED,
        _LAW.IN_FORCE,
    }
)

_TAX = TaxMeasureStatus
TAX_MEASURE_WORKFLOW = Workflow(
    name="tax_measure",
    statuses=TaxMeasureStatus,
    initial=_TAX.PROPOSED,
    transitions={
        _TAX.PROPOSED: (_TAX.IN_DRAFT_LAW, _TAX.ADOPTED, _TAX.DROPPED),
        _TAX.IN_DRAFT_LAW: (_TAX.ADOPTED, _TAX.DROPPED),
        _TAX.ADOPTED: (_TAX.IN_EFFECT, _TAX.REPEALED),
        _TAX.IN_EFFECT: (_TAX.EXPIRED, _TAX.REPEALED),
    },
    main_path=(_TAX.PROPOSED, _TAX.IN_DRAFT_LAW, _TAX.ADOPTED, _TAX.IN_EFFECT, _TAX.EXPIRED),
    reopen={
        _TAX.DROPPED: (_TAX.PROPOSED, _TAX.IN_DRAFT_LAW),
        _TAX.EXPIRED: (_TAX.IN_EFFECT,),
        _TAX.REPEALED: (_TAX.ADOPTED, _TAX.IN_EFFECT),
    },
)

_FAC = FacilityStatus
FACILITY_WORKFLOW = Workflow(
    name="facility",
    statuses=FacilityStatus,
    initial=_FAC.PROPOSED,
    transitions={
        # Financing often starts before any agreement is signed.
        _FAC.PROPOSED: (_FAC.AGREEMENT_SIGNED, _FAC.FINANCED, _FAC.CANCELLED),
        _FAC.AGREEMENT_SIGNED: (_FAC.FINANCED, _FAC.UNDER_CONSTRUCTION, _FAC.CANCELLED),
        _FAC.FINANCED: (_FAC.AGREEMENT_SIGNED, _FAC.UNDER_CONSTRUCTION, _FAC.CANCELLED),
        # A first workshop can open while the rest is still being built.
        _FAC.UNDER_CONSTRUCTION: (
            _FAC.PARTIALLY_OPERATIONAL,
            _FAC.OPERATIONAL,
            _FAC.SUSPENDED,
            _FAC.CANCELLED,
        ),
        _FAC.PARTIALLY_OPERATIONAL: (_FAC.OPERATIONAL, _FAC.SUSPENDED, _FAC.CLOSED),
        _FAC.OPERATIONAL: (_FAC.SUSPENDED, _FAC.CLOSED, _FAC.CANCELLED),
        _FAC.SUSPENDED: (
            _FAC.OPERATIONAL,
            _FAC.PARTIALLY_OPERATIONAL,
            _FAC.UNDER_CONSTRUCTION,
            _FAC.CLOSED,
            _FAC.CANCELLED,
        ),
    },
    main_path=(
        _FAC.PROPOSED,
        _FAC.AGREEMENT_SIGNED,
        _FAC.FINANCED,
        _FAC.UNDER_CONSTRUCTION,
        _FAC.PARTIALLY_OPERATIONAL,
        _FAC.OPERATIONAL,
    ),
    reopen={
        _FAC.CANCELLED: (_FAC.PROPOSED, _FAC.AGREEMENT_SIGNED, _FAC.FINANCED),
        _FAC.CLOSED: (_FAC.OPERATIONAL, _FAC.PARTIALLY_OPERATIONAL),
    },
)

_COOP = CooperationStatus
PARTNER_WORKFLOW = Workflow(
    name="partner",
    statuses=CooperationStatus,
    initial=_COOP.PROSPECTIVE,
    transitions={
        _COOP.PROSPECTIVE: (
            _COOP.NEGOTIATING,
            _COOP.FINANCING,
            _COOP.MOU_SIGNED,
            _COOP.AGREEMENT_SIGNED,
            _COOP.ENDED,
        ),
        _COOP.NEGOTIATING: (
            _COOP.FINANCING,
            _COOP.MOU_SIGNED,
            _COOP.AGREEMENT_SIGNED,
            _COOP.ENDED,
        ),
        # A partner can finance production before any memorandum is signed.
        _COOP.FINANCING: (
            _COOP.NEGOTIATING,
            _COOP.MOU_SIGNED,
            _COOP.AGREEMENT_SIGNED,
            _COOP.ACTIVE,
            _COOP.ENDED,
        ),
        _COOP.MOU_SIGNED: (_COOP.AGREEMENT_SIGNED, _COOP.ACTIVE, _COOP.ENDED),
        _COOP.AGREEMENT_SIGNED: (_COOP.ACTIVE, _COOP.ENDED),
        _COOP.ACTIVE: (_COOP.SUSPENDED, _COOP.ENDED),
        _COOP.SUSPENDED: (_COOP.ACTIVE, _COOP.ENDED),
    },
    main_path=(
        _COOP.PROSPECTIVE,
        _COOP.NEGOTIATING,
        _COOP.MOU_SIGNED,
        _COOP.AGREEMENT_SIGNED,
        _COOP.ACTIVE,
    ),
    reopen={_COOP.ENDED: (_COOP.PROSPECTIVE, _COOP.NEGOTIATING, _COOP.ACTIVE)},
)

WORKFLOWS: dict[str, Workflow] = {
    w.name: w for w in (LAW_WORKFLOW, TAX_MEASURE_WORKFLOW, FACILITY_WORKFLOW, PARTNER_WORKFLOW)
}
