"""Benchmark: how the backfill scales with input size on DuckDB and on Spark local[2].

Computes the features of ``benchmarks/backfill.py`` (count_7d, sum_7d, mean_30d, max_1d,
count_distinct_30d, last) with ``wn.backfill`` at 1M, 5M and 20M events (100k keys, 90 days,
a spine of one row per five events), on the DuckDB engine and on the Spark engine with a local
session of two cores, in the same run. Data comes from ``benchmarks/backfill.py``'s generator.

Each (engine, size) runs in its own process. Reported per run: wall time of the backfill call
(Spark's JVM start-up is reported apart), and peak resident memory of the whole process tree
(the Python process plus, for Spark, the JVM it starts), sampled every 0.1 s from /proc. Both
engines return Arrow tables; their outputs are compared (counts equal, floats 1e-9 relative).
A Spark run that passes ``--timeout`` is stopped and recorded as such.

Usage: ``python benchmarks/scale.py [--sizes 1000000,5000000,20000000] [--engines duckdb,spark]
[--timeout 600] [--plot benchmarks/scale.png]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
# the script's directory holds modules named like standard ones (profile.py); keep it off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
KEYS = 100_000


def _generate(events: int, seed: int) -> Path:
    import importlib.util

    # the backfill benchmark's seeded generator, loaded from its file
    spec = importlib.util.spec_from_file_location("backfill_benchmark", HERE / "backfill.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generate = module.generate
    return generate("uniform", events=events, keys=KEYS, spine=events // 5, seed=seed)


def _group(data: Path) -> Any:
    import winnow as wn

    return wn.FeatureGroup(
        "card", source=wn.EventSource(str(data / "events.parquet"), time="ts"), key="card_id",
        features=[wn.Count(window="7d"), wn.Sum("amount", window="7d"),
                  wn.Mean("amount", window="30d"), wn.Max("amount", window="1d"),
                  wn.CountDistinct("merchant", window="30d"), wn.Last("merchant")],
    )


def child(engine: str, data: Path, result: Path) -> None:
    """Run one backfill; print timings as JSON; write the output for the comparison."""
    import winnow as wn

    spine = pq.read_table(data / "spine.parquet")
    started = time.perf_counter()
    kwargs: dict[str, Any] = {}
    if engine == "spark":
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master("local[2]").appName("winnow-scale")
            .config("spark.driver.memory", "8g")
            .config("spark.sql.shuffle.partitions", "16")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        session.sql("SELECT 1").collect()
        kwargs["spark"] = session
    startup = time.perf_counter() - started
    started = time.perf_counter()
    table = wn.backfill(spine, [_group(data)], time="ts", engine=engine, **kwargs)
    seconds = time.perf_counter() - started
    pq.write_table(table, result)
    print(json.dumps({"seconds": seconds, "startup": startup, "rows": table.num_rows}))


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def _run(engine: str, data: Path, timeout: float) -> dict[str, Any]:
    result = data / f"out-scale-{engine}.parquet"
    result.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", engine, "--data", str(data), "--result",
         str(result)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    started, peak = time.monotonic(), 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        if time.monotonic() - started > timeout:
            os.killpg(proc.pid, 9)  # the child's own session: Python and its JVM
            proc.wait()
            return {"timeout": timeout, "peak_bytes": peak}
        time.sleep(0.1)
    out, err = proc.communicate()
    if proc.returncode != 0:
        tail = err.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        return {"error": tail[0], "peak_bytes": peak}
    return {**json.loads(out.strip().splitlines()[-1]), "peak_bytes": peak}


def _same(data: Path) -> str:
    a = pq.read_table(data / "out-scale-duckdb.parquet")
    b = pq.read_table(data / "out-scale-spark.parquet")
    if a.num_rows != b.num_rows:
        return f"row counts differ: {a.num_rows} vs {b.num_rows}"
    bad = []
    for name in a.column_names:
        x = a[name].to_numpy(zero_copy_only=False)
        y = b[name].to_numpy(zero_copy_only=False)
        if x.dtype.kind == "f":
            same = np.isclose(x, y, rtol=1e-9, atol=1e-9) | (np.isnan(x) & np.isnan(y))
        else:
            same = x == y
        if not np.all(same):
            bad.append(f"{name}: {int((~same).sum())} rows differ")
    return "same values" if not bad else "; ".join(bad)


def _plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for engine, marker in (("duckdb", "o"), ("spark", "s")):
        done = [r for r in runs if r["engine"] == engine and "seconds" in r]
        if not done:
            continue
        sizes = [r["events"] / 1e6 for r in done]
        left.plot(sizes, [r["seconds"] for r in done], marker=marker, label=f"{engine}")
        right.plot(sizes, [r["peak_bytes"] / 2**30 for r in done], marker=marker, label=engine)
        first = done[0]
        left.plot(sizes, [first["seconds"] * s / sizes[0] for s in sizes], ls=":",
                  color="grey", lw=1)
    left.set(xlabel="events (millions)", ylabel="backfill wall time (s)", xscale="log",
             yscale="log", title="time (dotted: linear from the smallest size)")
    right.set(xlabel="events (millions)", ylabel="peak RSS, process tree (GiB)", xscale="log",
              title="peak memory")
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("wn.backfill: 6 features, 100k keys, spine = events / 5, 2 cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="1000000,5000000,20000000")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--plot", type=Path, default=HERE / "scale.png")
    parser.add_argument("--json", type=Path, default=HERE / "data" / "scale-results.json")
    parser.add_argument("--child")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--result", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.result)
        return
    import duckdb
    import pyspark
    from harness import machine_line

    print("command: python " + " ".join(sys.argv))
    print(machine_line({"duckdb": duckdb.__version__, "pyspark": pyspark.__version__,
                        "pyarrow": pa.__version__}))
    runs: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        data = _generate(size, args.seed)
        print(f"\n== {size:,} events, {KEYS:,} keys, 90 days, {size // 5:,} spine rows ==")
        for engine in args.engines.split(","):
            run = {"engine": engine, "events": size, **_run(engine, data, args.timeout)}
            runs.append(run)
            peak = f"peak {run['peak_bytes'] / 2**30:5.2f} GiB"
            if "seconds" in run:
                extra = f" (+{run['startup']:.1f} s session start)" if engine == "spark" else ""
                print(f"{engine:>7}: {run['seconds']:8.2f} s{extra}  {peak}  "
                      f"{size / run['seconds'] / 1e6:6.2f} M events/s", flush=True)
            elif "timeout" in run:
                print(f"{engine:>7}: stopped after {run['timeout']:.0f} s  {peak}", flush=True)
            else:
                print(f"{engine:>7}: failed: {run['error']}  {peak}", flush=True)
        done = {r["engine"]: r for r in runs if r["events"] == size and "seconds" in r}
        if len(done) == 2:
            ratio = done["spark"]["seconds"] / done["duckdb"]["seconds"]
            print(f"  spark/duckdb time {ratio:.1f}x; outputs: {_same(data)}")
    print("\ngrowth (time ratio per size ratio; 1.0 = linear):")
    for engine in args.engines.split(","):
        done = [r for r in runs if r["engine"] == engine and "seconds" in r]
        for a, b in itertools.pairwise(done):
            growth = (b["seconds"] / a["seconds"]) / (b["events"] / a["events"])
            print(f"  {engine}: {a['events'] / 1e6:g}M -> {b['events'] / 1e6:g}M events: time "
                  f"x{b['seconds'] / a['seconds']:.2f} for x{b['events'] / a['events']:.0f} "
                  f"input ({growth:.2f} of linear)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(runs, indent=2))
    _plot(runs, args.plot)
    print(f"\nplot: {args.plot}; figures: {args.json}")


if __name__ == "__main__":
    main()
