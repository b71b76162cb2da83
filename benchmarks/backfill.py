"""Benchmark: point-in-time correct backfill, winnow vs hand-written DuckDB SQL vs Polars.

Generates (seeded) 5M events over 100k keys and 90 days and a 1M-row spine, then computes the
features count_7d, sum_7d, mean_30d, max_1d, count_distinct_30d and last for every spine row:

* ``winnow``: ``wn.backfill`` (DuckDB engine, sort-based window formulation);
* ``duckdb_range_join``: the hand-written DuckDB query (range join on key and time, filtered
  aggregates per spine row, ASOF join for ``last``);
* ``polars_join``: Polars lazy join on key + time filter + group-by, ``join_asof`` for ``last``;
* ``polars_rolling``: spine rows and events stacked and sorted by (key, time), Polars'
  ``rolling_{sum,mean,max}_by(closed="left")`` over the key for count/sum/mean/max, the generic
  ``rolling(group_by=key)`` for count distinct, ``join_asof`` for ``last``.

The ``skewed`` variant gives one key 20% of the events and 20% of the spine rows; range joins
then grow with (hot-key spine rows x hot-key events) and are stopped at ``--timeout`` seconds or
``--max-memory-gib`` of resident memory.

Each contender runs in its own process (so peak RSS is its own), ``--repeat`` times; the run
with the best wall time is reported with its CPU time (user + system, all threads; less
disturbed than wall time when other jobs share the cores) and ``winnow/this``: winnow's time
divided by the contender's (below 1: winnow is faster). Every contender's values are checked
against winnow's (counts and strings equal, floats within 1e-9 relative).

Usage: ``python benchmarks/backfill.py [--events 5000000] [--keys 100000] [--spine 1000000]
[--variants uniform,skewed] [--repeat 3] [--timeout 600] [--max-memory-gib 12]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).resolve().parent / "data" / "backfill"
DAY = 86_400_000_000
START = 1_700_000_000_000_000
CONTENDERS = ("winnow", "duckdb_range_join", "polars_join", "polars_rolling")


def generate(variant: str, *, events: int, keys: int, spine: int, seed: int) -> Path:
    """Write events.parquet and spine.parquet for a variant; return its directory."""
    out = DATA / f"{variant}-{events}-{keys}-{spine}-{seed}"
    if (out / "spine.parquet").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ev_keys = rng.integers(0, keys, events)
    sp_keys = rng.integers(0, keys, spine)
    if variant == "skewed":
        ev_keys[rng.random(events) < 0.2] = 0
        sp_keys[rng.random(spine) < 0.2] = 0
    ev_ts = np.sort(rng.integers(START, START + 90 * DAY, events))
    table = pa.table(
        {
            "card_id": ev_keys,
            "ts": pa.array(ev_ts, pa.timestamp("us", tz="UTC")),
            "amount": rng.gamma(2.0, 50.0, events).round(2),
            "merchant": pa.array(rng.integers(0, 5_000, events)).cast(pa.string()),
        }
    )
    pq.write_table(table, out / "events.parquet")
    sp_ts = rng.integers(START, START + 90 * DAY, spine)
    pq.write_table(
        pa.table({"card_id": sp_keys, "ts": pa.array(sp_ts, pa.timestamp("us", tz="UTC")),
                  "label": rng.integers(0, 2, spine)}),
        out / "spine.parquet",
    )
    return out


FEATURES = ["card__count_7d", "card__sum_amount_7d", "card__mean_amount_30d",
            "card__max_amount_1d", "card__count_distinct_merchant_30d", "card__last_merchant"]


def _winnow(data: Path) -> pa.Table:
    import winnow as wn

    card = wn.FeatureGroup(
        "card", source=wn.EventSource(str(data / "events.parquet"), time="ts"), key="card_id",
        features=[wn.Count(window="7d"), wn.Sum("amount", window="7d"),
                  wn.Mean("amount", window="30d"), wn.Max("amount", window="1d"),
                  wn.CountDistinct("merchant", window="30d"), wn.Last("merchant")],
    )
    return wn.backfill(str(data / "spine.parquet"), [card], time="ts")


def _duckdb_range_join(data: Path) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # day intervals are 24 h, as in winnow
    ev, sp = str(data / "events.parquet"), str(data / "spine.parquet")
    sql = f"""
    WITH sp AS (SELECT file_row_number AS rid, card_id, ts, label
                FROM read_parquet('{sp}', file_row_number = true)),
    ev AS (SELECT card_id, ts, amount, merchant FROM read_parquet('{ev}')),
    agg AS (
      SELECT sp.rid,
        count(ev.ts) FILTER (WHERE ev.ts >= sp.ts - INTERVAL 7 DAY) AS card__count_7d,
        coalesce(sum(ev.amount) FILTER (WHERE ev.ts >= sp.ts - INTERVAL 7 DAY), 0.0)
          AS card__sum_amount_7d,
        avg(ev.amount) AS card__mean_amount_30d,
        max(ev.amount) FILTER (WHERE ev.ts >= sp.ts - INTERVAL 1 DAY) AS card__max_amount_1d,
        count(DISTINCT ev.merchant) AS card__count_distinct_merchant_30d
      FROM sp LEFT JOIN ev ON sp.card_id = ev.card_id
        AND ev.ts >= sp.ts - INTERVAL 30 DAY AND ev.ts < sp.ts
      GROUP BY sp.rid),
    lastv AS (
      SELECT sp.rid, ev.merchant AS card__last_merchant
      FROM sp ASOF LEFT JOIN ev ON sp.card_id = ev.card_id AND ev.ts < sp.ts)
    SELECT sp.card_id, sp.ts, sp.label, {", ".join(FEATURES)}
    FROM sp JOIN agg USING (rid) JOIN lastv USING (rid) ORDER BY rid
    """
    return con.sql(sql).to_arrow_table()


def _polars_join(data: Path) -> pa.Table:
    import polars as pl

    ev = pl.scan_parquet(data / "events.parquet")
    sp = pl.scan_parquet(data / "spine.parquet").with_row_index("rid")
    joined = sp.select("rid", "card_id", "ts").join(ev, on="card_id", how="inner").filter(
        (pl.col("ts_right") < pl.col("ts"))
        & (pl.col("ts_right") >= pl.col("ts") - pl.duration(days=30))
    )
    in7 = pl.col("ts_right") >= pl.col("ts") - pl.duration(days=7)
    in1 = pl.col("ts_right") >= pl.col("ts") - pl.duration(days=1)
    agg = joined.group_by("rid").agg(
        in7.sum().cast(pl.Int64).alias("card__count_7d"),
        pl.col("amount").filter(in7).sum().alias("card__sum_amount_7d"),
        pl.col("amount").mean().alias("card__mean_amount_30d"),
        pl.col("amount").filter(in1).max().alias("card__max_amount_1d"),
        pl.col("merchant").n_unique().cast(pl.Int64).alias("card__count_distinct_merchant_30d"),
    )
    last = _polars_last(sp, ev)
    out = (
        sp.join(agg, on="rid", how="left").join(last, on="rid", how="left")
        .with_columns(pl.col("card__count_7d", "card__count_distinct_merchant_30d").fill_null(0),
                      pl.col("card__sum_amount_7d").fill_null(0.0))
        .sort("rid").select("card_id", "ts", "label", *FEATURES)
    )
    return out.collect().to_arrow()


def _polars_last(sp: Any, ev: Any) -> Any:
    import polars as pl

    left = sp.select("rid", "card_id", "ts").sort("ts")
    right = ev.select("card_id", pl.col("ts").alias("ev_ts"), "merchant").sort("ev_ts")
    return left.join_asof(
        right, left_on="ts", right_on="ev_ts", by="card_id", strategy="backward",
        allow_exact_matches=False,
    ).select("rid", pl.col("merchant").alias("card__last_merchant"))


def _polars_rolling(data: Path) -> pa.Table:
    import polars as pl

    ev = pl.scan_parquet(data / "events.parquet")
    sp = pl.scan_parquet(data / "spine.parquet").with_row_index("rid")
    # spine rows and events stacked and sorted by (key, time); spine rows carry nulls, which the
    # rolling kernels ignore, and closed="left" is the window [t - period, t)
    stacked = pl.concat(
        [
            ev.select("card_id", "ts", pl.lit(None, pl.UInt32).alias("rid"),
                      pl.lit(1, pl.Int64).alias("e"), "amount", "merchant"),
            sp.select("card_id", "ts", "rid", pl.lit(0, pl.Int64).alias("e"),
                      pl.lit(None, pl.Float64).alias("amount"),
                      pl.lit(None, pl.String).alias("merchant")),
        ]
    ).sort("card_id", "ts").collect()

    def by(expr: Any, kind: str, period: str) -> Any:
        rolled = getattr(expr, f"rolling_{kind}_by")("ts", period, closed="left")
        return rolled.over("card_id")

    # count, sum, mean, max: Polars' specialised rolling-by-time kernels (linear per key)
    feats = stacked.with_columns(
        by(pl.col("e"), "sum", "7d").alias("card__count_7d"),
        by(pl.col("amount"), "sum", "7d").alias("card__sum_amount_7d"),
        by(pl.col("amount"), "mean", "30d").alias("card__mean_amount_30d"),
        by(pl.col("amount"), "max", "1d").alias("card__max_amount_1d"),
    ).filter(pl.col("rid").is_not_null()).select(
        "rid", "card__count_7d", "card__sum_amount_7d", "card__mean_amount_30d",
        "card__max_amount_1d",
    )
    # count distinct has no rolling kernel: the generic rolling group-by (output rows follow the
    # input rows, which are already sorted by key and time)
    distinct = stacked.rolling(index_column="ts", period="30d", closed="left",
                               group_by="card_id").agg(
        pl.col("merchant").drop_nulls().n_unique().cast(pl.Int64)
        .alias("card__count_distinct_merchant_30d")
    ).with_columns(stacked["rid"]).filter(pl.col("rid").is_not_null()).select(
        "rid", "card__count_distinct_merchant_30d"
    )
    last = _polars_last(sp, ev).collect()
    out = (
        sp.collect().join(feats, on="rid", how="left").join(distinct, on="rid", how="left")
        .join(last, on="rid", how="left")
    )
    return out.sort("rid").select("card_id", "ts", "label", *FEATURES).to_arrow()


def child(name: str, data: Path, result: Path) -> None:
    """Run one contender once; print wall seconds and peak RSS as JSON."""
    fn = {"winnow": _winnow, "duckdb_range_join": _duckdb_range_join,
          "polars_join": _polars_join, "polars_rolling": _polars_rolling}[name]
    # import outside the timed region: only the computation is measured
    __import__({"winnow": "winnow", "duckdb_range_join": "duckdb"}.get(name, "polars"))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    table = fn(data)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    peak = usage.ru_maxrss * 1024
    pq.write_table(table, result)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_bytes": peak,
                      "rows": table.num_rows}))


def _rss(pid: int) -> int:
    """Resident memory of a process in bytes (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _run(name: str, data: Path, timeout: float, max_bytes: int) -> dict[str, Any]:
    """Run a contender in a child process; stop it past ``timeout`` s or ``max_bytes`` RSS.

    The memory cap protects the shared machine: a range join on the skewed data grows with
    (hot-key spine rows x hot-key events) and would otherwise take all the memory there is.
    """
    result = data / f"out-{name}.parquet"
    result.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", name, "--data", str(data),
         "--result", str(result)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    started = time.monotonic()
    stopped: dict[str, Any] = {}
    while proc.poll() is None:
        if time.monotonic() - started > timeout:
            stopped = {"timeout": timeout}
        elif _rss(proc.pid) > max_bytes:
            stopped = {"memory": max_bytes}
        if stopped:
            proc.kill()
            proc.wait()
            return stopped
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode != 0:
        tail = err.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        return {"error": tail[0]}
    return dict(json.loads(out.strip().splitlines()[-1]))


def _check(data: Path, name: str) -> str:
    """Compare a contender's output with winnow's: counts/strings equal, floats 1e-9 relative."""
    ours = pq.read_table(data / "out-winnow.parquet")
    theirs = pq.read_table(data / f"out-{name}.parquet")
    bad = []
    for col in FEATURES:
        a, b = ours[col].to_numpy(zero_copy_only=False), theirs[col].to_numpy(zero_copy_only=False)
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            a, b = a.astype(float), b.astype(float)
            same = np.isclose(a, b, rtol=1e-9, atol=1e-9) | (np.isnan(a) & np.isnan(b))
        else:
            same = a == b
        if not same.all():
            bad.append(f"{col}: {int((~same).sum())} rows differ")
    return "same values" if not bad else "; ".join(bad)


def _describe(run: dict[str, Any]) -> str:
    if "timeout" in run:
        return f"stopped after {run['timeout']:.0f} s"
    if "memory" in run:
        return f"stopped at the {run['memory'] / 2**30:.0f} GiB memory cap"
    return f"failed: {run['error']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--spine", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default="uniform,skewed")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--max-memory-gib", type=float, default=12.0,
                        help="stop a run whose resident memory passes this")
    parser.add_argument("--child")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--result", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.result)
        return
    import duckdb
    import polars
    from harness import machine_line

    print("command: python " + " ".join(sys.argv))
    print(machine_line({"duckdb": duckdb.__version__, "polars": polars.__version__,
                        "pyarrow": pa.__version__}))
    print(f"best of {args.repeat} runs per contender (interleaved); a run is stopped after "
          f"{args.timeout:.0f} s or at {args.max_memory_gib:.0f} GiB resident memory")
    max_bytes = int(args.max_memory_gib * 2**30)
    names = args.contenders.split(",")
    for variant in args.variants.split(","):
        data = generate(variant, events=args.events, keys=args.keys, spine=args.spine,
                        seed=args.seed)
        print(f"\n== {variant}: {args.events:,} events, {args.keys:,} keys, 90 days, "
              f"{args.spine:,} spine rows ==")
        best: dict[str, dict[str, Any]] = {}
        for _ in range(args.repeat):
            for name in names:  # interleaved, so load changes hit every contender alike
                if name in best and "seconds" not in best[name]:
                    continue  # stopped or failed once: do not run it again
                run = _run(name, data, args.timeout, max_bytes)
                if "seconds" not in run or run["seconds"] < best.get(name, {}).get("seconds", 1e18):
                    best[name] = run
        base = best.get("winnow", {}).get("seconds")
        base_cpu = best.get("winnow", {}).get("cpu_seconds", 0.0)
        for name in names:
            run = best[name]
            if "seconds" not in run:
                print(f"{name:>20}: {_describe(run)}")
                continue
            ratio = ""
            if base:
                ratio = (f"  winnow/this {base / run['seconds']:5.2f} wall, "
                         f"{base_cpu / run['cpu_seconds']:5.2f} cpu")
            check = "" if name == "winnow" else f"  [{_check(data, name)}]"
            print(f"{name:>20}: {run['seconds']:7.2f} s wall {run['cpu_seconds']:7.2f} s cpu  "
                  f"peak {run['peak_bytes'] / 2**30:5.2f} GiB{ratio}{check}")


if __name__ == "__main__":
    main()
