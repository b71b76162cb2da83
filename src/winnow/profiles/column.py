"""The profile of one column: counts, moments, distinct-count and quantile sketches, top values.

Every part merges without the data: counts add, moments combine by Chan's parallel formula
(count, mean and the sum of squared deviations ``m2``), the HyperLogLog registers take the
maximum, the quantile sketches merge, and category counts add. Updates take a whole Arrow column
at a time and run in Arrow and NumPy; the only Python loops run over the distinct categories of
a batch, never over its rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.profiles._hll import HyperLogLog, hash_floats, hash_strings
from winnow.profiles._kll import QuantileSketch

__all__ = ["ColumnKind", "ColumnProfile", "kind_of"]

ColumnKind = Literal["numeric", "categorical", "temporal", "other"]


def kind_of(typ: pa.DataType) -> ColumnKind:
    """How a column of this Arrow type is profiled."""
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "numeric"
    if (pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_boolean(typ)
            or pa.types.is_dictionary(typ) or pa.types.is_string_view(typ)):
        return "categorical"
    if pa.types.is_temporal(typ):
        return "temporal"
    return "other"


def _as_float(column: pa.ChunkedArray, kind: ColumnKind) -> np.ndarray:
    if kind == "temporal":
        typ = column.type
        if pa.types.is_timestamp(typ) and typ.tz is not None:
            column = column.cast(pa.timestamp(typ.unit))
        column = column.cast(pa.int64()) if not pa.types.is_date32(typ) else column.cast(
            pa.int32())
    values = pc.cast(column, pa.float64()).to_numpy()
    return np.asarray(values, dtype=np.float64)


@dataclass
class ColumnProfile:
    """What is known about one column, from every row seen so far.

    Attributes
    ----------
    name, kind, type
        Column name, how it is profiled, and its Arrow type (as text).
    rows, nulls
        Rows seen and null values among them.
    non_finite
        NaN and infinite values of a numeric column (kept out of moments and quantiles).
    count, mean, m2, min, max
        Moments of the finite values (``m2``: sum of squared deviations from the mean). For a
        temporal column the values are its integer units (microseconds for timestamps).
    distinct
        HyperLogLog sketch of the distinct non-null values.
    quantiles
        Quantile sketch of the finite values (numeric and temporal columns).
    categories, other, truncated
        Exact counts per value of a categorical column while it has at most ``max_categories``
        values; past that the rarest are folded into ``other`` and ``truncated`` is set.
    """

    name: str
    kind: ColumnKind
    type: str
    max_categories: int = 1000
    rows: int = 0
    nulls: int = 0
    non_finite: int = 0
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float | None = None
    max: float | None = None
    distinct: HyperLogLog = field(default_factory=HyperLogLog)
    quantiles: QuantileSketch | None = None
    categories: dict[str, int] | None = None
    other: int = 0
    truncated: bool = False

    @classmethod
    def empty(cls, name: str, typ: pa.DataType, *, kind: ColumnKind | None = None,
              k: int = 200, p: int = 12, max_categories: int = 1000,
              seed: int = 0) -> ColumnProfile:
        """A profile of no rows for a column of this type."""
        chosen = kind or kind_of(typ)
        return cls(
            name=name, kind=chosen, type=str(typ), max_categories=max_categories,
            distinct=HyperLogLog(p=p),
            quantiles=QuantileSketch(k=k, seed=seed) if chosen in ("numeric", "temporal")
            else None,
            categories={} if chosen == "categorical" else None,
        )

    # ------------------------------------------------------------------ derived values
    @property
    def null_rate(self) -> float:
        """Share of rows that are null (NaN when no rows were seen)."""
        return self.nulls / self.rows if self.rows else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof = 1) of the finite values; NaN below two values."""
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else math.nan

    @property
    def distinct_count(self) -> float:
        """Estimated number of distinct non-null values (exact for untruncated categories)."""
        if self.categories is not None and not self.truncated:
            return float(len(self.categories))
        return self.distinct.estimate()

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` most frequent categories with their counts (ties by value)."""
        if not self.categories:
            return []
        return sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    # ------------------------------------------------------------------ updates
    def update(self, column: pa.ChunkedArray | pa.Array) -> None:
        """Add the values of one Arrow column (a batch of rows)."""
        if isinstance(column, pa.Array):
            column = pa.chunked_array([column], type=column.type)
        self.rows += len(column)
        self.nulls += column.null_count
        if self.kind in ("numeric", "temporal"):
            self._update_numeric(column)
        elif self.kind == "categorical":
            self._update_categorical(column)

    def _update_numeric(self, column: pa.ChunkedArray) -> None:
        values = _as_float(column, self.kind)
        finite = np.isfinite(values)
        self.non_finite += int(values.size - finite.sum()) - column.null_count
        values = values[finite]
        if values.size == 0:
            return
        b_mean = float(values.mean())
        b_m2 = float(np.square(values - b_mean).sum())
        self._merge_moments(int(values.size), b_mean, b_m2, float(values.min()),
                            float(values.max()))
        self.distinct.update_hashes(hash_floats(values))
        assert self.quantiles is not None
        self.quantiles.update(values)

    def _update_categorical(self, column: pa.ChunkedArray) -> None:
        typ = column.type
        if pa.types.is_dictionary(typ) and not (pa.types.is_string(typ.value_type)
                                                or pa.types.is_large_string(typ.value_type)):
            column = column.cast(typ.value_type)
            typ = column.type
        if not (pa.types.is_dictionary(typ) or pa.types.is_string(typ)
                or pa.types.is_large_string(typ)):
            column = pc.cast(column, pa.string())
        counted = pc.value_counts(pc.drop_null(column))
        values = counted.field("values").to_pylist()
        counts = counted.field("counts").to_pylist()
        if not values:
            return
        self.distinct.update_hashes(hash_strings(values))
        self._add_categories(dict(zip(values, counts, strict=True)), 0)

    def _add_categories(self, counts: dict[str, int], other: int) -> None:
        assert self.categories is not None
        for value, n in counts.items():
            self.categories[value] = self.categories.get(value, 0) + n
        self.other += other
        if len(self.categories) > self.max_categories:
            kept = sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))
            self.other += sum(n for _, n in kept[self.max_categories:])
            self.categories = dict(kept[: self.max_categories])
            self.truncated = True

    def _merge_moments(self, n: int, mean: float, m2: float, lo: float, hi: float) -> None:
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)

    def merge(self, other: ColumnProfile) -> None:
        """Fold the profile of other rows of the same column into this one."""
        if other.kind != self.kind:
            from winnow.errors import SchemaError

            raise SchemaError(
                f"column {self.name!r} is {self.kind} ({self.type}) in one profile and "
                f"{other.kind} ({other.type}) in the other; profile both with the same types"
            )
        self.rows += other.rows
        self.nulls += other.nulls
        self.non_finite += other.non_finite
        if other.count:
            assert other.min is not None and other.max is not None
            self._merge_moments(other.count, other.mean, other.m2, other.min, other.max)
        self.distinct.merge(other.distinct)
        if self.quantiles is not None and other.quantiles is not None:
            self.quantiles.merge(other.quantiles)
        if self.categories is not None and other.categories is not None:
            self.truncated = self.truncated or other.truncated
            self._add_categories(other.categories, other.other)

    # ------------------------------------------------------------------ output
    def summary(self) -> dict[str, Any]:
        """Plain numbers for tables and reports."""
        out: dict[str, Any] = {
            "column": self.name,
            "kind": self.kind,
            "type": self.type,
            "rows": self.rows,
            "null_rate": self.null_rate,
            "distinct": round(self.distinct_count),
        }
        if self.quantiles is not None:
            q = self.quantiles.quantiles([0.05, 0.25, 0.5, 0.75, 0.95])
            out.update(
                mean=self.mean if self.count else None, std=self.std if self.count > 1 else None,
                min=self.min, p05=_num(q[0]), p25=_num(q[1]), median=_num(q[2]), p75=_num(q[3]),
                p95=_num(q[4]), max=self.max, non_finite=self.non_finite,
            )
        if self.categories is not None:
            seen = self.rows - self.nulls
            out["top"] = [
                {"value": v, "count": n, "share": n / seen if seen else math.nan}
                for v, n in self.top(5)
            ]
            out["truncated"] = self.truncated
        return out

    def to_json(self) -> dict[str, Any]:
        """The full profile as JSON (sketches in base64)."""
        return {
            "name": self.name, "kind": self.kind, "type": self.type,
            "max_categories": self.max_categories, "rows": self.rows, "nulls": self.nulls,
            "non_finite": self.non_finite, "count": self.count, "mean": self.mean,
            "m2": self.m2, "min": self.min, "max": self.max,
            "distinct": self.distinct.to_json(),
            "quantiles": None if self.quantiles is None else self.quantiles.to_json(),
            "categories": None if self.categories is None else dict(
                sorted(self.categories.items())),
            "other": self.other, "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnProfile:
        """Rebuild a profile written by :meth:`to_json`."""
        return cls(
            name=data["name"], kind=data["kind"], type=data["type"],
            max_categories=int(data["max_categories"]), rows=int(data["rows"]),
            nulls=int(data["nulls"]), non_finite=int(data["non_finite"]),
            count=int(data["count"]), mean=float(data["mean"]), m2=float(data["m2"]),
            min=data["min"], max=data["max"],
            distinct=HyperLogLog.from_json(data["distinct"]),
            quantiles=None if data["quantiles"] is None else QuantileSketch.from_json(
                data["quantiles"]),
            categories=None if data["categories"] is None else {
                str(k): int(v) for k, v in data["categories"].items()},
            other=int(data["other"]), truncated=bool(data["truncated"]),
        )


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
