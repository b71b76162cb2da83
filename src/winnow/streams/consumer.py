"""Drive an online engine from a stream with checkpoints: every event counts exactly once.

:func:`consume` reads batches, applies them to the engine, and every ``checkpoint_every``
events or ``checkpoint_seconds`` seconds (and at the end) takes a checkpoint:

1. the online store gets the current features of every key touched since the last checkpoint;
2. the engine's state is saved atomically together with the stream position it covers;
3. only then is that position committed to the stream (Redis ``XACK``, Kafka offset commit).

A crash before step 2 loses nothing: the stream re-delivers everything after the previous
checkpoint, whose state is what the restarted consumer loads. A crash between 2 and 3 counts
nothing twice: the restarted consumer seeks to the saved position, and the stream skips (and
acknowledges) entries at or before it. The store is a derived view written before the state, so
it may briefly run ahead of the saved state, never behind it, and replay rewrites the same
values.

The engine's position holds ``{"stream": <the stream's position>, "key_schemas": {group: ...}}``;
the key columns' Arrow schemas let a server parse request keys to the right types.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from winnow.errors import StreamError
from winnow.streams.base import Position, Stream

if TYPE_CHECKING:
    from winnow.online import OnlineEngine
    from winnow.serving.store import OnlineStore

__all__ = ["ConsumeReport", "consume", "key_schemas_of", "stream_position_of"]


@dataclass
class ConsumeReport:
    """What a :func:`consume` run did.

    Attributes
    ----------
    events
        Events read from the stream and applied to the engine in this run.
    batches
        Batches read.
    checkpoints
        Checkpoints taken (state saved, store written, position committed).
    keys_written
        Key rows written to the online store.
    position
        The last committed stream position.
    seconds
        Wall time of the run.
    """

    events: int = 0
    batches: int = 0
    checkpoints: int = 0
    keys_written: int = 0
    position: Position = None
    seconds: float = 0.0
    late: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-able dict."""
        return {
            "events": self.events,
            "batches": self.batches,
            "checkpoints": self.checkpoints,
            "keys_written": self.keys_written,
            "position": self.position,
            "seconds": round(self.seconds, 3),
            "late": dict(self.late),
        }


def _schema_text(schema: pa.Schema) -> str:
    return base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")


def stream_position_of(engine_position: Any) -> Position:
    """The stream position inside an engine position written by :func:`consume`."""
    if engine_position is None:
        return None
    if not isinstance(engine_position, dict) or "stream" not in engine_position:
        raise StreamError(
            f"the engine's saved position {engine_position!r} was not written by a winnow "
            f"stream consumer; start from a fresh state file"
        )
    value: Position = engine_position["stream"]
    return value


def key_schemas_of(engine_position: Any) -> dict[str, pa.Schema]:
    """The key columns' schema per group, as recorded by :func:`consume` in the position."""
    if not isinstance(engine_position, dict):
        return {}
    out = {}
    for name, text in (engine_position.get("key_schemas") or {}).items():
        out[name] = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))
    return out


class _Touched:
    """Keys per group touched since the last store write."""

    def __init__(self, engine: OnlineEngine, *, track: bool) -> None:
        self.groups = list(engine.groups)
        self.track = track  # keep the keys only when a store will be written
        self.keys: dict[str, list[pa.Table]] = {g.name: [] for g in self.groups}
        self.schemas: dict[str, pa.Schema] = {}

    def add(self, events: pa.Table) -> None:
        names = set(events.column_names)
        for group in self.groups:
            if not all(c in names for c in group.key):
                continue
            keys = events.select(list(group.key))
            self.schemas.setdefault(group.name, keys.schema)
            if self.track:
                self.keys[group.name].append(keys.group_by(list(group.key)).aggregate([]))

    def flush(self, engine: OnlineEngine, store: OnlineStore) -> int:
        latest = engine.latest
        as_of = None if latest is None else latest + 1
        written = 0
        for group in self.groups:
            parts = self.keys[group.name]
            if not parts:
                continue
            self.keys[group.name] = []
            cols = list(group.key)
            unique = pa.concat_tables(parts, promote_options="default").group_by(cols).aggregate([])
            unique = unique.select(cols)
            values = [unique.column(c).to_pylist() for c in cols]
            keys: list[Any] = values[0] if len(cols) == 1 else list(zip(*values, strict=True))
            rows = engine.features_many(group.name, keys, at=as_of)
            for c in cols:  # keep the stream's key types (the engine rebuilds keys from Python)
                typ = unique.schema.field(c).type
                rows = rows.set_column(rows.column_names.index(c), c, rows.column(c).cast(typ))
            written += store.write(group.name, rows, key=cols, as_of=as_of)
        return written


