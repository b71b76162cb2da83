"""The drift monitor: sliding windows, alerts to JSON Lines and to a real Redis stream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import winnow as wn
from winnow.drift import DriftMonitor, JsonLinesAlertSink, ListAlertSink, RedisAlertSink
from winnow.errors import DefinitionError, SinkError
from winnow.streams import ReplayStream, consume

START = 1_700_000_000_000_000


def _events(n: int, seed: int, *, shift: float = 0.0, first: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "card_id": pa.array(rng.integers(0, 50, n), pa.int64()),
        "ts": pa.array(START + (first + np.arange(n)) * 1_000_000, pa.timestamp("us", tz="UTC")),
        "amount": rng.normal(100 + 20 * shift, 20, n),
        "merchant": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
    })


def _reference() -> wn.Profile:
    return wn.profile(_events(20_000, 1).select(["amount", "merchant"]))


def test_window_panes_and_exact_event_accounting() -> None:
    sink = ListAlertSink()
    monitor = DriftMonitor(_reference(), window=1_000, panes=4, sink=sink)
    assert monitor.update(_events(999, 2)) == [] and monitor.evaluations == 0
    monitor.update(_events(1, 3))
    assert monitor.evaluations == 1  # the window filled at exactly 1,000 events
    monitor.update(_events(600, 4))  # 2 more panes of 250 complete
    assert monitor.evaluations == 3 and monitor.events == 1_600
    window = monitor.window_profile()
    assert window.rows == 1_000 and window["amount"].count == 1_000
    assert sink.alerts == []
    with pytest.raises(DefinitionError, match="multiple of panes"):
        DriftMonitor(_reference(), window=1_000, panes=3)


def test_alerts_to_jsonl_on_a_shifted_window_and_recovery(tmp_path: Path) -> None:
    path = tmp_path / "alerts" / "drift.jsonl"
    sink = JsonLinesAlertSink(path)
    monitor = DriftMonitor(_reference(), window=2_000, panes=4, time="ts", sink=sink)
    for i in range(3):  # same distribution: nothing
        monitor.update(_events(1_000, 10 + i, first=1_000 * i))
    assert not path.exists() or path.read_text() == ""
    shifted = monitor.update(_events(2_000, 20, shift=0.5, first=3_000))
    sink.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == shifted and lines
    assert {(a["type"], a["column"]) for a in lines} == {("drift", "amount")}
    assert {a["statistic"] for a in lines} == {"psi", "ks"}
    for alert in lines:
        assert alert["window_events"] == 2_000 and alert["value"] >= alert["threshold"]
        assert alert["last_event"] - alert["first_event"] == 1_999
        # the window's event times come from its profile
        assert alert["window_start"] >= "2023-11-14T22:13:20" and alert["window_end"]
    monitor.sink = ListAlertSink()
    monitor.update(_events(2_000, 30, first=5_000))
    recovered = monitor.sink.alerts  # type: ignore[attr-defined]
    assert {(a["type"], a["statistic"]) for a in recovered} == {("recovered", "psi"),
                                                                 ("recovered", "ks")}


@pytest.mark.redis
def test_alerts_to_a_redis_stream(redis_url: str) -> None:
    import redis

    sink = RedisAlertSink(redis_url + "?stream=winnow:test-drift")
    monitor = DriftMonitor(_reference(), window=1_000, panes=2, sink=sink)
    monitor.update(_events(1_000, 2))
    monitor.update(_events(1_000, 3, shift=1.0))
    sink.close()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    entries = client.xrange("winnow:test-drift")
    client.close()
    assert entries, "no alert reached the Redis stream"
    fields = [f for _, f in entries]
    assert {(f["type"], f["column"], f["statistic"]) for f in fields} == {
        ("drift", "amount", "psi"), ("drift", "amount", "ks")}
    assert all(float(f["value"]) >= float(f["threshold"]) for f in fields)
    assert monitor.alerts_emitted == len(entries)


def test_unreachable_redis_is_a_sink_error() -> None:
    with pytest.raises(SinkError, match="cannot reach Redis"):
        RedisAlertSink("redis://127.0.0.1:1/0")


def test_monitor_beside_the_stream_consumer() -> None:
    group = wn.FeatureGroup("card", source=wn.EventSource("unused.parquet", time="ts"),
                            key="card_id", features=[wn.Count(window="1h")])
    events = pa.concat_tables([_events(3_000, 5), _events(3_000, 6, shift=0.5, first=3_000)])
    sink = ListAlertSink()
    monitor = DriftMonitor(_reference(), window=1_000, panes=10, time="ts", sink=sink)
    report = consume(wn.OnlineEngine([group]), ReplayStream(events, time="ts"), max_rows=700,
                     on_events=monitor.update)
    assert report.events == monitor.events == 6_000
    assert monitor.evaluations == 51  # the first full window, then one per 100-event pane
    first = min(sink.alerts, key=lambda a: a["last_event"])
    assert first["type"] == "drift" and first["column"] == "amount"
    assert 3_000 < first["last_event"] < 3_600  # caught within the first shifted windows


def test_winnow_stream_with_a_drift_monitor(tmp_path: Path) -> None:
    events = pa.concat_tables([_events(2_000, 7), _events(2_000, 8, shift=1.0, first=2_000)])
    pq.write_table(events, tmp_path / "events.parquet")
    source = str(tmp_path / "events.parquet")
    (tmp_path / "features.py").write_text(
        "import winnow as wn\n"
        f"card = wn.FeatureGroup('card', source=wn.EventSource({source!r}, time='ts'),"
        " key='card_id', features=[wn.Count(window='1h')])\n"
    )
    _reference().save(tmp_path / "ref.json")
    alerts = tmp_path / "alerts.jsonl"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "winnow"), "stream", "--features",
         str(tmp_path / "features.py"), "--source", str(tmp_path / "events.parquet"),
         "--drift-reference", str(tmp_path / "ref.json"), "--drift-window", "1000",
         "--alerts", str(alerts), "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["events"] == 4_000
    assert summary["drift"]["evaluations"] == 31 and summary["drift"]["alerts"] >= 2
    lines = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert len(lines) == summary["drift"]["alerts"]
    assert {(a["column"], a["statistic"]) for a in lines if a["type"] == "drift"} >= {
        ("amount", "psi"), ("amount", "ks")}
