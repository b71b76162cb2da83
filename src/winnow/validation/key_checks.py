"""Expectations on keys: uniqueness (one or more columns) and references to another table.

Both follow SQL key semantics: a row with a null in any key column is not checked (declare
``not_null`` on the key to forbid nulls).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from winnow.errors import DefinitionError
from winnow.validation.expectation import (
    Expectation,
    Judgement,
    SqlContext,
    column_names,
    quote_ident,
)

__all__ = ["References", "Unique"]


def _tuple(ctx: SqlContext, names: Sequence[str]) -> str:
    cols = [ctx.col(n) for n in names]
    return cols[0] if len(cols) == 1 else f"({', '.join(cols)})"


class Unique(Expectation):
    """No two rows share a key (one column or several together).

    The first row of a key (in row order) is kept; every later row with the same key is a
    duplicate: that is the failing row, and the observed value is the number of duplicates.
    """

    kind: ClassVar[str] = "unique"
    row_level: ClassVar[bool] = True

    def __init__(
        self,
        columns: str | Sequence[str],
        *,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        self._init_common(column_names(columns, what="unique"), on_fail, name)

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """Keyed rows minus distinct keys."""
        present = ctx.all_present(self.columns)
        return [
            f"count(*) FILTER (WHERE {present}) - "
            f"count(DISTINCT {_tuple(ctx, self.columns)}) FILTER (WHERE {present})"
        ]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Passed when there is no duplicate."""
        duplicates = int(values[0] or 0)
        return Judgement(duplicates == 0, {"duplicates": duplicates}, duplicates)

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """Keyed, and not the first row of its key."""
        keys = ", ".join(ctx.col(n) for n in self.columns)
        return (
            f"({ctx.all_present(self.columns)} AND row_number() OVER (PARTITION BY {keys} "
            f"ORDER BY {ctx.table}.{ctx.position}) > 1)"
        )

    def expected(self) -> str:
        """``no duplicate (a, b)``."""
        return f"no duplicate ({', '.join(self.columns)})"

    def params(self) -> dict[str, object]:
        """No parameters besides the columns."""
        return {}


class References(Expectation):
    """Every (non-null) key of the table exists in another table: a foreign-key check.

    Parameters
    ----------
    columns
        The referencing column(s) of the validated table.
    table
        The referenced table: a ``pyarrow.Table``, a file path (any format winnow reads), or
        the name of a table passed to :func:`~winnow.validation.validate` in ``tables=``
        (a dataset's other inputs, say).
    table_columns
        The referenced column(s), in the same order; default: the same names as ``columns``.
    """

    kind: ClassVar[str] = "references"
    row_level: ClassVar[bool] = True
    table: str | Path | pa.Table
    table_columns: tuple[str, ...]

    def __init__(
        self,
        columns: str | Sequence[str],
        *,
        table: str | os.PathLike[str] | pa.Table,
        table_columns: str | Sequence[str] | None = None,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        cols = column_names(columns, what="references")
        other = cols if table_columns is None else column_names(
            table_columns, what="references table_columns"
        )
        if len(other) != len(cols):
            raise DefinitionError(
                f"references({', '.join(cols)}): {len(cols)} column(s) but {len(other)} "
                f"table_columns; give one referenced column per referencing column"
            )
        if isinstance(table, os.PathLike):
            table = Path(table)
        if not isinstance(table, (str, Path, pa.Table)):
            raise DefinitionError(
                f"references({', '.join(cols)}): table must be a pyarrow.Table, a file path or "
                f"a table name, got {type(table).__name__}"
            )
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "table_columns", other)
        self._init_common(cols, on_fail, name)

    def relation(self, ctx: SqlContext) -> str:
        """The name under which the evaluator registers the referenced table."""
        return f"__ref_table_{ctx.index}"

    def _alias(self, ctx: SqlContext) -> str:
        return f"__ref_{ctx.index}"

    def join_clause(self, ctx: SqlContext) -> str | None:
        """``LEFT JOIN (SELECT DISTINCT keys FROM other) AS __ref_i ON ...``."""
        alias = self._alias(ctx)
        select = ", ".join(
            f"{quote_ident(c)} AS k{j}" for j, c in enumerate(self.table_columns)
        )
        present = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in self.table_columns)
        on = " AND ".join(f"{ctx.col(c)} = {alias}.k{j}" for j, c in enumerate(self.columns))
        return (
            f"LEFT JOIN (SELECT DISTINCT {select} FROM {self.relation(ctx)} WHERE {present}) "
            f"AS {alias} ON {on}"
        )

    def _missing(self, ctx: SqlContext) -> str:
        return f"({ctx.all_present(self.columns)} AND {self._alias(ctx)}.k0 IS NULL)"

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """Rows and distinct keys without a match."""
        cond = self._missing(ctx)
        return [
            f"count(*) FILTER (WHERE {cond})",
            f"count(DISTINCT {_tuple(ctx, self.columns)}) FILTER (WHERE {cond})",
        ]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Passed when every key was found."""
        missing = int(values[0] or 0)
        observed: dict[str, object] = {"missing": missing, "distinct_missing": int(values[1] or 0)}
        return Judgement(missing == 0, observed, missing)

    def failing_condition(self, ctx: SqlContext) -> str | None:
        """Keyed, and the key is not in the other table."""
        return self._missing(ctx)

    def describe_table(self) -> str:
        """The referenced table in words: a file by its name (where it lies is no part of
        the check), a table name as given."""
        if isinstance(self.table, pa.Table):
            return f"<table of {self.table.num_rows} rows>"
        if isinstance(self.table, Path):
            return self.table.name
        return self.table

    def expected(self) -> str:
        """``in other.csv (carrier)``."""
        return f"in {self.describe_table()} ({', '.join(self.table_columns)})"

    def params(self) -> dict[str, object]:
        """The referenced table and columns."""
        out: dict[str, object] = {"table": self.describe_table()}
        if self.table_columns != self.columns:
            out["table_columns"] = list(self.table_columns)
        return out
