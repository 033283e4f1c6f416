"""Concurrent writers on PostgreSQL: row locks for transitions, ordered commits for events."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import make_facility
from tracker.models import Event, Facility
from tracker.selectors import status_history
from tracker.services.errors import TransitionNotAllowed
from tracker.services.transitions import record_transition

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so there is no race to test",
    ),
    # serialized_rollback restores the rows data migrations made (staff groups) after the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The service's notion of today: the project's time zone, not the machine's.
TODAY = timezone.localdate


def _in_thread(target, results, barrier):
    def run():
        try:
            barrier.wait(timeout=10)
            results.append(("ok", target()))
        except Exception as exc:
            results.append(("error", exc))
        finally:
            connection.close()

    return threading.Thread(target=run)


def test_two_concurrent_transitions_from_the_same_state_apply_once():
    facility = make_facility()
    results: list[tuple[str, object]] = []
    barrier = threading.Barrier(2)

    def transition():
        # Each thread loads its own instance, as two staff members' requests would.
        record = Facility.objects.get(pk=facility.pk)
        return record_transition(
            record=record, to_status="agreement_signed", occurred_on=TODAY(), recorded_by=None
        )

    threads = [_in_thread(transition, results, barrier) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, TransitionNotAllowed), error
    assert error.current_status == "agreement_signed"
    assert status_history(facility).count() == 1
    assert Event.objects.filter(type="facility.status_changed", record_id=facility.pk).count() == 1
    facility.refresh_from_db()
    assert facility.status == "agreement_signed"


def test_event_ids_become_visible_in_increasing_order():
    path = ("agreement_signed", "financed", "under_construction", "operational", "suspended")
    facilities = [make_facility() for _ in range(4)]
    baseline = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    done = threading.Event()
    errors: list[BaseException] = []
    late_ids: list[tuple[int, int]] = []
    seen: set[int] = set()

    def writer(facility_id: int) -> None:
        try:
            rng = random.Random(facility_id)
            record = Facility.objects.get(pk=facility_id)
            for status in path:
                with transaction.atomic():
                    record_transition(
                        record=record, to_status=status, occurred_on=TODAY(), recorded_by=None
                    )
                    # More work after the event was written widens the window in which an
                    # unordered commit would let a reader see a later id first.
                    time.sleep(rng.uniform(0, 0.02))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def reader() -> None:
        highest = baseline
        try:
            while True:
                finished = done.is_set()
                ids = set(Event.objects.filter(id__gt=baseline).values_list("id", flat=True))
                new = ids - seen
                late_ids.extend((i, highest) for i in new if i < highest)
                seen.update(new)
                highest = max(seen, default=highest)
                if finished:
                    return
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    reader_thread = threading.Thread(target=reader)
    writers = [threading.Thread(target=writer, args=(f.pk,)) for f in facilities]
    reader_thread.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    done.set()
    reader_thread.join(timeout=30)

    assert not errors, errors
    assert len(seen) == len(facilities) * len(path)
    assert late_ids == [], f"ids that appeared after a higher id had been seen: {late_ids}"
