# ruff: noqa: RUF001 (bill cards are in Ukrainian, as the Rada publishes them)
"""Bill cards in the shape of the Rada's full dump (billinfo-skl9.json), for the tests.

The development machines cannot reach the Rada: every test writes the dump it reads, in the
shape `../shared/rada-open-data.md` describes (and `fixtures/rada/billinfo-sample.json`
shows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COMMITTEE = "Комітет з питань національної безпеки, оборони та розвідки"
BUDGET = "Комітет з питань бюджету"


def phase(date: str, title: str) -> dict[str, str]:
    return {"date": f"{date}T00:00:00", "title": title, "status": title}


def card(
    rada_id: int,
    number: str,
    *,
    name: str = "Про спільне виробництво озброєння та військової техніки",
    registered: str = "2025-03-03",
    passings: list[dict[str, str]] | None = None,
    current: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    passings = passings if passings is not None else []
    value: dict[str, Any] = {
        "id": rada_id,
        "registrationNumber": number,
        "registrationDate": f"{registered}T00:00:00",
        "registrationConvocation": 9,
        "registrationSession": 13,
        "name": name,
        "type": "Проект Закону",
        "rubric": "Оборона",
        "subject": "Національна безпека і оборона",
        "initiators": [
            {"person": {"id": 208, "lastName": "Костенко", "firstName": "Роман"}},
        ],
        "executives": [
            {"department": COMMITTEE, "person": {"id": 1}, "type": "Головний комітет"},
            {"department": BUDGET, "person": {"id": 2}, "type": "Інший комітет"},
        ],
        "currentPhase": current if current is not None else (passings[-1] if passings else {}),
        "passings": passings,
        "documents": {
            "source": [
                {
                    "type": "Текст законопроекту",
                    "date": f"{registered}T00:00:00",
                    "docFiles": [{"id": rada_id * 10 + 1, "type": "pdf"}],
                },
                {
                    "type": "Пояснювальна записка",
                    "date": f"{registered}T00:00:00",
                    "docFiles": [{"id": rada_id * 10 + 2, "type": "pdf"}],
                },
            ],
            "workflow": [],
        },
        "alternative": [],
        "bind": [],
        "actNumber": "",
        "actDate": "",
    }
    value.update(extra)
    return value


def write(path: Path, cards: list[Any]) -> Path:
    path.write_text(json.dumps(cards, ensure_ascii=False), encoding="utf-8")
    return path
