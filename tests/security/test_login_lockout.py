"""The admin login locks a user out from an address after repeated wrong passwords; superusers
see the lockout in the admin and lift it."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from tests.factories import make_user

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "pw-for-tests-only"


def attempt(client: Client, username: str, password: str, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def target(db):
    return make_user(username="root", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_forty_wrong_passwords_then_the_right_one_is_refused(target):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(40):
        # A forged X-Forwarded-For does not make each guess come from somewhere new.
        attempt(guesser, "root", f"guess-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = attempt(guesser, "root", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(guesser)
    assert AccessAttempt.objects.get(username="root").failures_since_start >= (
        settings.AXES_FAILURE_LIMIT
    )


@pytest.mark.django_db
def test_the_lockout_is_per_user_and_address(target):
    other = make_user(username="liaison", role="Editors")
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(guesser, "root", f"guess-{n}")
    assert attempt(guesser, "root", PASSWORD).status_code == 429
    # Another user from the same address, and the same user from another address, still can.
    colleague = Client(REMOTE_ADDR="203.0.113.7")
    attempt(colleague, other.username, PASSWORD)
    assert logged_in(colleague)
    elsewhere = Client(REMOTE_ADDR="192.0.2.10")
    attempt(elsewhere, "root", PASSWORD)
    assert logged_in(elsewhere)


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_do_not_lock(target):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "root", f"guess-{n}")
    attempt(client, "root", PASSWORD)
    assert logged_in(client)


@pytest.mark.django_db
def test_a_superuser_sees_the_lockout_and_lifts_it(target):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        attempt(guesser, "root", f"guess-{n}")
    assert attempt(guesser, "root", PASSWORD).status_code == 429

    admin_user = make_user(username="security-officer", is_staff=True, is_superuser=True)
    officer = Client(REMOTE_ADDR="192.0.2.20")
    attempt(officer, admin_user.username, PASSWORD)
    assert logged_in(officer)
    listing = officer.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200
    assert "root" in listing.content.decode()
    assert "203.0.113.7" in listing.content.decode()
    lockout = AccessAttempt.objects.get(username="root")
    lifted = officer.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [lockout.pk], "post": "yes"},
        follow=True,
    )
    assert lifted.status_code == 200
    assert not AccessAttempt.objects.filter(username="root").exists()

    attempt(guesser, "root", PASSWORD)
    assert logged_in(guesser)


@pytest.mark.django_db
def test_staff_who_are_not_superusers_do_not_see_lockouts(target):
    editor = make_user(username="liaison", role="Editors")
    client = Client()
    client.force_login(editor)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
