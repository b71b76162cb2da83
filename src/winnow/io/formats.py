"""Read and write tables in every file format winnow supports, all through Arrow.

Formats are chosen from the file extension unless given: CSV (``.csv``, ``.tsv``), JSON Lines
(``.jsonl``, ``.ndjson``), Parquet (``.parquet``, written with zstd by default), Avro
(``.avro``, via fastavro), Arrow IPC (``.arrow``, ``.feather``, ``.ipc``) and Pickle
(``.pkl``, ``.pickle``; read only with ``trusted=True`` because unpickling runs code).
Readers read only the requested columns where the format allows it (Parquet, Arrow IPC, CSV).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.json as pajson
import pyarrow.parquet as pq

from winnow.errors import (
    ColumnNotFoundError,
    FormatError,
    SourceError,
    UnsafeInputError,
    WinnowError,
)
from winnow.io.atomic import atomic_path
from winnow.io.schema import DEFAULT_NULL_VALUES
from winnow.timestamps import TIMESTAMP, to_utc

__all__ = [
    "FORMATS",
    "Format",
    "csv_delimiter",
    "csv_header",
    "detect_format",
    "normalise_times",
    "read_table",
    "write_table",
]

Format = Literal["csv", "jsonl", "parquet", "avro", "arrow", "pickle"]

FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".avro": "avro",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".pkl": "pickle",
    ".pickle": "pickle",
}


def detect_format(path: str | os.PathLike[str], format: str | None = None) -> Format:
    """Return the format named by ``format`` or, if ``None``, by the file extension."""
    if format is not None:
        if format not in set(FORMATS.values()):
            raise FormatError(
                f"unknown format {format!r}; use one of {sorted(set(FORMATS.values()))}"
            )
        return format
    suffix = Path(path).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    raise FormatError(
        f"cannot tell the format of {os.fspath(path)!r} from its extension {suffix or '(none)'!r}; "
        f"use one of {', '.join(sorted(FORMATS))} or pass format="
    )


def _select(
    table: pa.Table, columns: Sequence[str] | None, path: str | os.PathLike[str]
) -> pa.Table:
    if columns is None:
        return table
    for name in columns:
        if name not in table.column_names:
            raise ColumnNotFoundError(name, table.column_names, where=os.fspath(path))
    return table.select(list(columns))


_AVRO_ARROW = "arrowType"  # extra Avro attribute restoring the exact Arrow type on read


def _avro_type(typ: pa.DataType, name: str) -> Any:
    if pa.types.is_boolean(typ):
        return "boolean"
    if pa.types.is_integer(typ):
        base = "long" if typ.bit_width > 32 or not pa.types.is_signed_integer(typ) else "int"
        if typ.bit_width == 64 and not pa.types.is_signed_integer(typ):
            raise FormatError(
                f"column {name!r} is uint64, which Avro cannot hold; cast it to int64 first"
            )
        return {"type": base, _AVRO_ARROW: str(typ)}
    if pa.types.is_float32(typ):
        return "float"
    if pa.types.is_floating(typ):
        return "double"
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return "string"
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return "bytes"
    if pa.types.is_timestamp(typ):
        return {"type": "long", "logicalType": "timestamp-micros"}
    if pa.types.is_date(typ):
        return {"type": "int", "logicalType": "date"}
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return {"type": "array", "items": ["null", _avro_type(typ.value_type, name)]}
    raise FormatError(
        f"column {name!r} has Arrow type {typ}, which winnow cannot write to Avro; cast it to "
        f"a number, string, binary, bool, date, timestamp or list first"
    )


def _avro_schema(schema: pa.Schema) -> dict[str, Any]:
    fields = [
        {"name": f.name, "type": ["null", _avro_type(f.type, f.name)], "default": None}
        for f in schema
    ]
    return {"type": "record", "name": "Row", "namespace": "winnow", "fields": fields}


_AVRO_PRIMITIVES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "bytes": pa.binary(),
}


def _arrow_from_avro(spec: Any, name: str) -> pa.DataType:
    """The Arrow type of an Avro field type (a nullable union is its non-null branch)."""
    if isinstance(spec, list):
        branches = [b for b in spec if b != "null"]
        if len(branches) != 1:
            raise FormatError(
                f"Avro column {name!r} is a union of {branches}; winnow reads only unions of "
                f"null and one type. Convert the file with a single type per column."
            )
        return _arrow_from_avro(branches[0], name)
    if isinstance(spec, str):
        if spec in _AVRO_PRIMITIVES:
            return _AVRO_PRIMITIVES[spec]
        raise FormatError(f"Avro column {name!r} has unsupported type {spec!r}")
    logical = spec.get("logicalType")
    if logical in ("timestamp-micros", "timestamp-millis", "local-timestamp-micros",
                   "local-timestamp-millis"):
        return TIMESTAMP
    if logical == "date":
        return pa.date32()
    if _AVRO_ARROW in spec:
        return pa.type_for_alias(spec[_AVRO_ARROW])
    if spec.get("type") == "array":
        return pa.list_(_arrow_from_avro(spec["items"], name))
    if spec.get("type") == "enum":
        return pa.string()
    return _arrow_from_avro(spec.get("type"), name)


def _read_avro(path: Path, columns: Sequence[str] | None) -> pa.Table:
    import fastavro

    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        writer_schema = reader.writer_schema
        fields = writer_schema.get("fields", []) if isinstance(writer_schema, dict) else []
        names = [f["name"] for f in fields]
        if columns is not None:
            for name in columns:
                if name not in names:
                    raise ColumnNotFoundError(name, names, where=os.fspath(path))
        wanted = list(columns) if columns is not None else names
        data: dict[str, list[Any]] = {name: [] for name in wanted}
        appends = [(name, data[name].append) for name in wanted]
        for record in reader:
            for name, append in appends:
                append(record[name])  # type: ignore[index]
    types = {f["name"]: _arrow_from_avro(f["type"], f["name"]) for f in fields}
    arrays = [pa.array(data[name], type=types[name]) for name in wanted]
    return pa.Table.from_arrays(arrays, names=wanted)


def _write_avro(table: pa.Table, path: Path, compression: str | None) -> None:
    import fastavro

    schema = fastavro.parse_schema(_avro_schema(table.schema))
    codec = {"zstd": "zstandard", "none": "null"}.get(compression or "none", compression or "null")
    # timestamps go in as integer microseconds (exact, and faster than datetime objects)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            micros = pc.cast(to_utc(table.column(i), name=field.name), pa.int64())
            table = table.set_column(i, field.name, micros)
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, table.to_pylist(), codec=codec)


def normalise_times(table: pa.Table) -> pa.Table:
    """Cast every timestamp column to ``timestamp[us, tz=UTC]`` (DESIGN: naive times are UTC)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type != TIMESTAMP:
            table = table.set_column(i, field.name, to_utc(table.column(i), name=field.name))
    return table


