import pytest

from tests.factories import make_partner, make_user


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


# --- Requests sent straight to the WSGI app ------------------------------------------------
@pytest.fixture(autouse=True)
def _request_signals_keep_the_test_connection():
    """Like Django's test client, keep request signals from closing the test's connection.

    Schema fuzzing calls the real WSGI handler, whose request_started/finished close any
    connection inside a transaction: the test's own, on PostgreSQL or a SQLite file.
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
