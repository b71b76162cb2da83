"""What every expectation is: a named check of one table, with what to do when it fails.

An expectation is a plain, immutable description (no I/O). The evaluator
(:mod:`winnow.validation.evaluate`) asks each one for

- the SQL aggregate expressions it needs (all expectations of a table share one DuckDB query),
- a judgement of those aggregates (passed, the observed value, the failing-row count),
- for row-level expectations, the SQL condition that marks a failing row (used only in the
  second pass that fetches failing-row samples and quarantines rows).

Row-level expectations (not null, range, set, regex, length, unique, references) have failing
rows that can be quarantined; table-level ones (column type, row count, freshness) have none.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Literal

import pyarrow as pa

from winnow.errors import DefinitionError

__all__ = [
    "ON_FAIL",
    "Expectation",
    "Judgement",
    "OnFail",
    "SqlContext",
    "bounds_params",
    "bounds_text",
    "column_names",
    "sql_literal",
]

OnFail = Literal["quarantine", "fail", "warn"]
ON_FAIL: tuple[OnFail, ...] = ("quarantine", "fail", "warn")


@dataclass(frozen=True)
class SqlContext:
    """Names the evaluator gives an expectation when it builds SQL.

    Attributes
    ----------
    table
        Alias of the validated table in the query (columns are written ``t."col"``).
    index
        The expectation's index in its suite; an expectation that joins another table
        (references) names its join ``__ref_<index>``.
    schema
        The validated table's Arrow schema.
    position
        The column holding each row's 0-based position (only in the second pass).
    """

    table: str
    index: int
    schema: pa.Schema
    position: str = "__winnow_pos"

    def col(self, name: str) -> str:
        """``t."name"``: a quoted, table-qualified column reference."""
        return f"{self.table}.{quote_ident(name)}"

    def all_present(self, names: Sequence[str]) -> str:
        """SQL: none of the columns is null."""
        return " AND ".join(f"{self.col(n)} IS NOT NULL" for n in names)


@dataclass(frozen=True)
class Judgement:
    """An expectation's verdict on the aggregates of one table.

    Attributes
    ----------
    passed
        Whether the expectation holds.
    observed
        What was measured, JSON-able (e.g. ``{"null_rate": 0.12, "nulls": 3}``).
    failing_rows
        Rows that break a row-level expectation; ``None`` for table-level ones.
    """

    passed: bool
    observed: dict[str, object]
    failing_rows: int | None


def quote_ident(name: str) -> str:
    """Quote a column name for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object, *, where: str) -> str:
    """A DuckDB SQL literal for a bound or set member (number, text, bool, date, datetime)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise DefinitionError(f"{where}: NaN cannot be a bound or an allowed value")
        if math.isinf(value):
            return "'inf'::DOUBLE" if value > 0 else "'-inf'::DOUBLE"
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
        return f"TIMESTAMPTZ '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    raise DefinitionError(
        f"{where}: {value!r} ({type(value).__name__}) is not a number, string, bool, date or "
        f"datetime; use one of those"
    )


def column_names(value: str | Sequence[str], *, what: str) -> tuple[str, ...]:
    """One column name or a non-empty list of them, as a tuple."""
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names:
        raise DefinitionError(f"{what}: give at least one column name")
    for name in names:
        if not isinstance(name, str) or not name:
            raise DefinitionError(f"{what}: column names must be non-empty strings, got {name!r}")
    return names


class Expectation(ABC):
    """One check of a table. Build them with :class:`winnow.validation.Expect`.

    Attributes
    ----------
    kind
        The expectation's kind as written in YAML (``not_null``, ``in_range``, ...).
    row_level
        Whether single rows can fail it (and be quarantined).
    columns
        The columns it checks (empty for row counts).
    on_fail
        ``"quarantine"``, ``"fail"`` or ``"warn"``; ``None`` takes the suite's.
    name
        A label for reports and errors, ``kind(columns)`` by default.
    """

    kind: ClassVar[str]
    row_level: ClassVar[bool]
    columns: tuple[str, ...]
    on_fail: OnFail | None
    name: str

    def _init_common(self, columns: tuple[str, ...], on_fail: str | None, name: str | None) -> None:
        if on_fail is not None and on_fail not in ON_FAIL:
            raise DefinitionError(
                f"{self.kind}({', '.join(columns)}): on_fail={on_fail!r} is not one of "
                f"{', '.join(ON_FAIL)}"
            )
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "on_fail", on_fail)
        label = name if name is not None else self.default_name(columns)
        if not isinstance(label, str) or not label:
            raise DefinitionError(f"{self.kind}: name must be a non-empty string, got {name!r}")
        object.__setattr__(self, "name", label)

    @classmethod
    def default_name(cls, columns: tuple[str, ...]) -> str:
        """``kind(col, ...)``, or just ``kind`` for a table-wide expectation."""
        return f"{cls.kind}({', '.join(columns)})" if columns else cls.kind

    def check_schema(self, schema: pa.Schema, *, where: str) -> None:
        """Raise if the table lacks a column or has a type this expectation cannot check.

        The default checks only that the columns exist.
        """
        from winnow.errors import ColumnNotFoundError

        for column in self.columns:
            if column not in schema.names:
                raise ColumnNotFoundError(
                    column, schema.names, where=f"{where}, expectation {self.name}"
                )

    @abstractmethod
    def aggregates(self, ctx: SqlContext) -> list[str]:
        """SQL aggregate expressions over the table (may be empty)."""

    @abstractmethod
    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Turn the values of :meth:`aggregates` (same order) into a verdict.

        ``rows`` is the table's row count, ``now`` the reference time of freshness checks.
        """

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """A SQL boolean that is true exactly on the failing rows; ``None`` if table-level."""
        return None

    def join_clause(self, ctx: SqlContext) -> str | None:
        """A ``LEFT JOIN`` this expectation adds to the table (references); ``None`` if none."""
        return None

    @abstractmethod
    def expected(self) -> str:
        """What the expectation demands, in words (``null rate <= 0``)."""

    @abstractmethod
    def params(self) -> dict[str, object]:
        """The parameters besides the columns, as in YAML (JSON-able)."""

    def to_dict(self) -> dict[str, object]:
        """The expectation as one YAML list item's mapping (without the kind key)."""
        out: dict[str, object] = {}
        if self.columns:
            out["column" if len(self.columns) == 1 else "columns"] = (
                self.columns[0] if len(self.columns) == 1 else list(self.columns)
            )
        out.update(self.params())
        if self.on_fail is not None:
            out["on_fail"] = self.on_fail
        if self.name != self.default_name(self.columns):
            out["name"] = self.name
        return out

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"expectations are immutable; build a new one to change {name}")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Expectation)
            and type(self) is type(other)
            and self.to_dict() == other.to_dict()
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self), self.on_fail, self.name))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        cols = ", ".join(map(repr, self.columns))
        inner = ", ".join(p for p in (cols, params) if p)
        return f"{type(self).__name__}({inner})"


def json_value(value: Any) -> object:
    """A DuckDB result value as plain JSON (times as ISO text, decimals as float)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)




def bounds_text(
    low: Any, high: Any, *, low_inclusive: bool = True, high_inclusive: bool = True
) -> str:
    """Say optional bounds in words for a result's ``expected``: ``>= 0 and < 10``."""
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inclusive else '>'} {json_value(low)}")
    if high is not None:
        parts.append(f"{'<=' if high_inclusive else '<'} {json_value(high)}")
    return " and ".join(parts)


def bounds_params(
    low: Any, high: Any, *, low_inclusive: bool = True, high_inclusive: bool = True
) -> dict[str, object]:
    """Optional bounds as parameters (the inclusive flags only when a bound is strict)."""
    out: dict[str, object] = {}
    if low is not None:
        out["min"] = json_value(low)
        if not low_inclusive:
            out["min_inclusive"] = False
    if high is not None:
        out["max"] = json_value(high)
        if not high_inclusive:
            out["max_inclusive"] = False
    return out
