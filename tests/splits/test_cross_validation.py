"""scikit-learn splitters: protocol, leakage-free folds, cross_val_score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from winnow.errors import DefinitionError
from winnow.splits import GroupSplit, StratifiedSplit, TimeSplit


def _data(n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0.5).astype(int)
    groups = rng.integers(0, 60, n)
    return X, y, groups


@pytest.mark.parametrize(
    "cv",
    [TimeSplit(4), GroupSplit(4, seed=1), StratifiedSplit(4, seed=1)],
    ids=["time", "group", "stratified"],
)
def test_splitters_work_in_cross_val_score(cv: object) -> None:
    X, y, groups = _data()
    scores = cross_val_score(LogisticRegression(), X, y, cv=cv, groups=groups)
    assert len(scores) == 4
    assert (scores > 0.7).all()
    assert cv.get_n_splits() == 4  # type: ignore[attr-defined]


def test_stratified_split_keeps_class_counts_per_fold() -> None:
    X, y, _ = _data(601)
    folds = list(StratifiedSplit(5, seed=3).split(X, y))
    per_class = np.bincount(y)
    sizes = [len(te) for _, te in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == 601
        for c, total in enumerate(per_class):
            assert abs((y[test] == c).sum() - total / 5) <= 1
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(601))
    again = list(StratifiedSplit(5, seed=3).split(X, y))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))


def test_group_split_folds_never_share_a_group() -> None:
    X, _, groups = _data()
    table = pa.table({"g": groups, "x": X[:, 0]})
    for train, test in GroupSplit(3, seed=7, by="g").split(table):
        assert not set(groups[train]) & set(groups[test])
    frame = pd.DataFrame({"g": groups})
    a = [te for _, te in GroupSplit(3, seed=7, by="g").split(frame)]
    b = [te for _, te in GroupSplit(3, seed=7).split(X, groups=groups)]
    assert all(np.array_equal(x, z) for x, z in zip(a, b, strict=True))
    with pytest.raises(DefinitionError, match="got no group"):
        list(GroupSplit(5, seed=0).split(np.zeros((2, 1)), groups=[1, 2]))


def test_time_split_trains_on_the_past_with_a_gap() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rng = np.random.default_rng(1)
    hours = rng.permutation(np.repeat(np.arange(500), 2))  # ties: two rows per hour
    ts = pa.array([start + timedelta(hours=int(h)) for h in hours], pa.timestamp("us", tz="UTC"))
    table = pa.table({"ts": ts, "x": np.arange(1000)})
    t = hours.astype(np.int64)
    cv = TimeSplit(4, time="ts", gap="12h", max_train_window="5d")
    folds = list(cv.split(table))
    assert len(folds) == 4
    for train, test in folds:
        assert t[train].max() + 12 < t[test].min() + 1  # max(train) + gap <= min(test)
        assert t[train].min() >= t[test].min() - 12 - 120
        assert not set(t[train]) & set(t[test])
    frame = pd.DataFrame({"ts": pd.to_datetime(np.asarray(ts.cast(pa.int64())), unit="us")})
    pandas_folds = list(TimeSplit(4, time="ts", gap="12h", max_train_window="5d").split(frame))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, pandas_folds, strict=True))
    numeric = list(TimeSplit(2, time=0, gap=1).split(np.arange(30).reshape(-1, 1).astype(float)))
    assert numeric[0][0].max() + 1 < numeric[0][1].min()
    with pytest.raises(DefinitionError, match="too few distinct times"):
        list(TimeSplit(3, time=0).split(np.zeros((10, 1))))


def _fold_statistic(folds: np.ndarray, per_class: int, n_folds: int) -> float:
    """p-value that each row's fold is uniform, for fixed fold sizes within each class.

    ``folds[trial, row]``; rows of a class form a permutation design (fold counts fixed per
    trial), so Pearson's X^2 of a class's row-by-fold counts is scaled by (m - 1) / m.
    """
    from scipy import stats

    trials, n = folds.shape
    total, df = 0.0, 0
    for start in range(0, n, per_class):
        counts = np.stack([(folds[:, start:start + per_class] == f).sum(axis=0)
                           for f in range(n_folds)], axis=1).astype(float)
        expected = trials / n_folds
        total += float(((counts - expected) ** 2 / expected).sum()) * (per_class - 1) / per_class
        df += (per_class - 1) * (n_folds - 1)
    return float(stats.chi2.sf(total, df))


def test_stratified_split_folds_are_uniform_and_an_unshuffled_mutant_is_rejected() -> None:
    y = np.repeat([0, 1], 6)  # two classes of 6 rows, 3 folds of 2 + 2
    X = np.zeros((12, 1))
    trials = 1500
    folds = np.zeros((trials, 12), dtype=np.int64)
    for seed in range(trials):
        for f, (_, test) in enumerate(StratifiedSplit(3, seed=seed).split(X, y)):
            folds[seed, test] = f
    assert _fold_statistic(folds, 6, 3) > 1e-3
    # mutant: shuffles only the first four rows of each class, the last two keep their fold
    mutant = np.zeros_like(folds)
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        for start in (0, 6):
            order = np.concatenate([rng.permutation(4), [4, 5]])
            mutant[seed, start + order] = np.arange(6) % 3
    assert _fold_statistic(mutant, 6, 3) < 1e-6
