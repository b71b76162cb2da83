"""How events travel through Redis Streams and Kafka: Arrow IPC stream bytes.

Each Redis entry (field ``arrow``) or Kafka message value holds one Arrow IPC *stream* with the
schema and one record batch of one or more events. The schema travels with the data, so every
type survives exactly: ``timestamp[us, tz=UTC]`` stays a timestamp, int64 stays int64, decimals,
lists and nulls stay what they were. Any Arrow implementation (Java, Go, Rust, C++, JS) can
produce such messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa

from winnow.errors import StreamError

__all__ = ["concat_events", "decode_events", "encode_events", "split_rows"]


def encode_events(events: pa.Table | pa.RecordBatch) -> bytes:
    """Return Arrow IPC stream bytes holding ``events`` (schema plus one record batch)."""
    table = events if isinstance(events, pa.Table) else pa.Table.from_batches([events])
    table = table.combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches():
            writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def decode_events(payload: bytes, *, where: str) -> pa.Table:
    """Read the events of one message; ``where`` names it (entry id, partition/offset)."""
    try:
        return pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise StreamError(
            f"{where}: payload is not an Arrow IPC stream ({exc}); publish events with "
            f"winnow.streams.publish_redis/publish_kafka or any Arrow IPC stream writer"
        ) from exc


def concat_events(tables: Sequence[pa.Table], *, where: str) -> pa.Table:
    """Concatenate decoded messages; columns missing or all-null in some are unified."""
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="default")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise StreamError(
            f"{where}: messages disagree on the event schema ({exc}); publish every event of a "
            f"stream with the same column types"
        ) from exc


def split_rows(events: pa.Table, rows_per_message: int) -> Iterator[pa.Table]:
    """Yield consecutive slices of ``events`` with at most ``rows_per_message`` rows each."""
    if rows_per_message < 1:
        raise StreamError(f"rows_per_message must be at least 1, got {rows_per_message}")
    for start in range(0, events.num_rows, rows_per_message):
        yield events.slice(start, rows_per_message)
