"""The Spark batch engine: the same feature definitions, computed on Apache Spark (PySpark).

``wn.backfill(spine, groups, time="ts", engine="spark", spark=session)`` compiles each feature
group to one Spark SQL statement and runs it on the given session (or on a local session created
on first use). The semantics are those of :mod:`winnow.features.aggregations` and of the DuckDB
engine: each spine row at time ``t`` aggregates its key's events with time in ``[t - w, t)``,
ties ordered by (time, sequence), empty windows give :attr:`Aggregation.empty`.

The plan
--------
Like :mod:`winnow.features.sql`, the formulation is sort-based: events and spine rows are
stacked with ``UNION ALL`` and every feature is a window function over the stacked rows ordered
by time in integer microseconds, with the frame ``RANGE BETWEEN w PRECEDING AND 1 PRECEDING``
(``UNBOUNDED PRECEDING`` for lifetime windows); only the spine rows are kept.

Skewed keys. A window partitioned by the key alone sends every row of a key to one task, so a
key holding most events would be computed by one core. The plan therefore partitions the
windows by (key, *time bucket*):

1. a first, small query counts the events per key; a key with more than ``hot_key_rows``
   events is *hot* and its time range is cut into buckets of width ``max(span / ceil(n /
   hot_key_rows), ceil(W / max_copies))``, where ``W`` is the group's longest finite window.
   Other keys have one bucket (0), so for them nothing changes; when no key is hot, the query
   has no buckets at all (steps 2 and 3 vanish from it);
2. finite windows: a spine row in bucket ``b`` needs the events of ``[t - W, t)``, which lie in
   bucket ``b`` or in the buckets just before it. Each event of a hot key is therefore also
   copied into the later buckets whose spine rows can still see it (those up to the bucket of
   ``t + W``: at most ``max_copies`` copies, and only of the events in the last ``W`` of a
   bucket). Within the (key, bucket) partition the window frame is then exact;
3. lifetime windows cannot be copied; they are split instead. Every aggregation is written as a
   mergeable *state* (:data:`_STATES`): the state over the bucket's own earlier events (a window
   frame inside the partition) is merged with the state of all earlier buckets of the key,
   computed as one partial state per (key, bucket) and an exclusive running merge over the
   key's buckets (a tiny table: hot keys x buckets, broadcast to the join). Lifetime
   ``CountDistinct`` counts *first sightings*: one row per (key, value) at the value's first
   time, found by a grouped ``min`` (which Spark pre-aggregates per task, so a hot key does not
   concentrate it either).

A hot key's rows are thus spread over ``span / bucket`` window partitions, which Spark hashes to
different tasks. Spark evaluates a sliding frame by re-aggregating the rows inside it, so the
cost per spine row stays proportional to the events in its window; the buckets spread those
rows over tasks but do not change that cost.

Each aggregation is translated once, in :data:`_STATES`, from the pure definition (column,
window, ``k``, :attr:`Aggregation.empty`); the SQL is inspectable with ``wn.explain(...,
engine="spark")``. Spark runs with its session time zone set to UTC for the duration of a call
(a naive timestamp is read as UTC, as everywhere in winnow).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from winnow.engines._optional import MissingDependencyError

try:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import functions as F
except ImportError as exc:  # exercised by a test that hides pyspark
    raise MissingDependencyError("pyspark", extra="spark", feature="engine='spark'") from exc

from winnow.errors import DefinitionError, SourceError
from winnow.features.aggregations import (
    Aggregation,
    Count,
    CountDistinct,
    First,
    Last,
    LastK,
    Max,
    Mean,
    Min,
    Std,
    Sum,
)
from winnow.features.group import FeatureGroup
from winnow.features.source import EventSource
from winnow.features.sql import ROW_ID, SPINE_TIME, validate_group, value_expression
from winnow.io.formats import detect_format, read_table
from winnow.timestamps import to_utc

__all__ = ["SparkEngine", "compile_group", "is_spark_dataframe", "local_session", "spine_frame"]

Plan = Sequence[tuple[FeatureGroup, tuple[str, ...]]]

_SEQUENCE = "__winnow_seq"
_TIME = "__winnow_time"


def is_spark_dataframe(value: object) -> bool:
    """Whether ``value`` is a PySpark DataFrame (classic or Spark Connect)."""
    return isinstance(value, DataFrame) or (
        type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pyspark.")
    )


def _q(name: str) -> str:
    """Quote an identifier for Spark SQL."""
    return "`" + name.replace("`", "``") + "`"


def _floor_div(a: str, b: str) -> str:
    # exact integer floor division for any sign of a (b > 0); Spark's div truncates toward 0
    return f"(({a}) - pmod({a}, {b})) div ({b})"


def _literal(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise DefinitionError(f"no Spark literal for the empty value {value!r}")
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)"
    if isinstance(value, float):
        return f"CAST({value!r} AS DOUBLE)"
    raise DefinitionError(f"no Spark literal for the empty value {value!r}")


# ---------------------------------------------------------------------------------------------
# One translation per aggregation: a mergeable state.
#
# agg    aggregates rows into the state: {v} the value column, {e} the event marker (1 for an
#        event, null otherwise), {o} the OVER clause ("" when used with GROUP BY), {k} LastK's k
# prefix merges the partial states {p} of earlier buckets (a window over the bucket table, {o})
# merge  combines the in-bucket state {a} with the earlier buckets' state {p} (null: none)
# final  turns a state {s} into the feature value (before the empty value is filled in)
# ---------------------------------------------------------------------------------------------

_ORDERED = "CASE WHEN {v} IS NOT NULL THEN named_struct('t', __t, 's', __s, 'v', {v}) END"
_STD_ZERO = "named_struct('n', CAST(0 AS BIGINT), 'm', CAST(0 AS DOUBLE), 'm2', CAST(0 AS DOUBLE))"


def _std_merge(a: str, b: str) -> str:
    """Chan et al.'s merge of two (count, mean, M2) states; numerically stable."""
    n = f"({a}.n + {b}.n)"
    d = f"({b}.m - {a}.m)"
    return (
        f"CASE WHEN {b}.n = 0 THEN {a} WHEN {a}.n = 0 THEN {b} ELSE named_struct("
        f"'n', {n}, 'm', {a}.m + {d} * {b}.n / {n}, "
        f"'m2', {a}.m2 + {b}.m2 + {d} * {d} * {a}.n * {b}.n / {n}) END"
    )


