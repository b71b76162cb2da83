"""The consumer loop: checkpoints, resume from a saved state, store writes, Kafka end to end."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from confluent_kafka import Producer

import winnow as wn
from winnow.errors import StreamError
from winnow.serving import MemoryStore
from winnow.streams import KafkaStream, ReplayStream, consume, publish_kafka
from winnow.streams.consumer import key_schemas_of, stream_position_of

CARD = wn.FeatureGroup(
    "card",
    source=wn.EventSource("unused.parquet", time="ts"),
    key="card_id",
    features=[wn.Count(window="1h"), wn.Sum("amount", window="1d"), wn.Last("merchant")],
)


def _events(n: int = 2_000, keys: int = 12) -> pa.Table:
    rng = np.random.default_rng(5)
    ts = np.cumsum(rng.integers(0, 60_000_000, n)) + 1_600_000_000_000_000
    return pa.table(
        {
            "card_id": pa.array(rng.integers(0, keys, n), pa.int32()),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "amount": pa.array(np.round(rng.random(n) * 50, 2)),
            "merchant": pa.array([f"m{i}" for i in rng.integers(0, 7, n)]),
        }
    )


def _reference(events: pa.Table, keys: list[int]) -> list[dict[str, object]]:
    engine = wn.OnlineEngine([CARD])
    engine.update_many(events)
    assert engine.latest is not None
    rows: list[dict[str, object]] = engine.features_many(
        "card", keys, at=engine.latest + 1
    ).to_pylist()
    return rows


def _assert_same(got: list[dict[str, object]], want: list[dict[str, object]]) -> None:
    """Integers and strings equal, floats within 1e-9 relative (batch boundaries differ)."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        for column, value in w.items():
            if isinstance(value, float):
                assert g[column] == pytest.approx(value, rel=1e-9), (column, g, w)
            else:
                assert g[column] == value, (column, g, w)


def test_replay_with_checkpoints_and_store(tmp_path: Path) -> None:
    events = _events()
    store = MemoryStore()
    engine = wn.OnlineEngine([CARD])
    report = consume(engine, ReplayStream(events, time="ts"), state=tmp_path / "s.json",
                     store=store, checkpoint_every=300)
    assert report.events == 2_000 and report.position == 2_000
    assert report.checkpoints == 7  # 6 full checkpoints of 300 events and the last 200
    assert stream_position_of(engine.position) == 2_000
    assert key_schemas_of(engine.position)["card"] == pa.schema([("card_id", pa.int32())])
    keys = list(range(12))
    want = _reference(events, keys)
    stored = store.read("card", [(k,) for k in keys])
    assert [s.features["card__last_merchant"] for s in stored if s] == [
        w["card__last_merchant"] for w in want
    ]
    assert store.key_schema("card") == pa.schema([("card_id", pa.int32())])


def test_stop_and_resume_from_the_saved_state(tmp_path: Path) -> None:
    events = _events()
    state = tmp_path / "state.json"
    first = wn.OnlineEngine([CARD])
    batches = iter(range(1_000))
    report = consume(first, ReplayStream(events, time="ts"), state=state,
                     checkpoint_every=250, max_rows=250,
                     should_stop=lambda: next(batches) >= 3)
    assert report.events == 750 and report.position == 750
    resumed = wn.OnlineEngine.load(state, [CARD])
    rest = consume(resumed, ReplayStream(events, time="ts"), state=state, checkpoint_every=250)
    assert rest.events == 1_250
    assert resumed.stats["card"].events == 2_000
    keys = list(range(12))
    assert resumed.latest is not None
    got = resumed.features_many("card", keys, at=resumed.latest + 1).to_pylist()
    _assert_same(got, _reference(events, keys))


def test_a_foreign_position_is_refused() -> None:
    engine = wn.OnlineEngine([CARD])
    engine.set_position(17)
    with pytest.raises(StreamError, match="not written by a winnow stream consumer"):
        consume(engine, ReplayStream(_events(10), time="ts"))
    with pytest.raises(StreamError, match="checkpoint_every"):
        consume(wn.OnlineEngine([CARD]), ReplayStream(_events(10), time="ts"),
                checkpoint_every=0)


def test_kafka_end_to_end_on_the_mock_cluster(tmp_path: Path) -> None:
    """Against librdkafka's mock cluster (in-process broker, real Kafka protocol over TCP)."""
    host = Producer({"test.mock.num.brokers": 1, "bootstrap.servers": "unused:9092",
                     "log_level": 3})
    brokers = host.list_topics(timeout=10).brokers.values()
    bootstrap = ",".join(f"{b.host}:{b.port}" for b in brokers)
    topic, group = f"t-{uuid.uuid4().hex[:6]}", "g"
    events = _events(600)
    publish_kafka(bootstrap, topic, events, key="card_id")
    state = tmp_path / "k.json"
    engine = wn.OnlineEngine([CARD])
    first = consume(engine, KafkaStream(bootstrap, topic=topic, group=group), state=state,
                    checkpoint_every=100, idle_timeout=1.0, poll_seconds=0.2)
    assert first.events == 600
    position = stream_position_of(engine.position)
    assert isinstance(position, dict) and sum(position.values()) == 600
    # more events later; a restarted consumer picks up exactly the new ones
    later = pa.table({
        "card_id": pa.array([3], pa.int32()),
        "ts": pa.array([events["ts"][-1].value + 1], pa.timestamp("us", tz="UTC")),
        "amount": [1.0], "merchant": ["new"],
    })
    publish_kafka(bootstrap, topic, later, key="card_id")
    resumed = wn.OnlineEngine.load(state, [CARD])
    second = consume(resumed, KafkaStream(bootstrap, topic=topic, group=group), state=state,
                     idle_timeout=1.0, poll_seconds=0.2)
    assert second.events == 1
    assert resumed.stats["card"].events == 601
    assert resumed.features("card", 3, at=resumed.latest + 1)["card__last_merchant"] == "new"
