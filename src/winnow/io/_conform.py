"""Make a table fit a declared schema in one DuckDB query, marking the rows that do not fit.

Every column is converted with ``TRY_CAST``-style expressions (never a Python loop over rows);
a row whose value does not parse, or that is null in a required column, gets a reason naming
the first column at fault. The caller turns those rows into quarantine records.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import SchemaError
from winnow.io.schema import EPOCH_FORMATS, Field, Schema
from winnow.timestamps import TIMESTAMP

__all__ = ["Conformed", "conform", "connect", "quote_ident", "quote_literal"]

_DUCK_TYPES = {
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "uint8": "UTINYINT",
    "uint16": "USMALLINT",
    "uint32": "UINTEGER",
    "uint64": "UBIGINT",
    "float32": "FLOAT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "binary": "BLOB",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
}
_INT = r"'^\s*[+-]?[0-9]+\s*$'"
_DATE = r"'^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$'"
_OFFSET = r"'[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)\s*$'"
_TRUE = "('true', 't', 'yes', 'y', '1')"
_FALSE = "('false', 'f', 'no', 'n', '0')"


def quote_ident(name: str) -> str:
    """Quote a column name for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal for DuckDB SQL."""
    return "'" + text.replace("'", "''") + "'"


def connect() -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB connection whose session time zone is UTC."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _localize(expr: str, f: Field) -> str:
    """TIMESTAMP (naive, in the field's zone) -> TIMESTAMPTZ."""
    if f.timezone == "UTC":
        return f"CAST({expr} AS TIMESTAMPTZ)"
    return f"timezone({quote_literal(f.timezone)}, {expr})"


def text_expression(x: str, f: Field) -> str:
    """SQL converting the VARCHAR expression ``x`` to the field's type; NULL where it fails."""
    t = f.type
    duck = _DUCK_TYPES[t]
    if t == "string":
        return x
    if t == "binary":
        return f"encode({x})"
    if t == "bool":
        low = f"lower(trim({x}))"
        return f"CASE WHEN {low} IN {_TRUE} THEN true WHEN {low} IN {_FALSE} THEN false END"
    if t.startswith(("int", "uint")):
        return f"CASE WHEN regexp_matches({x}, {_INT}) THEN TRY_CAST(trim({x}) AS {duck}) END"
    if t.startswith("float"):
        return f"TRY_CAST(trim({x}) AS {duck})"
    if t == "date":
        if f.format is None:
            return f"CASE WHEN regexp_matches({x}, {_DATE}) THEN TRY_CAST(trim({x}) AS DATE) END"
        return f"CAST(try_strptime({x}, {quote_literal(f.format)}) AS DATE)"
    # timestamp
    if f.format in EPOCH_FORMATS:
        scale = EPOCH_FORMATS[f.format]
        micros = f"TRY_CAST(TRY_CAST(trim({x}) AS HUGEINT) * {scale} AS BIGINT)"
        return (
            f"CASE WHEN regexp_matches({x}, {_INT}) "
            f"THEN CAST(make_timestamp({micros}) AS TIMESTAMPTZ) END"
        )
    if f.format is not None:
        parsed = f"try_strptime({x}, {quote_literal(f.format)})"
        if "%z" in f.format or "%Z" in f.format:
            return parsed
        return _localize(parsed, f)
    naive = _localize(f"TRY_CAST(trim({x}) AS TIMESTAMP)", f)
    return (
        f"CASE WHEN regexp_matches({x}, {_OFFSET}) "
        f"THEN TRY_CAST(trim({x}) AS TIMESTAMPTZ) ELSE {naive} END"
    )


def _expected(f: Field) -> str:
    if f.type == "timestamp":
        return f"timestamp ({'ISO 8601' if f.format is None else 'format ' + f.format})"
    if f.type == "date":
        return f"date ({'YYYY-MM-DD' if f.format is None else 'format ' + f.format})"
    return f.type


def _prepare(column: pa.ChunkedArray, f: Field) -> tuple[pa.ChunkedArray, bool]:
    """Return the column ready for SQL and whether it is text to parse (else already typed)."""
    typ = column.type
    if pa.types.is_dictionary(typ):
        column = column.cast(typ.value_type)
        typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return column, f.type != "string"
    target = f.arrow_type
    if typ == target:
        return column, False
    if f.type == "timestamp" and pa.types.is_timestamp(typ):
        if typ.tz is not None or f.timezone == "UTC":
            return pc.cast(column, TIMESTAMP, safe=False), False
        return pc.cast(column, pa.timestamp("us"), safe=False), False  # localized in SQL
    if f.type == "timestamp" and pa.types.is_date(typ):
        return column.cast(pa.timestamp("us")).cast(TIMESTAMP), False
    if f.type == "string":
        return _to_text(column, f), False
    return _to_text(column, f), True


def _to_text(column: pa.ChunkedArray, f: Field) -> pa.ChunkedArray:
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(
            f"column {f.name!r} has type {column.type}, which cannot be read as {f.type}; "
            f"declare it with its own type or drop it from the schema"
        ) from exc


@dataclass(frozen=True)
class Conformed:
    """The result of :func:`conform`: accepted rows and the rows at fault with their reasons."""

    table: pa.Table
    bad_rows: npt.NDArray[np.int64]
    bad_columns: pa.Array
    bad_reasons: pa.Array


def conform(table: pa.Table, schema: Schema) -> Conformed:
    """Convert ``table`` to ``schema``; rows that do not fit are left out and described.

    ``table`` must hold every schema column (text or typed); other columns are ignored.
    ``bad_rows`` are 0-based row indices into ``table``.
    """
    sources: dict[str, pa.ChunkedArray] = {}
    selects: list[str] = []
    checks: list[tuple[str, str, str]] = []  # (condition, column name, reason sql)
    for i, f in enumerate(schema):
        prepared, is_text = _prepare(table.column(f.name), f)
        src = f"s{i}"
        sources[src] = prepared
        x = quote_ident(src)
        if is_text:
            conv = text_expression(x, f)
        elif pa.types.is_timestamp(prepared.type) and prepared.type.tz is None:
            conv = _localize(x, f)  # a naive time in the field's zone
        else:
            conv = x
        selects.append(f"{conv} AS {quote_ident(f'v{i}')}")
        v = quote_ident(f"v{i}")
        name = quote_literal(f.name)
        if is_text:
            found = f"left(CAST({x} AS VARCHAR), 200)"
            message = quote_literal(f"column {f.name!r}: expected {_expected(f)}, found ")
            checks.append(
                (f"{x} IS NOT NULL AND {v} IS NULL", name,
                 f"{message} || '''' || {found} || ''''")
            )
        if f.required:
            checks.append(
                (f"{x} IS NULL", name,
                 quote_literal(f"column {f.name!r}: null in a required column"))
            )
    src_table = pa.table(sources) if sources else pa.table({})
    vs = ", ".join(quote_ident(f"v{i}") for i in range(len(schema)))
    if checks:
        reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, _, r in checks) + " END"
        column = "CASE " + " ".join(f"WHEN {c} THEN {n}" for c, n, _ in checks) + " END"
    else:
        reason = column = "CAST(NULL AS VARCHAR)"
    inner = ", ".join(selects + [quote_ident(s) for s in sources])
    sql = (
        f"SELECT {vs}, {reason} AS __reason, {column} AS __column "
        f"FROM (SELECT {inner} FROM src_table)"
    )
    con = connect()
    try:
        con.register("src_table", src_table)
        out = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    reasons = out.column("__reason")
    bad_mask = pc.is_valid(reasons)
    n_bad = pc.sum(bad_mask).as_py() or 0
    values = out.select([f"v{i}" for i in range(len(schema))]).rename_columns(schema.names)
    if n_bad:
        bad_rows = np.flatnonzero(bad_mask.to_numpy(zero_copy_only=False)).astype(np.int64)
        bad = out.filter(bad_mask)
        values = values.filter(pc.invert(bad_mask))
        bad_columns = bad.column("__column").combine_chunks()
        bad_reasons = bad.column("__reason").combine_chunks()
    else:
        bad_rows = np.zeros(0, np.int64)
        bad_columns = bad_reasons = pa.array([], pa.string())
    return Conformed(
        table=values.cast(schema.to_arrow()),
        bad_rows=bad_rows,
        bad_columns=bad_columns,
        bad_reasons=bad_reasons,
    )
