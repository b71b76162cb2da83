"""Serving latency: p50/p99 and errors of `winnow serve` at a fixed request rate on loopback.

The server runs as its own process (`winnow serve`, uvicorn); the load generator runs in a
second process: an open-loop asyncio HTTP/1.1 client on keep-alive connections that sends
request i at t0 + i/rate whatever happened before, and measures each latency from the scheduled
send time (so a stalled server is not hidden by the client waiting: no coordinated omission).

Scenarios, each for --seconds at --rate requests/s, in the same run:
  floor       a bare Starlette route returning a constant JSON object on the same uvicorn (the
              framework's own cost, the peer every other scenario is compared with);
  snapshot    GET /features/card/{key}, features computed from an engine snapshot per request;
  redis       GET /features/card/{key}, values read from the Redis online store;
  post10      POST /features with 10 keys, from the engine snapshot.

Usage: .venv/bin/python benchmarks/serve.py [--seconds 30] [--rate 1000] [--keys 10000]
Needs redis-server on PATH for the redis scenario (skipped otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFS = """
import winnow as wn

card = wn.FeatureGroup(
    "card", source=wn.EventSource("events.parquet", time="ts"), key="card_id",
    features=[
        wn.Count(window="7d"), wn.Sum("amount", window="7d"), wn.Mean("amount", window="30d"),
        wn.Max("amount", window="1d"), wn.CountDistinct("merchant", window="30d"),
        wn.Last("merchant"),
    ],
)
"""
FLOOR_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def one(request):
    return JSONResponse({"group": "card", "key": 1, "found": True, "features": {"x": 1}})

app = Starlette(routes=[Route("/features/card/{key}", one), Route("/health", one)])
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- load generator (runs in its own process) ----------------------------------------------------


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   payload: bytes) -> int:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _load(port: int, requests: list[bytes], rate: float, connections: int) -> dict[str, Any]:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies = np.zeros(len(requests))
    errors = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2

    async def fire(i: int, payload: bytes) -> None:
        nonlocal errors
        scheduled = start + i / rate
        conn = await pool.get()
        try:
            status = await _request(conn[0], conn[1], payload)
            if status != 200:
                errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            conn = await asyncio.open_connection("127.0.0.1", port)
        latencies[i] = loop.time() - scheduled
        pool.put_nowait(conn)

    tasks = []
    for i, payload in enumerate(requests):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(fire(i, payload)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    ms = latencies * 1000
    return {
        "requests": len(requests),
        "errors": errors,
        "achieved_rps": round(len(requests) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p90_ms": round(float(np.percentile(ms, 90)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def _payloads(kind: str, n: int, keys: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        if kind == "post10":
            body = json.dumps({"card": [int(k) for k in rng.integers(0, keys, 10)]}).encode()
            out.append(b"POST /features HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json"
                       b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        else:
            key = int(rng.integers(0, keys))
            out.append(f"GET /features/card/{key} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    return out


def load_main(args: argparse.Namespace) -> None:
    requests = _payloads(args.kind, int(args.rate * args.seconds), args.keys, args.seed)
    result = asyncio.run(_load(args.port, requests, args.rate, args.connections))
    print(json.dumps(result))


# -- orchestration ------------------------------------------------------------------------------


def _wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not come up")


def _prepare(workdir: Path, keys: int, events: int, redis_url: str | None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import winnow as wn
    from winnow.features import load_feature_groups
    from winnow.serving import open_store
    from winnow.streams import ReplayStream, consume

    rng = np.random.default_rng(42)
    ts = np.sort(rng.integers(0, 60 * 86_400_000_000, events)) + 1_700_000_000_000_000
    table = pa.table({
        "card_id": pa.array(rng.integers(0, keys, events), pa.int64()),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "amount": pa.array(np.round(rng.gamma(2.0, 30.0, events), 2)),
        "merchant": pa.array([f"m{i}" for i in rng.integers(0, 500, events)]),
    })
    pq.write_table(table, workdir / "events.parquet")
    (workdir / "defs.py").write_text(DEFS)
    groups = load_feature_groups(workdir / "defs.py")
    store = open_store(f"{redis_url}?prefix=bench") if redis_url else None
    engine = wn.OnlineEngine(groups)
    consume(engine, ReplayStream(table, time="ts"), state=workdir / "state.json", store=store,
            checkpoint_every=50_000)
    if store is not None:
        store.close()


def _run_scenario(name: str, server_cmd: list[str], kind: str, args: argparse.Namespace,
                  cwd: Path) -> dict[str, Any]:
    port = _free_port()
    server = subprocess.Popen([*server_cmd, "--port", str(port)], cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_up(port, server)
        load = subprocess.run(
            [sys.executable, __file__, "--load", "--port", str(port), "--kind", kind,
             "--rate", str(args.rate), "--seconds", str(args.seconds), "--keys", str(args.keys),
             "--connections", str(args.connections), "--seed", str(args.seed)],
            capture_output=True, text=True, check=True,
        )
        result: dict[str, Any] = json.loads(load.stdout)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["scenario"] = name
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="get", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load_main(args)
        return

    workdir = Path(tempfile.mkdtemp(prefix="winnow-bench-serve-"))
    redis_proc = None
    redis_url = None
    if shutil.which("redis-server"):
        rport = _free_port()
        redis_proc = subprocess.Popen(
            ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        redis_url = f"redis://127.0.0.1:{rport}/0"
    try:
        print(f"preparing {args.events:,} events over {args.keys:,} keys in {workdir}",
              file=sys.stderr)
        _prepare(workdir, args.keys, args.events, redis_url)
        (workdir / "floor_app.py").write_text(FLOOR_APP)
        winnow = [sys.executable, "-c", "from winnow.cli.app import main; main()", "serve",
                  "--features", "defs.py"]
        scenarios: list[tuple[str, list[str], str]] = [
            ("floor", [sys.executable, "-m", "uvicorn", "floor_app:app", "--log-level",
                       "warning", "--no-access-log"], "get"),
            ("snapshot", [*winnow, "--state", "state.json"], "get"),
            ("post10", [*winnow, "--state", "state.json"], "post10"),
        ]
        if redis_url:
            scenarios.insert(2, ("redis", [*winnow, "--store", f"{redis_url}?prefix=bench"],
                                 "get"))
        results = {}
        for name, cmd, kind in scenarios:
            if args.only and name not in args.only:
                continue
            results[name] = _run_scenario(name, cmd, kind, args, workdir)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{os.cpu_count()} CPUs; {args.rate:.0f} req/s for {args.seconds:.0f} s per scenario")
    print(f"{'scenario':10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} "
          f"{'rps':>8} {'p99/floor':>10}")
    floor = results.get("floor")
    for name, r in results.items():
        ratio = f"{r['p99_ms'] / floor['p99_ms']:.2f}x" if floor else "-"
        print(f"{name:10} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['max_ms']:8.3f} "
              f"{r['errors']:7d} {r['achieved_rps']:8.1f} {ratio:>10}")


if __name__ == "__main__":
    main()
