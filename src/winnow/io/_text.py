"""Text formats (CSV, JSON Lines) read as all-text records, with structurally bad lines set apart.

A structurally bad line (wrong number of CSV fields, malformed JSON, a JSON value that is not an
object) cannot become a record at all; it is reported with its physical line number and text.
The good records keep every value as text, so that a schema (or inference) can decide per
column, in one vectorised pass, what parses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from winnow.errors import FormatError, SchemaError
from winnow.io._conform import connect, quote_ident, quote_literal
from winnow.io._lines import LineIndex
from winnow.io.formats import csv_delimiter, csv_header

__all__ = ["TextRecords", "read_csv_text", "read_jsonl_text"]


@dataclass
class TextRecords:
    """Records of a text file with every value as a string, and the lines that were not records.

    ``table`` holds the records in file order. ``bad_lines``/``bad_reasons``/``bad_raw`` describe
    the structurally bad lines. ``complete`` is False when only a prefix was read.
    """

    path: Path
    table: pa.Table
    bad_lines: npt.NDArray[np.int64]
    bad_reasons: list[str]
    bad_raw: list[str]
    complete: bool
    _record_lines: npt.NDArray[np.int64] | None = None
    _index: LineIndex | None = field(default=None, repr=False)

    def index(self) -> LineIndex:
        """The file's line index (built on first use)."""
        if self._index is None:
            self._index = LineIndex(self.path)
        return self._index

    def lines_of(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """1-based physical line numbers of the given 0-based record indices."""
        if self._record_lines is None:
            raise FormatError(f"record line numbers of {os.fspath(self.path)!r} are unknown")
        return self._record_lines[rows]

    def raw_of(self, rows: npt.NDArray[np.int64]) -> list[str]:
        """The original text of the given records."""
        return self.index().text(self.lines_of(rows))


@dataclass
class _CsvRecords(TextRecords):
    """CSV records; their line numbers are worked out only when someone asks for them.

    ``invalid_ordinals`` are Arrow's numbers of the rows it skipped (1-based among the
    non-empty lines, header included).
    """

    invalid_ordinals: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, np.int64)
    )

    def lines_of(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        if self._record_lines is None:
            # pyarrow numbers rows among non-empty lines, header included (1-based)
            nonempty = self.index().nonempty
            ordinals = np.arange(2, len(nonempty) + 1, dtype=np.int64)
            if len(self.invalid_ordinals):
                ordinals = np.setdiff1d(ordinals, self.invalid_ordinals, assume_unique=True)
            self._record_lines = nonempty[ordinals - 1]
        return self._record_lines[rows]


def read_csv_text(
    path: Path,
    *,
    columns: list[str] | None,
    null_values: tuple[str, ...],
    limit: int | None = None,
) -> TextRecords:
    """Read a CSV file's records as text; lines with the wrong number of fields are set apart."""
    header = csv_header(path)
    include = columns if columns is not None else header
    missing = [c for c in include if c not in header]
    if missing:
        raise SchemaError(
            f"{os.fspath(path)!r} has no column(s) {missing}; its header has {header}. "
            f"Fix the schema or the file's header."
        )
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in include},
        include_columns=include,
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        null_values=list(null_values),
    )
    invalid: list[tuple[int | None, int, int, str]] = []

    def handler(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    parse = pacsv.ParseOptions(delimiter=csv_delimiter(path), invalid_row_handler=handler)

    def run(threads: bool) -> tuple[pa.Table, bool]:
        invalid.clear()
        read = pacsv.ReadOptions(use_threads=threads)
        try:
            if limit is None:
                return pacsv.read_csv(path, read, parse, convert), True
            reader = pacsv.open_csv(path, read, parse, convert)
            batches, rows = [], 0
            for batch in reader:
                batches.append(batch)
                rows += batch.num_rows
                if rows >= limit:
                    break
            else:
                return pa.Table.from_batches(batches, reader.schema), True
            return pa.Table.from_batches(batches, reader.schema).slice(0, limit), False
        except pa.ArrowInvalid as exc:
            raise FormatError(f"cannot parse CSV file {os.fspath(path)!r}: {exc}") from exc

    table, complete = run(threads=limit is None)
    if any(number is None for number, *_ in invalid):
        table, complete = run(threads=False)  # serial parsing knows every bad row's number
    ordinals = np.array([number for number, *_ in invalid], dtype=np.int64)
    records = _CsvRecords(
        path=path,
        table=table,
        bad_lines=np.zeros(0, np.int64),
        bad_reasons=[f"wrong number of fields: expected {exp}, found {act}"
                     for _, exp, act, _ in invalid],
        bad_raw=[text for *_, text in invalid],
        complete=complete,
        invalid_ordinals=ordinals,
    )
    if len(ordinals):
        records.bad_lines = records.index().nonempty[ordinals - 1]
    return records


def _json_path(name: str) -> str:
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_jsonl_text(
    path: Path, *, columns: list[str] | None, limit: int | None = None
) -> TextRecords:
    """Read a JSON Lines file's objects with every value as text (nested values as JSON text).

    ``columns=None`` takes every key seen, in order of first appearance. Blank lines are not
    records; malformed lines and values that are not objects are set apart.
    """
    index = LineIndex(path)
    lines = index.strings()
    numbers = pa.array(np.arange(1, len(lines) + 1, dtype=np.int64))
    con = connect()
    try:
        con.register("raw", pa.table({"line": lines, "n": numbers}))
        limit_sql = "" if limit is None else f" LIMIT {int(limit) + 1}"
        con.execute(
            "CREATE TEMP TABLE j AS SELECT n, line, CASE WHEN NOT json_valid(line) THEN 1 "
            "WHEN json_type(line) <> 'OBJECT' THEN 2 ELSE 0 END AS status "
            f"FROM raw WHERE trim(line) <> '' ORDER BY n{limit_sql}"
        )
        complete = True
        if limit is not None:
            count = con.execute("SELECT count(*) FROM j").fetchone()
            if count is not None and count[0] > limit:
                complete = False
                con.execute("DELETE FROM j WHERE n = (SELECT max(n) FROM j)")
        bad = con.sql("SELECT n, status, line FROM j WHERE status > 0 ORDER BY n").to_arrow_table()
        if columns is None:
            keys = con.sql(
                "SELECT k FROM (SELECT n, unnest(json_keys(line)) AS k, "
                "generate_subscripts(json_keys(line), 1) AS i FROM j WHERE status = 0) "
                "GROUP BY k ORDER BY min(n * 4294967296 + i)"  # first (line, place) seen
            ).to_arrow_table()
            columns = [str(k) for k in keys.column("k").to_pylist()]
        if columns:
            paths = "[" + ", ".join(quote_literal(_json_path(c)) for c in columns) + "]"
            values = ", ".join(
                f"v[{i + 1}] AS {quote_ident(c)}" for i, c in enumerate(columns)
            )
            sql = (
                f"SELECT n, {values} FROM (SELECT n, json_extract_string(line, {paths}) AS v "
                "FROM j WHERE status = 0) ORDER BY n"
            )
        else:
            sql = "SELECT n FROM j WHERE status = 0 ORDER BY n"
        good = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    table = good.drop_columns(["n"])
    table = table.cast(pa.schema([pa.field(c, pa.string()) for c in table.column_names]))
    status = bad.column("status").to_numpy()
    return TextRecords(
        path=path,
        table=table,
        bad_lines=bad.column("n").to_numpy().astype(np.int64),
        bad_reasons=["malformed JSON" if s == 1 else "not a JSON object" for s in status],
        bad_raw=[str(v) for v in pc.utf8_slice_codeunits(bad.column("line"), 0, 2000).to_pylist()],
        complete=complete,
        _record_lines=good.column("n").to_numpy().astype(np.int64),
        _index=index,
    )
