"""Benchmark: online update throughput, winnow's OnlineEngine vs plain Python vs Bytewax.

Events come from the backfill benchmark's generator (``benchmarks/backfill.py``, uniform
variant, seeded): by default 5M events over 100k keys and 90 days, in time order. Contenders,
each in its own process, on the same events:

* ``winnow_many``: ``OnlineEngine.update_many`` on micro-batches of ``--batch`` (10k) events,
  for the six features of the backfill benchmark (count_7d, sum_7d, mean_30d, max_1d,
  count_distinct_30d, last);
* ``winnow_one``: ``OnlineEngine.update_one`` on one dict per event, same six features;
* ``winnow2_many`` / ``winnow2_one``: the same two ways with count_7d and sum_7d only (what
  the plain-Python baseline computes);
* ``python_deques``: the plain-Python baseline, a dict of deques with a 7-day count and sum
  per key, evicting on every event;
* ``python_count`` and ``bytewax_count``: a keyed running count, in plain Python and as a
  Bytewax 0.21 dataflow (``key_on`` + ``stateful_map``, one worker, ``TestingSource`` with
  batches of ``--batch``; Bytewax keys are strings, so the key is converted in the flow).

The timed region covers ingestion only: batches, dicts and Python lists are built before the
clock starts. For winnow it ends after ``process_all()``, so work the engine defers to query
time is counted too. Throughput is events per second of CPU time of the process (the machine is
shared; wall time is printed as well). After the clock stops, each run writes what it computed
and the results are cross-checked: winnow's six features equal between ``update_many`` and
``update_one``; winnow's count_7d/sum_7d equal the deques' (floats within 1e-9 relative);
every running count equals the number of events per key.

Bytewax is not a winnow dependency: it runs in ``benchmarks/data/venv-online``, created on
first use with ``python3 -m venv benchmarks/data/venv-online && benchmarks/data/venv-online/
bin/pip install -r benchmarks/requirements-online.txt``.

Usage: ``python benchmarks/online.py [--events 5000000] [--keys 100000] [--batch 10000]
[--only winnow_many,python_deques]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "online"
VENV = HERE / "data" / "venv-online"
REQUIREMENTS = HERE / "requirements-online.txt"
DAY = 86_400_000_000
WEEK = 7 * DAY
START = 1_700_000_000_000_000  # as in benchmarks/backfill.py
CONTENDERS = ("winnow_many", "winnow_one", "winnow2_many", "winnow2_one", "python_deques",
              "python_count", "bytewax_count")


# ---------------------------------------------------------------------------- events
def events_path(events: int, keys: int, seed: int, *, spine: int = 1_000_000) -> Path:
    """Write (once) and return the events of ``benchmarks/backfill.py``'s uniform variant.

    The draws are the backfill generator's, in its order (the spine's keys are drawn between
    the event keys and the event times), so for the same sizes and seed the events are the
    very same; only the events are written here.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = DATA / f"events-{events}-{keys}-{spine}-{seed}.parquet"
    if out.exists():
        return out
    rng = np.random.default_rng(seed)
    ev_keys = rng.integers(0, keys, events)
    rng.integers(0, keys, spine)  # the spine's keys
    ev_ts = np.sort(rng.integers(START, START + 90 * DAY, events))
    table = pa.table({
        "card_id": ev_keys,
        "ts": pa.array(ev_ts, pa.timestamp("us", tz="UTC")),
        "amount": rng.gamma(2.0, 50.0, events).round(2),
        "merchant": pa.array(rng.integers(0, 5_000, events)).cast(pa.string()),
    })
    DATA.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out.with_suffix(".tmp"))
    out.with_suffix(".tmp").rename(out)
    return out


