"""The :class:`Stream` protocol: read event batches from a position, commit positions.

A stream hands out Arrow tables of events in order, each with the **position** just after its
last event. A position is opaque to the caller and JSON-able, so it can be saved with the online
engine's state; each backend documents its form (a row offset for file replay, the last entry id
for Redis Streams, next offsets per partition for Kafka).

Exactly-once effect comes from the pairing of positions and checkpoints: a consumer applies a
batch to its state, saves state and position together, and only then commits the position to the
stream. After a crash it reloads the state and calls :meth:`Stream.seek` with the saved position:
events after it are read again, events at or before it are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeAlias, runtime_checkable

import pyarrow as pa

__all__ = ["Position", "Stream", "StreamBatch"]

#: A JSON-able stream position: ``None`` (the beginning), a row offset, an entry id, or next
#: offsets per partition.
Position: TypeAlias = int | str | dict[str, int] | None


@dataclass(frozen=True)
class StreamBatch:
    """Events read from a stream, and the position just after the last of them.

    Parameters
    ----------
    events
        The events, in stream order.
    position
        The position that covers every event of this batch and every earlier one.
    """

    events: pa.Table
    position: Position

    @property
    def num_rows(self) -> int:
        """The number of events in the batch."""
        return int(self.events.num_rows)


@runtime_checkable
class Stream(Protocol):
    """A source of event batches with positions and commits.

    Implementations: :class:`~winnow.streams.ReplayStream` (a file or table, in time order),
    :class:`~winnow.streams.RedisStream` (Redis Streams consumer groups) and
    :class:`~winnow.streams.KafkaStream` (Kafka consumer groups, manual commits).
    """

    @property
    def description(self) -> str:
        """A short description for messages (no credentials)."""
        ...

    @property
    def committed(self) -> Position:
        """The last position committed in this session (or given to :meth:`seek`)."""
        ...

    @property
    def exhausted(self) -> bool:
        """Whether a finite stream has handed out every event (always False for live streams)."""
        ...

    def seek(self, position: Position) -> None:
        """Read from just after ``position`` on; ``None`` starts at the stream's beginning."""
        ...

    def read_batch(self, *, max_rows: int = 10_000, timeout: float = 1.0) -> StreamBatch | None:
        """Return the next events (about ``max_rows`` at most), or None if none came in time."""
        ...

    def commit(self, position: Position) -> None:
        """Tell the stream that every event up to ``position`` is durably processed."""
        ...

    def close(self) -> None:
        """Release connections; the stream cannot be read afterwards."""
        ...
