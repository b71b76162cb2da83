"""Compile a feature group to one point-in-time correct SQL query over a spine.

Every feature of a spine row (key k, time t) aggregates the events of k with time in
``[t - w, t)``. The query computes it three ways, each where it is cheapest, and the test suite
checks every way against a plain-Python reference:

1. **range join** (most keys): each spine row is joined to its key's events with
   ``t - w_max <= time < t`` and aggregated; features with shorter windows ``FILTER`` the joined
   events by their own start. Its cost grows with (spine rows x events) per key;
2. **window frames** (*heavy* keys, where spine rows x events > :data:`RANGE_JOIN_LIMIT` x
   (spine rows + events)): the key's events and spine rows are stacked, a spine row placed at
   ``t - 1us``, and every aggregation is a window function partitioned by the key, ordered by
   the time in integer microseconds, over ``RANGE BETWEEN w - 1us PRECEDING AND CURRENT ROW``:
   exactly the events in ``[t - w, t)`` (an event at ``t`` sorts after the row). This is
   sort-based, ``N log N`` however many events one key holds. Spine rows carry nulls in the
   aggregated columns, so they never contribute to an aggregate;
3. **ASOF joins** for ``First`` and ``Last``: the latest non-null event before ``t`` (the
   earliest at or after ``t - w`` for a windowed ``First``), then a check that it lies in the
   window.

Ties in time are broken by sequence: order-sensitive aggregations compare an ordering key that
packs (time, sequence) into one 128-bit integer. The result has one row per spine row, ordered
by its row id. The SQL is DuckDB's dialect; the aggregate expressions are in
:data:`_EXPRESSIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
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

__all__ = [
    "ROW_ID",
    "SPINE_TIME",
    "CompiledGroup",
    "compile_group",
    "quote",
    "time_micros_expression",
    "validate_group",
    "value_expression",
]

#: column the engine adds to the spine: the row's position (output order)
ROW_ID = "__winnow_row"
#: column the engine adds to the spine: the row's time in UTC microseconds since the epoch
SPINE_TIME = "__winnow_t"

# 2**64: (time << 64) + (sequence + 2**63) orders events by (time, sequence) for any int64 pair
_SHIFT = 18446744073709551616
_OFFSET = 9223372036854775808

#: A key's spine rows are joined to its events (range join) unless
#: ``spine rows x events > RANGE_JOIN_LIMIT x (spine rows + events)``; such *heavy* keys take the
#: sort-based window formulation instead. Measured with the features of ``benchmarks/backfill.py``,
#: a candidate pair of the range join costs a tenth to a twentieth of a row through the window
#: operator. Only a key with more than this many spine rows (and events) can be heavy.
RANGE_JOIN_LIMIT = 20

# SQL templates per aggregation; {v} is the aggregated column, {o} the ordering key, {e} the
# event marker (1 for events, null for spine rows), {k} LastK's k and {f} the frame: " OVER w"
# in the window formulation, " FILTER (WHERE ...)" (or nothing) in the range join.
_EXPRESSIONS: dict[type[Aggregation], str] = {
    Count: "count({e}){f}",
    Sum: "coalesce(sum(CAST({v} AS DOUBLE)){f}, 0.0)",
    Mean: "avg(CAST({v} AS DOUBLE)){f}",
    Std: "stddev_samp(CAST({v} AS DOUBLE)){f}",
    Min: "min({v}){f}",
    Max: "max({v}){f}",
    First: "arg_min({v}, {o}){f}",
    Last: "arg_max({v}, {o}){f}",
    LastK: "arg_max({v}, {o}, {k}){f}",
    CountDistinct: "count(DISTINCT {v}){f}",
}

_ORDERED = (First, Last, LastK)


def quote(name: str) -> str:
    """Quote an identifier for SQL (double quotes, embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def value_expression(
    column: str, typ: pa.DataType, *, quote_name: Callable[[str], str] = quote
) -> str:
    """SQL for an aggregated column's value: a float NaN is a missing value, like null.

    NaN has no agreed order (DuckDB sorts it above every number) and poisons sums, so both
    engines and the online engine treat it as null (docs/semantics.md). The same text runs in
    DuckDB and Spark SQL, given each dialect's identifier quoting.
    """
    col = quote_name(column)
    if pa.types.is_floating(typ):
        return f"(CASE WHEN isnan({col}) THEN NULL ELSE {col} END)"
    return col


def time_micros_expression(column: str, typ: pa.DataType) -> str:
    """SQL giving a time column as UTC microseconds since the epoch (naive times are UTC).

    The engine's session time zone must be UTC, so that a naive timestamp is read as UTC.
    """
    col = quote(column)
    if pa.types.is_timestamp(typ):
        if typ.unit == "ns":
            # truncated toward zero like Arrow's ns -> us cast (DuckDB's own cast rounds, which
            # could move an event at t - 0.5us to t and out of the spine row's window)
            return f"(epoch_ns({col}) // 1000)"
        return f"epoch_us(CAST({col} AS TIMESTAMP))" if typ.tz is None else f"epoch_us({col})"
    if pa.types.is_date(typ):
        return f"epoch_us(CAST({col} AS TIMESTAMP))"
    raise SchemaError(
        f"time column {column!r} has type {typ}, not a timestamp; cast it (a schema that "
        f"declares it 'timestamp' does this on read)"
    )


@dataclass(frozen=True)
class CompiledGroup:
    """The compiled query of one feature group.

    Attributes
    ----------
    group
        The feature group.
    sql
        The query; it returns :data:`ROW_ID` and the group's output columns, one row per spine
        row, ordered by :data:`ROW_ID`.
    output_schema
        The Arrow schema of the output columns (what the engine casts the result to).
    """

    group: FeatureGroup
    sql: str
    output_schema: pa.Schema


def _window_sql(n_keys: int, micros: int | None) -> str:
    # spine rows stand at t - 1us (see __stacked), so [t - w, t) is the frame from w - 1us
    # before the row to its peers: ending at CURRENT ROW runs about twice as fast in DuckDB as
    # ending at 1 PRECEDING, and UNBOUNDED PRECEDING AND CURRENT ROW is a running aggregate
    start = "UNBOUNDED PRECEDING" if micros is None else f"{micros - 1} PRECEDING"
    partition = ", ".join(f"__k{i}" for i in range(n_keys))
    return f"(PARTITION BY {partition} ORDER BY __t RANGE BETWEEN {start} AND CURRENT ROW)"


def _aggregate_exprs(
    group: FeatureGroup, features: Sequence[Aggregation], values: dict[str, str],
    windows: dict[int | None, str], longest: int | None, *, joined: bool,
) -> list[str]:
    """The select list of the range join (``joined``) or of the window query."""
    prefix = "__x." if joined else ""
    out = []
    for feat in features:
        micros = feat.window_micros
        if not joined:
            frame = f" OVER {windows[micros]}"
        elif micros is None or micros == longest:
            frame = ""  # the join condition already bounds the window
        else:
            frame = f" FILTER (WHERE __x.__t >= __s.__t - {micros})"
        value = prefix + values[feat.column] if feat.column else "NULL"
        order = prefix + "__o"
        if isinstance(feat, _ORDERED):
            # rows whose value is null never win last-k: their ordering key is null too
            order = f"CASE WHEN {value} IS NOT NULL THEN {order} END"
        expr = _EXPRESSIONS[type(feat)].format(
            v=value, o=order, e=prefix + "__e", f=frame,
            k=feat.k if isinstance(feat, LastK) else 0,
        )
        out.append(f"{expr} AS {quote(group.column_name(feat))}")
    return out


def compile_group(
    group: FeatureGroup,
    *,
    events: str,
    event_schema: pa.Schema,
    sequence: str,
    spine: str,
    spine_keys: Sequence[str],
    range_join_limit: int | None = None,
) -> CompiledGroup:
    """Compile ``group`` to one query that computes its features for every spine row.

    Parameters
    ----------
    group
        The feature group; it must already be validated against ``event_schema``.
    events
        A SQL relation (table name, view, or ``read_parquet(...)`` call) holding the events.
    event_schema
        The Arrow schema of ``events``.
    sequence
        A SQL expression over ``events`` giving each event's int64 sequence number.
    spine
        A SQL relation holding the spine with the :data:`ROW_ID` and :data:`SPINE_TIME` columns.
    spine_keys
        The spine columns holding the group's key, in the order of ``group.key``.
    range_join_limit
        Keys with ``spine rows x events > range_join_limit x (spine rows + events)`` take the
        window formulation, the others the range join; default :data:`RANGE_JOIN_LIMIT`. ``0``
        sends every key with events to the window formulation.
    """
    if len(spine_keys) != len(group.key):
        raise DefinitionError(
            f"feature group {group.name!r} has key {list(group.key)} ({len(group.key)} "
            f"columns) but the spine key given for it is {list(spine_keys)}; give one spine "
            f"column per key column"
        )
    keys = list(group.key)
    limit = RANGE_JOIN_LIMIT if range_join_limit is None else range_join_limit
    values: dict[str, str] = {}
    for feat in group.features:
        if feat.column is not None and feat.column not in values:
            values[feat.column] = f"__v{len(values)}"
    # First and Last are point lookups (ASOF joins); the rest are aggregates over the window
    lookups = [f for f in group.features if isinstance(f, (First, Last))]
    aggregates = [f for f in group.features if not isinstance(f, (First, Last))]
    ordered = any(isinstance(f, _ORDERED) for f in group.features)
    # every internal column has an internal name (keys __k0, __k1, ...), so that no user column
    # name (a key called "__t", say) can shadow one of them
    kcols = [f"__k{i}" for i in range(len(keys))]
    using = ", ".join(kcols)
    sep = ",\n         "

    t_expr = time_micros_expression(group.time, event_schema.field(group.time).type)
    not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in [*keys, group.time])
    event_cols = [f"{quote(k)} AS {c}" for k, c in zip(keys, kcols, strict=True)]
    event_cols += [f"{t_expr} AS __t", "1 AS __e"]
    if ordered:
        event_cols.append(
            f"CAST({t_expr} AS HUGEINT) * {_SHIFT} + (CAST({sequence} AS HUGEINT) + {_OFFSET})"
            f" AS __o"
        )
    event_cols += [
        f"{value_expression(col, event_schema.field(col).type)} AS {alias}"
        for col, alias in values.items()
    ]
    spine_cols = [f"{quote(s)} AS {c}" for s, c in zip(spine_keys, kcols, strict=True)]
    spine_cols += [f"{quote(SPINE_TIME)} AS __t", f"{quote(ROW_ID)} AS __row"]
    ctes = [
        f"__events AS (\n  SELECT {sep.join(event_cols)}\n  FROM {events}\n"
        f"  WHERE {not_null}\n)",
        f"__spine AS (\n  SELECT {sep.join(spine_cols)}\n  FROM {spine}\n)",
    ]
    joins = []

    if aggregates:
        windows: dict[int | None, str] = {}
        for feat in aggregates:
            windows.setdefault(feat.window_micros, f"__w{len(windows)}")
        longest = None if None in windows else max(w for w in windows if w is not None)
        joined = _aggregate_exprs(group, aggregates, values, windows, longest, joined=True)
        windowed = _aggregate_exprs(group, aggregates, values, windows, longest, joined=False)
        on = " AND ".join(f"__s.{c} = __x.{c}" for c in kcols) + " AND __x.__t < __s.__t"
        if longest is not None:
            on += f" AND __x.__t >= __s.__t - {longest}"
        stacked_events = [*kcols, "__t", "NULL::BIGINT AS __row", "__e"]
        stacked_spine = [*kcols, "__t - 1 AS __t", "__row", "NULL AS __e"]
        if any(isinstance(f, _ORDERED) for f in aggregates):
            stacked_events.append("__o")
            stacked_spine.append("NULL AS __o")
        stacked_events += list(values.values())
        stacked_spine += [f"NULL AS {alias}" for alias in values.values()]
        window_defs = sep.join(
            f"{name} AS {_window_sql(len(keys), micros)}" for micros, name in windows.items()
        )
        ctes += [
            f"-- keys too heavy for a range join: spine rows x events > {limit} x (spine rows"
            f" + events)\n"
            # only a key with more than `limit` spine rows can be heavy: count events of those
            f"__candidates AS (\n  SELECT {using}, count(*) AS __n FROM __spine\n"
            f"  GROUP BY {using} HAVING count(*) > {limit}\n),\n"
            f"__heavy AS (\n  SELECT {using}\n"
            f"  FROM (SELECT {using}, count(*) AS __n FROM __events\n"
            f"        SEMI JOIN __candidates USING ({using}) GROUP BY {using}) AS __en\n"
            f"  JOIN __candidates AS __sn USING ({using})\n"
            f"  WHERE CAST(__en.__n AS DOUBLE) * __sn.__n > {limit} * (__en.__n + __sn.__n)\n)",
            f"-- light keys: each spine row joined to its key's events in [t - w, t)\n"
            f"__joined AS (\n  SELECT __s.__row, {sep.join(joined)}\n"
            f"  FROM (SELECT * FROM __spine ANTI JOIN __heavy USING ({using})) AS __s\n"
            f"  LEFT JOIN __events AS __x ON {on}\n  GROUP BY __s.__row\n)",
            f"-- heavy keys: spine rows (at t - 1us) and events stacked, frames [t - w, t) per"
            f" key\n"
            f"__stacked AS (\n  SELECT {', '.join(stacked_events)}\n"
            f"  FROM __events SEMI JOIN __heavy USING ({using})\n  UNION ALL\n"
            f"  SELECT {', '.join(stacked_spine)}\n"
            f"  FROM __spine SEMI JOIN __heavy USING ({using})\n)",
            f"__windowed AS (\n  SELECT __row, {sep.join(windowed)}\n  FROM __stacked\n"
            f"  WINDOW {window_defs}\n  QUALIFY __row IS NOT NULL\n)",
            "__aggregates AS (SELECT * FROM __joined UNION ALL SELECT * FROM __windowed)",
        ]
        joins.append("LEFT JOIN __aggregates AS __a ON __a.__row = __s.__row")

    # (time, sequence) packed into __o: events before t are exactly those with __o < t << 64
    before = f"CAST(__s.__t AS HUGEINT) * {_SHIFT}"
    selects = {group.column_name(f): f"__a.{quote(group.column_name(f))}" for f in aggregates}
    nonnull: dict[str, str] = {}
    lookup_aliases: set[str] = set()
    for feat in lookups:
        column = values[feat.column or ""]
        if column not in nonnull:
            nonnull[column] = f"__nonnull{len(nonnull)}"
            ctes.append(
                f"{nonnull[column]} AS (\n  SELECT {using}, __t, __o, {column} AS __v\n"
                f"  FROM __events WHERE {column} IS NOT NULL\n)"
            )
        rel = nonnull[column]
        eq = " AND ".join(f"__s.{c} = {{a}}.{c}" for c in kcols)
        micros = feat.window_micros
        if isinstance(feat, Last):
            # the latest non-null value before t; in the window if it is at or after t - w
            alias = f"__last{rel[9:]}"
            if alias not in lookup_aliases:
                lookup_aliases.add(alias)
                joins.append(
                    f"ASOF LEFT JOIN {rel} AS {alias} ON {eq.format(a=alias)} "
                    f"AND {alias}.__o < {before}"
                )
            expr = f"{alias}.__v" if micros is None else (
                f"CASE WHEN {alias}.__t >= __s.__t - {micros} THEN {alias}.__v END"
            )
        elif micros is None:
            # the key's first non-null value, if it came before t
            alias = f"__first{rel[9:]}"
            if alias not in lookup_aliases:
                lookup_aliases.add(alias)
                ctes.append(
                    f"{alias} AS (\n  SELECT {using}, min(__t) AS __t, arg_min(__v, __o) AS __v\n"
                    f"  FROM {rel} GROUP BY {using}\n)"
                )
                joins.append(f"LEFT JOIN {alias} ON {eq.format(a=alias)}")
            expr = f"CASE WHEN {alias}.__t < __s.__t THEN {alias}.__v END"
        else:
            # the earliest non-null value at or after t - w, if it came before t
            alias = f"__first{rel[9:]}_{micros}"
            if alias not in lookup_aliases:
                lookup_aliases.add(alias)
                joins.append(
                    f"ASOF LEFT JOIN {rel} AS {alias} ON {eq.format(a=alias)} "
                    f"AND {alias}.__o >= CAST(__s.__t - {micros} AS HUGEINT) * {_SHIFT}"
                )
            expr = f"CASE WHEN {alias}.__t < __s.__t THEN {alias}.__v END"
        selects[group.column_name(feat)] = expr

    columns = [f"__s.__row AS {quote(ROW_ID)}"]
    columns += [f"{selects[c]} AS {quote(c)}" for c in group.output_columns]
    with_sql = ",\n".join(ctes)
    join_sql = "".join(f"\n{j}" for j in joins)
    sql = (
        f"-- feature group {group.name}: key {', '.join(keys)}, "
        f"{len(group.features)} features\n"
        f"WITH {with_sql}\n"
        f"SELECT {sep.join(columns)}\n"
        f"FROM __spine AS __s{join_sql}\n"
        f"ORDER BY __s.__row"
    )
    return CompiledGroup(group=group, sql=sql, output_schema=group.output_schema(event_schema))