def _read(path: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(path).combine_chunks()


# ---------------------------------------------------------------------------- contenders
def _group(table: Any, *, six: bool) -> Any:
    import winnow as wn

    features = [wn.Count(window="7d"), wn.Sum("amount", window="7d")]
    if six:
        features += [wn.Mean("amount", window="30d"), wn.Max("amount", window="1d"),
                     wn.CountDistinct("merchant", window="30d"), wn.Last("merchant")]
    return wn.FeatureGroup("card", source=wn.EventSource(table, time="ts"), key="card_id",
                           features=features)


def _winnow(table: Any, *, six: bool, one: bool, batch: int
            ) -> tuple[Callable[[], None], Callable[[Path], None]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import winnow as wn

    engine = wn.OnlineEngine([_group(table.slice(0, 0), six=six)])
    if one:
        micros = table["ts"].cast(pa.int64())
        plain = table.set_column(table.column_names.index("ts"), "ts", micros)
        rows = plain.to_pylist()

        def run() -> None:
            update = engine.update_one
            for row in rows:
                update(row)
            engine.process_all()
    else:
        batches = table.to_batches(max_chunksize=batch)

        def run() -> None:
            update = engine.update_many
            for b in batches:
                update(b)
            engine.process_all()

    def write(out: Path) -> None:
        keys = sorted(set(table["card_id"].to_pylist()))
        assert engine.latest is not None
        result = engine.features_many("card", keys, at=engine.latest + 1)
        pq.write_table(result, out)

    return run, write


def _python_deques(table: Any) -> tuple[Callable[[], None], Callable[[Path], None]]:
    from collections import deque

    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = table["card_id"].to_pylist()
    times = table["ts"].cast(pa.int64()).to_pylist()
    amounts = table["amount"].to_pylist()
    state: dict[int, list[Any]] = {}

    def run() -> None:
        get = state.get
        for k, t, a in zip(keys, times, amounts, strict=True):
            s = get(k)
            if s is None:
                s = state[k] = [deque(), 0, 0.0]
            dq = s[0]
            bound = t - WEEK
            while dq and dq[0][0] < bound:
                _, old = dq.popleft()
                s[1] -= 1
                s[2] -= old
            dq.append((t, a))
            s[1] += 1
            s[2] += a

    def write(out: Path) -> None:
        bound = max(times) + 1 - WEEK  # the window [latest + 1 - 7d, latest + 1)
        ids, counts, sums = [], [], []
        for k in sorted(state):
            live = [a for t, a in state[k][0] if t >= bound]
            ids.append(k)
            counts.append(len(live))
            sums.append(float(sum(live)))
        pq.write_table(pa.table({"card_id": ids, "count_7d": counts, "sum_7d": sums}), out)

    return run, write


def _python_count(table: Any) -> tuple[Callable[[], None], Callable[[Path], None]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = table["card_id"].to_pylist()
    counts: dict[int, int] = {}

    def run() -> None:
        get = counts.get
        for k in keys:
            counts[k] = get(k, 0) + 1

    def write(out: Path) -> None:
        ids = sorted(counts)
        pq.write_table(pa.table({"card_id": ids, "count": [counts[k] for k in ids]}), out)

    return run, write


def _bytewax_count(table: Any, *, batch: int) -> tuple[Callable[[], None], Callable[[Path], None]]:
    import bytewax.operators as op
    import pyarrow as pa
    import pyarrow.parquet as pq
    from bytewax.dataflow import Dataflow
    from bytewax.outputs import DynamicSink, StatelessSinkPartition
    from bytewax.testing import TestingSource, run_main

    items = list(zip(table["card_id"].to_pylist(), table["amount"].to_pylist(), strict=True))
    final: dict[str, int] = {}

    class _Last(StatelessSinkPartition[tuple[str, int]]):
        def write_batch(self, items: list[tuple[str, int]]) -> None:
            final.update(items)

    class _Sink(DynamicSink[tuple[str, int]]):
        def build(self, step_id: str, worker_index: int, worker_count: int) -> _Last:
            return _Last()

    def count(state: int | None, value: Any) -> tuple[int, int]:
        n = (state or 0) + 1
        return n, n

    flow = Dataflow("keyed_running_count")
    stream = op.input("events", flow, TestingSource(items, batch_size=batch))
    keyed = op.key_on("key", stream, lambda e: str(e[0]))
    counts = op.stateful_map("count", keyed, count)
    op.output("last", counts, _Sink())

    def run() -> None:
        run_main(flow)

    def write(out: Path) -> None:
        ids = sorted(int(k) for k in final)
        pq.write_table(pa.table({"card_id": ids, "count": [final[str(k)] for k in ids]}), out)

    return run, write


def child(name: str, path: Path, batch: int, out: Path) -> None:
    """Run one contender once; print events, wall and CPU seconds, peak RSS as JSON."""
    table = _read(path)
    if name.startswith("winnow"):
        run, write = _winnow(table, six=not name.startswith("winnow2"),
                             one=name.endswith("_one"), batch=batch)
    elif name == "python_deques":
        run, write = _python_deques(table)
    elif name == "python_count":
        run, write = _python_count(table)
    elif name == "bytewax_count":
        run, write = _bytewax_count(table, batch=batch)
    else:
        raise SystemExit(f"unknown contender {name!r}; choose from {CONTENDERS}")
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    write(out)
    print(json.dumps({"events": table.num_rows, "seconds": wall, "cpu_seconds": cpu,
                      "peak_bytes": usage.ru_maxrss * 1024}))


# ---------------------------------------------------------------------------- driver
def _run(name: str, path: Path, batch: int) -> dict[str, Any]:
    python: Path | str = sys.executable
    env = dict(os.environ)
    if name == "bytewax_count":
        from harness import ensure_peer_venv

        peer = ensure_peer_venv(VENV, REQUIREMENTS, without="skipping Bytewax")
        if peer is None:
            return {"error": "Bytewax venv unavailable"}
        python = peer
        env.pop("PYTHONPATH", None)
    out = DATA / f"out-{name}.parquet"
    out.unlink(missing_ok=True)
    proc = subprocess.run(
        [str(python), __file__, "--child", name, "--data", str(path), "--batch", str(batch),
         "--out", str(out)],
        capture_output=True, text=True, env=env,
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        return {"error": tail[0]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _checks(names: list[str], path: Path) -> list[str]:
    """Cross-check what the contenders computed (see the module docstring)."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    def load(name: str) -> Any:
        out = DATA / f"out-{name}.parquet"
        return pq.read_table(out) if name in names and out.exists() else None

    def close(a: Any, b: Any) -> bool:
        x = np.asarray(a.to_numpy(zero_copy_only=False), dtype=float)
        y = np.asarray(b.to_numpy(zero_copy_only=False), dtype=float)
        return bool(np.allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True))

    lines = []
    many, one = load("winnow_many"), load("winnow_one")
    if many is not None and one is not None:
        same = all(
            close(many[c], one[c]) if _is_float(many[c].type) else many[c].equals(one[c])
            for c in many.column_names
        )
        lines.append(f"winnow update_many == update_one on all six features: {same}")
    deques = load("python_deques")
    for name in ("winnow_many", "winnow2_many", "winnow_one", "winnow2_one"):
        ours = load(name)
        if ours is None or deques is None:
            continue
        same = (ours["card_id"].equals(deques["card_id"])
                and ours["card__count_7d"].cast("int64").equals(deques["count_7d"])
                and close(ours["card__sum_amount_7d"], deques["sum_7d"]))
        lines.append(f"{name} count_7d/sum_7d == python_deques: {same}")
    expected = pc.value_counts(pq.read_table(path, columns=["card_id"])["card_id"])
    truth = dict(zip(expected.field("values").to_pylist(), expected.field("counts").to_pylist(),
                     strict=True))
    for name in ("python_count", "bytewax_count"):
        got = load(name)
        if got is None:
            continue
        same = dict(zip(got["card_id"].to_pylist(), got["count"].to_pylist(),
                        strict=True)) == truth
        lines.append(f"{name} final counts == events per key: {same}")
    return lines


def _is_float(typ: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_floating(typ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000, help="micro-batch size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=",".join(CONTENDERS),
                        help="comma-separated contenders to run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.batch, args.out)
        return

    DATA.mkdir(parents=True, exist_ok=True)
    path = events_path(args.events, args.keys, args.seed)
    names = [n for n in args.only.split(",") if n]
    print(f"{args.events:,} events over {args.keys:,} keys and 90 days (seed {args.seed}); "
          f"micro-batches of {args.batch:,}; one process per contender", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        results[name] = run = _run(name, path, args.batch)
        if "error" in run:
            print(f"{name:15s} failed: {run['error']}", flush=True)
            continue
        rate = run["events"] / run["cpu_seconds"]
        print(f"{name:15s} {rate:>12,.0f} events/s (CPU {run['cpu_seconds']:7.2f} s, "
              f"wall {run['seconds']:7.2f} s, peak RSS {run['peak_bytes'] / 2**20:,.0f} MiB)",
              flush=True)
    base = results.get("python_deques", {})
    if "cpu_seconds" in base:
        print("\nthroughput relative to python_deques (CPU time; > 1: faster):")
        for name, run in results.items():
            if "cpu_seconds" in run:
                print(f"  {name:15s} {base['cpu_seconds'] / run['cpu_seconds']:6.2f}x")
    targets = {"winnow_many": 1_000_000, "winnow_one": 200_000}
    for name, target in targets.items():
        run = results.get(name, {})
        if "cpu_seconds" in run:
            rate = run["events"] / run["cpu_seconds"]
            verdict = "met" if rate >= target else "MISSED"
            print(f"target {name} >= {target:,} events/s: {verdict} ({rate:,.0f})")
    print()
    for line in _checks(names, path):
        print(line)
    (DATA / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
