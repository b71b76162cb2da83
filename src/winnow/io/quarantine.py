"""The quarantine table: records that did not fit the schema, kept with where and why.

Nothing is dropped silently. A bad record is one row of the quarantine table with

- ``source``: the file it came from,
- ``position``: the 1-based physical line number for text formats (CSV, JSON Lines; the header
  is line 1), the 0-based row index for the others,
- ``column``: the column at fault (null when the whole record is at fault),
- ``reason``: what was expected and what was found,
- ``raw``: the record as text (the line itself for text formats, a JSON object otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

__all__ = ["QUARANTINE_SCHEMA", "empty_quarantine", "make_quarantine"]

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("position", pa.int64(), nullable=False),
        pa.field("column", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
    ]
)


def empty_quarantine() -> pa.Table:
    """Return a quarantine table with no rows."""
    return QUARANTINE_SCHEMA.empty_table()


def make_quarantine(
    source: str,
    positions: pa.Array | Sequence[int],
    columns: pa.Array | Sequence[str | None],
    reasons: pa.Array | Sequence[str],
    raw: pa.Array | Sequence[str | None],
) -> pa.Table:
    """Assemble a quarantine table from equal-length columns, sorted by position."""
    pos = pa.array(positions, pa.int64())
    table = pa.table(
        {
            "source": pa.array([source] * len(pos), pa.string()),
            "position": pos,
            "column": pa.array(columns, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "raw": pa.array(raw, pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )
    return table.sort_by("position") if table.num_rows > 1 else table
