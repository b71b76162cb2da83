"""Read a file with a schema: good records become a typed table, bad ones go to quarantine.

:func:`read` is winnow's ingest entry point. With a declared schema every record is checked
against it; without one the schema comes from the file (self-describing formats) or is inferred
(text formats). Either way the counts satisfy ``read == accepted + quarantined``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from winnow.errors import ColumnNotFoundError, SchemaError, SourceError
from winnow.io._conform import Conformed, conform
from winnow.io._text import TextRecords, read_csv_text, read_jsonl_text
from winnow.io.formats import (
    csv_delimiter,
    csv_header,
    detect_format,
    normalise_times,
    read_jsonl_fast,
    read_raw,
    read_table,
)
from winnow.io.inference import infer_text_schema
from winnow.io.quarantine import empty_quarantine, make_quarantine
from winnow.io.schema import DEFAULT_NULL_VALUES, Schema

__all__ = ["IngestResult", "SchemaLike", "read", "resolve_schema"]

SchemaLike = Schema | str | os.PathLike[str] | Mapping[str, Any]


@dataclass(frozen=True)
class IngestResult:
    """What :func:`read` produced.

    Attributes
    ----------
    table
        The accepted records, typed by ``schema``, in source order.
    quarantine
        The records that did not fit (see :mod:`winnow.io.quarantine` for its columns).
    schema
        The schema the records were checked against (declared, from the file, or inferred);
        None when the file's own types (nested lists, for example) go beyond what a winnow
        schema declares.
    source
        The file read.
    format
        Its format.
    """

    table: pa.Table
    quarantine: pa.Table
    schema: Schema | None
    source: str
    format: str

    @property
    def accepted(self) -> int:
        """Number of records accepted."""
        return int(self.table.num_rows)

    @property
    def quarantined(self) -> int:
        """Number of records quarantined."""
        return int(self.quarantine.num_rows)

    @property
    def read(self) -> int:
        """Number of records read: always ``accepted + quarantined``."""
        return self.accepted + self.quarantined

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description of the counts and the quarantine reasons."""
        reasons: dict[str, int] = {}
        if self.quarantined:
            counts = self.quarantine.group_by("reason").aggregate([("position", "count")])
            for row in counts.to_pylist():
                reasons[str(row["reason"])] = int(row["position_count"])
        return {
            "source": self.source,
            "format": self.format,
            "read": self.read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "quarantine_reasons": reasons,
        }


def resolve_schema(schema: SchemaLike | None) -> Schema | None:
    """Accept a :class:`Schema`, a schema file path, or a mapping, and return a Schema."""
    if schema is None or isinstance(schema, Schema):
        return schema
    if isinstance(schema, Mapping):
        return Schema.from_dict(schema)
    return Schema.from_file(schema)


def read(
    path: str | os.PathLike[str],
    *,
    schema: SchemaLike | None = None,
    columns: Sequence[str] | None = None,
    format: str | None = None,
    trusted: bool = False,
) -> IngestResult:
    """Read a file, checking each record against a schema; quarantine what does not fit.

    Parameters
    ----------
    path
        The file (CSV, TSV, JSON Lines, Parquet, Avro, Arrow IPC; Pickle only if trusted).
    schema
        A :class:`Schema`, a JSON/YAML schema file, or a mapping. ``None`` takes the file's own
        schema (self-describing formats) or infers one from every record (text formats).
    columns
        Only these columns (a subset of the schema's, when one is given).
    format
        Override the format detected from the extension.
    trusted
        Required to read Pickle, because unpickling runs code.

    Returns
    -------
    IngestResult
        Accepted rows, the quarantine table, and the counts.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from winnow import Field, Schema
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("id,amount\\n1,2.5\\n2,oops\\n3\\n")
    >>> r = read(p, schema=Schema([Field("id", "int64"), Field("amount", "float64")]))
    >>> r.read, r.accepted, r.quarantined
    (3, 1, 2)
    >>> r.quarantine.column("position").to_pylist()
    [3, 4]
    """
    fmt = detect_format(path, format)
    file = Path(path)
    declared = resolve_schema(schema)
    if declared is not None and columns is not None:
        declared = declared.select(list(columns))
    if fmt in ("csv", "jsonl"):
        if not file.is_file():
            raise SourceError(f"no such file: {os.fspath(path)!r}; check the path")
        if declared is None:
            return _read_text_inferred(file, fmt, columns)
        return _read_text(file, fmt, declared)
    if declared is None:
        table = read_table(file, columns=columns, format=fmt, trusted=trusted)
        return IngestResult(table, empty_quarantine(), _schema_of(table), os.fspath(path), fmt)
    # naive times stay naive here so that the schema's time zone applies to them
    table = read_raw(file, columns=declared.names, format=fmt, trusted=trusted)
    done = conform(table, declared)
    raw = _rows_as_json(table, done.bad_rows)
    quarantine = make_quarantine(os.fspath(path), done.bad_rows, done.bad_columns,
                                 done.bad_reasons, raw)
    return IngestResult(done.table, quarantine, declared, os.fspath(path), fmt)


