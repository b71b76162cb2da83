"""Time conventions shared by every part of winnow.

Times are UTC with microsecond precision (``timestamp[us, tz=UTC]``). A naive timestamp is read
as UTC. Durations ("30s", "10m", "1h", "7d", "2w") are parsed to integer microseconds so that
window arithmetic is exact.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import SchemaError

__all__ = [
    "TIMESTAMP",
    "UNIT_MICROS",
    "format_duration",
    "parse_duration",
    "to_micros",
    "to_utc",
]

TIMESTAMP = pa.timestamp("us", tz="UTC")

UNIT_MICROS: dict[str, int] = {
    "us": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60 * 1_000_000,
    "h": 3_600 * 1_000_000,
    "d": 86_400 * 1_000_000,
    "w": 7 * 86_400 * 1_000_000,
}

_DURATION = re.compile(r"^\s*(\d+)\s*(us|ms|s|m|h|d|w)\s*$")


def parse_duration(text: str | int | timedelta) -> int:
    """Return a duration in microseconds from ``"30s"``, ``"10m"``, ``"1h"``, ``"7d"``, ``"2w"``.

    An ``int`` is taken as microseconds; a :class:`~datetime.timedelta` is converted exactly.
    """
    if isinstance(text, bool):
        raise SchemaError(f"duration must be a string like '7d', got {text!r}")
    if isinstance(text, int):
        if text <= 0:
            raise SchemaError(f"duration must be positive, got {text} microseconds")
        return text
    if isinstance(text, timedelta):
        micros = (text.days * 86_400 + text.seconds) * 1_000_000 + text.microseconds
        if micros <= 0:
            raise SchemaError(f"duration must be positive, got {text}")
        return micros
    match = _DURATION.match(str(text))
    if not match:
        raise SchemaError(
            f"cannot parse duration {text!r}: write a positive integer and a unit, one of "
            f"{', '.join(UNIT_MICROS)} (for example '30s', '10m', '1h', '7d')"
        )
    value = int(match.group(1))
    if value <= 0:
        raise SchemaError(f"duration {text!r} must be positive")
    return value * UNIT_MICROS[match.group(2)]


def format_duration(micros: int) -> str:
    """Return the exact text of a duration in its largest whole unit, up to days (7d, 90m)."""
    for unit in ("d", "h", "m", "s", "ms", "us"):
        size = UNIT_MICROS[unit]
        if micros % size == 0:
            return f"{micros // size}{unit}"
    return f"{micros}us"


def to_utc(column: pa.Array | pa.ChunkedArray, *, name: str = "time") -> pa.ChunkedArray:
    """Cast a timestamp (or date) column to ``timestamp[us, tz=UTC]``; naive values are UTC."""
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    typ = chunked.type
    if pa.types.is_timestamp(typ):
        # Arrow stores timestamps as UTC instants; a naive one is relabelled as UTC, an aware
        # one converted, and the unit set to microseconds. Nanoseconds are truncated toward
        # zero, as every engine does (docs/semantics.md), instead of failing the cast.
        if typ == TIMESTAMP:
            return chunked
        return pc.cast(chunked, TIMESTAMP, safe=typ.unit != "ns")
    if pa.types.is_date(typ):
        return chunked.cast(pa.timestamp("us")).cast(TIMESTAMP)
    raise SchemaError(
        f"column {name!r} has type {typ}, not a timestamp; cast it first "
        f"(for example with a schema that declares {name!r} as 'timestamp')"
    )


def to_micros(value: datetime | str | int | None) -> int | None:
    """Return microseconds since the epoch (UTC) for a datetime, ISO string or int micros."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SchemaError(f"cannot read {value!r} as a time")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise SchemaError(f"cannot parse time {value!r}: use ISO 8601") from exc
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        delta = value - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    raise SchemaError(f"cannot read {value!r} ({type(value).__name__}) as a time")
