"""The demo shows deadlines: at least one running and one missed."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from tracker import deadlines as rules
from tracker.models import Deadline

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_running_and_a_missed_deadline(client):
    call_command("load_demo", verbosity=0)
    today = timezone.localdate()
    states = {rules.present(row, today)["state"] for row in Deadline.objects.all()}
    assert {"running", "overdue"} <= states
    page = client.get("/").content.decode()
    assert "due-list__overdue" in page and "days overdue" in page
