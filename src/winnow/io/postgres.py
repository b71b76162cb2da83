"""PostgreSQL as an OLTP source: read a table or a parameterised query into Arrow.

Rows travel as Arrow end to end through the ADBC PostgreSQL driver
(``adbc-driver-postgresql``), which streams PostgreSQL's binary ``COPY`` output straight into
Arrow buffers. It was measured against psycopg 3 (binary ``COPY`` and text ``COPY`` parsed by
Arrow's CSV reader) on a million-row table and was the fastest correct reader; see
``benchmarks/postgres.py`` and ``benchmarks/RESULTS.md``.

Types follow DESIGN.md: ``timestamptz`` becomes ``timestamp[us, tz=UTC]`` and a ``timestamp``
without time zone is read as UTC; ``numeric(p, s)`` becomes ``decimal128(p, s)`` (``decimal256``
above 38 digits) and an unconstrained ``numeric`` becomes ``float64``; ``json``/``jsonb`` and
``uuid`` become strings; integers, floats, ``text``/``varchar``, ``bool``, ``date``, ``bytea``
and arrays map to their Arrow counterparts. SQL NULL is an Arrow null in every type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, SourceError

__all__ = ["quote_ident", "read_postgres", "redact_dsn"]

_UTC = pa.timestamp("us", tz="UTC")
_UNDEFINED_TABLE = "42P01"
_UNDEFINED_COLUMN = "42703"


def quote_ident(name: str) -> str:
    """Quote one SQL identifier for PostgreSQL (and DuckDB): ``a"b`` becomes ``"a""b"``.

    Raises
    ------
    DefinitionError
        If the name is empty or contains a NUL character, which no identifier may hold.
    """
    if not name or "\x00" in name:
        raise DefinitionError(f"invalid SQL identifier {name!r}: it must be non-empty, no NUL")
    return '"' + name.replace('"', '""') + '"'


def redact_dsn(dsn: str) -> str:
    """Return ``dsn`` with any password replaced by ``***``, safe to show in messages."""
    redacted = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", redacted, flags=re.IGNORECASE)


def _relation(table: str | tuple[str, str]) -> tuple[str, str]:
    """Return (quoted relation, display name) for ``"name"``, ``"schema.name"`` or a tuple."""
    if isinstance(table, tuple):
        parts = list(table)
    else:
        parts = table.split(".", 1) if "." in table else [table]
    return ".".join(quote_ident(p) for p in parts), ".".join(parts)


def _numeric_type(field: pa.Field) -> pa.DataType:
    meta = field.metadata or {}
    typmod = int(meta.get(b"POSTGRESQL:typmod", b"-1"))
    if typmod < 4:
        return pa.float64()
    precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
    if precision > 38:
        return pa.decimal256(precision, scale)
    return pa.decimal128(precision, scale)


def _normalise_column(field: pa.Field, column: pa.ChunkedArray, where: str) -> pa.ChunkedArray:
    typ = field.type
    if isinstance(typ, pa.BaseExtensionType):
        storage = pa.chunked_array([c.storage for c in column.chunks], type=typ.storage_type)
        type_name = getattr(typ, "type_name", "")
        if type_name == "numeric":
            target = _numeric_type(field)
            try:
                return pc.cast(storage, target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SchemaError(
                    f"column {field.name!r} of {where}: numeric values do not fit {target} "
                    f"({exc}); NaN or infinity cannot be a decimal. Cast it in the query, e.g. "
                    f"SELECT {field.name}::float8 ..."
                ) from exc
        if pa.types.is_fixed_size_binary(typ.storage_type) and typ.storage_type.byte_width == 16:
            return pa.chunked_array([_uuid_text(c) for c in storage.chunks], type=pa.string())
        return storage
    if pa.types.is_timestamp(typ) and typ.tz is None:
        return column.cast(_UTC)
    return column


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# positions of the 32 hex digits inside the 36-character 8-4-4-4-12 form
_UUID_DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def _uuid_text(chunk: pa.FixedSizeBinaryArray) -> pa.StringArray:
    """Render 16-byte UUIDs as canonical lower-case text, vectorised with NumPy."""
    n = len(chunk)
    raw = np.frombuffer(chunk.buffers()[1], dtype=np.uint8, count=(chunk.offset + n) * 16)
    raw = raw[chunk.offset * 16 :].reshape(n, 16)
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_DIGITS] = digits
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    valid = None if chunk.null_count == 0 else pc.is_valid(chunk).buffers()[1]
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()), valid, chunk.null_count
    )


def _normalise(table: pa.Table, where: str) -> pa.Table:
    arrays = []
    fields = []
    for field, column in zip(table.schema, table.columns, strict=True):
        array = _normalise_column(field, column, where)
        arrays.append(array)
        fields.append(pa.field(field.name, array.type, nullable=True))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _connect(dsn: str) -> Any:
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as adbc

    try:
        return adbc.connect(dsn)
    except adbc_driver_manager.Error as exc:
        raise SourceError(
            f"cannot connect to PostgreSQL at {redact_dsn(dsn)}: "
            f"{_first_line(str(exc), dsn)}. Check the host, port, database name and credentials "
            f"in the DSN (postgresql://user:password@host:port/dbname)."
        ) from exc


def _first_line(message: str, dsn: str) -> str:
    message = message.replace(dsn, redact_dsn(dsn))
    for prefix in ("NOT_FOUND: ", "INVALID_ARGUMENT: ", "IO: ", "[libpq] "):
        message = message.replace(prefix, "")
    return message.strip().splitlines()[0] if message.strip() else message


def read_postgres(
    dsn: str,
    *,
    table: str | tuple[str, str] | None = None,
    query: str | None = None,
    params: Sequence[Any] | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Read a PostgreSQL table, or the result of a query, into an Arrow table.

    Parameters
    ----------
    dsn
        A libpq connection string: ``postgresql://user:password@host:port/dbname`` or
        ``"host=... dbname=..."``.
    table
        The table (or view) to read: ``"name"``, ``"schema.name"``, or ``(schema, name)`` for a
        name that itself contains a dot. Identifiers are quoted, so the name is taken literally
        (case-sensitive, no SQL injection).
    query
        A SQL query instead of a table. Placeholders are PostgreSQL's ``$1``, ``$2``, ... and are
        bound from ``params``, never spliced into the text.
    params
        Values for the query's placeholders, in order.
    columns
        Read only these columns (of the table or of the query's result), in this order; the
        projection runs in the server.

    Returns
    -------
    pyarrow.Table
        Columns typed as described in the module docstring; times are ``timestamp[us, tz=UTC]``.

    Raises
    ------
    SourceError
        The server cannot be reached, the table does not exist, or the query fails.
    ColumnNotFoundError
        A requested column is not in the table or the query's result.
    DefinitionError
        Neither or both of ``table`` and ``query`` given, or ``params`` without ``query``.

    Examples
    --------
    >>> dsn = "postgresql://app@localhost:5432/shop"
    >>> orders = read_postgres(dsn, table="public.orders", columns=["id"])  # doctest: +SKIP
    >>> recent = read_postgres(  # doctest: +SKIP
    ...     dsn, query="SELECT * FROM orders WHERE id > $1", params=[100]
    ... )
    """
    if (table is None) == (query is None):
        raise DefinitionError(
            "read_postgres needs exactly one of table= or query=; pass table='schema.name' to "
            "read a whole table or query='SELECT ...' for a query"
        )
    if params is not None and query is None:
        raise DefinitionError(
            "params= binds the $1, $2 ... placeholders of query=; pass a query, or filter the "
            "table in a query"
        )
    if table is not None:
        base, where = _relation(table)
        where = f"table {where!r}"
        source = base
    else:
        assert query is not None
        where = "the query result"
        source = f"({query.rstrip().rstrip(';')}) AS winnow_q"
    projection = "*" if columns is None else ", ".join(quote_ident(c) for c in columns)
    if columns is not None and not columns:
        raise DefinitionError("columns= is empty; pass at least one column name, or None for all")
    sql = f"SELECT {projection} FROM {source}"
    args = tuple(params) if params is not None else None
    conn = _connect(dsn)
    try:
        return _normalise(
            _execute(
                conn, sql, args, dsn=dsn, where=where, table=table, source=source, columns=columns
            ),
            where,
        )
    finally:
        conn.close()


