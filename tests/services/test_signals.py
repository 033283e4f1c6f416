"""What the services announce after commit, and how the notification side hears it."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from tests.factories import make_law
from tracker.models import Event
from tracker.notifications import outbox
from tracker.services.signals import event_committed


@pytest.fixture
def heard():
    """Every `event_committed` sent while the test runs."""
    ids: list[int] = []

    def listen(sender, *, event_id, **kwargs):
        ids.append(event_id)

    event_committed.connect(listen)
    yield ids
    event_committed.disconnect(listen)


@pytest.fixture
def no_queue(monkeypatch):
    """The notification side's receiver, without a broker: what it would queue."""
    queued: list[int] = []
    monkeypatch.setattr(outbox, "event_committed", queued.append)
    return queued


@pytest.mark.django_db
def test_an_event_is_announced_once_its_transaction_commits(
    heard, no_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        law = make_law()
        assert heard == []  # not before the commit
    (event,) = Event.objects.filter(type="law.created", record_id=law.pk)
    assert heard == [event.pk]
    # The notification side's receiver, connected when the app is ready, queued it.
    assert no_queue == [event.pk]


@pytest.mark.django_db
def test_nothing_is_announced_when_the_transaction_rolls_back(
    heard, no_queue, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_law()
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert heard == []
    assert no_queue == []
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_broker_down_is_logged_and_the_event_waits_for_the_sweep(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(event_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(outbox, "event_committed", broker_down)
    with (
        caplog.at_level(logging.WARNING, logger="tracker.services.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        law = make_law()  # the write itself succeeds
    event = Event.objects.get(type="law.created", record_id=law.pk)
    assert event.fanned_out_at is None  # what the sweep looks for
    assert f"Could not queue event {event.pk}; the sweep will pick it up" in caplog.text
