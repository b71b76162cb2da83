"""Redis Streams against a real redis-server: produce, consume, acknowledge, crash and resume."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
import redis

from winnow.errors import SourceError, StreamError
from winnow.streams import RedisStream, Stream, StreamBatch, open_stream, publish_redis

pytestmark = pytest.mark.redis


def _events(n: int) -> pa.Table:
    return pa.table(
        {
            "card_id": pa.array(range(n), pa.int64()),
            "ts": pa.array([i * 1_000_000 for i in range(n)], pa.timestamp("us", tz="UTC")),
            "amount": pa.array([i / 4 if i % 3 else None for i in range(n)], pa.float64()),
            "merchant": pa.array([f"m{i % 5}" for i in range(n)]),
        }
    )


def _read_all(stream: RedisStream, max_rows: int = 4) -> list[StreamBatch]:
    out = []
    while (batch := stream.read_batch(max_rows=max_rows, timeout=0.05)) is not None:
        out.append(batch)
    return out


def test_types_survive_the_round_trip(redis_url: str) -> None:
    table = pa.table(
        {
            "k": pa.array([7], pa.int32()),
            "ts": pa.array(
                [datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)], pa.timestamp("us", "UTC")
            ),
            "price": pa.array([Decimal("1.25")], pa.decimal128(10, 2)),
            "tags": pa.array([["a", None]], pa.list_(pa.string())),
            "flag": pa.array([None], pa.bool_()),
        }
    )
    publish_redis(redis_url, "ev", table)
    stream = RedisStream(redis_url, stream="ev", group="g")
    assert isinstance(stream, Stream)
    batch = stream.read_batch(timeout=0.1)
    assert batch is not None
    assert batch.events.equals(table)


def test_batches_positions_and_acknowledgement(redis_url: str) -> None:
    ids = publish_redis(redis_url, "ev", _events(10), rows_per_entry=1)
    assert len(ids) == 10
    stream = RedisStream(redis_url, stream="ev", group="g")
    batches = _read_all(stream)
    assert [b.num_rows for b in batches] == [4, 4, 2]
    assert [b.position for b in batches] == [ids[3], ids[7], ids[9]]
    got = pa.concat_tables([b.events for b in batches])
    assert got.equals(_events(10))
    assert stream.pending_count() == 10  # nothing acknowledged before commit
    stream.commit(ids[7])
    assert stream.pending_count() == 2
    assert stream.committed == ids[7]


def test_multi_row_entries(redis_url: str) -> None:
    ids = publish_redis(redis_url, "ev", _events(10), rows_per_entry=4)
    assert len(ids) == 3
    stream = RedisStream(redis_url, stream="ev", group="g")
    batches = _read_all(stream, max_rows=2)
    assert [b.num_rows for b in batches] == [8, 2]
    assert pa.concat_tables([b.events for b in batches]).equals(_events(10))


def test_restart_rereads_pending_after_the_checkpoint_and_skips_the_rest(redis_url: str) -> None:
    ids = publish_redis(redis_url, "ev", _events(10))
    first = RedisStream(redis_url, stream="ev", group="g", consumer="c1")
    batches = _read_all(first)
    assert len(batches) == 3
    # The state was checkpointed after the first batch (position ids[3]), then the process died
    # before acknowledging anything: all 10 entries are pending.
    first.close()
    second = RedisStream(redis_url, stream="ev", group="g", consumer="c1")
    second.seek(ids[3])
    again = _read_all(second, max_rows=100)
    rows = pa.concat_tables([b.events for b in again])
    assert rows["card_id"].to_pylist() == list(range(4, 10))
    assert again[-1].position == ids[9]
    # entries covered by the checkpoint were acknowledged on the way
    assert second.pending_count() == 6
    second.commit(ids[9])
    assert second.pending_count() == 0
    # new entries follow the re-delivered ones
    more = publish_redis(redis_url, "ev", _events(2))
    tail = _read_all(second)
    assert [b.position for b in tail] == [more[-1]]


def test_open_stream_url_and_group_start(redis_url: str) -> None:
    publish_redis(redis_url, "ev", _events(3))
    stream = open_stream(f"{redis_url}?stream=ev&group=late&start=$")
    assert stream.read_batch(timeout=0.05) is None  # a group made at '$' skips older entries
    publish_redis(redis_url, "ev", _events(2))
    batch = stream.read_batch(timeout=0.5)
    assert batch is not None and batch.num_rows == 2
    assert "group 'late'" in stream.description


def test_foreign_and_trimmed_entries_are_errors_not_silent_drops(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.xadd("ev", {"json": "{}"})
    stream = RedisStream(redis_url, stream="ev", group="g")
    with pytest.raises(StreamError, match="no 'arrow' field"):
        stream.read_batch(timeout=0.05)
    client.xadd("ev2", {"arrow": b"not arrow"})
    other = RedisStream(redis_url, stream="ev2", group="g")
    with pytest.raises(StreamError, match="not an Arrow IPC stream"):
        other.read_batch(timeout=0.05)


def test_bad_positions_and_unreachable_server(redis_url: str) -> None:
    stream = RedisStream(redis_url, stream="ev", group="g")
    with pytest.raises(StreamError, match="entry id"):
        stream.seek(12)
    with pytest.raises(StreamError, match="not a Redis stream entry id"):
        stream.seek("abc")
    with pytest.raises(SourceError, match="needs \\?stream="):
        open_stream(f"{redis_url}?group=g")
    with pytest.raises(SourceError, match="cannot reach Redis"):
        RedisStream("redis://127.0.0.1:1/0", stream="ev", group="g")
