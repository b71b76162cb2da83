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
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.json as pajson
import pyarrow.parquet as pq

from winnow.errors import ColumnNotFoundError, FormatError, SourceError, UnsafeInputError
from winnow.io.atomic import atomic_path

__all__ = ["FORMATS", "Format", "detect_format", "read_table", "write_table"]

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
        return format  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    raise FormatError(
        f"cannot tell the format of {os.fspath(path)!r} from its extension {suffix or '(none)'!r}; "
        f"use one of {', '.join(sorted(FORMATS))} or pass format="
    )


def _select(table: pa.Table, columns: Sequence[str] | None, path: str | os.PathLike[str]) -> pa.Table:
    if columns is None:
        return table
    for name in columns:
        if name not in table.column_names:
            raise ColumnNotFoundError(name, table.column_names, where=os.fspath(path))
    return table.select(list(columns))


def _avro_type(typ: pa.DataType) -> Any:
    if pa.types.is_boolean(typ):
        return "boolean"
    if pa.types.is_integer(typ):
        return "long" if typ.bit_width > 32 or not pa.types.is_signed_integer(typ) else "int"
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
        return {"type": "array", "items": ["null", _avro_type(typ.value_type)]}
    raise FormatError(f"Arrow type {typ} has no Avro mapping in winnow; cast the column first")


def _avro_schema(schema: pa.Schema) -> dict[str, Any]:
    fields = [
        {"name": f.name, "type": ["null", _avro_type(f.type)], "default": None} for f in schema
    ]
    return {"type": "record", "name": "Row", "namespace": "winnow", "fields": fields}


def _read_avro(path: Path, columns: Sequence[str] | None) -> pa.Table:
    import fastavro

    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        writer_schema = reader.writer_schema or {}
        names = [f["name"] for f in writer_schema.get("fields", [])]
        if columns is not None:
            for name in columns:
                if name not in names:
                    raise ColumnNotFoundError(name, names, where=os.fspath(path))
        wanted = list(columns) if columns is not None else names
        data: dict[str, list[Any]] = {name: [] for name in wanted}
        for record in reader:
            for name in wanted:
                data[name].append(record.get(name))  # type: ignore[union-attr]
    table = pa.table(data) if wanted else pa.table({})
    # timestamps come back as aware datetimes; normalise to timestamp[us, tz=UTC]
    fields = {f["name"]: f for f in writer_schema.get("fields", [])}
    for i, name in enumerate(table.column_names):
        branches = fields[name]["type"]
        branches = branches if isinstance(branches, list) else [branches]
        for branch in branches:
            if isinstance(branch, dict) and branch.get("logicalType") == "timestamp-micros":
                table = table.set_column(i, name, table[name].cast(pa.timestamp("us", tz="UTC")))
    return table


def _write_avro(table: pa.Table, path: Path, compression: str | None) -> None:
    import fastavro

    schema = fastavro.parse_schema(_avro_schema(table.schema))
    codec = {"zstd": "zstandard", None: "null", "none": "null"}.get(compression, compression)
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, table.to_pylist(), codec=codec)


def read_table(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    format: str | None = None,
    trusted: bool = False,
) -> pa.Table:
    """Read a whole file into an Arrow table, without a declared schema.

    Parameters
    ----------
    path
        The file to read.
    columns
        Only these columns, read selectively where the format allows it.
    format
        Override the format detected from the extension.
    trusted
        Required to read Pickle: unpickling runs whatever code the file contains.
    """
    fmt = detect_format(path, format)
    file = Path(path)
    if fmt == "pickle" and not trusted:
        raise UnsafeInputError(
            f"refusing to read pickle file {os.fspath(path)!r}: unpickling runs arbitrary code. "
            f"If you trust its origin, pass trusted=True (CLI: --trusted)."
        )
    if not file.exists():
        raise SourceError(f"no such file: {os.fspath(path)!r}")
    cols = list(columns) if columns is not None else None
    try:
        if fmt == "parquet":
            if cols is not None:
                names = pq.read_schema(file).names
                for name in cols:
                    if name not in names:
                        raise ColumnNotFoundError(name, names, where=os.fspath(path))
            return pq.read_table(file, columns=cols)
        if fmt == "csv":
            delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
            convert = pacsv.ConvertOptions(include_columns=cols) if cols else None
            table = pacsv.read_csv(
                file, parse_options=pacsv.ParseOptions(delimiter=delimiter), convert_options=convert
            )
            return _select(table, cols, path)
        if fmt == "jsonl":
            return _select(pajson.read_json(file), cols, path)
        if fmt == "arrow":
            return _read_ipc(file, cols)
        if fmt == "avro":
            return _read_avro(file, cols)
        with open(file, "rb") as handle:
            obj = pickle.load(handle)  # noqa: S301 - only with trusted=True, checked above
        return _select(_to_arrow(obj, path), cols, path)
    except (pa.ArrowInvalid, ValueError) as exc:
        if isinstance(exc, (ColumnNotFoundError, FormatError)):
            raise
        raise FormatError(f"cannot read {os.fspath(path)!r} as {fmt}: {exc}") from exc


def _read_ipc(file: Path, cols: list[str] | None) -> pa.Table:
    try:
        table = feather.read_table(file, columns=cols, memory_map=True)
    except pa.ArrowInvalid:
        with pa.OSFile(os.fspath(file), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        table = _select(table, cols, file)
    return table


def _to_arrow(obj: object, path: str | os.PathLike[str]) -> pa.Table:
    if isinstance(obj, pa.Table):
        return obj
    if hasattr(obj, "to_arrow"):
        return pa.table(obj.to_arrow())
    module = type(obj).__module__
    if module.startswith("pandas"):
        return pa.Table.from_pandas(obj, preserve_index=False)  # type: ignore[arg-type]
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

    Parquet and Arrow IPC use ``compression`` (zstd by default; ``None`` for none); Avro maps
    zstd to its ``zstandard`` codec; CSV and JSON Lines are written uncompressed.
    """
    fmt = detect_format(path, format)
    dest = Path(path)
    with atomic_path(dest) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp, compression=compression or "none")
        elif fmt == "csv":
            delimiter = "\t" if dest.suffix.lower() == ".tsv" else ","
            pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(delimiter=delimiter))
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


def _write_jsonl(table: pa.Table, path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("t", table)
        quoted = os.fspath(path).replace("'", "''")
        con.execute(f"COPY t TO '{quoted}' (FORMAT json)")
    finally:
        con.close()
