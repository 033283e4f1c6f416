# ruff: noqa: RUF001 (the titles are in Ukrainian, as the Rada publishes them)
"""What each phase title of the Rada's bill cards means on the tracker's timeline.

A title maps to a step (a status of the law workflow) or to a procedural event. A step may
name the readings its title implies (`via`): "adopted in first reading" says that the first
reading took place, so when the bill is still in committee the first reading is recorded on
the same date before the adoption. Nothing else is ever added: a step the workflow refuses
goes to the review queue. A title not in this table is kept as a procedural event of kind
`other` with the title as published, and flagged for staff.

Titles are compared without regard to case, spacing or a final full stop.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.models import ProceduralEventKind
from tracker.workflows import LawStatus

S = LawStatus
K = ProceduralEventKind


@dataclass(frozen=True)
class Step:
    status: str
    via: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventOf:
    kind: str


Meaning = Step | EventOf

# Every title listed in ../shared/rada-open-data.md, and the common wordings around them.
PHASES: dict[str, Meaning] = {
    # Registration and the committee.
    "Зареєстровано": Step(S.REGISTERED),
    "Одержано Верховною Радою": Step(S.REGISTERED),
    "Надіслано до комітету": Step(S.IN_COMMITTEE),
    "Направлено на розгляд комітету": Step(S.IN_COMMITTEE),
    "Опрацьовується в комітеті": Step(S.IN_COMMITTEE),
    "Надійшов висновок комітету": EventOf(K.COMMITTEE_CONCLUSION),
    "Включено до порядку денного": EventOf(K.AGENDA),
    "Готується до першого читання": Step(S.FIRST_READING),
    "Очікує на перше читання": Step(S.FIRST_READING),
    # Readings.
    # Sent back to the committee by the first reading, for a repeated one.
    "Готується на повторне перше читання": Step(S.IN_COMMITTEE, via=(S.FIRST_READING,)),
    "Прийнято в першому читанні": Step(S.ADOPTED_IN_PRINCIPLE, via=(S.FIRST_READING,)),
    "Прийнято за основу": Step(S.ADOPTED_IN_PRINCIPLE, via=(S.FIRST_READING,)),
    "Готується на друге читання": Step(S.SECOND_READING),
    "Очікує на друге читання": Step(S.SECOND_READING),
    "Закон прийнято": Step(S.ADOPTED_AS_WHOLE, via=(S.SECOND_READING, S.FIRST_READING)),
    "Прийнято в цілому": Step(S.ADOPTED_AS_WHOLE, via=(S.SECOND_READING, S.FIRST_READING)),
    "Прийнято за основу і в цілому": Step(S.ADOPTED_AS_WHOLE, via=(S.FIRST_READING,)),
    "Повернуто на доопрацювання": Step(S.RETURNED_FOR_REVISION),
    "Направлено на повторне друге читання": Step(S.SECOND_READING),
    # Signature.
    "Готується на підпис": Step(S.ADOPTED_AS_WHOLE),
    "Повернуто з підписом Голови Верховної Ради України": Step(S.SIGNED_BY_SPEAKER),
    "Передано на підпис Президенту": Step(S.SENT_TO_PRESIDENT, via=(S.SIGNED_BY_SPEAKER,)),
    # After an override: the President has ten days.
    "Передано на підпис Президенту (10)": Step(S.SENT_TO_PRESIDENT, via=(S.SIGNED_BY_SPEAKER,)),
    # The Rada voted on the President's proposals; which way the card does not say.
    "Готується на підпис (після вето)": EventOf(K.OTHER),
    "Повернуто з підписом від Президента України": Step(S.SIGNED_BY_PRESIDENT),
    "Закон підписано": Step(S.SIGNED_BY_PRESIDENT),
    # A resolution is signed by the Chairman alone.
    "Постанову підписано": Step(S.SIGNED_BY_SPEAKER),
    # Sent to be printed: the official publication has its own date, which the card lacks.
    "Передано в тираж": EventOf(K.OTHER),
    # The President's proposals (art. 94).
    "Очікує на розгляд з вето Президента": Step(S.VETOED),
    "Готується на розгляд з вето Президента": Step(S.VETOED),
    "Повернуто з пропозиціями Президента": Step(S.VETOED),
    # Ends.
    "Проект відкликано": Step(S.WITHDRAWN),
    "Знято з розгляду": Step(S.REMOVED),
    "Відхилено та знято з розгляду": Step(S.REJECTED, via=(S.FIRST_READING,)),
    "Заслухано та знято з розгляду": Step(S.REMOVED),
    "Проект не прийнято": Step(S.REJECTED, via=(S.FIRST_READING,)),
    "Відхилено": Step(S.REJECTED, via=(S.FIRST_READING,)),
    "В порядок денний не включено": EventOf(K.OTHER),
    "Розгляд відкладено": EventOf(K.POSTPONED),
}


def normalize(title: str) -> str:
    return " ".join(title.split()).rstrip(".").casefold()


_BY_NORMAL = {normalize(title): meaning for title, meaning in PHASES.items()}


def meaning_of(title: str) -> Meaning | None:
    """What the phase `title` means on the timeline; None for a title not known."""
    return _BY_NORMAL.get(normalize(title))


# Statuses the Rada's cards show as a phase of their own: a step staff recorded in one of
# these that the card does not show is worth a look.
SHOWN_BY_THE_RADA = frozenset(
    {m.status for m in PHASES.values() if isinstance(m, Step)} - {S.FIRST_READING}
)
