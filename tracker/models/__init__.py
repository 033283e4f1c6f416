from .api_keys import PartnerAPIKey
from .common import Currency, TrackedRecord, Visibility
from .deadlines import AlertKind, Deadline, DeadlineAlert, DeadlineKind, ManualDeadline
from .facilities import Facility, ProductCategory
from .history import (
    LAW_ONLY_EVENT_KINDS,
    DatePrecision,
    Event,
    ProceduralEvent,
    ProceduralEventKind,
    StatusChange,
    TimelineEntry,
    parse_date_as_known,
)
from .idempotency import IdempotentRequest
from .laws import (
    RELATION_INVERSE_LABELS,
    DocumentKind,
    DraftLaw,
    EntryIntoForce,
    Initiator,
    LawCommittee,
    LawDocument,
    LawRelation,
    RegistrationNumber,
    RelationKind,
)
from .notifications import (
    Delivery,
    DeliveryState,
    DigestSent,
    EmailFrequency,
    EmailLanguage,
    EmailSubscription,
    WebhookSubscription,
)
from .partners import Agreement, Contact, CooperationProgramme, PartnerCountry, ProgrammeKind
from .rada import (
    RadaBill,
    RadaPhase,
    RadaReview,
    RadaSource,
    RadaSuggestionRule,
    ReviewKind,
    ReviewState,
    SuggestedBill,
    SuggestionState,
    SyncRun,
)
from .staff_tokens import STAFF_TOKEN_PREFIX, StaffAPIToken
from .tax_measures import TaxMeasure, TaxMeasureKind

RECORD_MODELS: dict[str, type[TrackedRecord]] = {
    m.record_type: m for m in (DraftLaw, TaxMeasure, Facility, PartnerCountry)
}

__all__ = [
    "LAW_ONLY_EVENT_KINDS",
    "RECORD_MODELS",
    "RELATION_INVERSE_LABELS",
    "STAFF_TOKEN_PREFIX",
    "Agreement",
    "AlertKind",
    "Contact",
    "CooperationProgramme",
    "Currency",
    "DatePrecision",
    "Deadline",
    "DeadlineAlert",
    "DeadlineKind",
    "Delivery",
    "DeliveryState",
    "DigestSent",
    "DocumentKind",
    "DraftLaw",
    "EmailFrequency",
    "EmailLanguage",
    "EmailSubscription",
    "EntryIntoForce",
    "Event",
    "Facility",
    "IdempotentRequest",
    "Initiator",
    "LawCommittee",
    "LawDocument",
    "LawRelation",
    "ManualDeadline",
    "PartnerAPIKey",
    "PartnerCountry",
    "ProceduralEvent",
    "ProceduralEventKind",
    "ProductCategory",
    "ProgrammeKind",
    "RadaBill",
    "RadaPhase",
    "RadaReview",
    "RadaSource",
    "RadaSuggestionRule",
    "RegistrationNumber",
    "RelationKind",
    "ReviewKind",
    "ReviewState",
    "StaffAPIToken",
    "StatusChange",
    "SuggestedBill",
    "SuggestionState",
    "SyncRun",
    "TaxMeasure",
    "TaxMeasureKind",
    "TimelineEntry",
    "TrackedRecord",
    "Visibility",
    "WebhookSubscription",
    "parse_date_as_known",
]
