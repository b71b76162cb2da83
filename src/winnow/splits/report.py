"""The result of a split: the tables per split and a summary for the dataset manifest.

Every split function returns a :class:`SplitResult` ``(tables, report)``. ``tables`` maps each
split's name to its rows (an Arrow table, rows in source order). ``report`` is a
:class:`SplitReport`: the rule (method, parameters, seed) and, per split, the row count, the
label distribution (when a label column is known) and the time range (when a time column is
known). ``report.to_dict()`` is plain JSON; ``report.to_table()`` is the summary table the CLI
writes next to the splits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, SchemaError
from winnow.timestamps import to_utc

__all__ = ["SplitReport", "SplitResult", "SplitStats", "split_stats", "time_values"]


@dataclass(frozen=True)
class SplitStats:
    """Rows, label distribution and time range of one split.

    Attributes
    ----------
    rows
        Number of rows.
    label_counts
        Rows per label value (text of the value -> count), ``None`` when no label column is known.
    time_min, time_max
        Earliest and latest time (ISO 8601 text for timestamps, the number for numeric time
        columns), ``None`` when no time column is known or the split is empty.
    """

    rows: int
    label_counts: dict[str, int] | None = None
    time_min: str | float | int | None = None
    time_max: str | float | int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as a JSON-ready dict."""
        return {
            "rows": self.rows,
            "label_counts": None if self.label_counts is None else dict(self.label_counts),
            "time_min": self.time_min,
            "time_max": self.time_max,
        }


@dataclass(frozen=True)
class SplitReport:
    """A JSON-ready description of one split run.

    Attributes
    ----------
    method
        ``"random"``, ``"time"``, ``"group"`` or ``"slices"``.
    parameters
        The rule's parameters (fractions, boundaries, gap, group columns, predicates...).
    seed
        The seed, or ``None`` for deterministic rules (time, slices).
    input_rows
        Rows in the input table.
    splits
        :class:`SplitStats` per split name, in split order.
    label, time
        The label and time columns the statistics were computed from (``None`` if not given).
    excluded_rows
        Rows in no split (time gaps); 0 for the covering rules.
    """

    method: str
    parameters: dict[str, Any]
    seed: int | dict[str, object] | None
    input_rows: int
    splits: dict[str, SplitStats]
    label: str | None = None
    time: str | None = None
    excluded_rows: int = 0
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict (the manifest's ``split`` entry)."""
        out: dict[str, Any] = {
            "method": self.method,
            "parameters": dict(self.parameters),
            "seed": self.seed,
            "input_rows": self.input_rows,
            "label": self.label,
            "time": self.time,
            "excluded_rows": self.excluded_rows,
            "splits": {name: s.to_dict() for name, s in self.splits.items()},
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_table(self) -> pa.Table:
        """Return the summary table: one row per split with ``split``, ``rows``,
        ``label_counts`` (JSON text or null), ``time_min`` and ``time_max`` (text or null)."""
        names = list(self.splits)
        stats = [self.splits[n] for n in names]
        return pa.table(
            {
                "split": pa.array(names, type=pa.string()),
                "rows": pa.array([s.rows for s in stats], type=pa.int64()),
                "label_counts": pa.array(
                    [
                        None if s.label_counts is None else json.dumps(s.label_counts)
                        for s in stats
                    ],
                    type=pa.string(),
                ),
                "time_min": pa.array(
                    [None if s.time_min is None else str(s.time_min) for s in stats],
                    type=pa.string(),
                ),
                "time_max": pa.array(
                    [None if s.time_max is None else str(s.time_max) for s in stats],
                    type=pa.string(),
                ),
            }
        )


class SplitResult(NamedTuple):
    """The result of a split function: ``tables, report = split(...)``.

    Attributes
    ----------
    tables
        ``dict[str, pyarrow.Table]``: split name -> its rows (source order, input schema).
    report
        The :class:`SplitReport` to record in the dataset manifest.
    """

    tables: dict[str, pa.Table]
    report: SplitReport

    def describe(self) -> dict[str, Any]:
        """Return ``report.to_dict()``: what the dataset manifest records for this split."""
        return self.report.to_dict()


def time_values(table: pa.Table, column: str, *, where: str) -> tuple[np.ndarray, str]:
    """Return a time column as ``int64`` UTC microseconds (``"timestamp"``) or as numbers.

    Timestamp and date columns are normalised with :func:`winnow.timestamps.to_utc`; integer
    and float columns are used as they are (``"number"``). Nulls are an error: a row without a
    time cannot be placed before or after a boundary.
    """
    if column not in table.column_names:
        raise ColumnNotFoundError(column, table.column_names, where=where)
    col = table[column]
    if col.null_count:
        raise SchemaError(
            f"{where}: time column {column!r} has {col.null_count} nulls; a row without a time "
            f"cannot be placed in a time split. Filter or fill them first"
        )
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        micros = to_utc(col, name=column).cast(pa.int64())
        return micros.to_numpy(), "timestamp"
    if pa.types.is_integer(col.type):
        return col.to_numpy().astype(np.int64), "number"
    if pa.types.is_floating(col.type):
        return col.to_numpy().astype(np.float64), "number"
    raise SchemaError(
        f"{where}: time column {column!r} has type {col.type}; expected a timestamp, date or number"
    )


def _time_text(value: int | float, kind: str) -> str | float | int:
    if kind == "timestamp":
        seconds, micros = divmod(int(value), 1_000_000)
        stamp = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micros)
        return stamp.isoformat()
    return float(value) if isinstance(value, float | np.floating) else int(value)


def split_stats(
    table: pa.Table, *, label: str | None, time: str | None, where: str
) -> SplitStats:
    """Return rows, label distribution and time range of one split's table."""
    counts: dict[str, int] | None = None
    if label is not None:
        if label not in table.column_names:
            raise ColumnNotFoundError(label, table.column_names, where=where)
        vc = pc.value_counts(table[label]).to_pylist()
        ordered = sorted(vc, key=lambda d: (d["values"] is None, str(d["values"])))
        counts = {
            ("null" if d["values"] is None else str(d["values"])): int(d["counts"])
            for d in ordered
        }
    tmin: str | float | int | None = None
    tmax: str | float | int | None = None
    if time is not None and table.num_rows:
        values, kind = time_values(table, time, where=where)
        tmin, tmax = _time_text(values.min(), kind), _time_text(values.max(), kind)
    return SplitStats(rows=table.num_rows, label_counts=counts, time_min=tmin, time_max=tmax)