def csv_delimiter(path: str | os.PathLike[str]) -> str:
    """The field delimiter of a CSV file: a tab for ``.tsv``, else a comma."""
    return "\t" if Path(path).suffix.lower() == ".tsv" else ","


def read_table(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    format: str | None = None,
    trusted: bool = False,
) -> pa.Table:
    """Read a whole file into an Arrow table, without a declared schema.

    Types come from the file (Parquet, Arrow IPC, Avro, Pickle) or are inferred by Arrow (CSV,
    JSON Lines; ISO 8601 time strings in JSON Lines become timestamps). Every timestamp is
    returned as ``timestamp[us, tz=UTC]``; a naive one is read as UTC. A malformed record makes
    the whole read fail with :class:`~winnow.errors.FormatError`; use :func:`winnow.read` to
    quarantine bad records instead.

    Parameters
    ----------
    path
        The file to read.
    columns
        Only these columns, read selectively where the format allows it (Parquet, Arrow IPC,
        CSV); the others are read whole and then narrowed.
    format
        Override the format detected from the extension.
    trusted
        Required to read Pickle: unpickling runs whatever code the file contains.
    """
    return normalise_times(read_raw(path, columns=columns, format=format, trusted=trusted))


def read_raw(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    format: str | None = None,
    trusted: bool = False,
) -> pa.Table:
    """:func:`read_table` without normalising times (naive timestamps stay naive)."""
    fmt = detect_format(path, format)
    file = Path(path)
    if fmt == "pickle" and not trusted:
        raise UnsafeInputError(
            f"refusing to read pickle file {os.fspath(path)!r}: unpickling runs arbitrary code. "
            f"If you trust its origin, pass trusted=True (CLI: --trusted)."
        )
    if not file.is_file():
        raise SourceError(f"no such file: {os.fspath(path)!r}; check the path")
    cols = list(columns) if columns is not None else None
    try:
        if fmt == "parquet":
            if cols is not None:
                names = pq.read_schema(file).names
                for name in cols:
                    if name not in names:
                        raise ColumnNotFoundError(name, names, where=os.fspath(path))
            table = pq.read_table(file, columns=cols)
        elif fmt == "csv":
            table = _read_csv(file, cols)
        elif fmt == "jsonl":
            try:
                table = _select(read_jsonl_fast(file), cols, path)
            except pa.ArrowInvalid:
                table = _read_jsonl_checked(file, cols)
        elif fmt == "arrow":
            table = _read_ipc(file, cols)
        elif fmt == "avro":
            table = _read_avro(file, cols)
        else:
            with open(file, "rb") as handle:
                obj = pickle.load(handle)  # only with trusted=True, checked above
            table = _select(_to_arrow(obj, path), cols, path)
    except (pa.ArrowInvalid, ValueError, EOFError, pickle.UnpicklingError) as exc:
        if isinstance(exc, WinnowError):
            raise
        hint = (
            " If the file holds some bad records, read it with winnow.read (CLI: winnow "
            "convert) to quarantine them."
            if fmt in ("csv", "jsonl")
            else f" Check that the file really is {fmt}."
        )
        raise FormatError(f"cannot read {os.fspath(path)!r} as {fmt}: {exc}.{hint}") from exc
    return table


