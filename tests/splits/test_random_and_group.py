"""Random and group splits: exact sizes, coverage, reproducibility, goodness of fit."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from winnow.errors import ColumnNotFoundError, DefinitionError
from winnow.splits import group_split, random_split
from winnow.splits.by_group import group_hash

PASS, POWER = 1e-3, 1e-6


def _table(n: int = 1000, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "id": np.arange(n),
        "y": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        "user": rng.integers(0, n // 5, n),
    })


def _ids(tables: dict[str, pa.Table]) -> dict[str, np.ndarray]:
    return {k: v["id"].to_numpy() for k, v in tables.items()}


def test_random_split_is_a_partition_with_exact_sizes() -> None:
    t = _table(1001)
    tables, report = random_split(t, seed=5)
    ids = _ids(tables)
    assert list(ids) == ["train", "valid", "test"]
    assert {k: len(v) for k, v in ids.items()} == {"train": 801, "valid": 100, "test": 100}
    assert sorted(np.concatenate(list(ids.values())).tolist()) == list(range(1001))
    for v in ids.values():
        assert (np.diff(v) > 0).all()  # source order
    assert report.excluded_rows == 0
    again, _ = random_split(t, seed=5)
    assert all(again[k].equals(tables[k]) for k in tables)
    other, _ = random_split(t, seed=6)
    assert not other["train"].equals(tables["train"])
    json.dumps(report.to_dict())


def test_stratified_random_split_keeps_label_proportions() -> None:
    t = _table(1000)
    tables, report = random_split(t, fractions={"train": 0.7, "test": 0.3}, stratify_by="y",
                                  seed=1)
    assert tables["train"].num_rows + tables["test"].num_rows == 1000
    total = report.splits["train"].label_counts or {}
    test = report.splits["test"].label_counts or {}
    overall = dict(zip(*np.unique(t["y"].to_numpy(zero_copy_only=False), return_counts=True),
                       strict=True))
    for label, count in overall.items():
        assert abs(total[label] - 0.7 * count) <= 1
        assert total[label] + test[label] == count
    assert report.label == "y"
    assert report.to_table().column_names == ["split", "rows", "label_counts", "time_min",
                                              "time_max"]


def test_random_split_membership_is_uniform_and_a_prefix_mutant_is_rejected() -> None:
    n, trials = 12, 2000
    fr = {"a": 0.5, "b": 0.25, "c": 0.25}
    t = pa.table({"id": np.arange(n)})
    counts = np.zeros((n, 3))
    for seed in range(trials):
        tables, _ = random_split(t, fractions=fr, seed=seed)
        for j, part in enumerate(tables.values()):
            counts[part["id"].to_numpy(), j] += 1
    expected = np.array([0.5, 0.25, 0.25]) * trials
    # each row's split is multinomial(fractions); rows are exchangeable, so pool the rows' tests
    x2 = float((((counts - expected) ** 2) / expected).sum())
    # counts per split are fixed per trial (6/3/3): scale as for fixed-size samples
    assert stats.chi2.sf(x2 * (n - 1) / n, (n - 1) * 2) > PASS
    # mutant: shuffles only the first half, so the last rows always go to "b" and "c"
    prefix = np.zeros((n, 3))
    for seed in range(trials):
        order = np.concatenate([np.random.default_rng(seed).permutation(6), np.arange(6, n)])
        for j, rows in enumerate((order[:6], order[6:9], order[9:])):
            prefix[rows, j] += 1
    x2m = float((((prefix - expected) ** 2) / expected).sum())
    assert stats.chi2.sf(x2m * (n - 1) / n, (n - 1) * 2) < POWER


def test_random_split_errors() -> None:
    t = _table(10)
    with pytest.raises(DefinitionError, match="sum to 1"):
        random_split(t, fractions={"a": 0.5, "b": 0.4}, seed=0)
    with pytest.raises(DefinitionError, match=">= 0"):
        random_split(t, fractions={"a": 1.5, "b": -0.5}, seed=0)
    with pytest.raises(ColumnNotFoundError):
        random_split(t, stratify_by="nope", seed=0)


def test_group_split_no_entity_in_two_splits_and_order_independent() -> None:
    t = _table(3000)
    tables, report = group_split(t, by="user", seed=3, label="y")
    seen: dict[int, str] = {}
    for name, part in tables.items():
        for u in set(part["user"].to_pylist()):
            assert u not in seen, f"user {u} in {seen.get(u)} and {name}"
            seen[u] = name
    assert sum(p.num_rows for p in tables.values()) == 3000
    # independent of row order and of partitioning
    perm = np.random.default_rng(0).permutation(3000)
    shuffled, _ = group_split(t.take(pa.array(perm)), by="user", seed=3)
    for name, part in shuffled.items():
        assert {seen[u] for u in part["user"].to_pylist()} <= {name}
    half, _ = group_split(t.slice(0, 1000), by="user", seed=3)
    for name, part in half.items():
        assert {seen[u] for u in part["user"].to_pylist()} <= {name}
    other, _ = group_split(t, by="user", seed=4)
    assert not other["train"].equals(tables["train"])
    assert report.method == "group" and report.seed == 3


def test_group_hash_fractions_fit_and_a_skewed_mutant_is_rejected() -> None:
    groups = pa.table({"g": [f"user-{i}" for i in range(20_000)]})
    u = group_hash(groups, "g", seed=11, where="test")
    counts = np.bincount(np.searchsorted([0.8, 0.9], u, side="right"), minlength=3)
    expected = np.array([0.8, 0.1, 0.1]) * len(u)
    assert stats.chisquare(counts, expected).pvalue > PASS
    assert stats.kstest(u, "uniform").pvalue > PASS
    skewed = np.bincount(np.searchsorted([0.8, 0.9], u**1.1, side="right"), minlength=3)
    assert stats.chisquare(skewed, expected).pvalue < POWER


def test_group_hash_multi_column_nulls_and_types() -> None:
    t = pa.table({"a": [1, 1, None, 2], "b": ["x", "x", "y", None]})
    u = group_hash(t, ["a", "b"], seed=0, where="test")
    assert u[0] == u[1] and len(set(u.tolist())) == 3
    ts = pa.table({"t": pa.array([0, 0], pa.timestamp("us", tz="UTC"))})
    naive = pa.table({"t": pa.array([0, 0], pa.timestamp("us"))})
    assert group_hash(ts, "t", seed=0, where="x")[0] == group_hash(ts, "t", seed=0, where="x")[1]
    assert group_hash(naive, "t", seed=0, where="x").shape == (2,)
