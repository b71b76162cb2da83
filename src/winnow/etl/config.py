"""Pipelines declared in YAML (or any mapping): the format ``winnow etl PIPELINE.yaml`` runs.

The file has ``extract``, ``steps`` and (optionally) ``load`` and ``name``::

    name: orders
    extract:
      file: raw/orders.csv            # any format winnow reads
      schema: orders.schema.yaml      # optional: a schema file or an inline mapping
    steps:
      - select: [order_id, customer, amount, updated_at]   # or {old: new} to rename too
      - rename: {amount: amount_eur}
      - cast: {amount_eur: "DECIMAL(12,2)", updated_at: TIMESTAMPTZ}
      - filter: "amount_eur > 0"
      - dedupe: {keys: [order_id], latest_by: updated_at}
      - derive: {big: "amount_eur >= 100"}
      - join: {source: {file: raw/customers.csv}, on: [customer], how: left}
      - aggregate: {by: [customer], aggregates: {orders: "count(*)", total: "sum(amount_eur)"}}
      - validate: {file: orders.expect.yaml}    # or inline: {on_fail: ..., expectations: [...]}
    load:
      parquet: out/orders             # a dataset directory; overwrite:, partition_by: optional
      # or: duckdb: out/shop.duckdb, table: orders, mode: replace | append

A PostgreSQL source is ``postgres: {dsn: ..., table: ...}`` (or ``dsn_env: VAR`` to take the
DSN from an environment variable, and ``query:`` with ``params:`` instead of ``table:``).
Relative paths are relative to the YAML file's directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from winnow._spec import check_keys
from winnow.errors import DefinitionError, SourceError
from winnow.etl.pipeline import Pipeline
from winnow.etl.sinks import DuckDBSink, ParquetSink, Sink
from winnow.etl.sources import FileSource, PostgresSource, Source
from winnow.etl.steps import (
    Aggregate,
    Cast,
    Dedupe,
    Derive,
    Filter,
    Join,
    Rename,
    Select,
    Step,
    Validate,
)

__all__ = [
    "STEP_KINDS",
    "load_pipeline",
    "pipeline_from_dict",
    "sink_from_dict",
    "source_from_dict",
]


def _mapping(value: Any, *, where: str, example: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DefinitionError(
            f"{where}: expected a mapping, found {type(value).__name__} {value!r}; e.g. {example}"
        )
    return value


def _strings(value: Any, *, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise DefinitionError(f"{where}: expected a column name or a list of names, found {value!r}")


def _path(value: Any, base_dir: Path, *, where: str) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise DefinitionError(f"{where}: expected a path, found {value!r}")
    path = Path(value)
    return path if path.is_absolute() else base_dir / path


def source_from_dict(spec: Any, *, base_dir: Path, where: str) -> Source:
    """``{file: path, ...}`` or ``{postgres: {dsn|dsn_env, table|query, params, columns}}``."""
    spec = _mapping(spec, where=where, example="{file: data.csv} or {postgres: {dsn: ..., ...}}")
    if "file" in spec:
        check_keys(spec, ["file", "schema", "columns", "format", "trusted"], where=where)
        columns = spec.get("columns")
        schema = spec.get("schema")
        if schema is not None and not isinstance(schema, Mapping):
            schema = _path(schema, base_dir, where=f"{where} schema")
        return FileSource(
            _path(spec["file"], base_dir, where=f"{where} file"),
            schema=schema,
            columns=None if columns is None else _strings(columns, where=f"{where} columns"),
            format=spec.get("format"),
            trusted=bool(spec.get("trusted", False)),
        )
    if "postgres" in spec:
        check_keys(spec, ["postgres"], where=where)
        pg = _mapping(spec["postgres"], where=f"{where} postgres", example="{dsn: ..., table: t}")
        allowed = ["dsn", "dsn_env", "table", "query", "params", "columns"]
        check_keys(pg, allowed, where=f"{where} postgres")
        if ("dsn" in pg) == ("dsn_env" in pg):
            raise DefinitionError(
                f"{where} postgres: give exactly one of dsn: (a connection string) or dsn_env: "
                f"(the name of an environment variable holding it)"
            )
        if "dsn_env" in pg:
            dsn = os.environ.get(str(pg["dsn_env"]))
            if not dsn:
                raise SourceError(
                    f"{where} postgres: environment variable {pg['dsn_env']!r} is not set; "
                    f"export it with the connection string (postgresql://user@host:port/db)"
                )
        else:
            dsn = str(pg["dsn"])
        params = pg.get("params")
        if params is not None and not isinstance(params, list):
            raise DefinitionError(f"{where} postgres params: expected a list, found {params!r}")
        columns = pg.get("columns")
        return PostgresSource(
            dsn,
            table=pg.get("table"),
            query=pg.get("query"),
            params=None if params is None else tuple(params),
            columns=None if columns is None else _strings(columns, where=f"{where} columns"),
        )
    raise DefinitionError(
        f"{where}: a source needs a 'file' or 'postgres' key, found keys {sorted(spec)}; e.g. "
        f"{{file: data/orders.csv}}"
    )


def _select(value: Any, base_dir: Path, where: str) -> Step:
    if isinstance(value, Mapping):
        return Select(dict(value))
    return Select(_strings(value, where=where))


def _dedupe(value: Any, base_dir: Path, where: str) -> Step:
    spec = _mapping(value, where=where, example="{keys: [id], latest_by: updated_at}")
    check_keys(spec, ["keys", "latest_by"], where=where)
    if "keys" not in spec:
        raise DefinitionError(f"{where}: needs keys: (the column(s) identifying a record)")
    latest = spec.get("latest_by")
    return Dedupe(
        _strings(spec["keys"], where=f"{where} keys"),
        latest_by=None if latest is None else _strings(latest, where=f"{where} latest_by"),
    )


def _join(value: Any, base_dir: Path, where: str) -> Step:
    spec = _mapping(value, where=where, example="{source: {file: x.csv}, on: [id], how: left}")
    raw: Mapping[Any, Any] = spec
    if True in raw:
        # YAML 1.1 (PyYAML) reads a bare `on:` key as the boolean true
        spec = {("on" if k is True else k): v for k, v in raw.items()}
    check_keys(spec, ["source", "on", "how", "suffix"], where=where)
    for required in ("source", "on"):
        if required not in spec:
            raise DefinitionError(f"{where}: needs {required}:")
    on = spec["on"]
    keys: Sequence[str] | Mapping[str, str] = (
        dict(on) if isinstance(on, Mapping) else _strings(on, where=f"{where} on")
    )
    return Join(
        source_from_dict(spec["source"], base_dir=base_dir, where=f"{where} source"),
        on=keys,
        how=spec.get("how", "inner"),
        suffix=str(spec.get("suffix", "_right")),
    )


def _aggregate(value: Any, base_dir: Path, where: str) -> Step:
    spec = _mapping(value, where=where, example="{by: [k], aggregates: {n: 'count(*)'}}")
    check_keys(spec, ["by", "aggregates"], where=where)
    if "aggregates" not in spec:
        raise DefinitionError(f"{where}: needs aggregates: {{name: 'sum(x)', ...}}")
    by = spec.get("by", [])
    aggregates = _mapping(spec["aggregates"], where=f"{where} aggregates", example="{n: count(*)}")
    return Aggregate(_strings(by, where=f"{where} by") if by else (), dict(aggregates))


def _filter(value: Any, base_dir: Path, where: str) -> Step:
    if not isinstance(value, str):
        raise DefinitionError(f"{where}: expected a SQL predicate string, found {value!r}")
    return Filter(value)


def _validate(value: Any, base_dir: Path, where: str) -> Step:
    from winnow.validation import load_expectations, suite_from_dict

    if isinstance(value, str):
        value = {"file": value}
    spec = _mapping(value, where=where, example="{file: orders.expect.yaml} or an inline suite")
    if "file" in spec:
        check_keys(spec, ["file", "on_fail"], where=where)
        suite = load_expectations(_path(spec["file"], base_dir, where=f"{where} file"))
        return Validate(suite, on_fail=spec.get("on_fail"))
    return Validate(suite_from_dict(dict(spec), base_dir=base_dir, where=where))


def _named_mapping(
    cls: Callable[[Mapping[str, str]], Step], example: str
) -> Callable[[Any, Path, str], Step]:
    def build(value: Any, base_dir: Path, where: str) -> Step:
        spec = _mapping(value, where=where, example=example)
        return cls({str(k): str(v) for k, v in spec.items()})

    return build


STEP_KINDS: dict[str, Callable[[Any, Path, str], Step]] = {
    "select": _select,
    "rename": _named_mapping(Rename, "{old: new}"),
    "cast": _named_mapping(Cast, "{amount: DOUBLE}"),
    "filter": _filter,
    "dedupe": _dedupe,
    "derive": _named_mapping(Derive, "{total: 'price * qty'}"),
    "join": _join,
    "aggregate": _aggregate,
    "validate": _validate,
}
"""YAML step keyword -> builder of the matching :class:`~winnow.etl.steps.Step`."""


def sink_from_dict(spec: Any, *, base_dir: Path) -> Sink:
    """``{parquet: dir, overwrite, partition_by, max_rows_per_file}`` or
    ``{duckdb: file, table, mode}``."""
    spec = _mapping(
        spec, where="load", example="{parquet: out/dir} or {duckdb: x.duckdb, table: t}"
    )
    if "parquet" in spec:
        check_keys(
            spec, ["parquet", "overwrite", "partition_by", "max_rows_per_file"], where="load"
        )
        partition = spec.get("partition_by")
        return ParquetSink(
            _path(spec["parquet"], base_dir, where="load parquet"),
            overwrite=bool(spec.get("overwrite", False)),
            partition_by=()
            if partition is None
            else _strings(partition, where="load partition_by"),
            max_rows_per_file=int(spec.get("max_rows_per_file", 1_000_000)),
        )
    if "duckdb" in spec:
        check_keys(spec, ["duckdb", "table", "mode"], where="load")
        if "table" not in spec:
            raise DefinitionError("load duckdb: needs table: (the table name in the database)")
        return DuckDBSink(
            _path(spec["duckdb"], base_dir, where="load duckdb"),
            table=str(spec["table"]),
            mode=spec.get("mode", "replace"),
        )
    raise DefinitionError(
        f"load: needs a 'parquet' or 'duckdb' key, found keys {sorted(spec)}; e.g. "
        f"{{parquet: out/orders}}"
    )


def pipeline_from_dict(spec: Mapping[str, Any], *, base_dir: Path) -> Pipeline:
    """Build a :class:`Pipeline` from the mapping form of a pipeline file."""
    spec = _mapping(spec, where="pipeline", example="{extract: ..., steps: [...], load: ...}")
    check_keys(spec, ["name", "extract", "steps", "load"], where="pipeline")
    if "extract" not in spec:
        raise DefinitionError("pipeline: needs extract: (e.g. extract: {file: data.csv})")
    raw_steps = spec.get("steps") or []
    if not isinstance(raw_steps, list):
        raise DefinitionError(f"pipeline steps: expected a list, found {raw_steps!r}")
    steps = []
    for index, item in enumerate(raw_steps, 1):
        if not isinstance(item, Mapping) or len(item) != 1:
            raise DefinitionError(
                f"step {index}: each step is a mapping with one key, the step kind "
                f"({', '.join(STEP_KINDS)}), found {item!r}"
            )
        ((kind, value),) = item.items()
        if kind not in STEP_KINDS:
            raise DefinitionError(
                f"step {index}: unknown step kind {kind!r}; use one of {', '.join(STEP_KINDS)}"
            )
        where = f"step {index} ({kind})"
        try:
            steps.append(STEP_KINDS[kind](value, base_dir, where))
        except DefinitionError as exc:
            message = str(exc)
            raise DefinitionError(
                message if message.startswith(where) else f"{where}: {message}"
            ) from exc
    load = spec.get("load")
    return Pipeline(
        extract=source_from_dict(spec["extract"], base_dir=base_dir, where="extract"),
        steps=steps,
        load=None if load is None else sink_from_dict(load, base_dir=base_dir),
        name=str(spec.get("name", "pipeline")),
    )


def load_pipeline(path: str | os.PathLike[str]) -> Pipeline:
    """Read a pipeline YAML file; relative paths inside are relative to its directory."""
    import yaml

    file = Path(path)
    if not file.exists():
        raise SourceError(f"no such pipeline file: {os.fspath(file)!r}")
    try:
        spec = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(
            f"pipeline file {os.fspath(file)!r} is not valid YAML: {exc}"
        ) from exc
    try:
        return pipeline_from_dict(spec, base_dir=file.parent)
    except DefinitionError as exc:
        raise DefinitionError(f"{os.fspath(file)}: {exc}") from exc
