"""The consistency check: replay events through the online engine and compare with the batch.

"One model, two pipelines" fails silently when training features (batch) and serving features
(online) disagree. :func:`check_consistency` makes the agreement a test users run on their own
data: it replays an event log through :class:`~winnow.OnlineEngine` in (time, sequence) order,
asks for each spine row's features just before the row's time (a query at t sees ``[t - w, t)``),
computes the same rows with :func:`winnow.backfill`, and reports per feature how many rows were
compared, how many differ and by how much. Integers, strings and lists must be equal; floats
within 1e-9 relative (or 1e-12 absolute, for results that cancel to about zero).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.backfill import backfill
from winnow.errors import ColumnNotFoundError, DefinitionError
from winnow.features.group import FeatureGroup
from winnow.features.source import EventSource
from winnow.io.formats import read_table
from winnow.online.engine import OnlineEngine
from winnow.timestamps import to_utc

__all__ = ["ConsistencyReport", "FeatureConsistency", "check_consistency", "values_agree"]

REL_TOL = 1e-9
ABS_TOL = 1e-12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REPLAY_BATCH = 65_536
_ONE_BY_ONE = 256  # runs shorter than this replay event by event under ingest="auto"


def _relative_error(a: float, b: float) -> float:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    scale = max(abs(a), abs(b))
    return math.inf if scale == 0 or math.isinf(scale) else abs(a - b) / scale


def values_agree(online: Any, batch: Any) -> tuple[bool, float]:
    """Whether an online and a batch value agree, and their relative error (0 for non-floats).

    Floats agree within 1e-9 relative or 1e-12 absolute; lists element by element; everything
    else (integers, strings, booleans, timestamps) must be equal, and null equals only null.
    """
    if online is None or batch is None:
        return online is None and batch is None, 0.0 if online is batch else math.inf
    if isinstance(online, list) and isinstance(batch, list):
        if len(online) != len(batch):
            return False, math.inf
        worst = 0.0
        agree = True
        for a, b in zip(online, batch, strict=True):
            ok, err = values_agree(a, b)
            agree = agree and ok
            worst = max(worst, err)
        return agree, worst
    if isinstance(online, float) or isinstance(batch, float):
        if isinstance(online, bool) or isinstance(batch, bool):
            return online == batch, 0.0
        try:
            a, b = float(online), float(batch)
        except (TypeError, ValueError):
            return False, math.inf
        err = _relative_error(a, b)
        return err <= REL_TOL or abs(a - b) <= ABS_TOL, err
    return bool(online == batch) and type(online) is type(batch), 0.0


@dataclass(frozen=True)
class FeatureConsistency:
    """How one feature's online values compare with its batch values.

    Attributes
    ----------
    group, feature, column
        The feature group, the feature's name and its output column.
    rows
        Spine rows compared.
    mismatches
        Rows where the values disagree.
    max_relative_error
        The largest relative error between numeric values (0.0 when all are exact; ``inf``
        when a value is null on one side only).
    examples
        A few mismatching rows: spine row, key, time, online value, batch value.
    """

    group: str
    feature: str
    column: str
    rows: int
    mismatches: int
    max_relative_error: float
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mismatch_rate(self) -> float:
        """Mismatching rows over compared rows (0.0 for no rows)."""
        return self.mismatches / self.rows if self.rows else 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary."""
        err = self.max_relative_error
        return {
            "group": self.group,
            "feature": self.feature,
            "column": self.column,
            "rows": self.rows,
            "mismatches": self.mismatches,
            "mismatch_rate": self.mismatch_rate,
            "max_relative_error": err if math.isfinite(err) else "inf",
            "examples": [{k: _jsonable(v) for k, v in e.items()} for e in self.examples],
        }