@dataclass(frozen=True)
class _State:
    agg: str
    prefix: str
    merge: str
    final: str = "{s}"


_COUNT = _State("count({e}){o}", "sum({p}){o}", "{a} + coalesce({p}, 0)")
_STATES: dict[type[Aggregation], _State] = {
    Count: _COUNT,
    Sum: _State("sum(CAST({v} AS DOUBLE)){o}", "sum({p}){o}", "coalesce({a} + {p}, {a}, {p})"),
    Mean: _State(
        "named_struct('n', count({v}){o}, 's', sum(CAST({v} AS DOUBLE)){o})",
        "named_struct('n', sum({p}.n){o}, 's', sum({p}.s){o})",
        "named_struct('n', {a}.n + coalesce({p}.n, 0), 's', coalesce({a}.s + {p}.s, {a}.s, {p}.s))",
        "CASE WHEN {s}.n > 0 THEN {s}.s / {s}.n END",
    ),
    Std: _State(
        "named_struct('n', count({v}){o}, 'm', coalesce(avg(CAST({v} AS DOUBLE)){o}, 0D), "
        "'m2', coalesce(var_pop(CAST({v} AS DOUBLE)){o} * count({v}){o}, 0D))",
        f"aggregate(collect_list({{p}}){{o}}, {_STD_ZERO}, (x, y) -> {_std_merge('x', 'y')})",
        _std_merge("coalesce({p}, " + _STD_ZERO + ")", "{a}"),
        "CASE WHEN {s}.n > 1 THEN sqrt({s}.m2 / ({s}.n - 1)) END",
    ),
    Min: _State("min({v}){o}", "min({p}){o}", "least({a}, {p})"),
    Max: _State("max({v}){o}", "max({p}){o}", "greatest({a}, {p})"),
    First: _State(f"min({_ORDERED}){{o}}", "min({p}){o}", "least({a}, {p})", "{s}.v"),
    Last: _State(f"max({_ORDERED}){{o}}", "max({p}){o}", "greatest({a}, {p})", "{s}.v"),
    LastK: _State(
        f"slice(sort_array(collect_list({_ORDERED}){{o}}, false), 1, {{k}})",
        "slice(sort_array(flatten(collect_list({p}){o}), false), 1, {k})",
        "CASE WHEN {p} IS NULL THEN {a} ELSE slice(concat({a}, {p}), 1, {k}) END",
        "CASE WHEN size({s}) > 0 THEN transform({s}, x -> x.v) END",
    ),
    # finite windows only; a lifetime CountDistinct is a _COUNT of first sightings
    CountDistinct: _State("size(collect_set({v}){o})", "", ""),
}


