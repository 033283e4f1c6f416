"""Record names and texts in the language of the request.

Each record stores its names twice (`*_uk`, `*_en`); pages read `local_name` and
`local_text`, annotated here, and fall back to English where the Ukrainian text is empty.
"""

from __future__ import annotations

from django.db.models import CharField, F, QuerySet, TextField, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language

from tracker.models import DraftLaw, Facility, PartnerCountry, TaxMeasure, TrackedRecord

# (name field, longer text field) of each record type, without the language suffix.
TEXT_FIELDS: dict[type[TrackedRecord], tuple[str, str]] = {
    DraftLaw: ("title", "summary"),
    TaxMeasure: ("name", "description"),
    Facility: ("name", "description"),
    PartnerCountry: ("name", "summary"),
}


def language() -> str:
    return "uk" if (get_language() or "en").startswith("uk") else "en"


def _in_language(base: str, output_field) -> Coalesce | F:
    if language() == "en":
        return F(f"{base}_en")
    return Coalesce(NullIf(F(f"{base}_uk"), Value("")), F(f"{base}_en"), output_field=output_field)


def with_local_names(queryset: QuerySet, *, text: bool = False) -> QuerySet:
    """Annotate `local_name` (and `local_text` if asked) in the active language."""
    name, long_text = TEXT_FIELDS[queryset.model]
    annotations = {"local_name": _in_language(name, CharField())}
    if text:
        annotations["local_text"] = _in_language(long_text, TextField())
    return queryset.annotate(**annotations)
