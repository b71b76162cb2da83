"""``Expect``: one constructor per expectation kind, named as in the YAML format."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta

import pyarrow as pa

from winnow.validation.column_checks import (
    Bound,
    ColumnType,
    InRange,
    InSet,
    Length,
    MatchesRegex,
    NotNull,
)
from winnow.validation.key_checks import References, Unique
from winnow.validation.table_checks import Freshness, RowCount

__all__ = ["Expect"]


class Expect:
    """Build expectations: ``Expect.not_null("dep_delay")``, ``Expect.in_range("x", min=0)``.

    Every constructor takes keyword-only ``on_fail`` (``"quarantine"``, ``"fail"`` or
    ``"warn"``; default: the suite's) and ``name`` (a label for reports). Value checks ignore
    nulls; only :meth:`not_null` looks at them.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from winnow.validation import Expect, ExpectationSuite, validate
    >>> t = pa.table({"id": [1, 2, 2], "price": [3.5, None, -1.0]})
    >>> suite = ExpectationSuite(
    ...     [Expect.unique("id"), Expect.in_range("price", min=0)], on_fail="warn"
    ... )
    >>> for r in validate(t, suite).results:
    ...     print(r.name, r.passed, r.observed)
    unique(id) False {'duplicates': 1}
    in_range(price) False {'min': -1.0, 'max': 3.5, 'outside': 1}
    """

    @staticmethod
    def column_type(
        column: str, type: str, *, on_fail: str | None = None, name: str | None = None
    ) -> ColumnType:
        """The column's Arrow type is ``type``: a family (``integer``, ``float``,
        ``numeric``, ``decimal``, ``string``, ``boolean``, ``timestamp``, ``date``,
        ``binary``, ``list``) or an exact type (``int32``, ``timestamp[us, tz=UTC]``)."""
        return ColumnType(column, type, on_fail=on_fail, name=name)

    @staticmethod
    def not_null(
        column: str,
        *,
        max_null_rate: float = 0.0,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> NotNull:
        """At most ``max_null_rate`` (default 0: none) of the column's values are null."""
        return NotNull(column, max_null_rate=max_null_rate, on_fail=on_fail, name=name)

    @staticmethod
    def unique(
        columns: str | Sequence[str], *, on_fail: str | None = None, name: str | None = None
    ) -> Unique:
        """No duplicate key; several columns form one composite key."""
        return Unique(columns, on_fail=on_fail, name=name)

    @staticmethod
    def in_range(
        column: str,
        *,
        min: Bound | None = None,
        max: Bound | None = None,
        min_inclusive: bool = True,
        max_inclusive: bool = True,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> InRange:
        """Values lie in ``[min, max]`` (bounds optional; strict when ``*_inclusive=False``)."""
        return InRange(
            column,
            min=min,
            max=max,
            min_inclusive=min_inclusive,
            max_inclusive=max_inclusive,
            on_fail=on_fail,
            name=name,
        )

    @staticmethod
    def in_set(
        column: str,
        values: Sequence[Bound],
        *,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> InSet:
        """Values are among ``values``."""
        return InSet(column, values, on_fail=on_fail, name=name)

    @staticmethod
    def matches_regex(
        column: str, pattern: str, *, on_fail: str | None = None, name: str | None = None
    ) -> MatchesRegex:
        """String values match ``pattern`` as a whole (RE2 syntax)."""
        return MatchesRegex(column, pattern, on_fail=on_fail, name=name)

    @staticmethod
    def length(
        column: str,
        *,
        min: int | None = None,
        max: int | None = None,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> Length:
        """String values have ``min`` to ``max`` characters (inclusive)."""
        return Length(column, min=min, max=max, on_fail=on_fail, name=name)

    @staticmethod
    def row_count(
        *,
        min: int | None = None,
        max: int | None = None,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> RowCount:
        """The table has ``min`` to ``max`` rows (inclusive)."""
        return RowCount(min=min, max=max, on_fail=on_fail, name=name)

    @staticmethod
    def freshness(
        column: str,
        *,
        max_age: str | timedelta,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> Freshness:
        """The newest value of a time column is at most ``max_age`` (``"1d"``) before now."""
        return Freshness(column, max_age=max_age, on_fail=on_fail, name=name)

    @staticmethod
    def references(
        columns: str | Sequence[str],
        *,
        table: str | os.PathLike[str] | pa.Table,
        table_columns: str | Sequence[str] | None = None,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> References:
        """Every non-null key exists in ``table`` (a table, a file, or a name given to
        :func:`~winnow.validation.validate` in ``tables=``), in ``table_columns``."""
        return References(
            columns, table=table, table_columns=table_columns, on_fail=on_fail, name=name
        )
