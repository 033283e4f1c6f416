from .api_keys import PartnerAPIKey
from .common import Currency, TrackedRecord, Visibility
from .facilities import Facility, ProductCategory
from .history import Event, StatusChange
from .laws import DocumentKind, DraftLaw, Initiator, LawDocument
from .notifications import (
    Delivery,
    DeliveryState,
    EmailLanguage,
    EmailSubscription,
    WebhookSubscription,
)
from .partners import Agreement, Contact, PartnerCountry
from .tax_measures import TaxMeasure, TaxMeasureKind

RECORD_MODELS: dict[str, type[TrackedRecord]] = {
    m.record_type: m for m in (DraftLaw, TaxMeasure, Facility, PartnerCountry)
}

__all__ = [
    "RECORD_MODELS",
    "Agreement",
    "Contact",
    "Currency",
    "Delivery",
    "DeliveryState",
    "DocumentKind",
    "DraftLaw",
    "EmailLanguage",
    "EmailSubscription",
    "Event",
    "Facility",
    "Initiator",
    "LawDocument",
    "PartnerAPIKey",
    "PartnerCountry",
    "ProductCategory",
    "StatusChange",
    "TaxMeasure",
    "TaxMeasureKind",
    "TrackedRecord",
    "Visibility",
    "WebhookSubscription",
]
