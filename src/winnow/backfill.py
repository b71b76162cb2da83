"""Point-in-time correct batch backfill: feature values for every row of a spine.

A *spine* is the table of rows to train on (labelled events), each with an entity key and a
time. :func:`backfill` computes every feature of every group for every spine row from the events
strictly before that row's time (DESIGN.md section 3) in one engine query per group, and returns
the spine with the feature columns appended. :func:`explain` returns the SQL it would run.

Engines: DuckDB (embedded, the default; ``memory_limit=`` and ``spill_dir=`` let it work on
inputs larger than memory by spilling to disk) and Spark (``engine="spark"``; needs the
``winnow[spark]`` extra and is imported only when asked for).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, TypeAlias, cast, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.engines.duckdb import DuckDBEngine
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.features.group import FeatureGroup
from winnow.features.sql import ROW_ID, SPINE_TIME
from winnow.io.formats import read_table
from winnow.timestamps import to_utc

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from winnow.engines.spark import SparkEngine

__all__ = ["ENGINES", "backfill", "explain"]

#: the batch engines :func:`backfill` accepts
ENGINES: tuple[str, ...] = ("duckdb", "spark")

Plan = list[tuple[FeatureGroup, tuple[str, ...]]]


def _is_spark_frame(value: object) -> bool:
    # without importing pyspark: a Spark DataFrame can only exist if pyspark is loaded
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark.")


def _load_spine(spine: pa.Table | str | os.PathLike[str]) -> pa.Table:
    if isinstance(spine, pa.Table):
        return spine
    if isinstance(spine, (str, os.PathLike)):
        return read_table(spine)
    if _is_spark_frame(spine):
        raise SchemaError(
            "the spine is a Spark DataFrame; compute it with engine='spark' or convert it "
            "with spine.toArrow() first"
        )
    raise SchemaError(
        f"spine must be a pyarrow.Table or a file path, got {type(spine).__name__}; "
        f"convert it with pyarrow.table(...) or write it to Parquet first"
    )


def _groups(groups: FeatureGroup | Sequence[FeatureGroup]) -> list[FeatureGroup]:
    items = [groups] if isinstance(groups, FeatureGroup) else list(groups)
    if not items:
        raise DefinitionError("backfill needs at least one FeatureGroup")
    for item in items:
        if not isinstance(item, FeatureGroup):
            raise DefinitionError(
                f"backfill takes FeatureGroup objects, got {type(item).__name__}; wrap your "
                f"features: wn.FeatureGroup('name', source=..., key=..., features=[...])"
            )
    return items


def _plan(
    schema: pa.Schema,
    groups: list[FeatureGroup],
    *,
    time: str,
    keys: Mapping[str, str | Sequence[str]] | None,
) -> Plan:
    if time not in schema.names:
        raise ColumnNotFoundError(time, schema.names, where="the spine (time=)")
    for internal in (ROW_ID, SPINE_TIME):
        if internal in schema.names:
            raise SchemaError(f"the spine has a column named {internal!r}, reserved; rename it")
    keys = dict(keys or {})
    names = [g.name for g in groups]
    unknown = sorted(set(keys) - set(names))
    if unknown:
        raise DefinitionError(
            f"keys= names feature groups {unknown} that are not being computed; groups: {names}"
        )
    owner: dict[str, str] = {name: "the spine" for name in schema.names}
    plan: Plan = []
    for group in groups:
        mapped = keys.get(group.name, group.key)
        spine_keys = (mapped,) if isinstance(mapped, str) else tuple(mapped)
        if len(spine_keys) != len(group.key):
            raise DefinitionError(
                f"keys[{group.name!r}] = {list(spine_keys)} but feature group {group.name!r} "
                f"has a {len(group.key)}-column key {list(group.key)}; give one spine column "
                f"per key column"
            )
        for key in spine_keys:
            if key not in schema.names:
                raise ColumnNotFoundError(
                    key, schema.names,
                    where=f"the spine (key of feature group {group.name!r}; if the spine names "
                    f"it differently pass keys={{{group.name!r}: 'spine_column'}}, or "
                    f"--key {group.name}=spine_column to winnow backfill)",
                )
        for column in group.output_columns:
            if column in owner:
                raise DefinitionError(
                    f"output column {column!r} of feature group {group.name!r} is also a column "
                    f"of {owner[column]}; rename the group or the feature (name=)"
                )
            owner[column] = f"feature group {group.name!r}"
        plan.append((group, spine_keys))
    return plan


def _engine(
    engine: str | DuckDBEngine | SparkEngine,
    *,
    spark: SparkSession | None = None,
    memory_limit: str | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
) -> DuckDBEngine | SparkEngine:
    duckdb_options = memory_limit is not None or spill_dir is not None
    if isinstance(engine, DuckDBEngine):
        if duckdb_options or spark is not None:
            raise DefinitionError(
                "memory_limit=, spill_dir= and spark= cannot be combined with an engine object; "
                "set them on it: DuckDBEngine(memory_limit='4GB', temp_directory='/scratch')"
            )
        return engine
    if engine == "duckdb":
        if spark is not None:
            raise DefinitionError("spark= is for engine='spark'; drop it or pass engine='spark'")
        return DuckDBEngine(memory_limit=memory_limit, temp_directory=spill_dir)
    if engine == "spark" or getattr(engine, "name", None) == "spark":
        if duckdb_options:
            raise DefinitionError(
                "memory_limit= and spill_dir= are options of engine='duckdb'; size Spark "
                "through its own configuration (spark.executor.memory, spark.local.dir)"
            )
        from winnow.engines.spark import SparkEngine  # raises MissingDependencyError

        if isinstance(engine, SparkEngine):
            if spark is not None:
                raise DefinitionError(
                    "spark= cannot be combined with a SparkEngine object; use "
                    "SparkEngine(spark=session)"
                )
            return engine
        return SparkEngine(spark=spark)
    raise DefinitionError(f"unknown engine {engine!r}; available engines: {', '.join(ENGINES)}")


def _internal_spine(spine: pa.Table, plan: Plan, time: str) -> pa.Table:
    micros = to_utc(spine[time], name=time).cast(pa.int64())  # ns truncated, as events are
    nulls = micros.null_count
    if nulls:
        first = int(pc.index(pc.is_null(micros), True).as_py())
        raise SchemaError(
            f"spine time column {time!r} has {nulls} null values (first at row {first}); a "
            f"spine row needs a time: drop or fill those rows"
        )
    needed = list(dict.fromkeys(k for _, spine_keys in plan for k in spine_keys))
    columns = [spine[k] for k in needed]
    columns += [pa.array(np.arange(spine.num_rows, dtype=np.int64)), micros]
    return pa.Table.from_arrays(columns, names=[*needed, ROW_ID, SPINE_TIME])


Spine: TypeAlias = "pa.Table | str | os.PathLike[str] | DataFrame"


@overload
def backfill(
    spine: Spine,
    groups: FeatureGroup | Sequence[FeatureGroup],
    *,
    time: str,
    keys: Mapping[str, str | Sequence[str]] | None = ...,
    engine: str | DuckDBEngine | SparkEngine = ...,
    progress: Callable[[FeatureGroup], None] | None = ...,
    output: Literal["arrow"] = ...,
    spark: SparkSession | None = ...,
    memory_limit: str | None = ...,
    spill_dir: str | os.PathLike[str] | None = ...,
) -> pa.Table: ...


@overload
def backfill(
    spine: Spine,
    groups: FeatureGroup | Sequence[FeatureGroup],
    *,
    time: str,
    keys: Mapping[str, str | Sequence[str]] | None = ...,
    engine: str | DuckDBEngine | SparkEngine = ...,
    progress: Callable[[FeatureGroup], None] | None = ...,
    output: Literal["spark"],
    spark: SparkSession | None = ...,
    memory_limit: str | None = ...,
    spill_dir: str | os.PathLike[str] | None = ...,
) -> DataFrame: ...


def backfill(
    spine: Spine,
    groups: FeatureGroup | Sequence[FeatureGroup],
    *,
    time: str,
    keys: Mapping[str, str | Sequence[str]] | None = None,
    engine: str | DuckDBEngine | SparkEngine = "duckdb",
    progress: Callable[[FeatureGroup], None] | None = None,
    output: Literal["arrow", "spark"] = "arrow",
    spark: SparkSession | None = None,
    memory_limit: str | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
) -> pa.Table | DataFrame:
    """Compute every feature of ``groups`` for every spine row, point-in-time correct.

    Each feature of a spine row aggregates the events of the row's key with time in
    ``[t - window, t)`` (``(-inf, t)`` for lifetime): an event at exactly the row's time is
    excluded, ties in time are ordered by sequence, and a key without events gets the
    aggregation's empty value.

    Parameters
    ----------
    spine
        The rows to compute features for: an Arrow table, a file readable by
        :func:`winnow.read_table`, or (with ``engine="spark"``) a Spark DataFrame.
    groups
        One feature group or several (with the same or different keys).
    time
        The spine's time column; naive times are UTC.
    keys
        Maps a group name to the spine column(s) holding its key, in the order of the group's
        key; by default the spine columns named like the group's key.
    engine
        ``"duckdb"``, ``"spark"``, or an engine object such as
        ``DuckDBEngine(memory_limit="4GB")`` or ``SparkEngine(spark=session)``.
    progress
        Called with each group once its features are computed.
    output
        ``"arrow"`` (a ``pyarrow.Table``) or, with ``engine="spark"``, ``"spark"`` (a lazy
        Spark DataFrame ordered like the spine).
    spark
        The ``SparkSession`` to run on (``engine="spark"``); default: the active session or a
        local one.
    memory_limit
        DuckDB's memory limit, e.g. ``"2GB"``; beyond it DuckDB spills to ``spill_dir``.
    spill_dir
        Where DuckDB spills intermediate data; default: DuckDB's own temporary directory.

    Returns
    -------
    pyarrow.Table or pyspark.sql.DataFrame
        The spine's columns untouched and in order, then ``{group}__{feature}`` columns typed
        as :meth:`FeatureGroup.output_schema` says.

    Examples
    --------
    >>> import pyarrow as pa, winnow as wn
    >>> ts = pa.timestamp("us", tz="UTC")
    >>> events = pa.table({"card_id": [1, 1], "ts": pa.array([0, 10], ts), "amount": [2.0, 3.0]})
    >>> card = wn.FeatureGroup("card", source=wn.EventSource(events, time="ts"), key="card_id",
    ...                        features=[wn.Count(), wn.Sum("amount")])
    >>> spine = pa.table({"card_id": [1, 1], "ts": pa.array([10, 11], ts)})
    >>> out = wn.backfill(spine, [card], time="ts")
    >>> out.select(["card__count", "card__sum_amount"]).to_pydict()
    {'card__count': [1, 2], 'card__sum_amount': [2.0, 5.0]}
    """
    if output not in ("arrow", "spark"):
        raise DefinitionError(f"output must be 'arrow' or 'spark', got {output!r}")
    items = _groups(groups)
    runner = _engine(engine, spark=spark, memory_limit=memory_limit, spill_dir=spill_dir)
    if output == "spark" or _is_spark_frame(spine):
        if runner.name != "spark":
            raise DefinitionError(
                "a Spark DataFrame spine and output='spark' need engine='spark'"
            )
        from winnow.engines.spark import SparkEngine

        assert isinstance(runner, SparkEngine)
        frame_or_table: pa.Table | DataFrame
        if _is_spark_frame(spine):
            frame_or_table = cast("DataFrame", spine)
            schema = runner.spine_schema(frame_or_table)
        else:
            frame_or_table = _load_spine(spine)
            schema = frame_or_table.schema
        plan = _plan(schema, items, time=time, keys=keys)
        return runner.backfill(frame_or_table, plan, time=time, output=output, progress=progress)
    table = _load_spine(spine)
    plan = _plan(table.schema, items, time=time, keys=keys)
    internal = _internal_spine(table, plan, time)
    outputs = runner.run(internal, plan, progress=progress)
    result = table
    for features in outputs:
        for name, column in zip(features.column_names, features.columns, strict=True):
            result = result.append_column(features.schema.field(name), column)
    return result


def explain(
    spine: pa.Table | str | os.PathLike[str],
    groups: FeatureGroup | Sequence[FeatureGroup],
    *,
    time: str,
    keys: Mapping[str, str | Sequence[str]] | None = None,
    engine: str | DuckDBEngine | SparkEngine = "duckdb",
) -> str:
    """Return the SQL :func:`backfill` runs for these arguments, one statement per group.

    The spine appears as the relation ``__winnow_spine`` with the added columns
    ``__winnow_row`` (row position) and ``__winnow_t`` (time in UTC microseconds). With
    ``engine="spark"`` the statements are Spark SQL.
    """
    table = _load_spine(spine)
    items = _groups(groups)
    plan = _plan(table.schema, items, time=time, keys=keys)
    runner = _engine(engine)
    internal = _internal_spine(table.slice(0, 0), plan, time)
    return runner.explain(internal.schema, plan)
