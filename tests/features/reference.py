"""A naive pure-Python reference of the feature semantics (docs/semantics.md), for tests.

Deliberately simple and slow: for each query (key, time) it scans all events of the key, keeps
those with time in ``[t - w, t)`` ordered by (time, sequence), and aggregates them with plain
Python. The batch engines and the online engine are tested against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

import winnow as wn
from winnow.timestamps import to_utc


def _micros(column: pa.ChunkedArray | pa.Array, name: str) -> list[int | None]:
    return to_utc(column, name=name).cast(pa.int64()).to_pylist()


def events_of(group: wn.FeatureGroup) -> list[dict[str, Any]]:
    """The group's events as dicts with ``__t`` (micros) and ``__s`` (sequence) added."""
    data = group.source.data
    table = data if isinstance(data, pa.Table) else wn.read_table(data)
    rows = table.to_pylist()
    times = _micros(table[group.time], group.time)
    seqs = (
        table[group.source.sequence].to_pylist() if group.source.sequence else range(len(rows))
    )
    for row, t, s in zip(rows, times, seqs, strict=True):
        row["__t"], row["__s"] = t, s
    return rows


def aggregate(feature: wn.features.Aggregation, window: list[dict[str, Any]]) -> Any:
    """One feature over the events of one window, given in (time, sequence) order."""
    if isinstance(feature, wn.Count):
        return len(window)
    values = [e[feature.column] for e in window if e[feature.column] is not None]
    if isinstance(feature, wn.CountDistinct):
        return len(set(values))
    if isinstance(feature, wn.Sum):
        return float(sum(values)) if values else 0.0
    if not values:
        return None
    if isinstance(feature, wn.Mean):
        return sum(values) / len(values)
    if isinstance(feature, wn.Std):
        if len(values) < 2:
            return None
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    if isinstance(feature, wn.Min):
        return min(values)
    if isinstance(feature, wn.Max):
        return max(values)
    if isinstance(feature, wn.First):
        return values[0]
    if isinstance(feature, wn.Last):
        return values[-1]
    if isinstance(feature, wn.LastK):
        return list(reversed(values[-feature.k :]))
    raise AssertionError(f"no reference for {feature!r}")


def reference_backfill(
    spine: pa.Table,
    groups: Sequence[wn.FeatureGroup],
    *,
    time: str,
    keys: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, list[Any]]:
    """The feature columns ``backfill(spine, groups, time=time, keys=keys)`` should give."""
    out: dict[str, list[Any]] = {}
    spine_rows = spine.to_pylist()
    spine_times = _micros(spine[time], time)
    for group in groups:
        spine_keys = list((keys or {}).get(group.name, group.key))
        by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for event in events_of(group):
            key = tuple(event[k] for k in group.key)
            if None in key or event["__t"] is None:
                continue
            by_key.setdefault(key, []).append(event)
        for history in by_key.values():
            history.sort(key=lambda e: (e["__t"], e["__s"]))
        columns: dict[str, list[Any]] = {group.column_name(f): [] for f in group.features}
        for row, t in zip(spine_rows, spine_times, strict=True):
            history = by_key.get(tuple(row[k] for k in spine_keys), [])
            for feature in group.features:
                w = feature.window_micros
                window = [
                    e for e in history if e["__t"] < t and (w is None or e["__t"] >= t - w)
                ]
                columns[group.column_name(feature)].append(aggregate(feature, window))
        out.update(columns)
    return out


def _close(a: Any, b: Any, rel: float) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
    return bool(a == b) and type(a) is type(b)


def assert_features_equal(
    actual: pa.Table, expected: Mapping[str, Sequence[Any]], *, rel: float = 1e-9
) -> None:
    """Integers, strings and lists equal; floats within ``rel`` relative; row by row."""
    for name, values in expected.items():
        got = actual[name].to_pylist()
        assert len(got) == len(values), f"{name}: {len(got)} rows, expected {len(values)}"
        for row, (a, b) in enumerate(zip(got, values, strict=True)):
            assert _close(a, b, rel), f"{name} row {row}: got {a!r}, expected {b!r}"
