"""The import contracts (.importlinter) hold, and would catch an import against them.

`make lint` runs the same check; here it fails `make test` too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(where / ".importlinter")],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """The project's packages and contracts, copied so a test may add a bad import."""
    where = tmp_path_factory.mktemp("source")
    for package in ("tracker", "config"):
        shutil.copytree(
            ROOT / package, where / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / ".importlinter", where)
    return where


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        # The import the services used to queue notifications with.
        (
            "tracker/services/events.py",
            "from tracker.notifications import outbox",
            "tracker.services is not allowed to import tracker.notifications",
        ),
        (
            "tracker/selectors.py",
            "from tracker.services import records",
            "tracker.selectors is not allowed to import tracker.services",
        ),
        (
            "tracker/models/common.py",
            "import tracker.selectors",
            "tracker.models is not allowed to import tracker.selectors",
        ),
        (
            "tracker/workflows.py",
            "import tracker.models",
            "tracker.workflows is not allowed to import tracker.models",
        ),
        (
            "tracker/web/__init__.py",
            "from tracker.api import serializers",
            "tracker.web is not allowed to import tracker.api",
        ),
        (
            "tracker/admin/__init__.py",
            "from tracker.notifications import payloads",
            "tracker.admin is not allowed to import tracker.notifications",
        ),
        (
            "tracker/notifications/__init__.py",
            "from celery import shared_task",
            "tracker is not allowed to import celery",
        ),
        (
            "tracker/services/records.py",
            "from config.settings import base",
            "tracker is not allowed to import config",
        ),
    ],
)
def test_an_import_against_the_contracts_fails(source_copy, module, line, expected):
    path = source_copy / module
    original = path.read_text()
    path.write_text(f"{original}\n{line}  # noqa\n")
    try:
        result = lint_imports(source_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert expected in result.stdout, result.stdout + result.stderr