def _key_kind(typ: pa.DataType) -> str:
    if pa.types.is_integer(typ):
        return "integer"
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return "string"
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return "binary"
    if pa.types.is_timestamp(typ):
        return "timestamp"
    if pa.types.is_dictionary(typ):
        return _key_kind(typ.value_type)
    return str(typ)


def validate_group(
    group: FeatureGroup,
    *,
    event_schema: pa.Schema,
    spine_schema: pa.Schema,
    spine_keys: Sequence[str],
) -> None:
    """Check a group against its events and the spine before any query runs.

    Raises with the fix on: an unknown column, a non-numeric column in a numeric aggregation, a
    non-timestamp time column, a non-integer sequence column, a spine missing a key column, and
    a key whose type differs between the spine and the events.
    """
    group.validate(event_schema)
    if group.source.sequence is not None:
        typ = event_schema.field(group.source.sequence).type
        if not pa.types.is_integer(typ):
            raise SchemaError(
                f"sequence column {group.source.sequence!r} of feature group {group.name!r} has "
                f"type {typ}; it must be an integer (an offset); cast it or drop sequence= to "
                f"order ties by row position"
            )
    for spine_key, key in zip(spine_keys, group.key, strict=True):
        if spine_key not in spine_schema.names:
            raise ColumnNotFoundError(
                spine_key,
                spine_schema.names,
                where=f"the spine (key of feature group {group.name!r}; map it with "
                f"keys={{{group.name!r}: 'spine_column'}} if it has another name)",
            )
        spine_type = spine_schema.field(spine_key).type
        event_type = event_schema.field(key).type
        if _key_kind(spine_type) != _key_kind(event_type):
            raise SchemaError(
                f"key type mismatch in feature group {group.name!r}: spine column "
                f"{spine_key!r} is {spine_type} but event column {key!r} is {event_type}; "
                f"cast one of them so both are the same kind (integer or string)"
            )
