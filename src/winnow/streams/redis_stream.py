"""Redis Streams: a producer helper and a consumer-group stream with exactly-once effect.

Each entry carries events as Arrow IPC stream bytes in its field ``arrow``
(:mod:`winnow.streams.codec`); the position is the id of the last entry of a batch
(``"1700000000000-0"``).

The consumer reads with ``XREADGROUP`` in a consumer group and acknowledges (``XACK``) only on
:meth:`RedisStream.commit`, which the consumer calls after the checkpoint that covers the
entries. On restart, :meth:`RedisStream.seek` takes the checkpointed id: the consumer's pending
entries (delivered before the crash, never acknowledged) are read again first, those at or
before the checkpoint are acknowledged and skipped (their effect is in the saved state), the rest
are handed out; then new entries follow. Keep one consumer name per state file (``consumer=``):
pending entries belong to the consumer that read them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from winnow.errors import SourceError, StreamError
from winnow.streams.base import Position, StreamBatch
from winnow.streams.codec import concat_events, decode_events, encode_events, split_rows

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStream", "publish_redis"]

FIELD = b"arrow"


def _entry_id(text: str | bytes) -> tuple[int, int]:
    raw = text.decode() if isinstance(text, bytes) else text
    ms, _, seq = raw.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError as exc:
        raise StreamError(f"{raw!r} is not a Redis stream entry id (expected 'ms-seq')") from exc


def _connect(url_or_client: str | redis.Redis) -> redis.Redis:
    import redis as redis_lib

    if isinstance(url_or_client, str):
        client = redis_lib.Redis.from_url(url_or_client, socket_connect_timeout=5)
    else:
        client = url_or_client
    try:
        client.ping()
    except redis_lib.exceptions.ConnectionError as exc:
        raise SourceError(f"cannot reach Redis ({exc}); is redis-server running there?") from exc
    return client


def publish_redis(
    url_or_client: str | redis.Redis,
    stream: str,
    events: pa.Table | pa.RecordBatch,
    *,
    rows_per_entry: int = 1,
    maxlen: int | None = None,
) -> list[str]:
    """Append events to a Redis stream with ``XADD``; return the new entry ids in order.

    Parameters
    ----------
    url_or_client
        A ``redis://`` URL or a ``redis.Redis`` client.
    stream
        The stream key.
    events
        The events, already in (time, sequence) order per key.
    rows_per_entry
        Events per entry (1: one entry per event; larger values cut per-entry overhead).
    maxlen
        Cap the stream length (approximate trimming); entries trimmed before a consumer read
        them are lost, so leave it None unless consumers keep up.
    """
    client = _connect(url_or_client)
    table = events if isinstance(events, pa.Table) else pa.Table.from_batches([events])
    ids: list[str] = []
    pipe = client.pipeline(transaction=False)
    pending = 0
    for part in split_rows(table, rows_per_entry):
        kwargs: dict[str, Any] = {}
        if maxlen is not None:
            kwargs = {"maxlen": maxlen, "approximate": True}
        pipe.xadd(stream, {FIELD: encode_events(part)}, **kwargs)
        pending += 1
        if pending >= 1000:
            ids.extend(i.decode() for i in pipe.execute())
            pending = 0
    if pending:
        ids.extend(i.decode() for i in pipe.execute())
    return ids


class RedisStream:
    """Consume a Redis stream through a consumer group; acknowledge on commit.

    Parameters
    ----------
    url
        The server, ``redis://host:port/db``.
    stream
        The stream key.
    group
        The consumer group; created (with the stream) at ``start`` if absent.
    consumer
        This consumer's name in the group; keep it stable across restarts of one state file.
    start
        Where a new group starts: ``"0"`` (the stream's first entry) or ``"$"`` (new entries).
    """

    def __init__(
        self,
        url: str,
        *,
        stream: str,
        group: str,
        consumer: str = "winnow",
        start: str = "0",
    ) -> None:
        import redis as redis_lib

        self._client = _connect(url)
        self._stream = stream
        self._group = group
        self._consumer = consumer
        try:
            self._client.xgroup_create(stream, group, id=start, mkstream=True)
        except redis_lib.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise SourceError(
                    f"cannot create consumer group {group!r} on {stream!r}: {exc}"
                ) from exc
        self._floor: tuple[int, int] | None = None
        self._committed: str | None = None
        self._pending_cursor: str | None = "0"  # re-read own pending entries first
        self._unacked: list[str] = []

    @property
    def description(self) -> str:
        """Stream, group and consumer names."""
        return f"redis stream {self._stream!r} (group {self._group!r}, consumer {self._consumer!r})"

    @property
    def committed(self) -> Position:
        """The last acknowledged entry id of this session, or the id given to :meth:`seek`."""
        return self._committed

    @property
    def exhausted(self) -> bool:
        """Always False: a Redis stream is live."""
        return False

    def seek(self, position: Position) -> None:
        """Skip entries at or before ``position`` (an entry id); re-read pending ones after it."""
        if position is not None and not isinstance(position, str):
            raise StreamError(
                f"{self.description}: position must be an entry id like '1700000000000-0', got "
                f"{position!r}; was the state saved by a different kind of stream?"
            )
        self._floor = None if position is None else _entry_id(position)
        self._committed = position
        self._pending_cursor = "0"
        self._unacked = []

    def _read(self, cursor: str, count: int, block_ms: int | None) -> list[tuple[bytes, Any]]:
        reply: Any = self._client.xreadgroup(
            self._group, self._consumer, {self._stream: cursor}, count=count, block=block_ms
        )
        if not reply:
            return []
        if isinstance(reply, dict):  # RESP3 replies map stream -> entries
            nested: Any = next(iter(reply.values()))
            entries: list[tuple[bytes, Any]] = nested[0] if nested and isinstance(
                nested[0], list) else nested
            return entries
        entries = reply[0][1]
        return entries

    def read_batch(self, *, max_rows: int = 10_000, timeout: float = 1.0) -> StreamBatch | None:
        """Return up to ``max_rows`` entries' events (pending ones first), or None on timeout."""
        if max_rows < 1:
            raise StreamError(f"max_rows must be at least 1, got {max_rows}")
        while True:
            entries = self._next_entries(max_rows, timeout)
            if not entries:
                return None
            tables, last = self._decode(entries)
            if tables:
                return StreamBatch(concat_events(tables, where=self.description), last)

    def _next_entries(self, max_rows: int, timeout: float) -> list[tuple[bytes, Any]]:
        if self._pending_cursor is not None:
            entries = self._read(self._pending_cursor, max_rows, None)
            if entries:
                self._pending_cursor = entries[-1][0].decode()
                return entries
            self._pending_cursor = None
        return self._read(">", max_rows, max(1, int(timeout * 1000)))

    def _decode(self, entries: list[tuple[bytes, Any]]) -> tuple[list[pa.Table], str]:
        tables: list[pa.Table] = []
        covered: list[str] = []
        last = ""
        for raw_id, fields in entries:
            entry_id = raw_id.decode()
            if self._floor is not None and _entry_id(entry_id) <= self._floor:
                covered.append(entry_id)  # its effect is already in the checkpointed state
                continue
            payload = (fields or {}).get(FIELD)
            if payload is None:
                raise StreamError(
                    f"{self.description}: entry {entry_id} has no {FIELD.decode()!r} field "
                    f"(trimmed before it was processed, or not written by a winnow producer); "
                    f"publish with winnow.streams.publish_redis and do not trim unread entries"
                )
            tables.append(decode_events(payload, where=f"{self.description} entry {entry_id}"))
            self._unacked.append(entry_id)
            last = entry_id
        if covered:
            self._client.xack(self._stream, self._group, *covered)
        return tables, last

    def commit(self, position: Position) -> None:
        """Acknowledge every delivered entry up to and including ``position``."""
        if position is None:
            return
        if not isinstance(position, str):
            raise StreamError(f"{self.description}: cannot commit position {position!r}")
        upto = _entry_id(position)
        done = [i for i in self._unacked if _entry_id(i) <= upto]
        self._unacked = [i for i in self._unacked if _entry_id(i) > upto]
        for start in range(0, len(done), 1000):
            self._client.xack(self._stream, self._group, *done[start : start + 1000])
        self._committed = position

    def pending_count(self) -> int:
        """How many entries the group has delivered but not yet acknowledged."""
        info = self._client.xpending(self._stream, self._group)
        return int(info["pending"])

    def close(self) -> None:
        """Close the connection."""
        self._client.close()
