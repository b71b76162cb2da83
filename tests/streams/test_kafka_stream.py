"""Kafka through confluent-kafka: produce, consume, commit, resume.

No Kafka broker can be installed here, so by default these tests run against librdkafka's
built-in **mock cluster** (``test.mock.num.brokers``): an in-process broker that speaks the real
Kafka protocol over TCP on 127.0.0.1. A producer created with that setting hosts the cluster;
its broker address comes from the cluster metadata, and independent clients connect to it like
to any broker. Set ``WINNOW_KAFKA_BOOTSTRAP=host:port`` to run the same tests against a real
broker as well.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pyarrow as pa
import pytest
from confluent_kafka import Producer

from winnow.errors import StreamError
from winnow.streams import KafkaStream, Stream, StreamBatch, open_stream, publish_kafka


@pytest.fixture(scope="module")
def _mock_cluster() -> Iterator[str]:
    """librdkafka's mock cluster: hosted by this producer for as long as it lives."""
    host = Producer({"test.mock.num.brokers": 1, "bootstrap.servers": "unused:9092",
                     "log_level": 3})
    brokers = host.list_topics(timeout=10).brokers
    yield ",".join(f"{b.host}:{b.port}" for b in brokers.values())
    host.flush(1)


_BACKENDS = ["mock"] + (["real"] if os.environ.get("WINNOW_KAFKA_BOOTSTRAP") else [])


@pytest.fixture(params=_BACKENDS)
def bootstrap(request: pytest.FixtureRequest) -> str:
    if request.param == "real":
        return os.environ["WINNOW_KAFKA_BOOTSTRAP"]
    value: str = request.getfixturevalue("_mock_cluster")
    return value


def _events(n: int, keys: int = 3) -> pa.Table:
    return pa.table(
        {
            "card_id": pa.array([i % keys for i in range(n)], pa.int64()),
            "ts": pa.array([i * 1_000_000 for i in range(n)], pa.timestamp("us", tz="UTC")),
            "amount": pa.array([float(i) for i in range(n)]),
        }
    )


def _read_until(
    stream: KafkaStream, rows: int, *, attempts: int = 60, max_rows: int = 100
) -> list[StreamBatch]:
    out: list[StreamBatch] = []
    got = 0
    for _ in range(attempts):
        if got >= rows:
            break
        batch = stream.read_batch(max_rows=max_rows, timeout=0.5)
        if batch is not None:
            out.append(batch)
            got += batch.num_rows
    return out


def _per_key(table: pa.Table) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for key, amount in zip(table["card_id"].to_pylist(), table["amount"].to_pylist(), strict=True):
        out.setdefault(key, []).append(amount)
    return out


def _names() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return f"events-{suffix}", f"group-{suffix}"


def test_produce_consume_commit_resume(bootstrap: str) -> None:
    topic, group = _names()
    events = _events(30)
    assert publish_kafka(bootstrap, topic, events, key="card_id") == 30
    stream = KafkaStream(bootstrap, topic=topic, group=group)
    assert isinstance(stream, Stream)
    stream.seek(None)
    batches = _read_until(stream, 30, max_rows=7)
    assert len(batches) >= 5
    got = pa.concat_tables([b.events for b in batches])
    assert got.num_rows == 30
    assert _per_key(got) == _per_key(events)  # each key's events arrive in order
    final = batches[-1].position
    assert isinstance(final, dict) and sum(final.values()) == 30
    # checkpoint covers only the first batch: commit it, then "crash" (close without commit)
    checkpoint = batches[0].position
    stream.commit(checkpoint)
    assert stream.committed == checkpoint
    stream.close()

    # a restarted consumer, told the checkpoint, reads exactly what came after it
    resumed = KafkaStream(bootstrap, topic=topic, group=group)
    resumed.seek(checkpoint)
    rest = pa.concat_tables([b.events for b in _read_until(resumed, 30 - batches[0].num_rows)])
    before = batches[0].events
    assert before.num_rows + rest.num_rows == 30
    assert sorted(pa.concat_tables([before, rest])["amount"].to_pylist()) == list(
        map(float, range(30))
    )
    resumed.close()


def test_committed_offsets_are_used_without_a_saved_position(bootstrap: str) -> None:
    topic, group = _names()
    publish_kafka(bootstrap, topic, _events(12), key="card_id")
    stream = KafkaStream(bootstrap, topic=topic, group=group)
    batches = _read_until(stream, 12)
    assert sum(b.num_rows for b in batches) == 12
    stream.commit(batches[-1].position)
    stream.close()
    publish_kafka(bootstrap, topic, _events(3), key="card_id")
    again = KafkaStream(bootstrap, topic=topic, group=group)
    tail = _read_until(again, 3, attempts=20)
    assert sum(b.num_rows for b in tail) == 3  # only the new messages
    again.close()


def test_url_multi_row_messages_and_bad_position(bootstrap: str) -> None:
    topic, group = _names()
    publish_kafka(bootstrap, topic, _events(10), rows_per_message=4)
    stream = open_stream(f"kafka://{bootstrap}?topic={topic}&group={group}")
    assert isinstance(stream, KafkaStream)
    batches = _read_until(stream, 10)
    assert pa.concat_tables([b.events for b in batches]).num_rows == 10
    with pytest.raises(StreamError, match="partitions to offsets"):
        stream.seek("1-0")
    with pytest.raises(StreamError, match="rows_per_message=1"):
        publish_kafka(bootstrap, topic, _events(2), key="card_id", rows_per_message=2)
    stream.close()
