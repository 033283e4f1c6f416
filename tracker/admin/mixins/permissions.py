"""Who may do what to a record beyond Django's add, change and view."""

from __future__ import annotations


class SuperuserOnlyMixin:
    """Credentials (partner keys, staff tokens): seen and issued by superusers only, and never
    edited once issued; each admin decides about deletion."""

    def _superuser(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return False  # issued or revoked, never edited


class ReadOnlyMixin:
    """What the system writes and staff only read (deadlines, deliveries, imported bills, the
    other side of a relation): nobody adds, changes or deletes it here. Works for a model
    admin and for an inline."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