@dataclass(frozen=True)
class ConsistencyReport:
    """The result of :func:`check_consistency`: one :class:`FeatureConsistency` per feature.

    Attributes
    ----------
    features
        Per feature, in group and definition order.
    spine_rows
        Rows of the spine.
    events
        Events replayed per group.
    skipped
        Events per group left out because their key or time is null (batch ignores them too).
    """

    features: list[FeatureConsistency]
    spine_rows: int
    events: dict[str, int]
    skipped: dict[str, int]

    @property
    def mismatches(self) -> int:
        """Mismatching (row, feature) pairs in total."""
        return sum(f.mismatches for f in self.features)

    @property
    def ok(self) -> bool:
        """True when every feature agrees on every row."""
        return self.mismatches == 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary."""
        return {
            "ok": self.ok,
            "mismatches": self.mismatches,
            "spine_rows": self.spine_rows,
            "events": self.events,
            "skipped": self.skipped,
            "features": [f.to_json() for f in self.features],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (datetime,)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def _load(data: pa.Table | str | os.PathLike[str]) -> pa.Table:
    return data if isinstance(data, pa.Table) else read_table(data)


def _group_events(group: FeatureGroup, events: pa.Table | None) -> pa.Table:
    if events is not None:
        return events
    data = group.source.data
    if isinstance(data, pa.Table):
        return data
    tables = [read_table(p) for p in group.source.paths()]
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")


def _on_events(group: FeatureGroup, events: pa.Table) -> FeatureGroup:
    source = EventSource(
        events, time=group.time, sequence=group.source.sequence, name=group.source.describe()
    )
    return FeatureGroup(group.name, source=source, key=group.key, features=group.features)


def _ordered(group: FeatureGroup, table: pa.Table) -> tuple[pa.Table, int]:
    """The group's replayable events in (time, sequence) order, and how many were skipped."""
    for col in group.needed_columns:
        if col not in table.column_names:
            raise ColumnNotFoundError(
                col, table.column_names, where=f"the events of feature group {group.name!r}"
            )
    micros = to_utc(table[group.time], name=group.time).cast(pa.int64())
    keep = pc.is_valid(micros)
    for k in group.key:
        keep = pc.and_(keep, pc.is_valid(table[k]))
    kept = table.filter(keep)
    skipped = table.num_rows - kept.num_rows
    times = micros.filter(keep).to_numpy()
    if group.source.sequence:
        seq = kept[group.source.sequence].cast(pa.int64()).to_numpy()
        order = np.lexsort((seq, times))
    else:
        order = np.argsort(times, kind="stable")
    return kept.take(pa.array(order)), skipped


def check_consistency(
    events: pa.Table | str | os.PathLike[str] | None,
    spine: pa.Table | str | os.PathLike[str],
    groups: FeatureGroup | Sequence[FeatureGroup],
    *,
    time: str,
    keys: Mapping[str, str | Sequence[str]] | None = None,
    examples: int = 5,
    ingest: Literal["auto", "one", "many"] = "auto",
    progress: Callable[[str, int, int], None] | None = None,
) -> ConsistencyReport:
    """Replay ``events`` through the online engine and compare with :func:`winnow.backfill`.

    Parameters
    ----------
    events
        The event log (a table or a file) holding every group's columns; ``None`` replays each
        group's own source. Events with a null key or time are skipped (batch ignores them too)
        and counted in :attr:`ConsistencyReport.skipped`.
    spine
        The rows to compare features on: key column(s) and a time column.
    groups
        The feature groups to check.
    time
        The spine's time column.
    keys
        Maps a group name to the spine column(s) holding its key (as in ``wn.backfill``).
    examples
        How many mismatching rows to keep per feature.
    ingest
        How the replay feeds the engine between two spine times: ``"many"`` as micro-batches
        (``update_many``, as ``winnow stream`` does), ``"one"`` event by event
        (``update_one``), ``"auto"`` (default) event by event for runs of fewer than 256
        events and as micro-batches otherwise. Every choice must give the same values.
    progress
        Called as ``progress(group, spine_rows_done, spine_rows)`` while replaying.

    Returns
    -------
    ConsistencyReport
        Per feature: rows compared, mismatches, max relative error and example rows.

    Examples
    --------
    >>> import pyarrow as pa, winnow as wn
    >>> ts = pa.timestamp("us", tz="UTC")
    >>> events = pa.table({"card_id": [1, 1, 2], "ts": pa.array([0, 10, 10], ts),
    ...                    "amount": [2.0, 3.0, 4.0]})
    >>> card = wn.FeatureGroup("card", source=wn.EventSource(events, time="ts"), key="card_id",
    ...                        features=[wn.Count(window="1h"), wn.Sum("amount")])
    >>> spine = pa.table({"card_id": [1, 1, 2], "ts": pa.array([10, 11, 11], ts)})
    >>> report = wn.check_consistency(events, spine, [card], time="ts")
    >>> report.ok, [(f.feature, f.rows, f.mismatches) for f in report.features]
    (True, [('count_1h', 3, 0), ('sum_amount', 3, 0)])
    """
    items = [groups] if isinstance(groups, FeatureGroup) else list(groups)
    if not items:
        raise DefinitionError("check_consistency needs at least one FeatureGroup")
    spine_table = _load(spine)
    if time not in spine_table.column_names:
        raise ColumnNotFoundError(time, spine_table.column_names, where="the spine")
    event_table = None if events is None else _load(events)
    if event_table is not None:
        # both sides read the same events: the batch side gets them as each group's source
        items = [_on_events(g, event_table) for g in items]
    batch = backfill(spine_table, items, time=time, keys=keys)
    spine_times = to_utc(spine_table[time], name=time).cast(pa.int64()).to_numpy()
    results: list[FeatureConsistency] = []
    replayed: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for group in items:
        mapped = (keys or {}).get(group.name, group.key)
        spine_keys = [mapped] if isinstance(mapped, str) else list(mapped)
        ordered, dropped = _ordered(group, _group_events(group, event_table))
        replayed[group.name] = ordered.num_rows
        skipped[group.name] = dropped
        online = _replay(
            group, ordered, spine_table, spine_keys, spine_times, ingest, progress
        )
        key_values = _spine_keys(spine_table, spine_keys)
        for feature in group.features:
            column = group.column_name(feature)
            results.append(
                _compare(
                    group, feature.feature_name, column, online[column],
                    batch[column].to_pylist(), key_values, spine_times, examples,
                )
            )
    return ConsistencyReport(results, spine_table.num_rows, replayed, skipped)


