"""The transform steps of an ETL pipeline, each compiled to one DuckDB SQL query over Arrow.

A step is a plain, immutable description (no I/O). The pipeline runs it by registering the
previous step's Arrow table in DuckDB under a generated name, with a hidden sequence column
(``__winnow_seq``: the row's position in that table), and running the SQL the step builds.
Identifiers are always quoted; user SQL appears only where a step takes an expression
(``Filter.where``, ``Derive`` and ``Aggregate`` values), and the pipeline reports DuckDB's
complaint about it naming the step.

``Validate`` is the one step that is not a query: it checks an expectation suite on its input
(:func:`winnow.validation.validate`) and passes on the rows it does not quarantine.

Row order: steps that keep rows (select, rename, cast, filter, derive, validate) keep their
input order;
``Dedupe`` keeps the surviving rows in input order; ``Join`` orders by the left row, then the
right row; ``Aggregate`` orders groups by the ``by`` columns (nulls last).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import pyarrow as pa

from winnow.errors import DefinitionError
from winnow.etl._sql import check_columns, column_list, quote_ident
from winnow.etl.sources import Source

if TYPE_CHECKING:
    from winnow.validation import Expectation, ExpectationSuite, OnFail, ValidationReport

__all__ = [
    "SEQ",
    "Aggregate",
    "ArrowOutput",
    "Cast",
    "Dedupe",
    "Derive",
    "Filter",
    "Join",
    "Rename",
    "Select",
    "Step",
    "StepContext",
    "Validate",
]

SEQ = "__winnow_seq"

JoinHow = Literal["inner", "left", "right", "full", "semi", "anti"]


class StepContext(Protocol):
    """What a step may ask of the running pipeline: extra relations (the right side of a join)."""

    def relation(self, source: Source) -> tuple[str, list[str]]:
        """Extract ``source``, register it (with its sequence column) and return its name and
        its columns (without the sequence column)."""
        ...


@dataclass(frozen=True)
class ArrowOutput:
    """What a step that runs on Arrow rather than as one query (:class:`Validate`) returns.

    Attributes
    ----------
    table
        The step's output rows.
    quarantine
        Rows it moved to quarantine (winnow's quarantine layout), or ``None``.
    validation
        The validation report, when the step validated.
    """

    table: pa.Table
    quarantine: pa.Table | None = None
    validation: ValidationReport | None = None


class Step(ABC):
    """One transform. Subclasses set ``kind`` and build the step's SQL."""

    kind: ClassVar[str]

    def run_arrow(self, table: pa.Table, *, where: str) -> ArrowOutput | None:
        """Run a step that is not one SQL query on its input table; ``None`` (the default)
        means the pipeline runs :meth:`sql` instead."""
        return None

    @abstractmethod
    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """The query producing this step's output from ``relation`` (which has ``columns``).

        ``where`` names the step (``"step 3 (dedupe)"``) for error messages.
        """

    @abstractmethod
    def describe(self) -> str:
        """A one-line human description for the run report."""


def _names(value: str | Sequence[str], *, what: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names:
        raise DefinitionError(f"{what} is empty; give at least one column name")
    for name in names:
        if not isinstance(name, str) or not name:
            raise DefinitionError(f"{what} must be column names (strings), found {name!r}")
    return names


def _mapping(value: Mapping[str, str], *, what: str) -> tuple[tuple[str, str], ...]:
    items = tuple(value.items())
    if not items:
        raise DefinitionError(f"{what} is empty; give at least one name: value pair")
    for key, val in items:
        if not isinstance(key, str) or not isinstance(val, str) or not key or not val:
            raise DefinitionError(f"{what} maps names to strings, found {key!r}: {val!r}")
    return items


@dataclass(frozen=True, init=False)
class Select(Step):
    """Keep only some columns, in the given order, optionally renaming them.

    Parameters
    ----------
    columns
        Column names to keep, or a mapping ``{old: new}`` that keeps and renames.
    """

    kind: ClassVar[str] = "select"
    columns: tuple[tuple[str, str], ...]

    def __init__(self, columns: Sequence[str] | Mapping[str, str]) -> None:
        if isinstance(columns, Mapping):
            pairs = _mapping(columns, what="select")
        else:
            pairs = tuple((c, c) for c in _names(columns, what="select"))
        object.__setattr__(self, "columns", pairs)

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """``SELECT "a", "b" AS "c" FROM relation``."""
        check_columns([old for old, _ in self.columns], columns, where=where)
        _unique([new for _, new in self.columns], where=where)
        projection = ", ".join(f"{quote_ident(o)} AS {quote_ident(n)}" for o, n in self.columns)
        return f"SELECT {projection} FROM {relation}"

    def describe(self) -> str:
        """``select a, b as c``."""
        return "select " + ", ".join(o if o == n else f"{o} as {n}" for o, n in self.columns)


@dataclass(frozen=True, init=False)
class Rename(Step):
    """Rename some columns and keep all the others, in place.

    Parameters
    ----------
    mapping
        ``{old: new}``.
    """

    kind: ClassVar[str] = "rename"
    mapping: tuple[tuple[str, str], ...]

    def __init__(self, mapping: Mapping[str, str]) -> None:
        object.__setattr__(self, "mapping", _mapping(mapping, what="rename"))

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """Every column, the renamed ones under their new name."""
        renames = dict(self.mapping)
        check_columns(list(renames), columns, where=where)
        out = [renames.get(c, c) for c in columns]
        _unique(out, where=where)
        projection = ", ".join(
            f"{quote_ident(c)} AS {quote_ident(n)}" for c, n in zip(columns, out, strict=True)
        )
        return f"SELECT {projection} FROM {relation}"

    def describe(self) -> str:
        """``rename a -> b``."""
        return "rename " + ", ".join(f"{o} -> {n}" for o, n in self.mapping)


@dataclass(frozen=True, init=False)
class Cast(Step):
    """Cast columns to DuckDB SQL types (``BIGINT``, ``DOUBLE``, ``DECIMAL(12,2)``,
    ``TIMESTAMPTZ``, ``DATE``, ``VARCHAR``, ...).

    A value that does not convert fails the step with the column and value named; use a
    ``Derive`` with ``TRY_CAST`` to turn such values into nulls instead. Timestamps are
    interpreted in UTC.

    Parameters
    ----------
    types
        ``{column: sql_type}``.
    """

    kind: ClassVar[str] = "cast"
    types: tuple[tuple[str, str], ...]

    def __init__(self, types: Mapping[str, str]) -> None:
        object.__setattr__(self, "types", _mapping(types, what="cast"))

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """Every column, the cast ones replaced by ``CAST(col AS type)``."""
        types = dict(self.types)
        check_columns(list(types), columns, where=where)
        parts = []
        for c in columns:
            if c in types:
                parts.append(f"CAST({quote_ident(c)} AS {types[c]}) AS {quote_ident(c)}")
            else:
                parts.append(quote_ident(c))
        return f"SELECT {', '.join(parts)} FROM {relation}"

    def describe(self) -> str:
        """``cast a as BIGINT``."""
        return "cast " + ", ".join(f"{c} as {t}" for c, t in self.types)


@dataclass(frozen=True)
class Filter(Step):
    """Keep the rows for which a SQL predicate is true (null counts as false).

    Parameters
    ----------
    where
        A DuckDB SQL boolean expression over the input's columns, e.g. ``"amount > 0"``.
    """

    kind: ClassVar[str] = "filter"
    where: str

    def __post_init__(self) -> None:
        if not isinstance(self.where, str) or not self.where.strip():
            raise DefinitionError("filter needs a SQL predicate, e.g. where='amount > 0'")

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """``SELECT cols FROM relation WHERE (predicate)``."""
        return f"SELECT {column_list(columns)} FROM {relation} WHERE ({self.where})"

    def describe(self) -> str:
        """``filter <predicate>``."""
        return f"filter {self.where}"


@dataclass(frozen=True, init=False)
class Dedupe(Step):
    """Keep one row per key: the latest by ``latest_by``, ties broken by input order.

    The latest row is the one with the greatest ``latest_by`` values (compared in order);
    a null ``latest_by`` counts as older than any value. Among rows equal on ``latest_by``
    (or when ``latest_by`` is not given) the one later in the input wins, following the
    (time, sequence) order of DESIGN.md. Survivors keep their input order.

    Parameters
    ----------
    keys
        The key column(s).
    latest_by
        Time or version column(s) deciding which row is latest.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from winnow.etl import Pipeline
    >>> updates = pa.table({"id": [1, 1, 2, 1], "at": [5, 9, 1, 9], "v": ["a", "b", "c", "d"]})
    >>> Pipeline(extract=updates, steps=[Dedupe("id", latest_by="at")]).run().table.to_pydict()
    {'id': [2, 1], 'at': [1, 9], 'v': ['c', 'd']}
    """

    kind: ClassVar[str] = "dedupe"
    keys: tuple[str, ...]
    latest_by: tuple[str, ...]

    def __init__(
        self, keys: str | Sequence[str], *, latest_by: str | Sequence[str] | None = None
    ) -> None:
        object.__setattr__(self, "keys", _names(keys, what="dedupe keys"))
        order = () if latest_by is None else _names(latest_by, what="dedupe latest_by")
        object.__setattr__(self, "latest_by", order)

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """``QUALIFY row_number() OVER (PARTITION BY keys ORDER BY latest DESC, seq DESC) = 1``."""
        check_columns([*self.keys, *self.latest_by], columns, where=where)
        order = [f"{quote_ident(c)} DESC NULLS LAST" for c in self.latest_by]
        order.append(f"{quote_ident(SEQ)} DESC")
        return (
            f"SELECT {column_list(columns)} FROM {relation} "
            f"QUALIFY row_number() OVER (PARTITION BY {column_list(self.keys)} "
            f"ORDER BY {', '.join(order)}) = 1 ORDER BY {quote_ident(SEQ)}"
        )

    def describe(self) -> str:
        """``dedupe on k keeping latest by t``."""
        text = f"dedupe on {', '.join(self.keys)}"
        by = ", ".join(self.latest_by) if self.latest_by else "input order"
        return f"{text} keeping latest by {by}"


@dataclass(frozen=True, init=False)
class Derive(Step):
    """Add (or replace) columns computed by SQL expressions over the input's columns.

    Each expression sees the step's input only; to build on a derived column, add another
    derive step after this one. A name that already exists replaces that column in place.

    Parameters
    ----------
    columns
        ``{new_column: sql_expression}``.
    """

    kind: ClassVar[str] = "derive"
    columns: tuple[tuple[str, str], ...]

    def __init__(self, columns: Mapping[str, str]) -> None:
        object.__setattr__(self, "columns", _mapping(columns, what="derive"))

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """Every input column (replaced ones computed), then the new ones."""
        exprs = dict(self.columns)
        parts = [
            f"({exprs[c]}) AS {quote_ident(c)}" if c in exprs else quote_ident(c) for c in columns
        ]
        parts += [f"({e}) AS {quote_ident(n)}" for n, e in self.columns if n not in columns]
        return f"SELECT {', '.join(parts)} FROM {relation}"

    def describe(self) -> str:
        """``derive a = expr``."""
        return "derive " + ", ".join(f"{n} = {e}" for n, e in self.columns)


@dataclass(frozen=True, init=False)
class Join(Step):
    """Join another source onto the rows.

    Output columns: the left's columns in their order (the key columns once, under the left
    names), then the right's non-key columns; a right column whose name is taken gets
    ``suffix``. ``semi`` and ``anti`` keep only the left's columns (rows with / without a
    match). Null keys match nothing.

    Parameters
    ----------
    source
        The right side: any source (file, PostgreSQL, Arrow table).
    on
        Key column names shared by both sides, or ``{left_column: right_column}``.
    how
        ``inner``, ``left``, ``right``, ``full``, ``semi`` or ``anti``.
    suffix
        Appended to right-side column names that clash with the left's.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from winnow.etl import Pipeline
    >>> orders = pa.table({"customer": ["a", "b", "z"], "amount": [1.0, 2.0, 3.0]})
    >>> customers = pa.table({"customer": ["a", "b"], "country": ["FR", "DE"]})
    >>> step = Join(customers, on="customer", how="left")
    >>> Pipeline(extract=orders, steps=[step]).run().table.column("country").to_pylist()
    ['FR', 'DE', None]
    """

    kind: ClassVar[str] = "join"
    source: Source = field(repr=False)
    on: tuple[tuple[str, str], ...]
    how: JoinHow
    suffix: str

    def __init__(
        self,
        source: Source | Any,
        *,
        on: str | Sequence[str] | Mapping[str, str],
        how: JoinHow = "inner",
        suffix: str = "_right",
    ) -> None:
        from winnow.etl.sources import as_source

        if how not in ("inner", "left", "right", "full", "semi", "anti"):
            raise DefinitionError(
                f"join how={how!r} is not one of inner, left, right, full, semi, anti"
            )
        if isinstance(on, Mapping):
            pairs = _mapping(on, what="join on")
        else:
            pairs = tuple((c, c) for c in _names(on, what="join on"))
        object.__setattr__(self, "source", as_source(source, where="join source"))
        object.__setattr__(self, "on", pairs)
        object.__setattr__(self, "how", how)
        object.__setattr__(self, "suffix", suffix)

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """``SELECT ... FROM relation AS l <how> JOIN right AS r ON l.k = r.k ORDER BY ...``."""
        right, right_columns = context.relation(self.source)
        check_columns([left for left, _ in self.on], columns, where=f"{where}, left side")
        check_columns(
            [r for _, r in self.on], right_columns, where=f"{where}, right side ({right})"
        )
        # SQL equality: a null key matches nothing (as in every SQL engine)
        condition = " AND ".join(f"l.{quote_ident(a)} = r.{quote_ident(b)}" for a, b in self.on)
        order = f"l.{quote_ident(SEQ)}"
        if self.how in ("semi", "anti"):
            return (
                f"SELECT {', '.join('l.' + quote_ident(c) for c in columns)} FROM {relation} AS l "
                f"{self.how.upper()} JOIN {right} AS r ON {condition} ORDER BY {order}"
            )
        left_keys = [a for a, _ in self.on]
        right_keys = {b for _, b in self.on}
        parts = []
        for c in columns:
            if c in left_keys and self.how in ("right", "full"):
                b = dict(self.on)[c]
                parts.append(
                    f"COALESCE(l.{quote_ident(c)}, r.{quote_ident(b)}) AS {quote_ident(c)}"
                )
            else:
                parts.append(f"l.{quote_ident(c)}")
        taken = set(columns)
        for c in right_columns:
            if c in right_keys:
                continue
            name = c + self.suffix if c in taken else c
            if name in taken:
                raise DefinitionError(
                    f"{where}: right column {c!r} clashes with left column {name!r} even with "
                    f"suffix {self.suffix!r}; choose another suffix or rename a column first"
                )
            taken.add(name)
            parts.append(f"r.{quote_ident(c)} AS {quote_ident(name)}")
        order += f" NULLS LAST, r.{quote_ident(SEQ)} NULLS LAST"
        return (
            f"SELECT {', '.join(parts)} FROM {relation} AS l {self.how.upper()} JOIN {right} AS r "
            f"ON {condition} ORDER BY {order}"
        )

    def describe(self) -> str:
        """``left join <source> on k``."""
        keys = ", ".join(a if a == b else f"{a} = {b}" for a, b in self.on)
        return f"{self.how} join {self.source.describe()} on {keys}"


@dataclass(frozen=True, init=False)
class Aggregate(Step):
    """Group rows and compute aggregates with SQL aggregate expressions.

    Output: the ``by`` columns, then one column per aggregate, one row per group, groups
    ordered by the ``by`` columns (nulls last). With no ``by`` columns: one row for the table.
    Note that DuckDB's ``sum`` over integers is a 128-bit integer (Arrow ``decimal128(38, 0)``);
    write ``sum(x)::BIGINT`` for an int64.

    Parameters
    ----------
    by
        Group-by column(s); empty for a single total row.
    aggregates
        ``{output_column: aggregate_expression}``, e.g. ``{"n": "count(*)",
        "total": "sum(amount)"}``.
    """

    kind: ClassVar[str] = "aggregate"
    by: tuple[str, ...]
    aggregates: tuple[tuple[str, str], ...]

    def __init__(self, by: str | Sequence[str], aggregates: Mapping[str, str]) -> None:
        names = (by,) if isinstance(by, str) else tuple(by)
        object.__setattr__(self, "by", tuple(_names(names, what="aggregate by")) if names else ())
        object.__setattr__(self, "aggregates", _mapping(aggregates, what="aggregate"))

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """``SELECT by..., agg AS name FROM relation GROUP BY by ORDER BY by``."""
        check_columns(self.by, columns, where=where)
        _unique([*self.by, *(n for n, _ in self.aggregates)], where=where)
        parts = [quote_ident(c) for c in self.by]
        parts += [f"({e}) AS {quote_ident(n)}" for n, e in self.aggregates]
        sql = f"SELECT {', '.join(parts)} FROM {relation}"
        if self.by:
            keys = column_list(self.by)
            order = ", ".join(f"{quote_ident(c)} NULLS LAST" for c in self.by)
            sql += f" GROUP BY {keys} ORDER BY {order}"
        return sql

    def describe(self) -> str:
        """``aggregate n = count(*) by k``."""
        aggs = ", ".join(f"{n} = {e}" for n, e in self.aggregates)
        return f"aggregate {aggs}" + (f" by {', '.join(self.by)}" if self.by else "")


def _unique(names: Sequence[str], *, where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DefinitionError(
                f"{where}: output column {name!r} would appear twice; give it a distinct name"
            )
        seen.add(name)


@dataclass(frozen=True, init=False)
class Validate(Step):
    """Check the rows against an expectation suite (:mod:`winnow.validation`).

    Failing rows of expectations with ``on_fail="quarantine"`` leave the pipeline and join the
    run report's quarantine (source ``step N (validate)``, position = the row's 0-based index in
    the step's input); a failure with ``on_fail="fail"`` stops the run with
    :class:`~winnow.errors.ValidationError` before anything is loaded; ``warn`` logs. The
    step's report carries the validation results.

    Parameters
    ----------
    suite
        An :class:`~winnow.validation.ExpectationSuite`, a list of expectations, or a YAML
        suite file.
    on_fail
        Overrides the suite's default ``on_fail``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from winnow.etl import Pipeline
    >>> from winnow.validation import Expect
    >>> orders = pa.table({"id": [1, 2, 3], "amount": [5.0, -1.0, 7.0]})
    >>> step = Validate([Expect.in_range("amount", min=0)], on_fail="quarantine")
    >>> report = Pipeline(extract=orders, steps=[step]).run()
    >>> report.table.column("id").to_pylist(), report.steps[0].rows_quarantined
    ([1, 3], 1)
    """

    kind: ClassVar[str] = "validate"
    suite: ExpectationSuite

    def __init__(
        self,
        suite: ExpectationSuite | Sequence[Expectation] | str | os.PathLike[str],
        *,
        on_fail: OnFail | None = None,
    ) -> None:
        from winnow.validation import ExpectationSuite, load_expectations

        if isinstance(suite, (str, os.PathLike)):
            suite = load_expectations(suite)
        elif not isinstance(suite, ExpectationSuite):
            suite = ExpectationSuite(list(suite))
        if on_fail is not None:
            suite = suite.with_on_fail(on_fail)
        object.__setattr__(self, "suite", suite)

    def sql(self, relation: str, columns: list[str], *, where: str, context: StepContext) -> str:
        """The rows unchanged; the checks themselves run in :meth:`run_arrow`."""
        return f"SELECT {column_list(columns)} FROM {relation}"

    def run_arrow(self, table: pa.Table, *, where: str) -> ArrowOutput | None:
        """Validate ``table``; pass on the rows not quarantined."""
        from winnow.validation import validate

        report = validate(table, self.suite, source=where)
        quarantine = report.quarantine if report.quarantined else None
        return ArrowOutput(report.table, quarantine, report)

    def describe(self) -> str:
        """``validate 3 expectations (orders)``."""
        return f"validate {len(self.suite)} expectations ({self.suite.name})"
