"""Window aggregations: what a feature computes, defined once for every engine.

Each aggregation is a pure, immutable description: the aggregated column, the window and the
name. The batch engines (DuckDB, Spark) and the online engine read these descriptions; none of
them keeps a second copy of the semantics, which are (DESIGN.md section 3):

* the value for a query (key k, time t) aggregates the events of k with time in ``[t - w, t)``;
  a lifetime window is ``(-inf, t)``; events are ordered by (time, sequence);
* nulls in the aggregated column are ignored by every aggregation except :class:`Count`, which
  counts events;
* an empty window gives :attr:`Aggregation.empty`: 0 for counts, 0.0 for sums, null otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa

from winnow.errors import DefinitionError
from winnow.timestamps import format_duration, parse_duration

__all__ = [
    "LIFETIME",
    "Aggregation",
    "Count",
    "CountDistinct",
    "First",
    "Last",
    "LastK",
    "Max",
    "Mean",
    "Min",
    "Std",
    "Sum",
    "parse_window",
]

LIFETIME = "lifetime"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_window(window: str | int | None) -> int | None:
    """Return a window length in microseconds, or ``None`` for a lifetime window."""
    if window is None or window == LIFETIME:
        return None
    try:
        return parse_duration(window)
    except ValueError as exc:
        raise DefinitionError(f"bad window {window!r}: {exc}; or use 'lifetime'") from exc


def _snake(text: str) -> str:
    """``"Amount USD"`` -> ``amount_usd``, ``merchantName`` -> ``merchant_name``,
    ``HTTPStatus`` -> ``http_status``."""
    text = re.sub(r"[^0-9A-Za-z]+", "_", text)
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    return text.strip("_").lower()


@dataclass(frozen=True)
class Aggregation:
    """Base of every window aggregation; use a subclass such as :class:`Sum`."""

    column: str | None = None
    window: str = LIFETIME
    name: str | None = None

    kind: ClassVar[str] = ""
    #: the aggregated column must be numeric
    numeric: ClassVar[bool] = False
    #: the aggregated column is required (Count does not take one)
    needs_column: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.needs_column and not (isinstance(self.column, str) and self.column):
            raise DefinitionError(
                f"{type(self).__name__} needs the column to aggregate, "
                f"e.g. {type(self).__name__}('amount', window='7d')"
            )
        window_text = LIFETIME if self.window is None else str(self.window)
        object.__setattr__(self, "window", window_text)
        parse_window(window_text)
        if self.name is not None and not _NAME.match(self.name):
            raise DefinitionError(
                f"feature name {self.name!r} is not a valid identifier; "
                f"use letters, digits and underscores"
            )

    @property
    def window_micros(self) -> int | None:
        """The window length in microseconds, ``None`` for lifetime."""
        return parse_window(self.window)

    @property
    def window_label(self) -> str:
        """The window as used in names: the canonical duration text, or '' for lifetime."""
        micros = self.window_micros
        return "" if micros is None else format_duration(micros)

    @property
    def feature_name(self) -> str:
        """The feature's name inside its group: ``name=`` or ``{agg}_{column}_{window}``."""
        if self.name:
            return self.name
        parts = [self.kind]
        if self.column:
            parts.append(_snake(self.column))
        if self.window_label:
            parts.append(self.window_label)
        return "_".join(parts)

    @property
    def empty(self) -> Any:
        """The value of the aggregation over an empty window."""
        return None

    def output_type(self, input_type: pa.DataType | None) -> pa.DataType:
        """The Arrow type of the feature, given the aggregated column's type."""
        assert input_type is not None
        return input_type

    def params(self) -> dict[str, Any]:
        """A JSON-able description, used in manifests and hashes."""
        return {
            "agg": self.kind,
            "column": self.column,
            "window": self.window,
            "name": self.feature_name,
        }


