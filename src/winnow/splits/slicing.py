"""Named evaluation slices: subsets of a table picked by SQL predicates or Python functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from winnow.errors import DefinitionError, SchemaError
from winnow.splits.report import SplitReport, SplitResult, split_stats

__all__ = ["Predicate", "predicate_mask", "slices"]

Predicate = str | Callable[[pa.Table], Any]


def predicate_mask(table: pa.Table, predicate: Predicate, *, where: str) -> np.ndarray:
    """Return the boolean row mask of ``predicate`` on ``table`` (null counts as false).

    A string is a SQL boolean expression run by DuckDB over the table, named ``t`` (``"amount >
    100 AND country = 'FR'"``). A callable receives the Arrow table and returns a boolean
    Arrow array/chunked array or NumPy array with one value per row.
    """
    n = table.num_rows
    if isinstance(predicate, str):
        data = table.append_column("__winnow_row", pa.array(np.arange(n, dtype=np.int64)))
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.register("t", data)
            try:
                rows = con.sql(
                    f"SELECT __winnow_row FROM t WHERE ({predicate})"
                ).to_arrow_table()["__winnow_row"].to_numpy()
            except duckdb.Error as exc:
                raise DefinitionError(
                    f"{where}: SQL predicate {predicate!r} failed in DuckDB: {exc}. Write a "
                    f"boolean expression over the columns {table.column_names}"
                ) from exc
        finally:
            con.close()
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        return mask
    if not callable(predicate):
        raise DefinitionError(
            f"{where}: a predicate must be a SQL string or a function of the table, got "
            f"{type(predicate).__name__}"
        )
    result = predicate(table)
    if isinstance(result, pa.ChunkedArray | pa.Array):
        if not pa.types.is_boolean(result.type):
            raise SchemaError(f"{where}: predicate returned {result.type}, expected booleans")
        values = result.fill_null(False).to_numpy(zero_copy_only=False)
    else:
        values = np.asarray(result)
        if values.dtype != np.bool_:
            raise SchemaError(
                f"{where}: predicate returned an array of {values.dtype}, expected booleans"
            )
    if values.shape != (n,):
        raise SchemaError(
            f"{where}: predicate returned {values.shape[0] if values.ndim else 'a scalar'} values "
            f"for {n} rows; return one boolean per row"
        )
    return np.asarray(values, dtype=bool)


def slices(
    table: pa.Table,
    *,
    label: str | None = None,
    time: str | None = None,
    **named_predicates: Predicate,
) -> SplitResult:
    """Return named evaluation subsets ("critical slices") of ``table``.

    Parameters
    ----------
    table
        The rows to slice, typically a test split.
    label, time
        Columns summarised per slice in the report (so ``label`` and ``time`` cannot be slice
        names).
    **named_predicates
        ``name=predicate``: a SQL boolean expression run in DuckDB over the table (named ``t``),
        or a function ``table -> boolean mask``. Slices may overlap and need not cover the table.

    Returns
    -------
    SplitResult
        ``(tables, report)``: ``dict[str, pyarrow.Table]`` slice name -> rows (source order), and
        a :class:`~winnow.splits.SplitReport` with ``method="slices"`` (callables recorded by
        their ``__qualname__``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> import pyarrow.compute as pc
    >>> t = pa.table({"amount": [5, 50, 500], "country": ["FR", "US", "FR"]})
    >>> tables, _ = slices(t, big="amount > 100", fr=lambda t: pc.equal(t["country"], "FR"))
    >>> tables["big"]["amount"].to_pylist(), tables["fr"]["amount"].to_pylist()
    ([500], [5, 500])
    """
    where = "slices"
    if not named_predicates:
        raise DefinitionError(f"{where}: name at least one slice, e.g. slices(t, big='x > 10')")
    tables: dict[str, pa.Table] = {}
    described: dict[str, str] = {}
    for name, predicate in named_predicates.items():
        mask = predicate_mask(table, predicate, where=f"{where} {name!r}")
        tables[name] = table.filter(pa.array(mask))
        described[name] = (
            predicate
            if isinstance(predicate, str)
            else f"<function {getattr(predicate, '__qualname__', repr(predicate))}>"
        )
    stats = {
        name: split_stats(t, label=label, time=time, where=f"{where} {name!r}")
        for name, t in tables.items()
    }
    report = SplitReport(
        method="slices",
        parameters={"predicates": described},
        seed=None,
        input_rows=table.num_rows,
        splits=stats,
        label=label,
        time=time,
        excluded_rows=0,
        notes=("slices may overlap and need not cover the table",),
    )
    return SplitResult(tables, report)
