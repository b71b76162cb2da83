"""SQL building blocks for the ETL steps: identifier quoting and DuckDB error translation."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, WinnowError
from winnow.io.postgres import quote_ident

__all__ = ["check_columns", "column_list", "quote_ident", "to_arrow", "translate_error"]


def column_list(names: Sequence[str]) -> str:
    """``a, "b c"`` style list of quoted identifiers."""
    return ", ".join(quote_ident(n) for n in names)


def check_columns(names: Sequence[str], available: Sequence[str], *, where: str) -> None:
    """Raise :class:`ColumnNotFoundError` for the first of ``names`` not in ``available``."""
    for name in names:
        if name not in available:
            raise ColumnNotFoundError(name, list(available), where=where)


def to_arrow(relation: object) -> pa.Table:
    """Materialise a DuckDB relation as an Arrow table (DuckDB 2 and 1.x spellings)."""
    method = getattr(relation, "to_arrow_table", None) or relation.arrow  # type: ignore[attr-defined]
    table: pa.Table = method()
    return table


_MISSING_COLUMN = re.compile(r'(?:Referenced column|Column) "([^"]+)" (?:not found|does not exist)')


def translate_error(exc: Exception, *, where: str, available: Sequence[str]) -> WinnowError:
    """Turn a DuckDB error raised while running ``where`` into the matching WinnowError."""
    import duckdb

    message = str(exc).strip()
    first = message.splitlines()[0] if message else type(exc).__name__
    missing = _MISSING_COLUMN.search(message)
    if missing is not None and isinstance(exc, duckdb.BinderException):
        return ColumnNotFoundError(missing.group(1), list(available), where=where)
    if isinstance(exc, duckdb.ConversionException | duckdb.OutOfRangeException):
        return SchemaError(
            f"{where}: {first}. Fix or filter the offending values first, or use TRY_CAST "
            f"in a derive step to turn them into nulls."
        )
    return DefinitionError(
        f"{where}: DuckDB rejected the step's SQL: {first}. Check the step's expressions "
        f"(DuckDB SQL; quote column names with double quotes)."
    )
