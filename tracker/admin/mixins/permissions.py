"""Who may do what to a record beyond Django's add, change and view."""

from __future__ import annotations


class RecordPermissionsMixin:
    def has_delete_permission(self, request, obj=None):
        # Staff archive; only a superuser deletes for good.
        return request.user.is_active and request.user.is_superuser

    def has_transition_permission(self, request, obj=None) -> bool:
        """Recording status changes and timeline entries (the `transition_<model>` permission)."""
        opts = self.model._meta
        return request.user.is_active and request.user.has_perm(
            f"{opts.app_label}.transition_{opts.model_name}"
        )
