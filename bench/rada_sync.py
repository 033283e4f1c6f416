# ruff: noqa: RUF001 (the synthetic cards are in Ukrainian, as the Rada publishes them)
"""The Rada sync at the size of the real dump: 15,000 bill cards, about 130 MB.

    python -m bench.rada_sync [--bills 15000] [--tracked 200] [--keep-dump PATH]

On PostgreSQL from DATABASE_URL (default: the local database `tracker_bench_rada`, created if
missing and **wiped**). It writes a synthetic dump in the shape of `billinfo-skl9.json`
(realistic phases along real paths, committees, initiators, 24-54 documents per bill with
their files, alternatives and packages, raw control characters in some titles), creates
`--tracked` laws by registration number as staff would, then times, each in a fresh process
whose peak RSS is read from the kernel:

1. the first import (every tracked bill gets its whole history, relations create bills);
2. a second run on the same dump (nothing changed: nothing is written);
3. a dry run on a dump where 2 % of the bills changed.

Goals (issue 14): unchanged < 60 s, first import of 200 tracked bills < 120 s, peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_rada"

COMMITTEES = [
    "Комітет з питань національної безпеки, оборони та розвідки",
    "Комітет з питань бюджету",
    "Комітет з питань фінансів, податкової та митної політики",
    "Комітет з питань економічного розвитку",
    "Комітет з питань правової політики",
    "Комітет з питань освіти, науки та інновацій",
    "Комітет з питань енергетики та житлово-комунальних послуг",
    "Комітет з питань аграрної та земельної політики",
]
SUBJECTS = ["Оборона", "Оподаткування", "Економіка", "Освіта", "Енергетика", "Право"]
WORDS = [
    "спільного виробництва озброєння",
    "оборонно-промислового комплексу",
    "оподаткування виробників оборонної продукції",
    "державних закупівель",
    "освіти",
    "енергетичної безпеки",
    "місцевого самоврядування",
    "земельних відносин",
]
# Real paths through the phase titles; each bill walks a prefix of one.
PATHS = [
    [
        "Надіслано до комітету",
        "Опрацьовується в комітеті",
        "Надійшов висновок комітету",
        "Включено до порядку денного",
        "Прийнято в першому читанні",
        "Готується на друге читання",
        "Очікує на друге читання",
        "Закон прийнято",
        "Готується на підпис",
        "Повернуто з підписом Голови Верховної Ради України",
        "Передано на підпис Президенту",
        "Повернуто з підписом від Президента України",
        "Закон підписано",
        "Передано в тираж",
    ],
    [
        "Опрацьовується в комітеті",
        "Розгляд відкладено",
        "Включено до порядку денного",
        "Закон прийнято",
        "Передано на підпис Президенту",
        "Очікує на розгляд з вето Президента",
        "Готується на розгляд з вето Президента",
        "Готується на підпис (після вето)",
    ],
    ["Опрацьовується в комітеті", "В порядок денний не включено", "Проект відкликано"],
    ["Опрацьовується в комітеті", "Відхилено та знято з розгляду"],
    [
        "Опрацьовується в комітеті",
        "Готується на повторне перше читання",
        "Прийнято в першому читанні",
        "Надіслано на доопрацювання суб'єкту права законодавчої ініціативи",
    ],
]
DOC_TYPES = [
    "Текст законопроекту",
    "Пояснювальна записка",
    "Порівняльна таблиця",
    "Висновок Головного науково-експертного управління",
    "Висновок комітету",
    "Пропозиції до законопроекту",
    "Супровідний лист",
    "Фінансово-економічне обґрунтування",
]


def _date(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00"


def make_card(rada_id: int, number: str, rng: random.Random, version: int = 0) -> dict:
    registered = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 1800))
    path = rng.choice(PATHS)
    length = rng.randint(1, len(path))
    day = registered
    passings = []
    for title in path[:length]:
        day += dt.timedelta(days=rng.randint(0, 40))
        passings.append({"date": _date(day), "title": title, "status": title})
    if version:
        day += dt.timedelta(days=1)
        passings.append({"date": _date(day), "title": "Розгляд відкладено", "status": "x"})
    subject = rng.choice(SUBJECTS)
    title = f"Про внесення змін до деяких законодавчих актів України щодо {rng.choice(WORDS)}"
    if rng.random() < 0.05:
        title = title.replace(" щодо", "\x0b щодо\n")  # raw control characters
    documents = {
        "source": [],
        "workflow": [],
    }
    for i in range(rng.randint(24, 54)):
        group = "source" if i < 3 else "workflow"
        documents[group].append(
            {
                "type": rng.choice(DOC_TYPES),
                "date": _date(registered + dt.timedelta(days=i)),
                "docFiles": [
                    {"id": rada_id * 100 + i * 3 + k, "type": rng.choice(["pdf", "docx", "rtf"])}
                    for k in range(rng.randint(1, 3))
                ],
            }
        )
    main, other = rng.sample(COMMITTEES, 2)
    return {
        "id": rada_id,
        "registrationNumber": number,
        "registrationDate": _date(registered),
        "registrationConvocation": 9,
        "registrationSession": rng.randint(1, 14),
        "name": title,
        "type": rng.choice(["Проект Закону", "Проект Постанови"]),
        "rubric": subject,
        "subject": f"{subject}: {rng.choice(WORDS)}",
        "initiators": [
            {
                "person": {
                    "id": rng.randint(1, 500),
                    "lastName": rng.choice(["Костенко", "Іваненко", "Шевчук", "Бондар"]),
                    "firstName": rng.choice(["Роман", "Олена", "Іван", "Марія"]),
                    "secondName": "Петрович",
                },
                "type": "Народний депутат України",
            }
            for _ in range(rng.randint(1, 6))
        ],
        "executives": [
            {"department": main, "person": {"id": rng.randint(1, 99)}, "type": "Головний"},
            {"department": other, "person": {"id": rng.randint(1, 99)}, "type": "Інший"},
        ],
        "currentPhase": passings[-1],
        "passings": passings,
        "documents": documents,
        "alternative": [],
        "bind": [],
        "actNumber": f"{rada_id % 5000}-IX" if passings[-1]["title"] == "Закон підписано" else "",
        "actDate": passings[-1]["date"] if passings[-1]["title"] == "Закон підписано" else "",
    }


def write_dump(path: Path, bills: int, seed: int = 14, changed: float = 0.0) -> int:
    rng = random.Random(seed)
    changes = random.Random(seed + 1)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for i in range(bills):
            rada_id = 70000 + i
            version = 1 if changed and changes.random() < changed else 0
            card = make_card(rada_id, str(10000 + i), rng, version)
            if i % 50 == 0 and i + 1 < bills:
                card["alternative"] = [rada_id + 1]
            if i % 75 == 0 and i + 2 < bills:
                card["bind"] = [rada_id + 2]
            if i:
                out.write(",")
            out.write(json.dumps(card, ensure_ascii=False))
        out.write("]")
    return path.stat().st_size


CHILD = """
import json, resource, sys, time
import django
django.setup()
from tracker.services.rada_sync import sync_file
started = time.monotonic()
result = sync_file(sys.argv[1], dry_run=sys.argv[2] == "dry")
report = getattr(result, "report_object", result)
print(json.dumps({
    "seconds": round(time.monotonic() - started, 2),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "bills_read": report.bills_read, "tracked": report.bills_followed,
    "changes": report.changes, "reviews": report.reviews_opened,
    "suggestions": report.suggestions, "warnings": report.warnings,
}))
"""


def run_child(dump: Path, env: dict[str, str], dry: bool = False) -> dict:
    answer = subprocess.run(
        [sys.executable, "-c", CHILD, str(dump), "dry" if dry else "real"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode:
        sys.stderr.write(answer.stderr[-3000:])
        raise SystemExit("the sync failed")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def prepare_database(env: dict[str, str], tracked: int, bills: int) -> None:
    code = f"""
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
call_command("flush", interactive=False, verbosity=0)
call_command("migrate", verbosity=0)  # the groups the data migrations create
from tracker.models import DraftLaw, RadaSuggestionRule
from tracker.services.records import record_create
step = max(1, {bills} // {tracked})
for i in range({tracked}):
    number = str(10000 + 1 + i * step)
    values = {{"title_uk": "Закон " + number, "title_en": "Law " + number,
              "registration_number": number, "initiator": "mps"}}
    record_create(model=DraftLaw, values=values, actor=None)
RadaSuggestionRule.objects.create(kind="committee", value="національної безпеки")
RadaSuggestionRule.objects.create(kind="word", value="спільного виробництва")
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bills", type=int, default=15_000)
    parser.add_argument("--tracked", type=int, default=200)
    parser.add_argument("--keep-dump", help="write the dump here and keep it")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith("postgres"):
        raise SystemExit("The benchmark runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "RADA_MAX_DUMP_BYTES": str(400 * 1024 * 1024),
    }
    workdir = Path(tempfile.mkdtemp(prefix="rada-bench-"))
    dump = Path(args.keep_dump) if args.keep_dump else workdir / "billinfo-skl9.json"
    changed_dump = workdir / "billinfo-changed.json"
    started = time.monotonic()
    size = write_dump(dump, args.bills)
    write_dump(changed_dump, args.bills, changed=0.02)
    generated = time.monotonic() - started
    prepare_database(env, args.tracked, args.bills)
    first = run_child(dump, env)
    unchanged = run_child(dump, env)
    changed = run_child(changed_dump, env, dry=True)
    figures = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cpu, Python {platform.python_version()}",
        "bills": args.bills,
        "tracked": args.tracked,
        "dump_mb": round(size / 1024 / 1024, 1),
        "generated_seconds": round(generated, 1),
        "first_import": first,
        "unchanged": unchanged,
        "two_percent_changed_dry_run": changed,
        "goals": {
            "unchanged_under_60_s": unchanged["seconds"] < 60,
            "first_import_under_120_s": first["seconds"] < 120,
            "peak_rss_under_300_mb": max(r["peak_rss_mb"] for r in (first, unchanged, changed))
            < 300,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"rada-sync-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(figures, indent=2))
    print(f"Rada sync: {args.bills} bills, {figures['dump_mb']} MB, {args.tracked} tracked")
    print(f"{'run':<32}{'s':>8}{'peak MB':>10}{'changes':>9}{'reviews':>9}{'tracked':>9}")
    for name, row in (
        ("first import", first),
        ("unchanged", unchanged),
        ("2 % changed (dry run)", changed),
    ):
        print(
            f"{name:<32}{row['seconds']:>8}{row['peak_rss_mb']:>10}{row['changes']:>9}"
            f"{row['reviews']:>9}{row['tracked']:>9}"
        )
    print(
        "goals:",
        ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in figures["goals"].items()),
    )
    print(f"JSON: {out}")
    if not args.keep_dump:
        dump.unlink()
    changed_dump.unlink()


if __name__ == "__main__":
    main()
