"""Expectations on the values of one column: type, not null, range, allowed set, regex, length.

Nulls fail only :class:`NotNull`; every other value check ignores them (declare ``not_null``
as well to forbid them). NaN is outside every range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar

import pyarrow as pa

from winnow.errors import DefinitionError, SchemaError
from winnow.validation.expectation import (
    Expectation,
    Judgement,
    SqlContext,
    bounds_params,
    bounds_text,
    json_value,
    sql_literal,
)

__all__ = [
    "TYPE_FAMILIES",
    "ColumnType",
    "InRange",
    "InSet",
    "Length",
    "MatchesRegex",
    "NotNull",
]

Bound = int | float | str | date | datetime

#: Type names that match a whole family of Arrow types (any width, unit or time zone).
TYPE_FAMILIES: dict[str, Any] = {
    "integer": pa.types.is_integer,
    "float": pa.types.is_floating,
    "numeric": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)
    or pa.types.is_decimal(t),
    "decimal": pa.types.is_decimal,
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)
    or pa.types.is_string_view(t),
    "boolean": pa.types.is_boolean,
    "timestamp": pa.types.is_timestamp,
    "date": pa.types.is_date,
    "binary": lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t),
    "list": lambda t: pa.types.is_list(t) or pa.types.is_large_list(t),
}


def _field(schema: pa.Schema, name: str) -> pa.DataType:
    return schema.field(name).type


def _require_string(expectation: Expectation, schema: pa.Schema, *, where: str) -> None:
    typ = _field(schema, expectation.columns[0])
    if not TYPE_FAMILIES["string"](typ):
        raise SchemaError(
            f"{where}, expectation {expectation.name}: column {expectation.columns[0]!r} is "
            f"{typ}, not a string; cast it to string first (e.g. a cast step to VARCHAR)"
        )


class ColumnType(Expectation):
    """The column has an Arrow type: a family (``integer``, ``float``, ``numeric``,
    ``decimal``, ``string``, ``boolean``, ``timestamp``, ``date``, ``binary``, ``list``) or an
    exact type as Arrow prints it (``int32``, ``double``, ``timestamp[us, tz=UTC]``)."""

    kind: ClassVar[str] = "column_type"
    row_level: ClassVar[bool] = False
    type: str

    def __init__(
        self, column: str, type: str, *, on_fail: str | None = None, name: str | None = None
    ) -> None:
        if not isinstance(type, str) or not type.strip():
            raise DefinitionError(f"column_type({column}): type must be a type name string")
        object.__setattr__(self, "type", type.strip())
        self._init_common((column,), on_fail, name)
        if self.type not in TYPE_FAMILIES:
            self._exact()  # an unknown exact type fails now, naming the families

    def _exact(self) -> str:
        try:
            return str(pa.type_for_alias(self.type))
        except ValueError:
            pass
        if re.fullmatch(r"[a-z_]+[0-9]*(\[.+\]|\(.+\))", self.type):
            return self.type  # parametrised types are compared as Arrow prints them
        raise DefinitionError(
            f"column_type({self.columns[0]}): {self.type!r} is not an Arrow type; use a family "
            f"({', '.join(TYPE_FAMILIES)}) or an exact type such as int64, double, string, "
            f"timestamp[us, tz=UTC]"
        )

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """None: the type is read from the schema."""
        return []

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Compare the column's Arrow type with the expected family or exact type."""
        typ = _field(schema, self.columns[0])
        family = TYPE_FAMILIES.get(self.type)
        ok = bool(family(typ)) if family is not None else str(typ) == self._exact()
        return Judgement(ok, {"type": str(typ)}, None)

    def expected(self) -> str:
        """``type float64`` / ``type in family numeric``."""
        if self.type in TYPE_FAMILIES:
            return f"type in family {self.type}"
        return f"type {self._exact()}"

    def params(self) -> dict[str, object]:
        """``{"type": ...}``."""
        return {"type": self.type}


