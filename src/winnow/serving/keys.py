"""Parse entity keys from request text and JSON to the types of the group's key columns.

A key's type comes from the group's key schema (written by the stream consumer, or read from the
group's event source), never from the look of the text: for an ``int64`` key ``"7"`` is 7 and
``"7.5"`` or ``"abc"`` is an error; for a string key ``"007"`` stays ``"007"``.

Composite keys (``key=["origin", "dest"]``): in a URL path, the values in key order joined by
commas (``/features/route/JFK,LAX``); in a JSON body, a list in key order (``["JFK", "LAX"]``)
or an object by column (``{"origin": "JFK", "dest": "LAX"}``). A value holding a comma can only
be given in a JSON body.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from winnow.errors import SchemaError

__all__ = ["KeyParser"]

_INT = re.compile(r"^[+-]?\d+$")


def _int_bounds(typ: pa.DataType) -> tuple[int, int]:
    bits = typ.bit_width
    if pa.types.is_signed_integer(typ):
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


class KeyParser:
    """Turn request keys into tuples of typed values for one feature group.

    Parameters
    ----------
    group
        The group's name (for messages).
    schema
        The Arrow schema of the key columns, in key order.

    Examples
    --------
    >>> import pyarrow as pa
    >>> parser = KeyParser("card", pa.schema([("card_id", pa.int64())]))
    >>> parser.from_path("7"), parser.from_json(8)
    ((7,), (8,))
    """

    def __init__(self, group: str, schema: pa.Schema) -> None:
        self.group = group
        self.schema = schema
        self.columns = list(schema.names)

    def _error(self, column: str, typ: pa.DataType, value: Any, why: str) -> SchemaError:
        return SchemaError(
            f"key {value!r} of feature group {self.group!r}: column {column!r} is {typ}, "
            f"{why}"
        )

    def _from_text(self, text: str, field: pa.Field) -> Any:
        typ = field.type
        if pa.types.is_integer(typ):
            if not _INT.match(text.strip()):
                raise self._error(field.name, typ, text, "so give an integer")
            return self._check_int(int(text), field)
        if pa.types.is_floating(typ):
            try:
                number = float(text)
            except ValueError:
                raise self._error(field.name, typ, text, "so give a number") from None
            if not math.isfinite(number):
                raise self._error(field.name, typ, text, "so give a finite number")
            return number
        if pa.types.is_boolean(typ):
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise self._error(field.name, typ, text, "so give true or false")
            return lowered == "true"
        if pa.types.is_timestamp(typ):
            try:
                value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise self._error(field.name, typ, text, "so give an ISO 8601 time") from None
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if pa.types.is_date(typ):
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise self._error(field.name, typ, text, "so give a YYYY-MM-DD date") from None
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            return text
        raise self._error(field.name, typ, text, "a type keys cannot be served by")

    def _check_int(self, value: int, field: pa.Field) -> int:
        low, high = _int_bounds(field.type)
        if not low <= value <= high:
            raise self._error(field.name, field.type, value, f"so it must lie in [{low}, {high}]")
        return value

    def _from_value(self, value: Any, field: pa.Field) -> Any:
        typ = field.type
        if isinstance(value, str):
            return self._from_text(value, field)
        if isinstance(value, bool):
            if pa.types.is_boolean(typ):
                return value
            raise self._error(field.name, typ, value, "not a boolean")
        if isinstance(value, int) and pa.types.is_integer(typ):
            return self._check_int(value, field)
        if isinstance(value, (int, float)) and pa.types.is_floating(typ):
            if not math.isfinite(float(value)):
                raise self._error(field.name, typ, value, "so give a finite number")
            return float(value)
        raise self._error(
            field.name, typ, value, f"but the request gave a JSON {type(value).__name__}"
        )

    def from_path(self, text: str) -> tuple[Any, ...]:
        """Parse a key written in a URL path (composite keys: values joined by commas)."""
        parts = [text] if len(self.columns) == 1 else text.split(",")
        if len(parts) != len(self.columns):
            raise SchemaError(
                f"key {text!r} of feature group {self.group!r} has {len(parts)} part(s), but "
                f"the key is {self.columns}; write the values in that order joined by commas"
            )
        return tuple(self._from_text(p, f) for p, f in zip(parts, self.schema, strict=True))

    def from_json(self, value: Any) -> tuple[Any, ...]:
        """Parse a key from a JSON body: a scalar, a list in key order, or an object."""
        fields: Sequence[pa.Field] = list(self.schema)
        if isinstance(value, dict):
            missing = [c for c in self.columns if c not in value]
            extra = [c for c in value if c not in self.columns]
            if missing or extra:
                raise SchemaError(
                    f"key {value!r} of feature group {self.group!r} must name exactly the key "
                    f"columns {self.columns} (missing {missing}, unexpected {extra})"
                )
            values = [value[c] for c in self.columns]
        elif isinstance(value, list):
            values = value
        else:
            values = [value]
        if len(values) != len(fields):
            raise SchemaError(
                f"key {value!r} of feature group {self.group!r} has {len(values)} value(s), but "
                f"the key is {self.columns}; give them in that order"
            )
        return tuple(self._from_value(v, f) for v, f in zip(values, fields, strict=True))
