"""``winnow serve`` as a real uvicorn process: binding rule, token, snapshot reloads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pytest

import winnow as wn
from winnow.features import load_feature_groups
from winnow.serving import SnapshotReader
from winnow.streams import ReplayStream, consume

DEFS = """
import winnow as wn

card = wn.FeatureGroup(
    "card", source=wn.EventSource("unused.parquet", time="ts"), key="card_id",
    features=[wn.Count(window="1h"), wn.Sum("amount", window="1d"), wn.Last("merchant")],
)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _events(start: int, n: int) -> pa.Table:
    return pa.table({
        "card_id": pa.array([i % 3 for i in range(n)], pa.int64()),
        "ts": pa.array([start + i * 1_000_000 for i in range(n)], pa.timestamp("us", "UTC")),
        "amount": [float(i) for i in range(n)],
        "merchant": [f"m{i}" for i in range(n)],
    })


@pytest.fixture()
def snapshot(tmp_path: Path) -> tuple[Path, Path]:
    defs = tmp_path / "defs.py"
    defs.write_text(DEFS)
    state = tmp_path / "state.json"
    engine = wn.OnlineEngine(load_feature_groups(defs))
    consume(engine, ReplayStream(_events(0, 30), time="ts"), state=state)
    return defs, state


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from winnow.cli.app import main; main()", "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "WINNOW_SERVE_TOKEN": ""},
    )


def _wait(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not come up in 30 s")


@pytest.fixture()
def stop() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def test_loopback_server_answers_and_reloads_the_snapshot(
    snapshot: tuple[Path, Path], stop: list[subprocess.Popen[str]]
) -> None:
    defs, state = snapshot
    port = _free_port()
    proc = _serve("--features", str(defs), "--state", str(state), "--port", str(port))
    stop.append(proc)
    url = f"http://127.0.0.1:{port}"
    _wait(url, proc)
    first = httpx.get(url + "/features/card/2").json()
    assert first["features"] == {
        "card__count_1h": 10, "card__sum_amount_1d": 155.0, "card__last_merchant": "m29"
    }
    assert first["as_of"] == "1970-01-01T00:00:29.000001Z"
    assert httpx.get(url + "/openapi.json").json()["info"]["title"] == "winnow feature server"
    # the consumer checkpoints more events; the server picks the new snapshot up
    engine = wn.OnlineEngine.load(state, load_feature_groups(defs))
    consume(engine, ReplayStream(pa.concat_tables([_events(0, 30), _events(30_000_000, 3)]),
                                 time="ts"), state=state)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = httpx.get(url + "/features/card/2").json()
        if now["features"]["card__count_1h"] == 11:
            break
        time.sleep(0.2)
    assert now["features"]["card__last_merchant"] == "m2"
    assert httpx.get(url + "/features/card/x").status_code == 404


def test_refuses_a_public_address_without_a_token(snapshot: tuple[Path, Path]) -> None:
    defs, state = snapshot
    proc = _serve("--features", str(defs), "--state", str(state), "--host", "0.0.0.0",
                  "--port", str(_free_port()))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "refusing to serve on '0.0.0.0' without a token" in err
    both = _serve("--features", str(defs), "--state", str(state), "--store", "memory")
    _, err = both.communicate(timeout=60)
    assert both.returncode == 1 and "exactly one of --state" in err


def test_public_address_requires_the_bearer_token(
    snapshot: tuple[Path, Path], stop: list[subprocess.Popen[str]]
) -> None:
    defs, state = snapshot
    port = _free_port()
    proc = _serve("--features", str(defs), "--state", str(state), "--host", "0.0.0.0",
                  "--port", str(port), "--token", "t0ken")
    stop.append(proc)
    url = f"http://127.0.0.1:{port}"
    _wait(url, proc)
    assert httpx.get(url + "/features/card/1").status_code == 401
    bad = httpx.get(url + "/features/card/1", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    good = httpx.get(url + "/features/card/1", headers={"Authorization": "Bearer t0ken"})
    assert good.status_code == 200 and good.json()["key"] == 1
    posted = httpx.post(url + "/features", json={"card": [0, 1]},
                        headers={"Authorization": "Bearer t0ken"})
    assert [i["key"] for i in posted.json()["card"]] == [0, 1]


def test_snapshot_reader_in_process(snapshot: tuple[Path, Path]) -> None:
    defs, state = snapshot
    reader = SnapshotReader(state, load_feature_groups(defs))
    assert reader.key_schema("card") == pa.schema([("card_id", pa.int64())])
    item = reader.read("card", [(0,)])[0]
    assert item is not None and item.found is None and item.as_of == 29_000_001
    assert item.features["card__count_1h"] == 10
