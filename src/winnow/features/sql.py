"""Compile a feature group to one point-in-time correct SQL query over a spine.

The formulation is sort-based, so it stays ``N log N`` however the events are spread over keys
(a range join degrades to ``N * events-per-key`` when one key holds many events):

1. the group's events (key, time, sequence, aggregated columns) and the spine rows (key, time,
   row id) are stacked with ``UNION ALL``; spine rows carry nulls in the aggregated columns so
   that they never contribute to an aggregate;
2. every aggregation is a window function partitioned by the key and ordered by the time in
   integer microseconds, with the frame ``RANGE BETWEEN w PRECEDING AND 1 PRECEDING``: exactly
   the events with time in ``[t - w, t)``; an event at ``t`` is excluded because the frame ends
   one microsecond before ``t``. A lifetime window starts ``UNBOUNDED PRECEDING``;
3. order-sensitive aggregations (first, last, last-k) pick values by an ordering key that packs
   (time, sequence) into one 128-bit integer, so ties in time are broken by sequence;
4. only the spine rows are kept (``QUALIFY``), ordered by their row id.

Features of a group that share a window share one frame definition, so the engine sorts the
stacked rows once per group. The SQL is DuckDB's dialect; the expressions that differ between
engines are all in :data:`_EXPRESSIONS`.
"""

from __future__ import annotations

from collections.abc import Sequence
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
]

#: column the engine adds to the spine: the row's position (output order)
ROW_ID = "__winnow_row"
#: column the engine adds to the spine: the row's time in UTC microseconds since the epoch
SPINE_TIME = "__winnow_t"

# 2**64: (time << 64) + (sequence + 2**63) orders events by (time, sequence) for any int64 pair
_SHIFT = 18446744073709551616
_OFFSET = 9223372036854775808

# SQL templates per aggregation; {v} is the aggregated column, {o} the ordering key, {e} the
# event marker (1 for events, null for spine rows), {w} the window name, {k} LastK's k.
_EXPRESSIONS: dict[type[Aggregation], str] = {
    Count: "count({e}) OVER {w}",
    Sum: "coalesce(sum(CAST({v} AS DOUBLE)) OVER {w}, 0.0)",
    Mean: "avg(CAST({v} AS DOUBLE)) OVER {w}",
    Std: "stddev_samp(CAST({v} AS DOUBLE)) OVER {w}",
    Min: "min({v}) OVER {w}",
    Max: "max({v}) OVER {w}",
    First: "arg_min({v}, {o}) OVER {w}",
    Last: "arg_max({v}, {o}) OVER {w}",
    LastK: "arg_max({v}, {o}, {k}) OVER {w}",
    CountDistinct: "count(DISTINCT {v}) OVER {w}",
}

_ORDERED = (First, Last, LastK)


def quote(name: str) -> str:
    """Quote an identifier for SQL (double quotes, embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def time_micros_expression(column: str, typ: pa.DataType) -> str:
    """SQL giving a time column as UTC microseconds since the epoch (naive times are UTC).

    The engine's session time zone must be UTC, so that a naive timestamp is read as UTC.
    """
    col = quote(column)
    if pa.types.is_timestamp(typ):
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


def _window_sql(keys: Sequence[str], micros: int | None) -> str:
    start = "UNBOUNDED PRECEDING" if micros is None else f"{micros} PRECEDING"
    partition = ", ".join(quote(k) for k in keys)
    return f"(PARTITION BY {partition} ORDER BY __t RANGE BETWEEN {start} AND 1 PRECEDING)"


def compile_group(
    group: FeatureGroup,
    *,
    events: str,
    event_schema: pa.Schema,
    sequence: str,
    spine: str,
    spine_keys: Sequence[str],
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
    """
    if len(spine_keys) != len(group.key):
        raise DefinitionError(
            f"feature group {group.name!r} has key {list(group.key)} ({len(group.key)} "
            f"columns) but the spine key given for it is {list(spine_keys)}; give one spine "
            f"column per key column"
        )
    keys = list(group.key)
    values: dict[str, str] = {}
    for feat in group.features:
        if feat.column is not None and feat.column not in values:
            values[feat.column] = f"__v{len(values)}"
    ordered = any(isinstance(f, _ORDERED) for f in group.features)

    t_expr = time_micros_expression(group.time, event_schema.field(group.time).type)
    not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in [*keys, group.time])
    event_cols = [quote(k) for k in keys]
    event_cols += [f"{t_expr} AS __t", "NULL::BIGINT AS __row", "1 AS __e"]
    if ordered:
        event_cols.append(
            f"CAST({t_expr} AS HUGEINT) * {_SHIFT} + (CAST({sequence} AS HUGEINT) + {_OFFSET})"
            f" AS __o"
        )
    event_cols += [f"{quote(col)} AS {alias}" for col, alias in values.items()]
    spine_cols = [f"{quote(s)} AS {quote(k)}" for s, k in zip(spine_keys, keys, strict=True)]
    spine_cols += [f"{quote(SPINE_TIME)} AS __t", f"{quote(ROW_ID)} AS __row", "NULL AS __e"]
    if ordered:
        spine_cols.append("NULL AS __o")
    spine_cols += [f"NULL AS {alias}" for alias in values.values()]

    windows: dict[int | None, str] = {}
    for feat in group.features:
        windows.setdefault(feat.window_micros, f"__w{len(windows)}")
    selects = ["__row AS " + quote(ROW_ID)]
    for feat in group.features:
        template = _EXPRESSIONS[type(feat)]
        value = values.get(feat.column or "", "NULL")
        order = "__o"
        if isinstance(feat, _ORDERED):
            # rows whose value is null never win first/last: their ordering key is null too
            order = f"CASE WHEN {value} IS NOT NULL THEN __o END"
        expr = template.format(
            v=value, o=order, e="__e", w=windows[feat.window_micros],
            k=feat.k if isinstance(feat, LastK) else 0,
        )
        selects.append(f"{expr} AS {quote(group.column_name(feat))}")
    window_defs = ",\n       ".join(
        f"{name} AS {_window_sql(keys, micros)}" for micros, name in windows.items()
    )
    sep = ",\n         "
    sql = (
        f"-- feature group {group.name}: key {', '.join(keys)}, "
        f"{len(group.features)} features\n"
        f"WITH __stacked AS (\n"
        f"  SELECT {sep.join(event_cols)}\n"
        f"  FROM {events}\n"
        f"  WHERE {not_null}\n"
        f"  UNION ALL\n"
        f"  SELECT {sep.join(spine_cols)}\n"
        f"  FROM {spine}\n"
        f")\n"
        f"SELECT {sep.join(selects)}\n"
        f"FROM __stacked\n"
        f"WINDOW {window_defs}\n"
        f"QUALIFY __row IS NOT NULL\n"
        f"ORDER BY __row"
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
