import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import make_partner, make_user


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    # A request in Ukrainian leaves Ukrainian active in the thread; the next test reads English.
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def editor(db):
    return make_user(username="editor1", role="Editors")


@pytest.fixture
def viewer_user(db):
    return make_user(username="viewer1", role="Viewers")


@pytest.fixture
def superuser(db):
    return make_user(username="root1", is_superuser=True, is_staff=True)


@pytest.fixture
def germany(db):
    return make_partner("DE", name_en="Germany", name_uk="Німеччина")


@pytest.fixture
def france(db):
    return make_partner("FR", name_en="France", name_uk="Франція")


@pytest.fixture(autouse=True)
def _fresh_response_cache():
    # Event ids, the cache's version, can repeat between tests when a test's rows roll back.
    from django.core.cache import caches

    caches["responses"].clear()
    yield
    caches["responses"].clear()
