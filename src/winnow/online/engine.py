"""The online engine: feature groups computed incrementally as events arrive, in process.

:class:`OnlineEngine` keeps per-key state (see :mod:`winnow.online.buffer`) and answers "the
features of key k as of time t" with the same meaning as :func:`winnow.backfill`: a query at t
sees the key's events with time in ``[t - w, t)``.

Routing. An event updates every group whose aggregated columns it carries (a group made only
of ``Count`` features takes every event). Such an event must also carry the group's key and
time columns (and the sequence column, if the group's source names one); if it does not, the
engine raises :class:`~winnow.errors.ColumnNotFoundError` naming the column instead of skipping
the event. An event that carries the aggregated columns of no group is an error too.

Order and lateness. Events come in (time, sequence) order per key. The engine numbers events in
arrival order unless the source names a sequence column. An event older than its key's newest
accepted event minus ``allowed_lateness`` is *late*: it is counted and written to the dead-letter
sink with the reason, never merged. An event out of order but within the lateness is inserted at
its (time, sequence) place, exactly as if it had arrived in order (the key's buffer always holds
at least ``allowed_lateness`` of history, so the windows can be rebuilt around it). Batch
reproduces what the engine knew by dropping the events the same rule calls late.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, StreamError
from winnow.features.group import FeatureGroup
from winnow.online.buffer import KeyState, Layout
from winnow.online.dead_letter import (
    DeadLetter,
    DeadLetterSink,
    JsonLinesDeadLetterSink,
    ListDeadLetterSink,
)
from winnow.online.values import Kind, arrow_kind, to_numpy, value_kind
from winnow.timestamps import parse_duration, to_micros, to_utc

__all__ = ["GroupStats", "OnlineEngine", "online_definition_hash"]

_NEG = -(2**62)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso(micros: int) -> str:
    return (_EPOCH + timedelta(microseconds=micros)).isoformat()


def online_definition_hash(group: FeatureGroup) -> str:
    """A sha256 of what the online state depends on: name, key, time, sequence, features.

    Unlike :meth:`FeatureGroup.definition_hash` it leaves out where the source's data lives, so
    a snapshot taken by a stream consumer loads into a consumer whose definitions file points at
    other files, as long as the features are the same.
    """
    params = group.params()
    params.pop("source", None)
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class GroupStats:
    """Counters of one feature group in an :class:`OnlineEngine`.

    Attributes
    ----------
    events
        Events routed to the group (accepted and late).
    late
        Late events sent to the dead-letter sink.
    keys
        Distinct keys with state.
    pending
        Accepted events not yet folded into the per-key states (they are folded on query).
    """

    events: int
    late: int
    keys: int
    pending: int

    def to_json(self) -> dict[str, int]:
        """The counters as a dict."""
        return {
            "events": self.events, "late": self.late, "keys": self.keys, "pending": self.pending
        }


def _source_types(group: FeatureGroup) -> dict[str, pa.DataType]:
    """Column types known without reading data: a table source's schema or a file's footer."""
    data = group.source.data
    schema: pa.Schema | None = None
    if isinstance(data, pa.Table):
        schema = data.schema
    else:
        try:
            paths = group.source.paths()
        except Exception:  # the source may not exist where the engine runs
            paths = []
        if paths and paths[0].suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            try:
                schema = pq.read_schema(paths[0])
            except (OSError, pa.ArrowInvalid):
                schema = None
    return {f.name: f.type for f in schema} if schema is not None else {}


class _GroupRuntime:
    """The engine's bookkeeping for one feature group."""

    def __init__(self, group: FeatureGroup, lateness: int, types: dict[str, pa.DataType]) -> None:
        self.group = group
        self.lateness = lateness
        self.columns = list(dict.fromkeys(f.column for f in group.features if f.column))
        self.key_cols = group.key
        self.single = len(group.key) == 1
        self.time = group.time
        self.seq_col = group.source.sequence
        #: output column names and empty values (computed once: naming parses durations)
        self.outputs = list(group.output_columns)
        self.empties = [f.empty for f in group.features]
        self.schema: pa.Schema | None = None
        self.types: dict[str, pa.DataType] = {c: types[c] for c in self.columns if c in types}
        self.layout: Layout | None = None
        self.spec: list[tuple[str, Kind, type]] = []
        if len(self.types) == len(self.columns):
            self._set_layout([arrow_kind(self.types[c]) for c in self.columns])
        self.keys: dict[Any, KeyState] = {}
        self.slots: list[KeyState] = []
        #: the keys in slot order (creation order), for the integer-key index below
        self.key_list: list[Any] = []
        #: integer keys, sorted, and their slots: a batch's keys are found with one
        #: ``searchsorted`` instead of a dict lookup each. ``indexed`` counts the keys of
        #: ``key_list`` already in the index; ``int_index`` turns off once a key is no int.
        self.index_keys: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self.index_slots: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self.indexed = 0
        self.int_index = True
        #: per slot: the newest accepted event time (_NEG: none yet), for the lateness rule
        #: (a list: the per-event path reads and writes one item, much cheaper than NumPy's)
        self.newest: list[int] = []
        self.chunks: list[tuple[npt.NDArray[Any], ...]] = []
        self.chunked = 0
        self.next_seq = 0
        self.events = 0
        self.late = 0

    def _set_layout(self, kinds: list[Kind]) -> None:
        self.layout = Layout(list(self.group.features), self.columns, kinds, lateness=self.lateness)
        self.schema = None  # the column types are known now: rebuild the output schema
        fast = {"i": int, "f": float, "o": object}
        self.spec = [(c, k, fast[k]) for c, k in zip(self.columns, kinds, strict=True)]

    def ensure_layout_from_types(self, schema: pa.Schema) -> Layout:
        if self.layout is None:
            for c in self.columns:
                self.types.setdefault(c, schema.field(c).type)
            self._set_layout([arrow_kind(self.types[c]) for c in self.columns])
        assert self.layout is not None
        return self.layout

    def ensure_layout_from_event(self, event: Mapping[str, Any]) -> Layout:
        if self.layout is None:
            numeric = {f.column for f in self.group.features if f.numeric}
            kinds: list[Kind] = []
            for c in self.columns:
                value = event[c]
                if value is None:
                    kinds.append("f" if c in numeric else "o")
                else:
                    kinds.append(value_kind(value))
                    if c not in self.types:
                        self.types[c] = pa.array([value]).type
            self._set_layout(kinds)
        assert self.layout is not None
        return self.layout

    def key_state(self, key: Any) -> KeyState:
        ks = self.keys.get(key)
        if ks is None:
            assert self.layout is not None
            ks = KeyState(self.layout)
            ks.slot_id = len(self.slots)
            self.keys[key] = ks
            self.slots.append(ks)
            self.key_list.append(key)
            self.newest.append(_NEG)
        return ks

    def slots_of(self, table: pa.Table) -> npt.NDArray[np.int64]:
        """The slot of each row's key, creating the keys not seen before."""
        if not self.single:
            keys, inverse = _key_codes(table, self)
            ids = np.fromiter(
                (self.key_state(k).slot_id for k in keys), dtype=np.int64, count=len(keys)
            )
            return ids[inverse]
        name = self.key_cols[0]
        col = table[name].combine_chunks()
        if col.null_count:
            first = int(pc.index(pc.is_null(col), True).as_py())
            raise SchemaError(
                f"key column {name!r} of {self.where()} is null at row {first} of the batch; "
                f"every event needs its entity key"
            )
        if self.int_index and _int64_keys(col.type):
            return self._int_slots(col)
        # distinct keys of the batch, then one dict lookup each: the work grows with the batch,
        # never with the number of keys already known
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()  # its dictionary may hold values no row uses
        encoded = col.dictionary_encode()
        get = self.keys.get
        ids = np.fromiter(
            ((get(k) or self.key_state(k)).slot_id for k in encoded.dictionary.to_pylist()),
            dtype=np.int64, count=len(encoded.dictionary),
        )
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        found: npt.NDArray[np.int64] = ids[codes]
        return found

    def _sync_index(self) -> bool:
        """Add the keys created since the last call to the integer index; False if one is no int."""
        if self.indexed == len(self.key_list):
            return True
        fresh = self.key_list[self.indexed :]
        if not all(type(k) is int and -(2**63) <= k < 2**63 for k in fresh):
            self.int_index = False
            return False
        keys = np.array(fresh, dtype=np.int64)
        slots = np.arange(self.indexed, len(self.key_list), dtype=np.int64)
        merged = np.concatenate([self.index_keys, keys])
        order = np.argsort(merged, kind="stable")
        self.index_keys = merged[order]
        self.index_slots = np.concatenate([self.index_slots, slots])[order]
        self.indexed = len(self.key_list)
        return True

    def _int_slots(self, col: pa.Array) -> npt.NDArray[np.int64]:
        """Slots of an integer key column through the sorted index (new keys are created)."""
        if not self._sync_index():
            return self.slots_of(pa.table({self.key_cols[0]: col}))
        values = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
        uniq, inverse = np.unique(values, return_inverse=True)
        known = self.index_keys
        pos = np.searchsorted(known, uniq)
        hit = pos < known.size
        hit[hit] = known[pos[hit]] == uniq[hit]
        if not hit.all():
            for k in uniq[~hit].tolist():
                self.key_state(k)
            self._sync_index()
            known = self.index_keys
            pos = np.searchsorted(known, uniq)
        found: npt.NDArray[np.int64] = self.index_slots[pos][inverse]
        return found

    def slot_keys(self) -> list[Any]:
        """The keys in slot order."""
        return self.key_list

    def routes(self, names: Iterable[str] | Mapping[str, Any]) -> bool:
        return all(c in names for c in self.columns)

    def where(self) -> str:
        return f"the events of feature group {self.group.name!r}"


