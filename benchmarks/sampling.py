"""Benchmark: winnow's samplers against the usual ways of doing the same thing.

1. Uniform reservoir over a stream of int64 items fed as NumPy batches (default 100M items in
   batches of 1M, k = 1000 and k = 100,000): ``winnow.sampling.Reservoir`` (Algorithm L,
   vectorised skips) vs a plain Python Algorithm R loop and vs Apache DataSketches'
   ``var_opt_sketch`` (VarOpt sampling, which is a uniform reservoir when every weight is 1;
   fed item by item, as its Python API requires). The two per-item peers are measured on fewer
   items (``--slow-items``) and reported in items/s. Algorithm L touches only the items that
   enter the sample, so a row also times the stream with each batch made on the fly.
2. Weighted reservoir (A-ExpJ) over the same stream with random weights.
3. Stratified sampling of a 10M-row table (20 strata of skewed sizes, 10%):
   ``winnow.sampling.stratified`` (returns the sampled rows as an Arrow table) vs pandas
   ``DataFrame.groupby().sample(frac=)`` (returns the rows as a DataFrame) and scikit-learn
   ``train_test_split(stratify=)`` (given the row indices; returns index arrays, so it does less
   work than the other two).

Every timing is the best of ``--repeat`` runs; data generation is not timed. Ratios are
``peer time / winnow time`` (> 1: winnow is faster). Run:
``.venv/bin/python benchmarks/sampling.py`` (``--quick`` for a small smoke run).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from winnow.sampling import Reservoir, WeightedReservoir, stratified


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _algorithm_r(items: np.ndarray, k: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    randoms = rng.random(len(items))  # pre-drawn: the loop is the cost being measured
    sample: list[int] = []
    for i, item in enumerate(items.tolist()):
        if i < k:
            sample.append(item)
        else:
            j = int(randoms[i] * (i + 1))
            if j < k:
                sample[j] = item
    return sample


def bench_reservoir(n_items: int, batch: int, slow_items: int, repeat: int) -> None:
    stream = np.arange(n_items, dtype=np.int64)
    batches = [stream[i : i + batch] for i in range(0, n_items, batch)]
    print(f"\n## Uniform reservoir: {n_items:,} int64 items in NumPy batches of {batch:,}")
    print("| sampler | k | items | seconds | items/s | x winnow (items/s) |")
    print("|---|---:|---:|---:|---:|---:|")
    rates: dict[int, float] = {}
    for k in (1_000, 100_000):
        def run(k: int = k) -> Reservoir:
            r = Reservoir(k, seed=1)
            for b in batches:
                r.update_many(b)
            return r

        seconds = _best(run, repeat)
        rates[k] = n_items / seconds
        check = run()
        assert check.count_ == n_items and len(np.unique(check.sample())) == k
        print(f"| winnow `Reservoir.update_many` (Algorithm L) | {k:,} | {n_items:,} | "
              f"{seconds:.3f} | {rates[k]:,.0f} | 1.00 |")
    # Algorithm L touches only the items that enter the sample, so the figures above are far
    # beyond memory bandwidth; for scale, the same stream with each batch made on the fly
    def made(k: int = 1_000) -> Reservoir:
        r = Reservoir(k, seed=1)
        for start in range(0, n_items, batch):
            r.update_many(np.arange(start, min(start + batch, n_items), dtype=np.int64))
        return r

    def only_made() -> None:
        for start in range(0, n_items, batch):
            np.arange(start, min(start + batch, n_items), dtype=np.int64)

    seconds = _best(made, repeat)
    print(f"| winnow `Reservoir.update_many`, each batch made by `np.arange` first | 1,000 | "
          f"{n_items:,} | {seconds:.3f} | {n_items / seconds:,.0f} | - |")
    seconds = _best(only_made, repeat)
    print(f"| (making the batches alone, no sampling) | - | {n_items:,} | {seconds:.3f} | "
          f"{n_items / seconds:,.0f} | - |")
    small = stream[:slow_items]
    seconds = _best(lambda: _algorithm_r(small, 1_000, 1), 1)
    rate = slow_items / seconds
    print(f"| Python Algorithm R loop | 1,000 | {slow_items:,} | {seconds:.3f} | {rate:,.0f} | "
          f"{rates[1_000] / rate:,.0f}x slower |")
    try:
        from datasketches import var_opt_sketch
    except ImportError:
        print("| datasketches `var_opt_sketch` | - | - | - | - | not installed |")
    else:
        def sketch() -> Any:
            s = var_opt_sketch(1_000)
            for item in small.tolist():
                s.update(item)
            return s

        seconds = _best(sketch, 1)
        rate = slow_items / seconds
        print(f"| datasketches `var_opt_sketch.update` (per item) | 1,000 | {slow_items:,} | "
              f"{seconds:.3f} | {rate:,.0f} | {rates[1_000] / rate:,.0f}x slower |")

    weights = np.random.default_rng(0).random(n_items)
    wbatches = [weights[i : i + batch] for i in range(0, n_items, batch)]

    def weighted() -> WeightedReservoir:
        r = WeightedReservoir(1_000, seed=1)
        for b, w in zip(batches, wbatches, strict=True):
            r.update_many(b, weights=w)
        return r

    seconds = _best(weighted, repeat)
    print(f"| winnow `WeightedReservoir.update_many` (A-ExpJ) | 1,000 | {n_items:,} | "
          f"{seconds:.3f} | {n_items / seconds:,.0f} | - |")


def bench_stratified(rows: int, repeat: int) -> None:
    from sklearn.model_selection import train_test_split

    # the data's generator must not share the sampler's seed: PCG64 from the same seed would
    # hand the sampler keys that are the very numbers that drew the labels
    rng = np.random.default_rng(20_240_101)
    probs = np.arange(1, 21, dtype=np.float64) ** 1.5
    labels = rng.choice(20, size=rows, p=probs / probs.sum()).astype(np.int64)
    table = pa.table({"id": np.arange(rows, dtype=np.int64), "label": labels,
                      "x": rng.random(rows)})
    frame = table.to_pandas()
    index = np.arange(rows)
    print(f"\n## Stratified sample: {rows:,} rows, 20 strata, frac = 0.1")
    print("| sampler | returns | seconds | x winnow |")
    print("|---|---|---:|---:|")
    check = stratified(table, by="label", frac=0.1, seed=0)
    assert check.table.num_rows == int(np.floor(0.1 * rows + 0.5))
    assert sum((check.report.strata or {}).values()) == check.table.num_rows
    ours = _best(lambda: stratified(table, by="label", frac=0.1, seed=0), repeat)
    print(f"| winnow `stratified` | Arrow table of rows | {ours:.3f} | 1.00 |")
    pandas = _best(lambda: frame.groupby("label").sample(frac=0.1, random_state=0), repeat)
    print(f"| pandas `groupby().sample(frac=)` | DataFrame of rows | {pandas:.3f} | "
          f"{pandas / ours:.2f} |")
    sk = _best(
        lambda: train_test_split(index, train_size=0.1, stratify=labels, random_state=0), repeat
    )
    print(f"| scikit-learn `train_test_split(stratify=)` | index arrays | {sk:.3f} | "
          f"{sk / ours:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000_000)
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--slow-items", type=int, default=2_000_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=("reservoir", "stratified"), default=None,
                        help="run one of the two parts")
    args = parser.parse_args()
    if args.quick:
        args.items, args.slow_items, args.rows, args.repeat = 2_000_000, 100_000, 200_000, 1
    import os

    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores shared: timings are noisy)")
    if args.only in (None, "reservoir"):
        bench_reservoir(args.items, args.batch, args.slow_items, args.repeat)
    if args.only in (None, "stratified"):
        bench_stratified(args.rows, args.repeat)


if __name__ == "__main__":
    main()