def _read_csv(file: Path, cols: list[str] | None) -> pa.Table:
    convert = pacsv.ConvertOptions(
        include_columns=cols or [],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        null_values=list(DEFAULT_NULL_VALUES),
    )
    if cols:
        header = csv_header(file)
        for name in cols:
            if name not in header:
                raise ColumnNotFoundError(name, header, where=os.fspath(file))
    return pacsv.read_csv(
        file,
        parse_options=pacsv.ParseOptions(delimiter=csv_delimiter(file)),
        convert_options=convert,
    )


def csv_header(file: str | os.PathLike[str]) -> list[str]:
    """The column names on the first line of a CSV file."""
    import csv

    with open(file, encoding="utf-8-sig", newline="") as handle:  # a BOM is not a name
        line = handle.readline()
    if not line.strip():
        raise FormatError(f"CSV file {os.fspath(file)!r} has no header line; add one")
    return next(csv.reader([line], delimiter=csv_delimiter(file)))


_ISO_TIME = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
    r"(Z|[+-]\d{2}(:?\d{2})?)?$"
)
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _read_jsonl_checked(file: Path, cols: list[str] | None) -> pa.Table:
    """JSON Lines that Arrow's reader rejects (mixed types): infer from every line as text."""
    from winnow.io.ingest import read

    result = read(file, columns=cols, format="jsonl")
    if result.quarantined:
        first = result.quarantine.slice(0, 1).to_pylist()[0]
        raise FormatError(
            f"{os.fspath(file)!r} line {first['position']}: {first['reason']} "
            f"({result.quarantined} bad line(s) in all)"
        )
    return result.table


def read_jsonl_fast(file: Path) -> pa.Table:
    """Arrow's JSON Lines reader (types inferred by Arrow; ISO time strings become times)."""
    table = pajson.read_json(file)
    guessed = [f.name for f in table.schema if pa.types.is_timestamp(f.type)]
    if guessed:
        # Arrow reads "2024-01-01" as a timestamp; re-read those columns as text so that dates
        # stay dates and times are parsed by one rule (_sniff_times)
        explicit = pa.schema([pa.field(name, pa.string()) for name in guessed])
        options = pajson.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="infer")
        table = pajson.read_json(file, parse_options=options).select(table.column_names)
    return _sniff_times(table)


def _sniff_times(table: pa.Table) -> pa.Table:
    """Turn JSON string columns whose every value is an ISO 8601 time (or date) into times."""
    for i, field in enumerate(table.schema):
        if not pa.types.is_string(field.type):
            continue
        column = table.column(i)
        valid = column.drop_null()
        if len(valid) == 0:
            continue
        if pc.all(pc.match_substring_regex(valid, _ISO_DATE)).as_py():
            table = table.set_column(i, field.name, column.cast(pa.date32()))
        elif pc.all(pc.match_substring_regex(valid, _ISO_TIME)).as_py():
            from winnow.io._conform import connect

            con = connect()
            try:
                con.register("t", pa.table({"x": column}))
                parsed = con.sql(
                    "SELECT CASE WHEN regexp_matches(x, '(Z|[+-][0-9:]+)$') "
                    "THEN TRY_CAST(x AS TIMESTAMPTZ) "
                    "ELSE CAST(TRY_CAST(x AS TIMESTAMP) AS TIMESTAMPTZ) END AS x FROM t"
                ).to_arrow_table().column("x")
            finally:
                con.close()
            if parsed.null_count == column.null_count:
                table = table.set_column(i, field.name, parsed.cast(TIMESTAMP))
    return table