def _fill(template: str, **parts: str) -> str:
    return template.format(**{"v": "", "e": "", "o": "", "k": "", "p": "", "a": "", **parts})


@dataclass(frozen=True)
class _Events:
    """An event source as a Spark relation: a temp view, the time and sequence expressions."""

    view: str
    schema: pa.Schema
    time: str
    sequence: str
    describe: str


def _needed_columns(source: EventSource, plan: Plan) -> list[str]:
    cols: list[str] = []
    for group, _ in plan:
        if group.source is source:
            cols += [c for c in group.needed_columns if c not in cols]
    return cols


def _arrow_schema(df: DataFrame) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(df.schema, timezone="UTC")


def _cast_time(column: str) -> str:
    # Spark reads a tz-aware time as TIMESTAMP and a naive one as TIMESTAMP_NTZ; with the session
    # time zone at UTC both (and DATE) cast to the same UTC instant
    return f"unix_micros(CAST({_q(column)} AS TIMESTAMP))"


_HOT_QUERY = "__query__"


def _events_cte(group: FeatureGroup, events: _Events, values: dict[str, int]) -> str:
    not_null = " AND ".join(f"{_q(k)} IS NOT NULL" for k in group.key)
    cols = [f"{_q(k)} AS __k{i}" for i, k in enumerate(group.key)]
    cols += [f"{events.time} AS __t", f"{events.sequence} AS __s"]
    cols += [
        f"{value_expression(c, events.schema.field(c).type, quote_name=_q)} AS __c{j}"
        for c, j in values.items()
    ]
    return (
        f"__ev AS (\n  SELECT {', '.join(cols)}\n  FROM {events.view}\n"
        f"  WHERE {not_null} AND {_q(group.time)} IS NOT NULL\n)"
    )


def _hot_cte(group: FeatureGroup, *, hot_key_rows: int, min_width: int) -> str:
    klist = ", ".join(f"__k{i}" for i in range(len(group.key)))
    return (
        f"__hot AS (\n  SELECT {klist}, min(__t) AS __t0,\n"
        f"    greatest(CAST(ceil((max(__t) - min(__t) + 1) / ceil(count(*) / {hot_key_rows}))"
        f" AS BIGINT), {min_width}) AS __w\n"
        f"  FROM __ev GROUP BY {klist} HAVING count(*) > {hot_key_rows}\n)"
    )


