"""Deleting for good through `record_delete`: what it refuses is said, not a server error."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import NestedObjects, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import HttpResponseRedirect

from tracker.models import Event
from tracker.services.errors import PermissionDeniedError
from tracker.services.records import record_delete


class DeleteRefused(Exception):
    """`record_delete` refused; the admin says why instead of failing."""


class RecordDeleteMixin:
    def delete_model(self, request, obj):
        try:
            record_delete(record=obj, actor=request.user)
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            raise DeleteRefused(" ".join(exc.messages)) from exc

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            for record in queryset:
                self.delete_model(request, record)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            collector = NestedObjects(using=router.db_for_write(self.model))
            collector.collect(objs)
            # `record_delete` unlinks the events from the status changes it deletes: the
            # audit trail stays and does not block the deletion.
            if all(isinstance(obj, Event) for obj in collector.protected):
                protected = []
        return to_delete, model_count, perms_needed, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DeleteRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(self._url("change", unquote(object_id)))

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except DeleteRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
