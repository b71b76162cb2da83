"""Infer a schema from data, reading every row unless told to sample, and say what was widened.

For text formats (CSV, JSON Lines) each column gets the narrowest type that every non-null value
parses as, tried in the order ``bool``, ``int64``, ``float64``, ``date``, ``timestamp``,
``string``; a column with no value at all is ``string``. The type the column's *first* non-null
value suggests is compared with the final one; when they differ the column was widened, and the
report names the first row that forced it (where a reader guessing from the first rows would
have been contradicted). Self-describing formats (Parquet, Arrow IPC, Avro, Pickle) carry their
schema; nothing is guessed for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from winnow.errors import SchemaError, SourceError
from winnow.io._conform import connect, quote_ident, text_expression
from winnow.io._text import TextRecords, read_csv_text, read_jsonl_text
from winnow.io.formats import detect_format, read_table
from winnow.io.schema import DEFAULT_NULL_VALUES, Field, Schema

__all__ = ["InferredSchema", "Widening", "infer_schema", "infer_text_schema"]

_LADDER: tuple[str, ...] = ("bool", "int64", "float64", "date", "timestamp", "string")


@dataclass(frozen=True)
class Widening:
    """A column whose type had to be widened after its first value.

    ``position`` follows the quarantine convention (1-based line for text formats).
    """

    column: str
    from_type: str
    to_type: str
    position: int
    value: str

    def __str__(self) -> str:
        return (
            f"column {self.column!r} widened from {self.from_type} to {self.to_type} at "
            f"position {self.position} (value {self.value!r})"
        )


@dataclass(frozen=True)
class InferredSchema:
    """The result of :func:`infer_schema`.

    ``rows_read`` is how many records the types were derived from; ``complete`` is False when
    that was a sample (``sample_rows``) rather than the whole input.
    """

    schema: Schema
    format: str
    rows_read: int
    complete: bool
    widened: tuple[Widening, ...]

    def summary(self) -> dict[str, object]:
        """A JSON-ready description."""
        return {
            "format": self.format,
            "rows_read": self.rows_read,
            "complete": self.complete,
            "schema": self.schema.to_dict(),
            "widened": [w.__dict__ for w in self.widened],
        }


def _ok(x: str, typ: str) -> str:
    if typ == "bool":
        return f"lower(trim({x})) IN ('true', 'false')"
    if typ == "string":
        return "true"
    return f"({text_expression(x, Field('c', typ))}) IS NOT NULL"


def infer_text_schema(records: TextRecords, *, fmt: str) -> InferredSchema:
    """Infer types for all-text records (see the module docstring)."""
    table = records.table
    names = table.column_names
    if not names:
        raise SchemaError(f"{os.fspath(records.path)!r} has no columns to infer a schema from")
    src = pa.table(
        {f"c{i}": table.column(i) for i in range(len(names))}
        | {"__row": pa.array(np.arange(table.num_rows, dtype=np.int64))}
    )
    parts: list[str] = []
    for i in range(len(names)):
        x = quote_ident(f"c{i}")
        parts.append(f"min(__row) FILTER (WHERE {x} IS NOT NULL) AS first_{i}")
        for typ in _LADDER[:-1]:
            bad = f"{x} IS NOT NULL AND NOT coalesce({_ok(x, typ)}, false)"
            parts.append(f"min(__row) FILTER (WHERE {bad}) AS bad_{i}_{typ}")
            parts.append(f"arg_min({x}, __row) FILTER (WHERE {bad}) AS val_{i}_{typ}")
    con = connect()
    try:
        con.register("src", src)
        stats = con.sql(f"SELECT {', '.join(parts)} FROM src").to_arrow_table().to_pylist()[0]
    finally:
        con.close()
    fields: list[Field] = []
    pending: list[tuple[str, str, str, int, str]] = []
    for i, name in enumerate(names):
        first = stats[f"first_{i}"]
        if first is None:  # no value at all: nothing to narrow the type by
            fields.append(Field(name, "string"))
            continue
        final = next((t for t in _LADDER[:-1] if stats[f"bad_{i}_{t}"] is None), "string")
        fields.append(Field(name, final))
        initial = next(
            (t for t in _LADDER[:-1] if stats[f"bad_{i}_{t}"] != first), "string"
        )
        if initial != final:
            row = stats[f"bad_{i}_{initial}"]
            pending.append((name, initial, final, int(row), str(stats[f"val_{i}_{initial}"])))
    widened: list[Widening] = []
    if pending:
        rows = np.array([p[3] for p in pending], dtype=np.int64)
        lines = records.lines_of(rows)
        widened = [
            Widening(name, a, b, int(line), value)
            for (name, a, b, _, value), line in zip(pending, lines, strict=True)
        ]
    return InferredSchema(
        schema=Schema(fields),
        format=fmt,
        rows_read=table.num_rows,
        complete=records.complete,
        widened=tuple(widened),
    )


def infer_schema(
    path: str | os.PathLike[str],
    *,
    sample_rows: int | None = None,
    format: str | None = None,
    trusted: bool = False,
) -> InferredSchema:
    """Infer the schema of a file.

    Parameters
    ----------
    path
        The file.
    sample_rows
        Derive types from only the first this many records (the result says so with
        ``complete=False``). ``None`` reads every record.
    format
        Override the format detected from the extension.
    trusted
        Required for Pickle (see :func:`winnow.read_table`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("id,x\\n1,2\\n2,2.5\\n")
    >>> inferred = infer_schema(p)
    >>> [f.type for f in inferred.schema], str(inferred.widened[0])
    (['int64', 'float64'], "column 'x' widened from int64 to float64 at position 3 (value '2.5')")
    """
    fmt = detect_format(path, format)
    file = Path(path)
    if not file.is_file() and fmt != "pickle":
        raise SourceError(f"no such file: {os.fspath(path)!r}; check the path")
    if sample_rows is not None and sample_rows <= 0:
        raise SchemaError(f"sample_rows must be a positive number of rows, got {sample_rows}")
    if fmt == "csv":
        records = read_csv_text(file, columns=None, null_values=DEFAULT_NULL_VALUES,
                                limit=sample_rows)
        return infer_text_schema(records, fmt=fmt)
    if fmt == "jsonl":
        return infer_text_schema(read_jsonl_text(file, columns=None, limit=sample_rows), fmt=fmt)
    if fmt == "parquet":
        meta = pq.read_metadata(file)
        arrow_schema = meta.schema.to_arrow_schema()
        rows = meta.num_rows
    else:
        table = read_table(file, format=fmt, trusted=trusted)
        arrow_schema, rows = table.schema, table.num_rows
    schema = Schema.from_arrow(
        pa.schema([f.with_nullable(True) for f in arrow_schema])
    )
    return InferredSchema(schema=schema, format=fmt, rows_read=rows, complete=True, widened=())