def _read_ipc(file: Path, cols: list[str] | None) -> pa.Table:
    """Arrow IPC file format (memory-mapped, only the asked columns), else the stream format."""
    with pa.memory_map(os.fspath(file), "r") as source:
        try:
            reader = pa.ipc.open_file(source)
        except pa.ArrowInvalid:
            source.seek(0)
            return _select(pa.ipc.open_stream(source).read_all(), cols, file)
        names = reader.schema.names
        for name in cols or []:
            if name not in names:
                raise ColumnNotFoundError(name, names, where=os.fspath(file))
    return _select(feather.read_table(file, columns=cols, memory_map=True), cols, file)


def _to_arrow(obj: object, path: str | os.PathLike[str]) -> pa.Table:
    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    module = type(obj).__module__
    if module.startswith("pandas"):
        return pa.Table.from_pandas(obj, preserve_index=False)
    if hasattr(obj, "to_arrow"):
        return pa.table(obj.to_arrow())
    if isinstance(obj, list):
        return pa.Table.from_pylist(obj)
    if isinstance(obj, dict):
        return pa.table(obj)
    raise FormatError(
        f"pickle file {os.fspath(path)!r} holds a {type(obj).__name__}, not a table "
        f"(expected a pandas DataFrame, Arrow table, list of dicts or dict of columns)"
    )


def write_table(
    table: pa.Table,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    compression: str | None = "zstd",
) -> Path:
    """Write ``table`` to ``path`` atomically and return the path.

    The file appears complete or not at all: it is written under a temporary name in the same
    directory, fsynced and renamed. Parquet and Arrow IPC use ``compression`` (zstd by default;
    ``None`` for none); Avro maps zstd to its ``zstandard`` codec; CSV and JSON Lines are
    written uncompressed, times as ISO 8601 in UTC.
    """
    fmt = detect_format(path, format)
    dest = Path(path)
    with atomic_path(dest) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp, compression=compression or "none")
        elif fmt == "csv":
            pacsv.write_csv(
                table, tmp, write_options=pacsv.WriteOptions(delimiter=csv_delimiter(dest))
            )
        elif fmt == "jsonl":
            _write_jsonl(table, tmp)
        elif fmt == "arrow":
            feather.write_feather(table, tmp, compression=compression or "uncompressed")
        elif fmt == "avro":
            _write_avro(table, tmp, compression)
        else:
            with open(tmp, "wb") as handle:
                pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return dest


def _has_non_finite(column: pa.ChunkedArray) -> bool:
    finite = pc.is_finite(column)
    return bool(pc.any(pc.invert(finite)).as_py()) if finite.null_count < len(column) else False


def _write_jsonl(table: pa.Table, path: Path) -> None:
    from winnow.io._conform import connect, quote_ident

    con = connect()
    try:
        con.register("t", table)
        parts = []
        for field in table.schema:
            name = quote_ident(field.name)
            if pa.types.is_floating(field.type) and _has_non_finite(table.column(field.name)):
                # JSON has no NaN/Infinity: write them as the strings "NaN", "inf", "-inf"
                parts.append(
                    f"CASE WHEN isfinite({name}) THEN to_json({name}) "
                    f"ELSE to_json(CAST({name} AS VARCHAR)) END AS {name}"
                )
            elif pa.types.is_timestamp(field.type):
                # ISO 8601 with the UTC 'Z' and all six fractional digits: read back exactly
                parts.append(f"strftime(CAST({name} AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%fZ') "
                             f"AS {name}" if field.type.tz is not None else
                             f"strftime({name}, '%Y-%m-%dT%H:%M:%S.%fZ') AS {name}")
            else:
                parts.append(name)
        quoted = os.fspath(path).replace("'", "''")
        select = ", ".join(parts) if parts else "*"
        con.execute(f"COPY (SELECT {select} FROM t) TO '{quoted}' (FORMAT json)")
    finally:
        con.close()
