from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _


class TransitionNotAllowed(Exception):
    """A status change the workflow table does not allow from the record's current status.

    Raised too when the caller expected another current status: the record changed meanwhile.
    """

    def __init__(
        self,
        *,
        record_type: str,
        current_status: str,
        to_status: str,
        allowed: Sequence[str],
        expected_status: str | None = None,
    ) -> None:
        self.record_type = record_type
        self.current_status = current_status
        self.to_status = to_status
        self.allowed = list(allowed)
        self.expected_status = expected_status
        targets = ", ".join(self.allowed) or _("none (the status is final)")
        values = {
            "record_type": record_type,
            "current": current_status,
            "expected": expected_status,
            "to": to_status,
            "allowed": targets,
        }
        if expected_status is not None and expected_status != current_status:
            message = (
                _(
                    "The %(record_type)s changed meanwhile: its status is now '%(current)s', "
                    "not '%(expected)s'. Allowed next statuses: %(allowed)s."
                )
                % values
            )
        else:
            message = (
                _(
                    "A %(record_type)s cannot move from '%(current)s' to '%(to)s'. "
                    "Allowed next statuses: %(allowed)s."
                )
                % values
            )
        super().__init__(message)
        self.message = message


class TimelineConflict(TransitionNotAllowed):
    """A change to a record's timeline that would leave a path the workflow does not allow,
    or that touches an entry already corrected or retracted."""

    def __init__(
        self,
        *,
        record_type: str,
        current_status: str,
        to_status: str,
        allowed: Sequence[str],
        message: str,
    ) -> None:
        super().__init__(
            record_type=record_type,
            current_status=current_status,
            to_status=to_status,
            allowed=allowed,
        )
        self.args = (message,)
        self.message = message

    @classmethod
    def simple(cls, entry, message: str) -> TimelineConflict:
        record = entry.record
        return cls(
            record_type=record.record_type,
            current_status=record.status,
            to_status=getattr(entry, "to_status", record.status),
            allowed=record.workflow.allowed_targets(record.status),
            message=message,
        )


class PermissionDeniedError(Exception):
    """The acting user may not perform this write."""
