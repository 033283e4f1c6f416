"""Relay from the event table to notification delivery."""

from __future__ import annotations


def event_committed(event_id: int) -> None:
    """Called once the transaction that wrote event `event_id` has committed."""
