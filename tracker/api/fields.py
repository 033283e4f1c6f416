from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def url_prefix(request, view_name: str) -> str:
    """The absolute URL of `view_name` for pk 0, minus the `0/`: a prefix to append ids to."""
    path = reverse(view_name, kwargs={"pk": 0})
    assert path.endswith("/0/"), path
    path = path[:-2]
    return request.build_absolute_uri(path) if request is not None else path


# The largest id a bigint column holds.
MAX_ID = 2**63 - 1
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}


@extend_schema_field(ID_SCHEMA)
class IdField(serializers.IntegerField):
    """A record's (or an entry's) id, an int64 in the schema."""


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction only: "300", 300.0 or true are refused, not coerced."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: 0, 1 or "yes" are refused rather than guessed at."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    """A JSON string only: a number is not taken for its digits."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.URI)
class RecordURLField(serializers.Field):
    """The record's own API URL, built without a reverse() per object."""

    def __init__(self, *, view_name: str, **kwargs: Any) -> None:
        self.view_name = view_name
        self._prefix: str | None = None
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, obj) -> str:
        if self._prefix is None:
            self._prefix = url_prefix(self.context.get("request"), self.view_name)
        return f"{self._prefix}{obj.pk}/"
