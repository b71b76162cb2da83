"""Feature values and entity keys as JSON: one canonical form for stores and the HTTP API.

Feature values become plain JSON: integers, floats (non-finite ones as null), strings, booleans,
lists; timestamps as ISO 8601 strings in UTC; dates as ``YYYY-MM-DD``; decimals as floats; bytes
as base64 text. Entity keys get a canonical token (a compact JSON array of the key's values) so a
key written by the stream consumer and a key parsed from a request meet on the same Redis hash.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from winnow.timestamps import to_micros

__all__ = ["json_value", "key_token"]


def json_value(value: Any) -> Any:
    """Return ``value`` as a JSON-ready Python value (see the module docs)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if hasattr(value, "item"):  # NumPy scalars
        return json_value(value.item())
    return str(value)


def _key_part(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_micros(value)
    return json_value(value)


def key_token(values: Sequence[Any]) -> str:
    """The canonical text of a (possibly composite) key: ``[7]``, ``["JFK","LAX"]``."""
    return json.dumps([_key_part(v) for v in values], separators=(",", ":"), ensure_ascii=False)