class NotNull(Expectation):
    """No nulls in the column, or at most a share ``max_null_rate`` of them.

    The failing rows are the null ones; they are quarantined only when the null rate exceeds
    ``max_null_rate``.
    """

    kind: ClassVar[str] = "not_null"
    row_level: ClassVar[bool] = True
    max_null_rate: float

    def __init__(
        self,
        column: str,
        *,
        max_null_rate: float = 0.0,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        if (
            isinstance(max_null_rate, bool)
            or not isinstance(max_null_rate, (int, float))
            or not 0.0 <= max_null_rate <= 1.0
        ):
            raise DefinitionError(
                f"not_null({column}): max_null_rate must be a number in [0, 1], got "
                f"{max_null_rate!r}"
            )
        object.__setattr__(self, "max_null_rate", float(max_null_rate))
        self._init_common((column,), on_fail, name)

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """The null count."""
        return [f"count(*) - count({ctx.col(self.columns[0])})"]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Null rate = nulls / rows (0 for an empty table)."""
        nulls = int(values[0] or 0)
        rate = nulls / rows if rows else 0.0
        return Judgement(rate <= self.max_null_rate, {"null_rate": rate, "nulls": nulls}, nulls)

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """``col IS NULL``."""
        return f"{ctx.col(self.columns[0])} IS NULL"

    def expected(self) -> str:
        """``null rate <= 0``."""
        return f"null rate <= {self.max_null_rate:g}"

    def params(self) -> dict[str, object]:
        """``{"max_null_rate": ...}`` when not 0."""
        return {"max_null_rate": self.max_null_rate} if self.max_null_rate else {}


class InRange(Expectation):
    """Every non-null value lies within ``[min, max]`` (each bound optional; ``min_inclusive``
    and ``max_inclusive`` make it strict when false). NaN is outside every range."""

    kind: ClassVar[str] = "in_range"
    row_level: ClassVar[bool] = True
    min: Bound | None
    max: Bound | None
    min_inclusive: bool
    max_inclusive: bool

    def __init__(
        self,
        column: str,
        *,
        min: Bound | None = None,
        max: Bound | None = None,
        min_inclusive: bool = True,
        max_inclusive: bool = True,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        where = f"in_range({column})"
        if min is None and max is None:
            raise DefinitionError(f"{where}: give min=, max= or both")
        for bound in (min, max):
            if bound is not None:
                sql_literal(bound, where=where)
        if min is not None and max is not None:
            try:
                if min > max:  # type: ignore[operator]
                    raise DefinitionError(f"{where}: min {min!r} is greater than max {max!r}")
            except TypeError as exc:
                raise DefinitionError(
                    f"{where}: min {min!r} and max {max!r} are not comparable; give both as "
                    f"numbers, strings, dates or datetimes"
                ) from exc
        object.__setattr__(self, "min", min)
        object.__setattr__(self, "max", max)
        object.__setattr__(self, "min_inclusive", bool(min_inclusive))
        object.__setattr__(self, "max_inclusive", bool(max_inclusive))
        self._init_common((column,), on_fail, name)

    def _outside(self, ctx: SqlContext) -> str:
        col = ctx.col(self.columns[0])
        parts = []
        if self.min is not None:
            op = "<" if self.min_inclusive else "<="
            parts.append(f"{col} {op} {sql_literal(self.min, where=self.name)}")
        if self.max is not None:
            op = ">" if self.max_inclusive else ">="
            parts.append(f"{col} {op} {sql_literal(self.max, where=self.name)}")
        if pa.types.is_floating(_field(ctx.schema, self.columns[0])):
            parts.append(f"isnan({col})")
        return f"({col} IS NOT NULL AND ({' OR '.join(parts)}))"

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """min, max and the count of values outside."""
        col = ctx.col(self.columns[0])
        return [f"min({col})", f"max({col})", f"count(*) FILTER (WHERE {self._outside(ctx)})"]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Passed when no value is outside."""
        outside = int(values[2] or 0)
        observed = {"min": json_value(values[0]), "max": json_value(values[1]), "outside": outside}
        return Judgement(outside == 0, observed, outside)

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """The value is not null and outside the range."""
        return self._outside(ctx)

    def expected(self) -> str:
        """``>= 0 and <= 10``."""
        return bounds_text(self.min, self.max, low_inclusive=self.min_inclusive,
                           high_inclusive=self.max_inclusive)

    def params(self) -> dict[str, object]:
        """The bounds and (when strict) the inclusive flags."""
        return bounds_params(self.min, self.max, low_inclusive=self.min_inclusive,
                             high_inclusive=self.max_inclusive)


class InSet(Expectation):
    """Every non-null value is one of ``values``."""

    kind: ClassVar[str] = "in_set"
    row_level: ClassVar[bool] = True
    values: tuple[Bound, ...]

    def __init__(
        self,
        column: str,
        values: Sequence[Bound],
        *,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        where = f"in_set({column})"
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence | set | frozenset):
            raise DefinitionError(f"{where}: values must be a list, got {values!r}")
        members = tuple(v for v in values if v is not None)
        if not members:
            raise DefinitionError(f"{where}: give at least one allowed value")
        for value in members:
            sql_literal(value, where=where)
        object.__setattr__(self, "values", members)
        self._init_common((column,), on_fail, name)

    def _outside(self, ctx: SqlContext) -> str:
        col = ctx.col(self.columns[0])
        members = ", ".join(sql_literal(v, where=self.name) for v in self.values)
        return f"({col} IS NOT NULL AND {col} NOT IN ({members}))"

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """Rows and distinct values outside the set."""
        cond = self._outside(ctx)
        col = ctx.col(self.columns[0])
        return [f"count(*) FILTER (WHERE {cond})", f"count(DISTINCT {col}) FILTER (WHERE {cond})"]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Passed when no value is outside."""
        outside = int(values[0] or 0)
        observed: dict[str, object] = {"outside": outside, "distinct_outside": int(values[1] or 0)}
        return Judgement(outside == 0, observed, outside)

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """The value is not null and not in the set."""
        return self._outside(ctx)

    def expected(self) -> str:
        """``in {A, B}``."""
        shown = ", ".join(str(json_value(v)) for v in self.values[:10])
        more = f", ... ({len(self.values)} values)" if len(self.values) > 10 else ""
        return f"in {{{shown}{more}}}"

    def params(self) -> dict[str, object]:
        """``{"values": [...]}``."""
        return {"values": [json_value(v) for v in self.values]}


class MatchesRegex(Expectation):
    """Every non-null value of a string column matches ``pattern`` as a whole (DuckDB's
    ``regexp_full_match``, RE2 syntax: no look-around or back-references)."""

    kind: ClassVar[str] = "matches_regex"
    row_level: ClassVar[bool] = True
    pattern: str

    def __init__(
        self, column: str, pattern: str, *, on_fail: str | None = None, name: str | None = None
    ) -> None:
        if not isinstance(pattern, str) or not pattern:
            raise DefinitionError(f"matches_regex({column}): pattern must be a non-empty string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise DefinitionError(
                f"matches_regex({column}): {pattern!r} is not a valid regular expression: {exc}"
            ) from exc
        object.__setattr__(self, "pattern", pattern)
        self._init_common((column,), on_fail, name)

    def check_schema(self, schema: pa.Schema, *, where: str) -> None:
        """The column exists and holds strings."""
        super().check_schema(schema, where=where)
        _require_string(self, schema, where=where)

    def _outside(self, ctx: SqlContext) -> str:
        col = ctx.col(self.columns[0])
        return (
            f"({col} IS NOT NULL AND NOT regexp_full_match({col}, "
            f"{sql_literal(self.pattern, where=self.name)}))"
        )

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """Count of non-matching values."""
        return [f"count(*) FILTER (WHERE {self._outside(ctx)})"]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Passed when every value matches."""
        bad = int(values[0] or 0)
        return Judgement(bad == 0, {"not_matching": bad}, bad)

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """The value is not null and does not match."""
        return self._outside(ctx)

    def expected(self) -> str:
        """``matches /pattern/``."""
        return f"matches /{self.pattern}/"

    def params(self) -> dict[str, object]:
        """``{"pattern": ...}``."""
        return {"pattern": self.pattern}


class Length(Expectation):
    """Every non-null string has between ``min`` and ``max`` characters (inclusive)."""

    kind: ClassVar[str] = "length"
    row_level: ClassVar[bool] = True
    min: int | None
    max: int | None

    def __init__(
        self,
        column: str,
        *,
        min: int | None = None,
        max: int | None = None,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        where = f"length({column})"
        if min is None and max is None:
            raise DefinitionError(f"{where}: give min=, max= or both")
        for bound in (min, max):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int) or bound < 0
            ):
                raise DefinitionError(f"{where}: bounds must be integers >= 0, got {bound!r}")
        if min is not None and max is not None and min > max:
            raise DefinitionError(f"{where}: min {min} is greater than max {max}")
        object.__setattr__(self, "min", min)
        object.__setattr__(self, "max", max)
        self._init_common((column,), on_fail, name)

    def check_schema(self, schema: pa.Schema, *, where: str) -> None:
        """The column exists and holds strings."""
        super().check_schema(schema, where=where)
        _require_string(self, schema, where=where)

    def _outside(self, ctx: SqlContext) -> str:
        col = ctx.col(self.columns[0])
        parts = []
        if self.min is not None:
            parts.append(f"length({col}) < {self.min}")
        if self.max is not None:
            parts.append(f"length({col}) > {self.max}")
        return f"({col} IS NOT NULL AND ({' OR '.join(parts)}))"

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """Shortest and longest length, and the count outside the bounds."""
        col = ctx.col(self.columns[0])
        return [
            f"min(length({col}))",
            f"max(length({col}))",
            f"count(*) FILTER (WHERE {self._outside(ctx)})",
        ]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Passed when no length is outside."""
        outside = int(values[2] or 0)
        observed = {"min_length": values[0], "max_length": values[1], "outside": outside}
        return Judgement(outside == 0, observed, outside)

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """The value is not null and its length is outside the bounds."""
        return self._outside(ctx)

    def expected(self) -> str:
        """``length >= 1 and <= 8``."""
        return "length " + bounds_text(self.min, self.max)

    def params(self) -> dict[str, object]:
        """The bounds given."""
        return bounds_params(self.min, self.max)
