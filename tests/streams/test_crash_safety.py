"""Crash safety: ``winnow stream`` killed with SIGKILL and restarted counts every event once.

A real ``winnow stream`` process consumes a real Redis stream (redis-server started by the
fixture) with frequent checkpoints. It is killed with SIGKILL at seeded random points after a
checkpoint exists, restarted with the same state file, and finally run until the stream is
drained. The final state must equal an uninterrupted run over the same events: same number of
events counted, no late events, the same feature values for every key.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import redis

import winnow as wn
from winnow.features import load_feature_groups
from winnow.serving import RedisStore
from winnow.streams import publish_redis

pytestmark = [pytest.mark.redis, pytest.mark.slow]

N_EVENTS = 12_000
N_KEYS = 40

DEFS = """
import winnow as wn

card = wn.FeatureGroup(
    "card",
    source=wn.EventSource("not-read-when-streaming.parquet", time="ts"),
    key="card_id",
    features=[
        wn.Count(window="1h"),
        wn.Sum("amount", window="1d"),
        wn.Mean("amount", window="1d"),
        wn.Std("amount", window="1d"),
        wn.Max("amount", window="6h"),
        wn.CountDistinct("merchant", window="1d"),
        wn.Last("merchant"),
        wn.Count(),
    ],
)
"""


def _events() -> pa.Table:
    rng = np.random.default_rng(20240601)
    gaps = rng.integers(0, 120_000_000, N_EVENTS)  # up to 2 minutes apart, ties included
    ts = np.cumsum(gaps) + 1_700_000_000_000_000
    return pa.table(
        {
            "card_id": pa.array(rng.integers(0, N_KEYS, N_EVENTS), pa.int64()),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "amount": pa.array(np.round(rng.gamma(2.0, 30.0, N_EVENTS), 2)),
            "merchant": pa.array([f"m{i}" for i in rng.integers(0, 25, N_EVENTS)]),
        }
    )


def _command(defs: Path, state: Path, source: str, store: str) -> list[str]:
    return [
        sys.executable, "-c", "from winnow.cli.app import main; main()",
        "stream", "--features", str(defs), "--source", source, "--state", str(state),
        "--store", store, "--checkpoint-every", "200", "--checkpoint-seconds", "0.5",
        "--idle-timeout", "2", "--json",
    ]


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def test_sigkill_and_restart_gives_the_uninterrupted_state(
    redis_url: str, tmp_path: Path
) -> None:
    events = _events()
    ids = publish_redis(redis_url, "card-events", events)
    assert len(ids) == N_EVENTS
    defs = tmp_path / "defs.py"
    defs.write_text(DEFS)
    state = tmp_path / "state.json"
    source = f"{redis_url}?stream=card-events&group=features&consumer=c1"
    store_url = f"{redis_url}?prefix=crash"
    cmd = _command(defs, state, source, store_url)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    rng = random.Random(7)
    killed_midway = 0
    for _ in range(4):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        before = state.stat().st_mtime_ns if state.exists() else None
        deadline = time.monotonic() + 60
        # wait for a new checkpoint of this run, then kill at a random point after it
        while time.monotonic() < deadline and proc.poll() is None:
            if state.exists() and state.stat().st_mtime_ns != before:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is not None:
            break  # it drained the stream before we could kill it
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        saved = json.loads(state.read_text())["position"]["stream"]
        if saved != ids[-1]:
            killed_midway += 1
            print(f"killed at checkpoint {ids.index(saved) + 1} of {N_EVENTS} events")
    assert killed_midway >= 1, "no SIGKILL landed before the stream was drained"

    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout)
    assert summary["resumed"] is True
    assert summary["position"] == ids[-1]

    groups = load_feature_groups(defs)
    recovered = wn.OnlineEngine.load(state, groups)
    reference = wn.OnlineEngine(groups)
    reference.update_many(events)
    assert recovered.stats["card"].events == N_EVENTS  # none lost, none counted twice
    assert recovered.stats["card"].late == 0
    assert recovered.latest == reference.latest
    keys = list(range(N_KEYS))
    at = reference.latest + 1
    got = recovered.features_many("card", keys, at=at).to_pylist()
    want = reference.features_many("card", keys, at=at).to_pylist()
    for g, w in zip(got, want, strict=True):
        mismatched = {c: (g[c], w[c]) for c in w if not _close(g[c], w[c])}
        assert not mismatched, f"key {w['card_id']}: {mismatched}"

    # every entry acknowledged; the Redis online store holds the final values of every key
    client = redis.Redis.from_url(redis_url)
    assert client.xpending("card-events", "features")["pending"] == 0
    stored = RedisStore(redis_url, prefix="crash").read("card", [(k,) for k in keys])
    for k, item in zip(keys, stored, strict=True):
        assert item is not None and item.as_of is not None and item.as_of <= at
        assert item.features["card__count"] == want[k]["card__count"]
        assert item.features["card__last_merchant"] == want[k]["card__last_merchant"]