def consume(
    engine: OnlineEngine,
    stream: Stream,
    *,
    state: str | os.PathLike[str] | None = None,
    store: OnlineStore | None = None,
    checkpoint_every: int = 10_000,
    checkpoint_seconds: float = 5.0,
    max_rows: int = 10_000,
    poll_seconds: float = 0.5,
    idle_timeout: float | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[ConsumeReport], None] | None = None,
    on_events: Callable[[pa.Table], object] | None = None,
) -> ConsumeReport:
    """Consume ``stream`` into ``engine`` until it ends, idles, or ``should_stop()`` is true.

    Parameters
    ----------
    engine
        The online engine, fresh or loaded from ``state``; reading resumes after its position.
    stream
        The stream to read.
    state
        Where checkpoints save the engine (atomically). Without it nothing survives a restart.
    store
        The online store to keep current (features of touched keys at each checkpoint).
    checkpoint_every
        Take a checkpoint after this many events.
    checkpoint_seconds
        Take a checkpoint when this much time has passed since the last one (if events came).
    max_rows
        The largest batch to read at once (capped so checkpoints fall every N events).
    poll_seconds
        How long one read waits for new events on a live stream.
    idle_timeout
        Stop after this many seconds without events (None: run until stopped; a replayed file
        stops at its end).
    should_stop
        Polled between batches; return True to stop (after a final checkpoint).
    on_progress
        Called with the running report after every batch and checkpoint.
    on_events
        Called with each batch of events after the engine applied it (e.g.
        :meth:`winnow.drift.DriftMonitor.update`, which watches the stream for drift).
    """
    if checkpoint_every < 1:
        raise StreamError(f"checkpoint_every must be at least 1, got {checkpoint_every}")
    if checkpoint_seconds <= 0:
        raise StreamError(f"checkpoint_seconds must be positive, got {checkpoint_seconds}")
    started = time.monotonic()
    report = ConsumeReport()
    schemas = {
        name: _schema_text(s) for name, s in key_schemas_of(engine.position).items()
    }
    position = stream_position_of(engine.position)
    stream.seek(position)
    report.position = position
    touched = _Touched(engine, track=store is not None)
    state_path = Path(state) if state is not None else None
    since = 0
    last_checkpoint = time.monotonic()
    last_event = time.monotonic()

    def checkpoint() -> None:
        nonlocal since, last_checkpoint
        if store is not None:
            report.keys_written += touched.flush(engine, store)
        for name, schema in touched.schemas.items():
            schemas.setdefault(name, _schema_text(schema))
        engine.set_position({"stream": position, "key_schemas": dict(schemas)})
        if state_path is not None:
            engine.save(state_path)
        stream.commit(position)
        report.position = position
        report.checkpoints += 1
        since = 0
        last_checkpoint = time.monotonic()
        if on_progress is not None:
            on_progress(report)

    while True:
        if should_stop is not None and should_stop():
            break
        batch = stream.read_batch(
            max_rows=max(1, min(max_rows, checkpoint_every - since)), timeout=poll_seconds
        )
        now = time.monotonic()
        if batch is None:
            if since and now - last_checkpoint >= checkpoint_seconds:
                checkpoint()
            if stream.exhausted:
                break
            if idle_timeout is not None and now - last_event >= idle_timeout:
                break
            continue
        last_event = now
        engine.update_many(batch.events)
        touched.add(batch.events)
        if on_events is not None:
            on_events(batch.events)
        position = batch.position
        report.events += batch.num_rows
        report.batches += 1
        since += batch.num_rows
        if since >= checkpoint_every or now - last_checkpoint >= checkpoint_seconds:
            checkpoint()
        elif on_progress is not None:
            on_progress(report)
    if since or report.checkpoints == 0:
        checkpoint()
    report.late = {name: s.late for name, s in engine.stats.items()}
    report.seconds = time.monotonic() - started
    return report
