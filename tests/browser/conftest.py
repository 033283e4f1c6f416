"""Drive Debian's Chromium through Playwright against pytest-django's live server.

No browser is downloaded: the `chromium` on PATH is launched directly. Without it the
browser tests are skipped locally and fail on CI (`CI=true`), where `.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
MISSING = "Chromium is not installed; install it with `apt-get install chromium` to run this test."


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(MISSING, pytrace=False)
        pytest.skip(MISSING)
    return path


@pytest.fixture
def browser(chromium_path):
    """A browser for one test. Tests create their data in fixtures requested before this
    one: while Playwright runs, this thread has an event loop and its own context, and the
    database teardown (flush, serialized restore) must happen after it has stopped."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django would otherwise refuse
    # any database call made while it is running.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    """Open pages on the live server; each call is a fresh visitor (own cookies)."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(base_url=live_server.url, locale="en-GB", **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="module", autouse=True)
def _restorable_database(django_db_setup, django_db_blocker):
    """Let the serialized restore of these tests succeed after a transactional test that ran
    without `serialized_rollback`: that test's flush re-ran post_migrate, which recreated the
    content types and permissions under new ids (and no staff roles), so restoring the
    original rows would collide with them. Removing the recreated rows lets the restore put
    the originals back; after a serialized test the database is empty and this does nothing."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    with django_db_blocker.unblock():
        if not Group.objects.exists() and ContentType.objects.exists():
            ContentType.objects.all().delete()  # cascades to the recreated permissions
            ContentType.objects.clear_cache()