class OnlineEngine:
    """Feature groups computed incrementally over a stream of events, in process.

    Parameters
    ----------
    groups
        The feature groups to maintain (the same definitions :func:`winnow.backfill` takes).
    allowed_lateness
        How far (a duration: ``"0s"``, ``"5m"``) an event may be older than its key's newest
        event and still be merged; older events are late and go to the dead-letter sink.
    dead_letter
        Where late events go: a :class:`DeadLetterSink`, a path (JSON Lines file), or ``None``
        for an in-memory :class:`ListDeadLetterSink` (:attr:`dead_letter`).
    schema
        Declared types of the aggregated columns. By default they come from the groups'
        sources (a table's schema, a Parquet file's footer), else from the first events.
    process_every
        A key folds its pending events into its states once it holds this many.
    flush_every
        Micro-batches are buffered (as arrays) up to this many events before being split by key
        (and always before a query or a snapshot). Larger buffers give each key longer runs, so
        fewer per-key appends; the buffer holds 24 bytes per event plus its column values.

    Examples
    --------
    >>> import pyarrow as pa, winnow as wn
    >>> ts = pa.timestamp("us", tz="UTC")
    >>> events = pa.table({"card_id": [7, 7], "ts": pa.array([0, 60_000_000], ts),
    ...                    "amount": [2.0, 3.0]})
    >>> card = wn.FeatureGroup("card", source=wn.EventSource(events, time="ts"), key="card_id",
    ...                        features=[wn.Count(window="1h"), wn.Sum("amount", window="1h")])
    >>> engine = wn.OnlineEngine([card])
    >>> engine.update_many(events)
    >>> engine.features("card", 7, at=60_000_001)
    {'card__count_1h': 2, 'card__sum_amount_1h': 5.0}
    >>> engine.features("card", 7)  # at the latest event time: that event is not seen yet
    {'card__count_1h': 1, 'card__sum_amount_1h': 2.0}
    """

    def __init__(
        self,
        groups: FeatureGroup | Sequence[FeatureGroup],
        *,
        allowed_lateness: str | int | timedelta = "0s",
        dead_letter: DeadLetterSink | str | os.PathLike[str] | None = None,
        schema: pa.Schema | None = None,
        process_every: int = 256,
        flush_every: int = 1_048_576,
    ) -> None:
        items = [groups] if isinstance(groups, FeatureGroup) else list(groups)
        if not items:
            raise DefinitionError("OnlineEngine needs at least one FeatureGroup")
        names = [g.name for g in items]
        for g in items:
            if not isinstance(g, FeatureGroup):
                raise DefinitionError(
                    f"OnlineEngine takes FeatureGroup objects, got {type(g).__name__}"
                )
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DefinitionError(f"several feature groups are named {dupes}; rename them")
        self.groups = items
        if allowed_lateness in ("0", "0s", 0):
            self.allowed_lateness = 0
        else:
            self.allowed_lateness = parse_duration(allowed_lateness)
        if dead_letter is None:
            self.dead_letter: DeadLetterSink = ListDeadLetterSink()
        elif isinstance(dead_letter, (str, os.PathLike)):
            self.dead_letter = JsonLinesDeadLetterSink(dead_letter)
        else:
            self.dead_letter = dead_letter
        if process_every < 1 or flush_every < 1:
            raise DefinitionError("process_every and flush_every must be positive")
        self.process_every = process_every
        self.flush_every = flush_every
        declared = {f.name: f.type for f in schema} if schema is not None else {}
        self._runtimes: dict[str, _GroupRuntime] = {
            g.name: _GroupRuntime(g, self.allowed_lateness, {**_source_types(g), **declared})
            for g in items
        }
        self._order = list(self._runtimes.values())
        self._latest: int | None = None
        self._position: Any = None

    # -- ingest ------------------------------------------------------------------------------

    def update_one(self, event: Mapping[str, Any]) -> None:
        """Ingest one event (a mapping of column name to value) into every group it routes to.

        The time may be a datetime (naive = UTC), an ISO 8601 string or integer microseconds.
        """
        routed = False
        for rt in self._order:
            for c in rt.columns:
                if c not in event:
                    break
            else:
                routed = True
                self._ingest_one(rt, event)
        if not routed:
            self._no_route(list(event))

    def _no_route(self, names: list[str]) -> None:
        wanted = {rt.group.name: rt.columns for rt in self._runtimes.values()}
        raise StreamError(
            f"event with columns {names} carries the aggregated columns of no feature group "
            f"(groups need: {wanted}); check the column names of the stream"
        )

    def _ingest_one(self, rt: _GroupRuntime, event: Mapping[str, Any]) -> None:
        if rt.chunks:
            self._flush(rt)
        layout = rt.layout or rt.ensure_layout_from_event(event)
        try:
            key = event[rt.key_cols[0]] if rt.single else tuple(event[k] for k in rt.key_cols)
            raw_time = event[rt.time]
            seq = int(event[rt.seq_col]) if rt.seq_col else rt.next_seq
        except KeyError as missing:
            raise ColumnNotFoundError(str(missing.args[0]), list(event), where=rt.where()) from None
        if key is None or (not rt.single and None in key):
            raise SchemaError(
                f"event for feature group {rt.group.name!r} has a null key {rt.key_cols}; "
                f"every event needs its entity key"
            )
        t = raw_time if type(raw_time) is int else _time_of(raw_time, rt.time)
        values = []
        nulls = False
        for c, kind, fast in rt.spec:
            v = event[c]
            if v is None:
                nulls = True
            elif type(v) is float and v != v:  # NaN is a missing value, as in batch
                v = None
                nulls = True
            elif kind != "o" and type(v) is not fast:
                v = _convert(v, kind, c, rt)
            values.append(v)
        rt.next_seq += 1
        rt.events += 1
        ks = rt.keys.get(key)
        if ks is None:
            ks = rt.key_state(key)
        slot = ks.slot_id
        newest = rt.newest[slot]
        if t <= newest:
            if t < newest - rt.lateness:
                rt.late += 1
                self.dead_letter.write([_late_letter(rt, key, t, seq, newest, dict(event))])
                return
            if t < newest or rt.seq_col:
                ks.p_disordered = True  # engine-numbered ties are in order; others may not be
        else:
            rt.newest[slot] = t
            if self._latest is None or t > self._latest:
                self._latest = t
        times = ks.p_times
        times.append(t)
        ks.p_seqs.append(seq)
        for items, value in zip(ks.p_vals, values, strict=True):
            items.append(value)
        if nulls:
            ks.p_nulls = True
        if len(times) >= self.process_every:
            ks.process(layout)

    def update_many(self, batch: pa.Table | pa.RecordBatch) -> None:
        """Ingest a micro-batch of events (an Arrow table or record batch), vectorised.

        Rows are in arrival order; each group takes the batch if it carries the group's
        aggregated columns (see the module docstring for routing and lateness).
        """
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        if table.num_rows == 0:
            return
        table = _nan_as_null(table)
        names = table.column_names
        routed = False
        for rt in self._runtimes.values():
            if rt.routes(names):
                routed = True
                self._ingest_many(rt, table)
        if not routed:
            self._no_route(names)

    def _ingest_many(self, rt: _GroupRuntime, table: pa.Table) -> None:
        names = table.column_names
        for col in (*rt.key_cols, rt.time, *([rt.seq_col] if rt.seq_col else [])):
            if col not in names:
                raise ColumnNotFoundError(col, names, where=rt.where())
        layout = rt.ensure_layout_from_types(table.schema)
        n = table.num_rows
        slots = rt.slots_of(table)
        times_col = to_utc(table[rt.time], name=rt.time).cast(pa.int64())
        if times_col.null_count:
            first = int(pc.index(pc.is_null(times_col), True).as_py())
            raise SchemaError(
                f"time column {rt.time!r} of {rt.where()} is null at row {first} of the batch; "
                f"every event needs a time (quarantine such rows when reading)"
            )
        times = times_col.to_numpy()
        if rt.seq_col:
            seqs = table[rt.seq_col].cast(pa.int64()).to_numpy()
        else:
            seqs = np.arange(rt.next_seq, rt.next_seq + n, dtype=np.int64)
        rt.next_seq += n
        rt.events += n
        late = self._lateness(rt, slots, times)
        if late is not None:
            mask, before = late
            idx = np.flatnonzero(mask)
            rows = table.take(pa.array(idx)).to_pylist()
            keys = rt.slot_keys()
            letters = [
                _late_letter(rt, keys[int(slots[i])], int(times[i]), int(seqs[i]), newest, row)
                for i, newest, row in zip(idx.tolist(), before, rows, strict=True)
            ]
            rt.late += len(letters)
            self.dead_letter.write(letters)
            accepted = ~mask
            table = table.filter(pa.array(accepted))
            slots, times, seqs = slots[accepted], times[accepted], seqs[accepted]
            if table.num_rows == 0:
                return
        chunk: list[npt.NDArray[Any]] = [slots, times, seqs]
        for c, kind in zip(rt.columns, layout.kinds, strict=True):
            values, valid = to_numpy(table[c], kind)
            chunk += [values, valid]
        rt.chunks.append(tuple(chunk))
        rt.chunked += times.size
        if rt.chunked >= self.flush_every:
            self._flush(rt)

    def _lateness(
        self, rt: _GroupRuntime, slots: npt.NDArray[np.int64], times: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.bool_], list[int]] | None:
        """Apply the lateness rule to a batch and advance each key's newest time.

        Returns None when no event is late, else the late mask and, per late event, its key's
        newest time when it arrived.
        """
        newest = rt.newest
        latest = self._latest
        if (latest is None or int(times[0]) >= latest) and bool((times[1:] >= times[:-1]).all()):
            # the batch is in time order and starts at or after every time seen (the usual
            # stream): nothing is late or out of order. Each key's newest time is its last one
            # (a dict keeps the last time of each slot).
            for u, t in dict(zip(slots.tolist(), times.tolist(), strict=True)).items():
                newest[u] = t
            self._advance(int(times[-1]))
            return None
        order = np.argsort(slots, kind="stable")
        ts = times[order]
        seg = slots[order]
        first = np.empty(ts.size, dtype=bool)
        first[0] = True
        first[1:] = seg[1:] != seg[:-1]
        prev = np.fromiter(map(newest.__getitem__, seg[first].tolist()), dtype=np.int64)
        backwards = (~first[1:]) & (ts[1:] < ts[:-1])
        if not backwards.any() and bool((ts[first] >= prev).all()):
            ends = np.empty(ts.size, dtype=bool)
            ends[-1] = True
            ends[:-1] = first[1:]
            last = ts[ends]
            for u, t in zip(seg[ends].tolist(), last.tolist(), strict=True):
                newest[u] = t
            self._advance(int(last.max()))
            return None
        # some event goes back in time: apply the rule in arrival order
        late = np.zeros(times.size, dtype=bool)
        before: list[int] = []
        lateness = rt.lateness
        for i, (u, t) in enumerate(zip(slots.tolist(), times.tolist(), strict=True)):
            cur = newest[u]
            if cur != _NEG and t < cur - lateness:
                late[i] = True
                before.append(cur)
            elif t > cur:
                newest[u] = t
        self._advance(int(times.max()))
        return (late, before) if before else None

    def _advance(self, t: int) -> None:
        if self._latest is None or t > self._latest:
            self._latest = t

    def _flush(self, rt: _GroupRuntime) -> None:
        """Split the buffered micro-batches by key and append each key's run to its buffer."""
        if not rt.chunks:
            return
        chunks = rt.chunks
        rt.chunks = []
        rt.chunked = 0
        cols = [
            np.concatenate(parts) if len(chunks) > 1 else parts[0]
            for parts in zip(*chunks, strict=True)
        ]
        order = np.argsort(cols[0], kind="stable")
        cols = [c[order] for c in cols]
        slots = cols[0]
        bounds = np.flatnonzero(slots[1:] != slots[:-1]) + 1
        starts = [0, *bounds.tolist()]
        ends = [*bounds.tolist(), slots.size]
        assert rt.layout is not None
        layout = rt.layout
        times, seqs = cols[1], cols[2]
        vals = cols[3::2]
        valid = cols[4::2]
        # whether every key's run is in (time, sequence) order, checked once for all keys
        same = slots[1:] == slots[:-1]
        back = (times[1:] < times[:-1]) | ((times[1:] == times[:-1]) & (seqs[1:] <= seqs[:-1]))
        ordered = not bool((same & back).any())
        every = self.process_every
        for a, b in zip(starts, ends, strict=True):
            ks = rt.slots[int(slots[a])]
            ks.append(
                times[a:b], seqs[a:b], [v[a:b] for v in vals], [m[a:b] for m in valid],
                ordered=ordered,
            )
            if ks.n - ks.proc >= every:
                ks.process(layout)

    # -- queries -----------------------------------------------------------------------------

    def _runtime(self, group: str | FeatureGroup) -> _GroupRuntime:
        name = group.name if isinstance(group, FeatureGroup) else group
        rt = self._runtimes.get(name)
        if rt is None:
            raise StreamError(
                f"no feature group named {name!r} in this engine; groups: {list(self._runtimes)}"
            )
        return rt

    def _normalize_key(self, rt: _GroupRuntime, key: Any) -> Any:
        if rt.single:
            if isinstance(key, (tuple, list)):
                if len(key) != 1:
                    raise StreamError(
                        f"feature group {rt.group.name!r} has the single key column "
                        f"{rt.key_cols[0]!r}; got the composite key {key!r}"
                    )
                return key[0]
            return key
        if not isinstance(key, (tuple, list)) or len(key) != len(rt.key_cols):
            raise StreamError(
                f"feature group {rt.group.name!r} has the composite key {list(rt.key_cols)}; "
                f"pass a tuple of {len(rt.key_cols)} values, got {key!r}"
            )
        return tuple(key)

    def _at(self, at: Any) -> int | None:
        if at is None:
            return self._latest
        if isinstance(at, np.datetime64):
            return int(at.astype("datetime64[us]").astype(np.int64))
        return to_micros(at)

    def _values(self, rt: _GroupRuntime, key: Any, at: int | None) -> list[Any]:
        ks = rt.keys.get(key)
        newest = _NEG if ks is None else int(rt.newest[ks.slot_id])
        if ks is None or newest == _NEG or at is None:
            return list(rt.empties)
        if at < newest:
            raise StreamError(
                f"cannot answer feature group {rt.group.name!r} for key {key!r} as of "
                f"{_iso(at)}: an event at {_iso(newest)} was already ingested for this key "
                f"and the online state only moves forward. Query at or after {_iso(newest)}, "
                f"or use wn.backfill for past times"
            )
        assert rt.layout is not None
        if ks.pending():
            ks.process(rt.layout)
        return ks.values(rt.layout, at)

    def features(
        self, group: str | FeatureGroup, key: Any, at: datetime | str | int | None = None
    ) -> dict[str, Any]:
        """Feature values of one key as of ``at`` (default: the latest event time seen).

        A query at t sees the key's events with time in ``[t - w, t)``; a key without events
        gets each aggregation's empty value. ``key`` is a scalar, or a tuple for a composite
        key. Raises :class:`~winnow.errors.StreamError` if ``at`` is earlier than an event
        already ingested for the key.
        """
        rt = self._runtime(group)
        self._flush(rt)
        values = self._values(rt, self._normalize_key(rt, key), self._at(at))
        return dict(zip(rt.outputs, values, strict=True))

    def features_many(
        self,
        group: str | FeatureGroup,
        keys: Sequence[Any],
        at: datetime | str | int | None = None,
    ) -> pa.Table:
        """Feature values of many keys as of ``at``: one row per key (key columns first)."""
        rt = self._runtime(group)
        return self._rows(rt, list(keys), [self._at(at)] * len(keys))

    def _value_rows(
        self, rt: _GroupRuntime, keys: list[Any], ats: list[int | None]
    ) -> list[list[Any]]:
        """Feature values (Python objects, not yet typed by Arrow) per (key, at)."""
        self._flush(rt)
        return [
            self._values(rt, self._normalize_key(rt, k), at)
            for k, at in zip(keys, ats, strict=True)
        ]

    def _rows(self, rt: _GroupRuntime, keys: list[Any], ats: list[int | None]) -> pa.Table:
        rows = self._value_rows(rt, keys, ats)
        norm = [self._normalize_key(rt, k) for k in keys]
        columns: dict[str, pa.Array] = {}
        for i, name in enumerate(rt.key_cols):
            columns[name] = pa.array([k if rt.single else k[i] for k in norm])
        schema = self.output_schema(rt.group)
        for j, field in enumerate(schema):
            columns[field.name] = pa.array([r[j] for r in rows], type=field.type)
        return pa.table(columns)

    def output_schema(self, group: str | FeatureGroup) -> pa.Schema:
        """The Arrow schema of a group's feature columns (unknown column types give null)."""
        rt = self._runtime(group)
        if rt.schema is None or rt.layout is None:
            types = {c: rt.types.get(c, pa.null()) for c in rt.columns}
            fields = [
                pa.field(name, f.output_type(types[f.column] if f.column else None))
                for name, f in zip(rt.outputs, rt.group.features, strict=True)
            ]
            rt.schema = pa.schema(fields)
        return rt.schema

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def stats(self) -> dict[str, GroupStats]:
        """Per group: events routed, late events, keys, events pending."""
        return {
            name: GroupStats(
                events=rt.events,
                late=rt.late,
                keys=len(rt.keys),
                pending=rt.chunked + sum(ks.pending() for ks in rt.slots),
            )
            for name, rt in self._runtimes.items()
        }

    @property
    def latest(self) -> int | None:
        """The latest event time seen (microseconds), the default ``at`` of queries."""
        return self._latest

    @property
    def position(self) -> Any:
        """The stream position stored with the state (opaque, JSON-able; set by the consumer)."""
        return self._position

    def set_position(self, position: Any) -> None:
        """Record the stream position the state corresponds to (saved by :meth:`save`)."""
        try:
            json.dumps(position)
        except (TypeError, ValueError) as exc:
            raise StreamError(
                f"stream position {position!r} is not JSON-able ({exc}); store offsets as "
                f"numbers, strings, lists or dicts"
            ) from None
        self._position = position

    def process_all(self) -> None:
        """Fold every pending event into the per-key states (done lazily otherwise)."""
        for rt in self._runtimes.values():
            self._flush(rt)
            if rt.layout is None:
                continue
            for ks in rt.slots:
                if ks.pending():
                    ks.process(rt.layout)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write state, stream position and definition hashes to ``path`` atomically."""
        from winnow.online.snapshot import save_engine

        return save_engine(self, Path(path))

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        groups: FeatureGroup | Sequence[FeatureGroup],
        *,
        dead_letter: DeadLetterSink | str | os.PathLike[str] | None = None,
    ) -> OnlineEngine:
        """Restore an engine saved by :meth:`save`; ``groups`` must match the saved ones."""
        from winnow.online.snapshot import load_engine

        return load_engine(Path(path), groups, dead_letter=dead_letter)

    def __repr__(self) -> str:
        return (
            f"OnlineEngine(groups={list(self._runtimes)}, "
            f"allowed_lateness={self.allowed_lateness}us)"
        )


def _time_of(value: Any, column: str) -> int:
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[us]").astype(np.int64))
    try:
        micros = to_micros(value)
    except SchemaError as exc:
        raise SchemaError(f"time column {column!r}: {exc}") from None
    if micros is None:
        raise SchemaError(f"event has a null time in column {column!r}; every event needs a time")
    return micros


def _nan_as_null(table: pa.Table) -> pa.Table:
    """Return ``table`` with every float NaN made null: NaN is a missing value (semantics)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            column = table.column(i)
            nan = pc.is_nan(column)
            if pc.any(nan).as_py():
                table = table.set_column(i, field, pc.if_else(nan, None, column))
    return table


