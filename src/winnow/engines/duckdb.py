"""The DuckDB batch engine: runs compiled feature groups over a spine, in process.

Event sources are read where they lie: Parquet files through ``read_parquet`` (so DuckDB can
stream them and spill to disk), with the sequence number taken from ``file_row_number`` plus the
row count of the files before it in sorted order; Arrow tables are registered zero-copy with a
row-position sequence column appended. Other file formats are read to Arrow first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from winnow.engines._errors import EngineMemoryError
from winnow.errors import SourceError
from winnow.features.group import FeatureGroup
from winnow.features.source import EventSource
from winnow.features.sql import ROW_ID, CompiledGroup, compile_group, quote, validate_group
from winnow.io.formats import detect_format, read_table

__all__ = ["DuckDBEngine"]

_SEQUENCE = "__winnow_seq"
_SPINE = "__winnow_spine"


@dataclass(frozen=True)
class _Events:
    relation: str
    schema: pa.Schema
    sequence: str
    table: pa.Table | None = None


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parquet_events(paths: list[Path]) -> _Events:
    schema = pq.read_schema(paths[0])
    names = [_sql_string(os.fspath(p)) for p in paths]
    if len(paths) == 1:
        relation = f"read_parquet({names[0]}, file_row_number = true)"
        return _Events(relation, schema, "file_row_number")
    # sequence = rows in the files before this one (sorted order) + row number in the file
    cases, base = [], 0
    for name, path in zip(names, paths, strict=True):
        cases.append(f"WHEN {name} THEN {base}")
        base += pq.read_metadata(path).num_rows
    relation = (
        f"read_parquet([{', '.join(names)}], file_row_number = true, filename = true)"
    )
    sequence = f"(CASE filename {' '.join(cases)} END + file_row_number)"
    return _Events(relation, schema, sequence)


def _with_sequence(table: pa.Table) -> pa.Table:
    return table.append_column(_SEQUENCE, pa.array(np.arange(table.num_rows, dtype=np.int64)))


class DuckDBEngine:
    """Compute feature groups over a spine with one DuckDB query per group.

    Parameters
    ----------
    threads
        DuckDB worker threads; default: DuckDB's choice (all cores).
    memory_limit
        DuckDB memory limit such as ``"4GB"``; beyond it DuckDB spills to ``temp_directory``.
    temp_directory
        Where DuckDB spills; default: DuckDB's own.
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: str | os.PathLike[str] | None = None,
    ) -> None:
        self.threads = threads
        self.memory_limit = memory_limit
        self.temp_directory = temp_directory

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        if self.threads is not None:
            con.execute(f"SET threads = {int(self.threads)}")
        if self.memory_limit is not None:
            con.execute(f"SET memory_limit = {_sql_string(self.memory_limit)}")
        if self.temp_directory is not None:
            con.execute(f"SET temp_directory = {_sql_string(os.fspath(self.temp_directory))}")
        return con

    def _events(self, source: EventSource, index: int) -> _Events:
        seq_name = source.sequence
        if isinstance(source.data, pa.Table):
            table = source.data if seq_name else _with_sequence(source.data)
            return _Events(
                f"__winnow_events_{index}", source.data.schema,
                quote(seq_name or _SEQUENCE), table,
            )
        if source.is_spark:
            raise SourceError(
                f"event source {source.describe()!r} is a Spark DataFrame; compute it with "
                f"engine='spark' or convert it with df.toArrow() first"
            )
        paths = source.paths()
        formats = {detect_format(p) for p in paths}
        events = _parquet_events(paths) if formats == {"parquet"} else None
        # files with a column named like one read_parquet adds would clash: read them to Arrow
        if events is not None and not {"file_row_number", "filename"} & set(events.schema.names):
            if seq_name:
                return _Events(events.relation, events.schema, quote(seq_name))
            return events
        try:
            tables = [read_table(p) for p in paths]
            table = pa.concat_tables(tables, promote_options="default")
        except pa.ArrowInvalid as exc:
            raise SourceError(
                f"the files of event source {source.describe()!r} do not share a schema: {exc}"
            ) from exc
        table = table if seq_name else _with_sequence(table)
        schema = table.schema if seq_name else table.schema.remove(table.num_columns - 1)
        return _Events(
            f"__winnow_events_{index}", schema, quote(seq_name or _SEQUENCE), table
        )

    def _compile(
        self,
        con: duckdb.DuckDBPyConnection | None,
        spine_schema: pa.Schema,
        plan: Sequence[tuple[FeatureGroup, tuple[str, ...]]],
    ) -> list[CompiledGroup]:
        compiled: list[CompiledGroup] = []
        sources: dict[int, _Events] = {}
        for group, spine_keys in plan:
            events = sources.get(id(group.source))
            if events is None:
                events = self._events(group.source, len(sources))
                sources[id(group.source)] = events
                if con is not None and events.table is not None:
                    con.register(events.relation, events.table)
            validate_group(
                group, event_schema=events.schema, spine_schema=spine_schema,
                spine_keys=spine_keys,
            )
            compiled.append(
                compile_group(
                    group, events=events.relation, event_schema=events.schema,
                    sequence=events.sequence, spine=_SPINE, spine_keys=spine_keys,
                )
            )
        return compiled

    def explain(
        self, spine_schema: pa.Schema, plan: Sequence[tuple[FeatureGroup, tuple[str, ...]]]
    ) -> str:
        """The SQL run for each group, in order, separated by blank lines."""
        compiled = self._compile(None, spine_schema, plan)
        return "\n\n".join(c.sql + ";" for c in compiled)

    def run(
        self,
        spine: pa.Table,
        plan: Sequence[tuple[FeatureGroup, tuple[str, ...]]],
        *,
        progress: Callable[[FeatureGroup], None] | None = None,
    ) -> list[pa.Table]:
        """Compute each group's output columns, one table per group, rows in spine order.

        ``spine`` must carry the row id and time columns of :mod:`winnow.features.sql`.
        """
        con = self._connect()
        try:
            con.register(_SPINE, spine)
            compiled = self._compile(con, spine.schema, plan)
            results = []
            for item in compiled:
                try:
                    table = con.sql(item.sql).to_arrow_table()
                except duckdb.OutOfMemoryException as exc:
                    limit = f"memory_limit={self.memory_limit!r}" if self.memory_limit else (
                        "DuckDB's default memory limit"
                    )
                    raise EngineMemoryError(
                        f"feature group {item.group.name!r} ran out of memory under {limit} "
                        f"(DuckDB spills sorts and windows, but needs some working memory per "
                        f"thread): raise memory_limit, or lower threads "
                        f"(DuckDBEngine(threads=1, ...)); DuckDB said: {exc}"
                    ) from exc
                if table.num_rows != spine.num_rows:
                    raise SourceError(
                        f"feature group {item.group.name!r} returned {table.num_rows} rows for "
                        f"a spine of {spine.num_rows}; an event source changed during the run?"
                    )
                table = table.drop_columns([ROW_ID])
                results.append(table.cast(item.output_schema))
                if progress is not None:
                    progress(item.group)
            return results
        finally:
            con.close()
