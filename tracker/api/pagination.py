"""Cursor pagination for the record lists: stable under concurrent inserts, page size capped.

The links to the next and previous pages are in the body (`next`, `previous`) and, for
clients that follow links generically, in an RFC 8288 `Link` header (`rel="next"`,
`rel="prev"`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, pagination
from rest_framework.response import Response

# The largest id a bigint holds: a position beyond it is not one this API gave.
_MAX_INTEGER = 2**63 - 1


def link_header(links: dict[str, str | None]) -> str | None:
    """`<url>; rel="next", <url>; rel="prev"` for the links that exist (RFC 8288)."""
    values = [f'<{url}>; rel="{rel}"' for rel, url in links.items() if url]
    return ", ".join(values) or None


class RecordCursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    ordering = "-updated_at"
    invalid_cursor_message = gettext_lazy(
        "This is not a cursor this API gave: follow `next` or `previous` as they are."
    )

    def __init__(self) -> None:
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model  # positions in cursors are checked against its fields
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """A cursor this API did not give is bad input (400), not a missing page (404).

        Cursors are only base64, so a caller can write any position into one: it must be a
        value of the ordering field before it reaches the database.
        """
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
        else:
            if cursor is None or cursor.position is None or self._is_position(cursor.position):
                return cursor
        raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def _is_position(self, position: str) -> bool:
        if "\x00" in position:
            return False
        model = getattr(self, "_model", None)
        try:
            field = model._meta.get_field(self.ordering[0].lstrip("-"))
        except (AttributeError, FieldDoesNotExist):
            return True
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        return not isinstance(value, int) or abs(value) <= _MAX_INTEGER

    def get_paginated_response(self, data) -> Response:
        next_url, previous_url = self.get_next_link(), self.get_previous_link()
        response = Response({"next": next_url, "previous": previous_url, "results": data})
        link = link_header({"next": next_url, "prev": previous_url})
        if link:
            response["Link"] = link
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