def _schema_of(table: pa.Table) -> Schema | None:
    """The winnow schema of a table, or None if it has types a schema cannot declare."""
    try:
        return Schema.from_arrow(pa.schema([f.with_nullable(True) for f in table.schema]))
    except SchemaError:
        return None


def _rows_as_json(table: pa.Table, rows: npt.NDArray[np.int64]) -> list[str]:
    if not len(rows):
        return []
    return [json.dumps(r, default=str) for r in table.take(pa.array(rows)).to_pylist()]


def _text_records(file: Path, fmt: str, schema: Schema | None,
                  columns: Sequence[str] | None) -> TextRecords:
    names = schema.names if schema is not None else (list(columns) if columns else None)
    if fmt == "csv":
        nulls = schema.null_values if schema is not None else DEFAULT_NULL_VALUES
        return read_csv_text(file, columns=names, null_values=nulls)
    return read_jsonl_text(file, columns=names)


def _read_text(file: Path, fmt: str, schema: Schema,
               records: TextRecords | None = None) -> IngestResult:
    if records is None:
        records = _text_records(file, fmt, schema, None)
    done: Conformed = conform(records.table, schema)
    positions = np.concatenate([records.bad_lines, records.lines_of(done.bad_rows)])
    columns = pa.concat_arrays(
        [pa.nulls(len(records.bad_lines), pa.string()), done.bad_columns.cast(pa.string())]
    )
    reasons = pa.concat_arrays(
        [pa.array(records.bad_reasons, pa.string()), done.bad_reasons.cast(pa.string())]
    )
    raw = records.bad_raw + records.raw_of(done.bad_rows)
    quarantine = make_quarantine(os.fspath(file), positions, columns, reasons, raw)
    return IngestResult(done.table, quarantine, schema, os.fspath(file), fmt)


def _read_text_inferred(file: Path, fmt: str, columns: Sequence[str] | None) -> IngestResult:
    """No schema: try the format's own fast reader, else infer from all records as text."""
    cols = list(columns) if columns is not None else None
    if fmt == "csv":
        fast = _fast_csv(file, cols)
        if fast is not None:
            return fast
    else:
        try:
            table = normalise_times(read_jsonl_fast(file))
            if cols is not None:
                missing = [c for c in cols if c not in table.column_names]
                if missing:
                    raise ColumnNotFoundError(missing[0], table.column_names,
                                              where=os.fspath(file))
                table = table.select(cols)
        except pa.ArrowInvalid:
            pass
        else:
            return IngestResult(table, empty_quarantine(), _schema_of(table), os.fspath(file),
                                fmt)
    records = _text_records(file, fmt, None, cols)
    inferred = infer_text_schema(records, fmt=fmt)
    return _read_text(file, fmt, inferred.schema, records)


def _fast_csv(file: Path, cols: list[str] | None) -> IngestResult | None:
    """Arrow's own CSV type inference, quarantining lines with the wrong number of fields.

    Returns None when Arrow's guess (made from the first block) is contradicted later; the
    caller then infers from every record.
    """
    if cols:
        header = csv_header(file)
        missing = [c for c in cols if c not in header]
        if missing:
            raise ColumnNotFoundError(missing[0], header, where=os.fspath(file))
    invalid: list[tuple[int | None, int, int, str]] = []

    def handler(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    convert = pacsv.ConvertOptions(
        include_columns=cols or [],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        null_values=list(DEFAULT_NULL_VALUES),
    )
    parse = pacsv.ParseOptions(delimiter=csv_delimiter(file), invalid_row_handler=handler)
    try:
        table = pacsv.read_csv(file, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid:
        return None
    if invalid:
        return None  # line numbers need the serial text path
    table = normalise_times(table)
    return IngestResult(table, empty_quarantine(), _schema_of(table), os.fspath(file), "csv")