def _spine_keys(spine: pa.Table, spine_keys: list[str]) -> list[Any]:
    columns: list[list[Any]] = [spine[k].to_pylist() for k in spine_keys]
    if len(columns) == 1:
        return columns[0]
    return [tuple(parts) for parts in zip(*columns, strict=True)]


def _replay(
    group: FeatureGroup,
    events: pa.Table,
    spine: pa.Table,
    spine_keys: list[str],
    spine_times: np.ndarray[Any, Any],
    ingest: str,
    progress: Callable[[str, int, int], None] | None,
) -> dict[str, list[Any]]:
    """Online values for every spine row: ingest events up to each row's time, then query."""
    if ingest not in ("auto", "one", "many"):
        raise DefinitionError(f"ingest must be 'auto', 'one' or 'many', got {ingest!r}")
    engine = OnlineEngine([group])
    rt = engine._runtime(group.name)
    # column types from the event table on both paths, as update_many would take them
    rt.ensure_layout_from_types(events.schema)
    micros = to_utc(events[group.time], name=group.time).cast(pa.int64())
    event_times = micros.to_numpy()
    # the same events as Python rows for update_one, times as integer microseconds
    plain = events.set_column(events.column_names.index(group.time), group.time, micros)
    few = {"one": 2**62, "many": 0, "auto": _ONE_BY_ONE}[ingest]
    key_values = _spine_keys(spine, spine_keys)
    order = np.argsort(spine_times, kind="stable")
    # events with time <= t are ingested before the rows at t are queried (they see [t-w, t))
    cuts = np.searchsorted(event_times, spine_times[order], side="right")
    values: list[list[Any]] = [[None] * spine.num_rows for _ in group.features]
    width = len(group.features)
    done = 0
    total = spine.num_rows
    bounds = np.flatnonzero(np.diff(cuts)) + 1
    starts = [0, *bounds.tolist()]
    ends = [*bounds.tolist(), total]
    for a, b in zip(starts, ends, strict=True):
        if a == b:
            continue
        cut = int(cuts[a])
        if cut - done < few:
            for event in plain.slice(done, cut - done).to_pylist():
                engine.update_one(event)
            done = cut
        while done < cut:
            step = min(_REPLAY_BATCH, cut - done)
            engine.update_many(events.slice(done, step))
            done += step
        rows = order[a:b].tolist()
        ats: list[int | None] = [int(t) for t in spine_times[rows].tolist()]
        found = engine._value_rows(rt, [key_values[i] for i in rows], ats)
        for i, row in zip(rows, found, strict=True):
            for j in range(width):
                values[j][i] = row[j]
        if progress is not None:
            progress(group.name, b, total)
    # type the values as the engine's tables do (features_many), once per column
    schema = engine.output_schema(group.name)
    return {
        field.name: pa.array(values[j], type=field.type).to_pylist()
        for j, field in enumerate(schema)
    }


def _compare(
    group: FeatureGroup,
    feature: str,
    column: str,
    online: list[Any],
    batch: list[Any],
    keys: list[Any],
    times: np.ndarray[Any, Any],
    examples: int,
) -> FeatureConsistency:
    mismatches = 0
    worst = 0.0
    shown: list[dict[str, Any]] = []
    for row, (a, b) in enumerate(zip(online, batch, strict=True)):
        agree, err = values_agree(a, b)
        worst = max(worst, err)
        if not agree:
            mismatches += 1
            if len(shown) < examples:
                shown.append({
                    "row": row,
                    "key": keys[row],
                    "time": (_EPOCH + timedelta(microseconds=int(times[row]))).isoformat(),
                    "online": a,
                    "batch": b,
                })
    return FeatureConsistency(group.name, feature, column, len(online), mismatches, worst, shown)
