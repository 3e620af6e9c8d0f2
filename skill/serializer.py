"""A faster drop-in for the SDK's ``DefaultSerializer`` on the request path.

Reading the envelope and writing the response are most of a warm request's cost, and most
of that is work the SDK redoes for every nested object: importing the model class by name,
parsing the timestamp with dateutil's general parser (~55 us), and rebuilding each model
class's attribute map. This subclass caches the classes and their attribute maps and reads
the ISO 8601 timestamps Alexa sends with ``datetime.fromisoformat`` (falling back to the
SDK's parser for anything else). Two of its overrides are private methods of ask-sdk-core
1.19 (pinned in requirements/); ``tests/test_serializer.py`` checks that envelopes and
responses come out exactly as with the SDK's own serializer.
"""

from __future__ import annotations

import decimal
from datetime import date, datetime
from enum import Enum
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer


class FastSerializer(DefaultSerializer):
    """``DefaultSerializer`` with cached class lookups and a fast ISO timestamp path."""

    def __init__(self) -> None:
        self._classes: dict[str, Any] = {}
        self._fields: dict[type, tuple[tuple[str, str], ...]] = {}

    def serialize(self, obj: Any) -> Any:
        """As ``DefaultSerializer.serialize``, with each model class's fields looked up once."""
        if obj is None or isinstance(obj, str | bool | int | float | bytes):
            return obj
        if isinstance(obj, dict):
            return {key: self.serialize(value) for key, value in obj.items()}
        if isinstance(obj, list):
            return [self.serialize(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.serialize(item) for item in obj)
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, decimal.Decimal):
            return int(obj) if obj % 1 == 0 else float(obj)
        fields = self._fields.get(type(obj))
        if fields is None:
            attribute_map = getattr(obj, "attribute_map", {})
            fields = self._fields[type(obj)] = tuple(
                (attribute, attribute_map.get(attribute, attribute))
                for attribute in obj.deserialized_types
            )
        serialised = {}
        for attribute, key in fields:
            value = getattr(obj, attribute)
            if value is not None:
                serialised[key] = self.serialize(value)
        return serialised

    def deserialize_document(self, document: Any, obj_type: Any) -> Any:
        """A model object from an already parsed JSON document (the SDK's own reader).

        ``DefaultSerializer.deserialize`` takes text and parses it; the Lambda runtime and
        the web entry have the parsed document already, so this skips a second encode and
        parse (its private ``__deserialize``, ask-sdk-core 1.19, pinned).
        """
        return self._DefaultSerializer__deserialize(document, obj_type)  # type: ignore[attr-defined]

    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:
        cached = self._classes.get(class_name)
        if cached is None:
            cached = self._classes[class_name] = super()._DefaultSerializer__load_class_from_name(  # type: ignore[misc]
                class_name
            )
        return cached

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        if isinstance(payload, str):
            try:
                parsed = datetime.fromisoformat(payload)
            except ValueError:
                pass
            else:
                return parsed.date() if obj_type is date else parsed
        return super()._DefaultSerializer__deserialize_datetime(payload, obj_type)  # type: ignore[misc]