def _execute(
    conn: Any,
    sql: str,
    args: tuple[Any, ...] | None,
    *,
    dsn: str,
    where: str,
    table: str | tuple[str, str] | None,
    source: str,
    columns: Sequence[str] | None,
) -> pa.Table:
    import adbc_driver_manager

    cursor = conn.cursor()
    try:
        try:
            cursor.execute(sql, parameters=args)
            result: pa.Table = cursor.fetch_arrow_table()
            return result
        except adbc_driver_manager.Error as exc:
            state = getattr(exc, "sqlstate", None)
            detail = _first_line(str(exc), dsn)
            if state == _UNDEFINED_TABLE and table is not None:
                raise SourceError(
                    f"{where} does not exist in PostgreSQL database {redact_dsn(dsn)} "
                    f"({detail}). Check the name and schema (names are case-sensitive and "
                    f"quoted; write 'schema.table' for a table outside the search path)."
                ) from exc
            if state == _UNDEFINED_COLUMN and columns is not None:
                conn.rollback()
                cursor.execute(f"SELECT * FROM {source} LIMIT 0", parameters=args)
                available = cursor.fetch_arrow_table().column_names
                missing = next((c for c in columns if c not in available), columns[0])
                raise ColumnNotFoundError(missing, available, where=where) from exc
            raise SourceError(
                f"PostgreSQL could not read {where} (SQLSTATE {state}): {detail}"
            ) from exc
    finally:
        cursor.close()
