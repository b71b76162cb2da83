"""How the online engine stores column values, and how it writes them to JSON.

Aggregated columns are kept per key in NumPy arrays of one of three kinds: ``"i"`` (int64: Arrow
integers), ``"f"`` (float64: Arrow floats and decimals) and ``"o"`` (Python objects: strings,
booleans, timestamps, anything else), each with a validity mask so nulls are never confused with
values. Snapshots and dead letters encode the values that JSON cannot hold (datetimes, bytes,
decimals, non-finite floats) as small tagged objects that decode back exactly.
"""

from __future__ import annotations

import base64
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = ["Kind", "arrow_kind", "decode_value", "encode_value", "to_numpy", "value_kind"]

Kind = Literal["i", "f", "o"]


def arrow_kind(typ: pa.DataType) -> Kind:
    """The storage kind of an Arrow type: int64, float64 or Python objects."""
    if pa.types.is_integer(typ):
        return "i"
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "f"
    return "o"


def value_kind(value: Any) -> Kind:
    """The storage kind of a single Python value (used when events arrive one at a time)."""
    if isinstance(value, bool):
        return "o"
    if isinstance(value, (int, np.integer)):
        return "i"
    if isinstance(value, (float, Decimal, np.floating)):
        return "f"
    return "o"


def to_numpy(
    column: pa.Array | pa.ChunkedArray, kind: Kind
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """Return ``(values, valid)`` NumPy arrays for an Arrow column stored as ``kind``."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    valid = (
        np.ones(len(arr), dtype=bool)
        if arr.null_count == 0
        else arr.is_valid().to_numpy(zero_copy_only=False)
    )
    if kind == "i":
        ints = arr.cast(pa.int64()).fill_null(0)
        return ints.to_numpy(zero_copy_only=False), valid
    if kind == "f":
        floats = arr.cast(pa.float64()).fill_null(0.0)
        return floats.to_numpy(zero_copy_only=False), valid
    out = np.empty(len(arr), dtype=object)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        out[:] = arr.to_numpy(zero_copy_only=False)
    else:
        out[:] = arr.to_pylist()
    return out, valid


def encode_value(value: Any) -> Any:
    """Return a JSON-able form of ``value``; :func:`decode_value` inverts it exactly."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        return {"$timedelta": micros}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    raise TypeError(f"cannot encode a {type(value).__name__} value ({value!r}) as JSON")


def decode_value(value: Any) -> Any:
    """Invert :func:`encode_value` (lists come back as lists)."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, body),) = value.items()
    if tag == "$float":
        return float(body)
    if tag == "$datetime":
        return datetime.fromisoformat(body)
    if tag == "$date":
        return date.fromisoformat(body)
    if tag == "$time":
        return time.fromisoformat(body)
    if tag == "$timedelta":
        return timedelta(microseconds=body)
    if tag == "$decimal":
        return Decimal(body)
    if tag == "$bytes":
        return base64.b64decode(body)
    if tag == "$dict":
        return {_hashable(decode_value(k)): decode_value(v) for k, v in body}
    raise ValueError(f"unknown tag {tag!r} in encoded value")


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value