def _convert(value: Any, kind: Kind, column: str, rt: _GroupRuntime) -> Any:
    if value is None:
        return None
    if kind == "f":
        if isinstance(value, (float, int)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SchemaError(
                f"column {column!r} of feature group {rt.group.name!r} holds numbers, got "
                f"{value!r}; send numbers (or declare the column's type with schema=)"
            ) from None
    if kind == "i":
        if type(value) is int or isinstance(value, np.integer):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise SchemaError(
            f"column {column!r} of feature group {rt.group.name!r} holds integers, got "
            f"{value!r}; declare it as float64 with OnlineEngine(..., schema=pa.schema("
            f"[({column!r}, pa.float64())])) or send integers"
        )
    return value


def _late_letter(
    rt: _GroupRuntime, key: Any, t: int, seq: int, newest: int, event: dict[str, Any]
) -> DeadLetter:
    return DeadLetter(
        group=rt.group.name,
        key=key,
        time=t,
        sequence=seq,
        reason=(
            f"late: event time {_iso(t)} is older than the key's newest event {_iso(newest)} "
            f"minus the allowed lateness of {rt.lateness} us"
        ),
        event=event,
    )


def _int64_keys(typ: pa.DataType) -> bool:
    """Whether a key column's values are integers that fit int64 (``uint64`` may not)."""
    return pa.types.is_signed_integer(typ) or typ in (pa.uint8(), pa.uint16(), pa.uint32())


def _key_codes(table: pa.Table, rt: _GroupRuntime) -> tuple[list[Any], npt.NDArray[np.int64]]:
    """The distinct keys of a batch (Python values, tuples if composite) and each row's index."""
    codes: npt.NDArray[np.int64] | None = None
    uniques: list[list[Any]] = []
    sizes: list[int] = []
    for name in rt.key_cols:
        col = table[name].combine_chunks()
        if col.null_count:
            first = int(pc.index(pc.is_null(col), True).as_py())
            raise SchemaError(
                f"key column {name!r} of {rt.where()} is null at row {first} of the batch; "
                f"every event needs its entity key"
            )
        uniq = pc.unique(col)
        idx = pc.index_in(col, value_set=uniq).to_numpy().astype(np.int64)
        uniques.append(uniq.to_pylist())
        sizes.append(len(uniq))
        codes = idx if codes is None else codes * len(uniq) + idx
    assert codes is not None
    if rt.single:
        return uniques[0], codes
    distinct, inverse = np.unique(codes, return_inverse=True)
    parts = np.unravel_index(distinct, sizes)
    keys = list(zip(*[[u[i] for i in p.tolist()] for u, p in zip(uniques, parts, strict=True)],
                    strict=True))
    return keys, inverse.astype(np.int64)