@dataclass(frozen=True, init=False)
class Count(Aggregation):
    """Number of events in the window (nulls in any column are counted)."""

    column: str | None = None
    kind: ClassVar[str] = "count"
    needs_column: ClassVar[bool] = False

    def __init__(self, window: str = LIFETIME, *, name: str | None = None) -> None:
        object.__setattr__(self, "column", None)
        object.__setattr__(self, "window", window)
        object.__setattr__(self, "name", name)
        self.__post_init__()

    @property
    def empty(self) -> Any:
        return 0

    def output_type(self, input_type: pa.DataType | None) -> pa.DataType:
        return pa.int64()


@dataclass(frozen=True, init=False)
class _ColumnAggregation(Aggregation):
    def __init__(self, column: str, window: str = LIFETIME, *, name: str | None = None) -> None:
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "window", window)
        object.__setattr__(self, "name", name)
        self.__post_init__()


@dataclass(frozen=True, init=False)
class Sum(_ColumnAggregation):
    """Sum of the non-null values in the window (0.0 when there are none)."""

    kind: ClassVar[str] = "sum"
    numeric: ClassVar[bool] = True

    @property
    def empty(self) -> Any:
        return 0.0

    def output_type(self, input_type: pa.DataType | None) -> pa.DataType:
        return pa.float64()


@dataclass(frozen=True, init=False)
class Mean(_ColumnAggregation):
    """Arithmetic mean of the non-null values in the window."""

    kind: ClassVar[str] = "mean"
    numeric: ClassVar[bool] = True

    def output_type(self, input_type: pa.DataType | None) -> pa.DataType:
        return pa.float64()


@dataclass(frozen=True, init=False)
class Std(_ColumnAggregation):
    """Sample standard deviation (ddof=1) of the non-null values; null with fewer than two."""

    kind: ClassVar[str] = "std"
    numeric: ClassVar[bool] = True

    def output_type(self, input_type: pa.DataType | None) -> pa.DataType:
        return pa.float64()


@dataclass(frozen=True, init=False)
class Min(_ColumnAggregation):
    """Smallest non-null value in the window; keeps the column's type."""

    kind: ClassVar[str] = "min"
    numeric: ClassVar[bool] = True


@dataclass(frozen=True, init=False)
class Max(_ColumnAggregation):
    """Largest non-null value in the window; keeps the column's type."""

    kind: ClassVar[str] = "max"
    numeric: ClassVar[bool] = True


@dataclass(frozen=True, init=False)
class First(_ColumnAggregation):
    """The earliest non-null value in the window (lifetime unless ``window=`` is given)."""

    kind: ClassVar[str] = "first"


@dataclass(frozen=True, init=False)
class Last(_ColumnAggregation):
    """The latest non-null value in the window (lifetime unless ``window=`` is given)."""

    kind: ClassVar[str] = "last"


@dataclass(frozen=True, init=False)
class LastK(Aggregation):
    """The ``k`` latest non-null values in the window as a list, newest first.

    An empty window gives null (not an empty list), like every non-count aggregation.
    """

    k: int = field(default=1)
    kind: ClassVar[str] = "last_k"

    def __init__(
        self, column: str, *, k: int, window: str = LIFETIME, name: str | None = None
    ) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise DefinitionError(f"LastK needs a positive integer k, got {k!r}")
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "window", window)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "k", k)
        self.__post_init__()

    @property
    def feature_name(self) -> str:
        if self.name:
            return self.name
        parts = [f"last{self.k}", _snake(self.column or "")]
        if self.window_label:
            parts.append(self.window_label)
        return "_".join(parts)

    def output_type(self, input_type: pa.DataType | None) -> pa.DataType:
        assert input_type is not None
        return pa.list_(input_type)

    def params(self) -> dict[str, Any]:
        return {**super().params(), "k": self.k}


@dataclass(frozen=True, init=False)
class CountDistinct(_ColumnAggregation):
    """Number of distinct non-null values in the window (0 when there are none)."""

    kind: ClassVar[str] = "count_distinct"

    @property
    def empty(self) -> Any:
        return 0

    def output_type(self, input_type: pa.DataType | None) -> pa.DataType:
        return pa.int64()