def hot_keys_query(
    group: FeatureGroup, *, events: _Events, hot_key_rows: int, max_copies: int
) -> str:
    """The query listing a group's hot keys with their bucket origin ``__t0`` and width ``__w``."""
    finite = [f.window_micros for f in group.features if f.window_micros is not None]
    min_width = max(1, -(-max(finite, default=0) // max_copies))
    events_cte = _events_cte(group, events, {})
    hot = _hot_cte(group, hot_key_rows=hot_key_rows, min_width=min_width)
    return f"WITH {events_cte},\n{hot}\nSELECT * FROM __hot"


def compile_group(
    group: FeatureGroup,
    *,
    events: _Events,
    spine: str,
    spine_keys: Sequence[str],
    hot_key_rows: int,
    max_copies: int,
    hot: str | None = _HOT_QUERY,
) -> str:
    """Compile ``group`` to one Spark SQL query: ROW_ID and the group's features per spine row.

    ``hot`` says where the hot keys come from: the default computes them inside the query; a
    view name reads them (columns ``__k0..``, ``__t0``, ``__w`` as :func:`hot_keys_query`
    returns); ``None`` means there are none, and the query has no bucketing at all.
    """
    n_keys = len(group.key)
    ks = [f"__k{i}" for i in range(n_keys)]
    klist = ", ".join(ks)
    values: dict[str, int] = {}
    for feat in group.features:
        if feat.column is not None and feat.column not in values:
            values[feat.column] = len(values)
    distinct_lifetime = sorted(
        {values[f.column] for f in group.features
         if isinstance(f, CountDistinct) and f.window_micros is None and f.column is not None}
    )
    finite = [f.window_micros for f in group.features if f.window_micros is not None]
    longest = max(finite) if finite else 0
    lifetime = any(f.window_micros is None for f in group.features)
    min_width = max(1, -(-longest // max_copies))

    def on(left: str, right: str) -> str:
        return " AND ".join(f"{left}.{k} = {right}.{k}" for k in ks)

    def bucket(t: str) -> str:
        return f"CASE WHEN __w IS NULL THEN 0 ELSE {_floor_div(f'{t} - __t0', '__w')} END"

    ctes = [_events_cte(group, events, values)]
    if hot == _HOT_QUERY:
        ctes.append(_hot_cte(group, hot_key_rows=hot_key_rows, min_width=min_width))
    elif hot is not None:
        ctes.append(f"__hot AS (SELECT * FROM {hot})")
    sp_keys = [f"{_q(s)} AS __k{i}" for i, s in enumerate(spine_keys)]
    sp_cols = f"{', '.join(sp_keys)}, {_q(SPINE_TIME)} AS __t, {_q(ROW_ID)} AS __row"
    if hot is None:
        # no hot key: one bucket per key, nothing to copy or merge
        none = "CAST(NULL AS BIGINT)"
        ctes.append(f"__evb AS (SELECT *, {none} AS __t0, {none} AS __w, 0 AS __b FROM __ev)")
        ctes.append(f"__sp AS (SELECT {sp_cols}, false AS __hk, 0 AS __b FROM {spine})")
    else:
        ctes.append(
            f"__evb AS (\n  SELECT /*+ BROADCAST(__hot) */ __ev.*, __t0, __w, "
            f"{bucket('__t')} AS __b\n  FROM __ev LEFT JOIN __hot ON {on('__ev', '__hot')}\n)"
        )
        ctes.append(
            f"__sp AS (\n  SELECT /*+ BROADCAST(__hot) */ __s0.*, __w IS NOT NULL AS __hk, "
            f"{bucket('__t')} AS __b\n"
            f"  FROM (SELECT {sp_cols} FROM {spine}) __s0 LEFT JOIN __hot ON "
            f"{on('__s0', '__hot')}\n)"
        )

    def row(kind: str, *, b: str = "__b", s: str = "__s", first: int = -1) -> str:
        """The stacked columns for one kind of row: home/copy event, first sighting, spine."""
        null_int, null_long = "CAST(NULL AS INT)", "CAST(NULL AS BIGINT)"
        event = kind in ("home", "copy")
        cols = [*ks, f"{b} AS __b", "__hk" if kind == "spine" else "__w IS NOT NULL AS __hk",
                "__t", f"{s} AS __s", "__row" if kind == "spine" else f"{null_long} AS __row",
                f"{'1' if event else null_int} AS __e",
                f"{'1' if kind == 'home' else null_int} AS __h"]
        cols += [f"{'1' if j == first else null_int} AS __f{j}" for j in distinct_lifetime]
        cols += [f"{f'__c{j}' if event else 'NULL'} AS __v{j}" for j in values.values()]
        if hot is not None:  # without hot keys there are no copies: __v is the home value
            cols += [f"{f'__c{j}' if kind == 'home' else 'NULL'} AS __l{j}"
                     for j in values.values()]
        return ", ".join(cols)

    parts = [f"  SELECT {row('home')}\n  FROM __evb"]
    if longest and hot is not None:
        reach = _floor_div(f"__t + {longest} - __t0", "__w")
        parts.append(
            f"  SELECT {row('copy', b='__b2')}\n"
            f"  FROM __evb LATERAL VIEW explode(sequence(__b + 1, {reach})) __x AS __b2\n"
            f"  WHERE __w IS NOT NULL AND {reach} > __b"
        )
    for j in distinct_lifetime:
        parts.append(
            f"  SELECT {row('first', b=bucket('__t'), s='CAST(NULL AS BIGINT)', first=j)}\n"
            f"  FROM (SELECT {klist}, __t0, __w, min(__t) AS __t FROM __evb\n"
            f"        WHERE __c{j} IS NOT NULL GROUP BY {klist}, __t0, __w, __c{j})"
        )
    parts.append(f"  SELECT {row('spine', s='CAST(NULL AS BIGINT)')}\n  FROM __sp")
    ctes.append("__stacked AS (\n" + "\n  UNION ALL\n".join(parts) + "\n)")

    windows: dict[int | None, str] = {}
    win_cols, partials, prefixes, finals = [], [], [], []
    for i, feat in enumerate(group.features):
        micros = feat.window_micros
        name = windows.setdefault(micros, "__lw" if micros is None else f"__w{len(windows)}")
        k = str(feat.k) if isinstance(feat, LastK) else ""
        col = values.get(feat.column or "", -1)
        state = _STATES[type(feat)]
        if micros is not None:
            win_cols.append(_fill(state.agg, v=f"__v{col}", e="__e", o=f" OVER {name}", k=k)
                            + f" AS __a{i}")
            value = _fill(state.final, s=f"__a{i}")
        else:
            e = "__h"
            if isinstance(feat, CountDistinct):
                state, e = _COUNT, f"__f{col}"
            lv = f"__l{col}" if hot is not None else f"__v{col}"
            win_cols.append(_fill(state.agg, v=lv, e=e, o=f" OVER {name}", k=k)
                            + f" AS __a{i}")
            if hot is None:
                value = _fill(state.final, s=f"__a{i}")
                if feat.empty is not None:
                    value = f"coalesce({value}, {_literal(feat.empty)})"
                finals.append(f"{value} AS {_q(group.column_name(feat))}")
                continue
            partials.append(_fill(state.agg, v=f"__l{col}", e=e, k=k) + f" AS __p{i}")
            prefixes.append(_fill(state.prefix, p=f"__p{i}", o=" OVER __pw", k=k) + f" AS __q{i}")
            merged = _fill(state.merge, a=f"__win.__a{i}", p=f"__pre.__q{i}", k=k)
            value = _fill(state.final, s=f"({merged})")
        if feat.empty is not None:
            value = f"coalesce({value}, {_literal(feat.empty)})"
        finals.append(f"{value} AS {_q(group.column_name(feat))}")

    def frame(micros: int | None) -> str:
        start = "UNBOUNDED PRECEDING" if micros is None else f"{micros} PRECEDING"
        return f"(PARTITION BY {klist}, __b ORDER BY __t RANGE BETWEEN {start} AND 1 PRECEDING)"

    wdefs = ", ".join(f"{name} AS {frame(m)}" for m, name in windows.items())
    ctes.append(
        f"__win AS (\n  SELECT * FROM (\n    SELECT {klist}, __b, __row, {', '.join(win_cols)}\n"
        f"    FROM __stacked\n    WINDOW {wdefs}\n  ) WHERE __row IS NOT NULL\n)"
    )
    select = f"SELECT __win.__row AS {_q(ROW_ID)}, {', '.join(finals)}\nFROM __win"
    if lifetime and hot is not None:
        ctes.append(
            f"__part AS (\n  SELECT {klist}, __b, {', '.join(partials)}\n  FROM __stacked\n"
            f"  WHERE __hk AND (__h = 1 OR __e IS NULL)\n  GROUP BY {klist}, __b\n)"
        )
        ctes.append(
            f"__pre AS (\n  SELECT {klist}, __b, {', '.join(prefixes)}\n  FROM __part\n"
            f"  WINDOW __pw AS (PARTITION BY {klist} ORDER BY __b "
            f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)\n)"
        )
        select = (
            f"SELECT /*+ BROADCAST(__pre) */ __win.__row AS {_q(ROW_ID)}, {', '.join(finals)}\n"
            f"FROM __win LEFT JOIN __pre ON {on('__win', '__pre')} AND __win.__b = __pre.__b"
        )
    header = (
        f"-- feature group {group.name}: key {', '.join(group.key)}, {len(group.features)} "
        f"features; events: {events.describe}\n"
    )
    return header + "WITH " + ",\n".join(ctes) + "\n" + select


def local_session() -> SparkSession:
    """The active Spark session, or a new local one (all cores, UTC, logging at WARN)."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    session = (
        SparkSession.builder.master("local[*]").appName("winnow")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("WARN")
    return session


@contextmanager
def _utc(session: SparkSession) -> Iterator[None]:
    key = "spark.sql.session.timeZone"
    before = session.conf.get(key)
    session.conf.set(key, "UTC")
    try:
        yield
    finally:
        if before is not None and before != "UTC":
            session.conf.set(key, before)


class SparkEngine:
    """Compute feature groups over a spine on Apache Spark, one SQL query per group.

    Parameters
    ----------
    spark
        The session to run on, e.g. the one of an existing cluster; default: the active
        session, or a local one created on first use.
    hot_key_rows
        A key with more events than this is split into time buckets of about this many events
        so that its work spreads over several tasks (see the module docs).
    max_copies
        The most later buckets an event of a hot key is copied into (bounds how narrow a bucket
        may be relative to the longest window).
    """

    name = "spark"

    def __init__(
        self,
        *,
        spark: SparkSession | None = None,
        hot_key_rows: int = 1_000_000,
        max_copies: int = 4,
    ) -> None:
        if hot_key_rows < 1 or max_copies < 1:
            raise DefinitionError(
                f"hot_key_rows ({hot_key_rows}) and max_copies ({max_copies}) must be >= 1"
            )
        self._spark = spark
        self.hot_key_rows = hot_key_rows
        self.max_copies = max_copies

    @property
    def spark(self) -> SparkSession:
        """The session the engine runs on (created on first use)."""
        if self._spark is None:
            self._spark = local_session()
        return self._spark

    # -- sources --------------------------------------------------------------------------

    def _events(
        self, source: EventSource, plan: Plan, index: int, *, register: bool, run: str
    ) -> _Events:
        view = f"__winnow_events_{run}_{index}"
        seq = source.sequence
        if is_spark_dataframe(source.data):
            df: DataFrame = source.data  # type: ignore[assignment]
            schema = _arrow_schema(df)
            if register:
                if seq is None:
                    df = df.withColumn(_SEQUENCE, F.monotonically_increasing_id())
                df.createOrReplaceTempView(view)
            return _Events(view, schema, _cast_time(source.time), _q(seq or _SEQUENCE),
                           "a Spark DataFrame")
        if isinstance(source.data, pa.Table):
            return self._arrow_events(source.data, source, plan, view, register=register)
        paths = source.paths()
        if {detect_format(p) for p in paths} != {"parquet"}:
            try:
                table = pa.concat_tables([read_table(p) for p in paths],
                                         promote_options="default")
            except pa.ArrowInvalid as exc:
                raise SourceError(
                    f"the files of event source {source.describe()!r} do not share a schema: "
                    f"{exc}"
                ) from exc
            return self._arrow_events(table, source, plan, view, register=register)
        schema = pq.read_schema(paths[0])
        if register:
            frames, base = [], 0
            for path in paths:
                # absolute: the JVM's working directory need not be this process's
                frame = self.spark.read.parquet(os.fspath(path.absolute()))
                if seq is None:
                    frame = frame.withColumn(
                        _SEQUENCE, F.col("_metadata.row_index") + F.lit(base)
                    )
                frames.append(frame)
                base += pq.read_metadata(path).num_rows
            union = frames[0]
            for frame in frames[1:]:
                union = union.unionByName(frame, allowMissingColumns=True)
            union.createOrReplaceTempView(view)
        return _Events(view, schema, _cast_time(source.time), _q(seq or _SEQUENCE),
                       source.describe())

    def _arrow_events(
        self, table: pa.Table, source: EventSource, plan: Plan, view: str, *, register: bool
    ) -> _Events:
        if register:
            columns = [c for c in _needed_columns(source, plan) if c in table.column_names]
            data = table.select(columns)
            micros = to_utc(table[source.time], name=source.time).cast(pa.int64())
            data = data.append_column(_TIME, micros)
            if source.sequence is None:
                seq = pa.array(np.arange(table.num_rows, dtype=np.int64))
                data = data.append_column(_SEQUENCE, seq)
            self.spark.createDataFrame(data).createOrReplaceTempView(view)
        return _Events(view, table.schema, _q(_TIME), _q(source.sequence or _SEQUENCE),
                       source.describe())

    def _compile(
        self, spine_schema: pa.Schema, spine_view: str, plan: Plan, *, register: bool, run: str
    ) -> list[tuple[FeatureGroup, str, pa.Schema]]:
        sources: dict[int, _Events] = {}
        out: list[tuple[FeatureGroup, str, pa.Schema]] = []
        for group, spine_keys in plan:
            events = sources.get(id(group.source))
            if events is None:
                events = self._events(group.source, plan, len(sources), register=register,
                                      run=run)
                sources[id(group.source)] = events
            validate_group(group, event_schema=events.schema, spine_schema=spine_schema,
                           spine_keys=spine_keys)
            hot: str | None = _HOT_QUERY
            if register:
                # find the hot keys first (a small job): without any, the query has no buckets
                hot_sql = hot_keys_query(group, events=events, hot_key_rows=self.hot_key_rows,
                                         max_copies=self.max_copies)
                hot_keys = self.spark.sql(hot_sql)
                if hot_keys.limit(1).count() == 0:
                    hot = None
                else:
                    hot = f"__winnow_hot_{run}_{len(out)}"
                    hot_keys.localCheckpoint(eager=True).createOrReplaceTempView(hot)
            sql = compile_group(
                group, events=events, spine=spine_view, spine_keys=spine_keys,
                hot_key_rows=self.hot_key_rows, max_copies=self.max_copies, hot=hot,
            )
            out.append((group, sql, group.output_schema(events.schema)))
        return out

    # -- running --------------------------------------------------------------------------

    def explain(self, spine_schema: pa.Schema, plan: Plan) -> str:
        """The Spark SQL run for each group, in order, separated by blank lines."""
        compiled = self._compile(spine_schema, "__winnow_spine", plan, register=False,
                                 run="0")
        return "\n\n".join(sql + ";" for _, sql, _ in compiled)

    def frames(
        self, spine: DataFrame, plan: Plan, *, spine_schema: pa.Schema | None = None
    ) -> list[tuple[DataFrame, pa.Schema]]:
        """One lazy DataFrame per group: :data:`ROW_ID` and the group's features.

        ``spine`` carries the group keys, :data:`ROW_ID` and :data:`SPINE_TIME` (UTC
        microseconds). Also returns each group's output Arrow schema.
        """
        run = uuid.uuid4().hex[:12]
        view = f"__winnow_spine_{run}"
        spine.createOrReplaceTempView(view)
        schema = spine_schema if spine_schema is not None else _arrow_schema(spine)
        compiled = self._compile(schema, view, plan, register=True, run=run)
        return [(self.spark.sql(sql), out_schema) for _, sql, out_schema in compiled]

    def run(
        self,
        spine: pa.Table,
        plan: Plan,
        *,
        progress: Callable[[FeatureGroup], None] | None = None,
    ) -> list[pa.Table]:
        """Compute each group's output columns as Arrow, rows in spine order (like DuckDB)."""
        with _utc(self.spark):
            frame = self.spark.createDataFrame(spine)
            results = []
            for (group, _), (df, out_schema) in zip(
                plan, self.frames(frame, plan, spine_schema=spine.schema), strict=True
            ):
                table = df.toArrow()
                if table.num_rows != spine.num_rows:
                    raise SourceError(
                        f"feature group {group.name!r} returned {table.num_rows} rows for a "
                        f"spine of {spine.num_rows}; an event source changed during the run?"
                    )
                table = table.take(pc.sort_indices(table[ROW_ID])).drop_columns([ROW_ID])
                results.append(table.cast(out_schema))
                if progress is not None:
                    progress(group)
            return results

    def spine_schema(self, spine: DataFrame) -> pa.Schema:
        """The Arrow schema of a DataFrame spine (what the backfill plan is checked against)."""
        return _arrow_schema(spine)

    def backfill(
        self,
        spine: DataFrame | pa.Table,
        plan: Plan,
        *,
        time: str,
        output: str,
        progress: Callable[[FeatureGroup], None] | None = None,
    ) -> DataFrame | pa.Table:
        """The spine with every group's features, as a DataFrame or (``output="arrow"``) Arrow.

        Rows keep the spine's order; the spine's columns are passed through untouched. With
        ``output="spark"`` the result is lazy: ``progress`` is called as each group's query is
        planned, and Spark computes the features when the DataFrame is used.
        """
        with _utc(self.spark):
            if not isinstance(spine, pa.Table):
                nulls = spine.filter(F.col(_q(time)).isNull()).count()
                if nulls:
                    raise SourceError(
                        f"spine time column {time!r} has {nulls} null values; a spine row "
                        f"needs a time: drop or fill those rows"
                    )
            frame = spine_frame(self, spine, time=time)
            schema = _arrow_schema(frame)
            result = frame.drop(SPINE_TIME)
            out_schemas = []
            for (group, _), (df, out_schema) in zip(
                plan, self.frames(frame, plan, spine_schema=schema), strict=True
            ):
                casts = [F.col(ROW_ID)]
                for field in out_schema:
                    cast = _spark_cast(F.col(_q(field.name)), field.type)
                    casts.append(cast.alias(field.name))
                result = result.join(df.select(*casts), on=ROW_ID, how="left")
                out_schemas.append(out_schema)
                if progress is not None and output == "spark":
                    progress(group)
            result = result.orderBy(ROW_ID).drop(ROW_ID)
            if output == "spark":
                return result
            table = result.toArrow()
            for out_schema in out_schemas:
                for field in out_schema:
                    index = table.column_names.index(field.name)
                    table = table.set_column(index, field, table[field.name].cast(field.type))
            if progress is not None:
                for group, _ in plan:
                    progress(group)
            return table


def _spark_cast(column: Column, typ: pa.DataType) -> Column:
    """Cast a feature column to the Spark type of its Arrow output type, where they differ."""
    if pa.types.is_int64(typ):
        return column.cast("bigint")
    if pa.types.is_float64(typ):
        return column.cast("double")
    return column


def spine_frame(engine: SparkEngine, spine: DataFrame | pa.Table, *, time: str) -> DataFrame:
    """The spine as a DataFrame with :data:`ROW_ID` and :data:`SPINE_TIME` added.

    An Arrow spine's row id is its row position. A DataFrame spine's row id is
    ``monotonically_increasing_id()`` (partition order, then row order), checkpointed locally so
    that the ids are fixed for the whole computation.
    """
    if isinstance(spine, pa.Table):
        micros = to_utc(spine[time], name=time).cast(pa.int64())
        table = spine.append_column(ROW_ID, pa.array(np.arange(spine.num_rows, dtype=np.int64)))
        table = table.append_column(SPINE_TIME, micros)
        return engine.spark.createDataFrame(table)
    frame = spine.withColumn(ROW_ID, F.monotonically_increasing_id())
    frame = frame.withColumn(SPINE_TIME, F.expr(_cast_time(time)))
    return frame.localCheckpoint(eager=True)

