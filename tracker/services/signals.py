"""What the services announce once their transaction has committed.

Services sit below the notification side and never import it: they send these signals, and
`tracker.notifications.receivers` (connected in `TrackerConfig.ready`) turns them into queued
work. With no receiver connected nothing is lost: the events and deliveries are rows, and
the periodic sweep queues whatever is due.
"""

from __future__ import annotations

from django.dispatch import Signal

# The transaction that wrote an event has committed. Keyword argument: `event_id`.
event_committed = Signal()

# A delivery was set to be sent now (a test message, a retry) and that is committed.
# Keyword argument: `delivery_id`.
delivery_requested = Signal()
