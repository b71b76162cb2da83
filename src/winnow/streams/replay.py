"""In-process replay of a file or table as a stream: the embedded default, no server.

The events are read once (any format :func:`winnow.io.read_table` reads, or an
:class:`~winnow.features.EventSource`), ordered by (event time, sequence) where the sequence is
the ``sequence`` column if one is named and the row order otherwise, and handed out in batches.
The position is the number of events handed out so far (the offset of the next event).
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, StreamError
from winnow.features.source import EventSource
from winnow.io.formats import read_table
from winnow.streams.base import Position, StreamBatch
from winnow.timestamps import to_utc

__all__ = ["ReplayStream"]


def _load(source: str | os.PathLike[str] | pa.Table | EventSource) -> tuple[pa.Table, str]:
    if isinstance(source, EventSource):
        if isinstance(source.data, pa.Table):
            return source.data, source.describe()
        tables = [read_table(p) for p in source.paths()]
        if len(tables) == 1:
            return tables[0], source.describe()
        return pa.concat_tables(tables, promote_options="default"), source.describe()
    if isinstance(source, pa.Table):
        return source, f"table({source.num_rows} rows)"
    return read_table(source), os.fspath(source)


class ReplayStream:
    """Replay events from a file, glob source or table, in (time, sequence) order.

    Parameters
    ----------
    source
        A file path, an Arrow table, or an :class:`~winnow.features.EventSource`.
    time
        The event-time column; defaults to the EventSource's.
    sequence
        A column that orders events of equal time; default: row order in the source.

    Examples
    --------
    >>> import pyarrow as pa
    >>> events = pa.table({"k": [1, 2, 1], "ts": pa.array([3, 1, 2], pa.timestamp("us"))})
    >>> stream = ReplayStream(events, time="ts")
    >>> batch = stream.read_batch(max_rows=2)
    >>> batch.events["k"].to_pylist(), batch.position
    ([2, 1], 2)
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | pa.Table | EventSource,
        *,
        time: str | None = None,
        sequence: str | None = None,
    ) -> None:
        if time is None and isinstance(source, EventSource):
            time = source.time
            sequence = sequence or source.sequence
        if time is None:
            raise StreamError("ReplayStream needs time=, the event-time column to order by")
        table, self._description = _load(source)
        for col in (time, sequence):
            if col is not None and col not in table.column_names:
                raise ColumnNotFoundError(col, table.column_names, where=self._description)
        index = table.column_names.index(time)
        table = table.set_column(index, time, to_utc(table.column(time), name=time))
        keys = [(time, "ascending")]
        if sequence is not None:
            keys.append((sequence, "ascending"))
        # sort_indices is stable, so rows of equal (time, sequence) keep their file order.
        order = pc.sort_indices(table, sort_keys=keys)
        self._events = table.take(order).combine_chunks()
        self._offset = 0
        self._committed: int | None = None

    @property
    def description(self) -> str:
        """The replayed file or table."""
        return f"replay of {self._description}"

    @property
    def num_events(self) -> int:
        """How many events the replay holds in all."""
        return int(self._events.num_rows)

    @property
    def committed(self) -> Position:
        """The last committed offset, or None."""
        return self._committed

    @property
    def exhausted(self) -> bool:
        """True once every event has been handed out."""
        return bool(self._offset >= self._events.num_rows)

    def seek(self, position: Position) -> None:
        """Continue after ``position`` events (``None`` or 0: from the first event)."""
        if position is None:
            position = 0
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise StreamError(
                f"{self.description}: position must be a row offset (an int >= 0), got "
                f"{position!r}; was the state saved by a different kind of stream?"
            )
        if position > self._events.num_rows:
            raise StreamError(
                f"{self.description}: saved position {position} is past the end of the "
                f"source ({self._events.num_rows} events); the source shrank since the state "
                f"was saved, so start from a fresh state"
            )
        self._offset = position
        self._committed = position

    def read_batch(self, *, max_rows: int = 10_000, timeout: float = 1.0) -> StreamBatch | None:
        """Return the next ``max_rows`` events, or None at the end."""
        if max_rows < 1:
            raise StreamError(f"max_rows must be at least 1, got {max_rows}")
        if self.exhausted:
            return None
        events = self._events.slice(self._offset, max_rows)
        self._offset += events.num_rows
        return StreamBatch(events, self._offset)

    def commit(self, position: Position) -> None:
        """Record ``position`` as processed (kept in memory; the engine's state holds it)."""
        if isinstance(position, bool) or not isinstance(position, int):
            raise StreamError(f"{self.description}: cannot commit position {position!r}")
        self._committed = position

    def close(self) -> None:
        """Nothing to release."""
