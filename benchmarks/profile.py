"""Profiling: winnow vs whylogs and evidently on the same Parquet file, in one run.

Data: N rows (default 10,000,000) x 10 columns, seeded: six float64 columns (normal, lognormal,
uniform, exponential, normal with 2% nulls, Student t), an int64 with 100 values, an int64 with
~N distinct values, a string with 20 categories and one with 2,000 categories (1% nulls).

Each tool runs in its own subprocess; the parent records its wall time and peak resident memory
(``ru_maxrss`` of that child from ``os.wait4``). The workers report their own load and profile
times:

- ``winnow (Parquet batches)``: ``winnow.profile(path)`` reads 1M-row batches and updates the
  sketches, so its memory is one batch plus the sketches;
- ``winnow (table in memory)``: the file read into one Arrow table, then profiled;
- ``whylogs``: ``pandas.read_parquet``, then ``why.log(df).view()`` (whylogs 1.6);
- ``evidently``: ``pandas.read_parquet``, then ``Report([DataSummaryPreset()]).run(...)``
  (evidently 0.7; exact pandas statistics).

whylogs and evidently are not winnow dependencies: they run in ``benchmarks/data/venv-profile``,
created on first use from ``benchmarks/requirements-profile.txt``. Every tool's mean of ``f0``
and distinct count of ``s1`` are printed next to the exact values as a sanity check. Timings are
wall-clock on a shared 2-core machine and noisy. Run it under the benchmark lock:

    flock /tmp/winnow-bench.lock .venv/bin/python benchmarks/profile.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / "data" / "venv-profile"
REQUIREMENTS = HERE / "requirements-profile.txt"
DATA = HERE / "data" / "profile"
SEED = 0
TIMEOUT = 1200.0
BATCH_ROWS = 1 << 20


# ---------------------------------------------------------------------------- data
def make_data(rows: int) -> Path:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = DATA / f"data-{rows}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    tmp = path.with_suffix(".tmp")
    writer: pq.ParquetWriter | None = None
    chunk = 1_000_000
    cats20 = np.array([f"cat{i:02d}" for i in range(20)])
    cats2k = np.array([f"merchant{i:04d}" for i in range(2000)])
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        f4 = rng.normal(5, 2, n)
        s1 = cats2k[np.minimum(rng.zipf(1.3, n) - 1, 1999)]
        table = pa.table({
            "f0": rng.normal(0, 1, n),
            "f1": rng.lognormal(0, 1.5, n),
            "f2": rng.uniform(-10, 10, n),
            "f3": rng.exponential(3, n),
            "f4": pa.array(f4, mask=rng.random(n) < 0.02),
            "f5": rng.standard_t(3, n),
            "i0": rng.integers(0, 100, n),
            "i1": rng.integers(0, 1_000_000_000, n),
            "s0": pa.array(cats20[rng.integers(0, 20, n)]),
            "s1": pa.array(s1, mask=rng.random(n) < 0.01),
        })
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=chunk)
    assert writer is not None
    writer.close()
    os.replace(tmp, path)
    return path


def exact_values(path: Path) -> dict[str, float]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["f0", "s1"])
    return {"f0_mean": pc.mean(table["f0"]).as_py(),
            "s1_distinct": len(pc.unique(table["s1"].drop_null()))}


# ---------------------------------------------------------------------------- workers
def worker(tool: str, path: Path) -> dict[str, object]:
    if tool == "winnow-batches":
        import winnow as wn

        t0 = time.perf_counter()
        p = wn.profile(path, batch_rows=int(os.environ.get("WINNOW_BATCH_ROWS", 1 << 20)))
        return {"load_s": None, "profile_s": time.perf_counter() - t0,
                "f0_mean": p["f0"].mean, "s1_distinct": p["s1"].distinct_count}
    if tool == "winnow-table":
        import pyarrow.parquet as pq

        import winnow as wn

        t0 = time.perf_counter()
        table = pq.read_table(path)
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        p = wn.profile(table)
        return {"load_s": load, "profile_s": time.perf_counter() - t0,
                "f0_mean": p["f0"].mean, "s1_distinct": p["s1"].distinct_count}
    import warnings

    import pandas as pd

    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    load = time.perf_counter() - t0
    if tool == "whylogs":
        import whylogs as why

        t0 = time.perf_counter()
        view = why.log(df).view()
        seconds = time.perf_counter() - t0
        summary = view.to_pandas()
        return {"load_s": load, "profile_s": seconds,
                "f0_mean": float(summary.loc["f0", "distribution/mean"]),
                "s1_distinct": float(summary.loc["s1", "cardinality/est"])}
    if tool == "evidently":
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataSummaryPreset

        t0 = time.perf_counter()
        definition = DataDefinition(
            numerical_columns=["f0", "f1", "f2", "f3", "f4", "f5", "i0", "i1"],
            categorical_columns=["s0", "s1"],
        )
        snapshot = Report([DataSummaryPreset()]).run(
            Dataset.from_pandas(df, data_definition=definition), None)
        seconds = time.perf_counter() - t0
        mean = distinct = None
        for metric in snapshot.dict()["metrics"]:
            name = metric["metric_name"]
            if name.startswith("MeanValue(") and "column=f0" in name:
                mean = float(metric["value"])
            if name.startswith("UniqueValueCount(") and "column=s1" in name:
                value = metric["value"]
                distinct = float(len(value["counts"]) if isinstance(value, dict)
                                 and "counts" in value else len(value))
        return {"load_s": load, "profile_s": seconds, "f0_mean": mean, "s1_distinct": distinct}
    raise SystemExit(f"unknown tool {tool}")


def run(python: str, tool: str, path: Path) -> dict[str, object]:
    """Run one worker; its wall time and peak RSS come from the parent's view of the child."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="2",
               WINNOW_BATCH_ROWS=str(BATCH_ROWS))
    t0 = time.perf_counter()
    proc = subprocess.Popen([python, __file__, "--worker", tool, "--data", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = t0 + TIMEOUT
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return {"tool": tool, "error": f"timed out after {TIMEOUT:.0f} s"}
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        return {"tool": tool, "error": err.strip().splitlines()[-1] if err.strip() else
                f"exit status {status}"}
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    result.update(tool=tool, wall_s=wall, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--tools", default="winnow-batches,winnow-table,whylogs,evidently")
    parser.add_argument("--batch-rows", type=int, default=1 << 20,
                        help="rows per batch of winnow-batches (memory is about one batch)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.data)))
        return
    global BATCH_ROWS
    BATCH_ROWS = args.batch_rows

    t0 = time.perf_counter()
    path = make_data(args.rows)
    print(f"data: {path} ({args.rows:,} rows x 10 columns, "
          f"{path.stat().st_size / 1e6:.0f} MB; ready in {time.perf_counter() - t0:.1f} s)",
          flush=True)
    exact = exact_values(path)
    print(f"exact: mean(f0) = {exact['f0_mean']:.6f}, distinct(s1) = {exact['s1_distinct']}",
          flush=True)
    from harness import ensure_peer_venv

    peer = ensure_peer_venv(VENV, REQUIREMENTS, without="comparing winnow only")
    results = []
    for tool in args.tools.split(","):
        python = sys.executable if tool.startswith("winnow") else (str(peer) if peer else None)
        if python is None:
            results.append({"tool": tool, "error": "peer environment could not be installed"})
            continue
        print(f"running {tool} ...", flush=True)
        results.append(run(python, tool, path))
        print(json.dumps(results[-1]), flush=True)

    base = next((r for r in results if r["tool"] == "winnow-batches" and "error" not in r), None)
    print()
    print("| tool | load s | profile s | wall s | peak RSS MB | profile x winnow | "
          "mean(f0) | distinct(s1) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        if "error" in r:
            print(f"| {r['tool']} | - | - | - | - | - | - | {r['error']} |")
            continue
        ratio = (f"{float(r['profile_s']) / float(base['profile_s']):.2f}"  # type: ignore[arg-type]
                 if base else "-")
        load = "-" if r["load_s"] is None else f"{float(r['load_s']):.2f}"  # type: ignore[arg-type]
        mean = "-" if r["f0_mean"] is None else f"{float(r['f0_mean']):.6f}"  # type: ignore[arg-type]
        distinct = ("-" if r["s1_distinct"] is None
                    else f"{float(r['s1_distinct']):.0f}")  # type: ignore[arg-type]
        print(f"| {r['tool']} | {load} | {float(r['profile_s']):.2f} | "  # type: ignore[arg-type]
              f"{float(r['wall_s']):.2f} | {float(r['peak_rss_mb']):.0f} | "  # type: ignore[arg-type]
              f"{ratio} | {mean} | {distinct} |")


if __name__ == "__main__":
    main()
