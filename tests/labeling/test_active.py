"""Uncertainty sampling, the active-learning loop and self-training."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from winnow.errors import SchemaError
from winnow.labeling import (
    active_learning_loop,
    self_training,
    uncertainty_sample,
    uncertainty_scores,
)

P = np.array([[0.5, 0.3, 0.2], [0.9, 0.05, 0.05], [0.4, 0.4, 0.2], [0.34, 0.33, 0.33]])


def test_strategies_rank_as_defined() -> None:
    assert uncertainty_sample(P, 2, strategy="least_confident").tolist() == [3, 2]
    assert uncertainty_sample(P, 2, strategy="margin").tolist() == [2, 3]
    assert uncertainty_sample(P, 1, strategy="entropy").tolist() == [3]
    np.testing.assert_allclose(uncertainty_scores(P, strategy="margin")[2], 1.0)
    assert uncertainty_sample(P, 10, exclude=[3, 2]).tolist() == [0, 1]
    assert uncertainty_sample(P, 2, exclude=np.array([True, False, False, False])).tolist() == [
        3, 2]
    with pytest.raises(SchemaError, match="strategy"):
        uncertainty_sample(P, 1, strategy="random")  # type: ignore[arg-type]


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = np.c_[y * 2.0 + rng.normal(scale=1.0, size=n), rng.normal(size=n)]
    return X, y


def test_loop_queries_new_items_and_improves() -> None:
    X_pool, y_pool = _blobs(2000, 1)
    X_eval, y_eval = _blobs(1000, 2)
    X0, y0 = np.array([[-1.0, 0.0], [3.0, 0.0]]), np.array([0, 1])
    asked: list[int] = []

    def oracle(idx: np.ndarray) -> np.ndarray:
        asked.extend(idx.tolist())
        return y_pool[idx]

    result = active_learning_loop(LogisticRegression(), X_pool, oracle, X_labeled=X0,
                                  y_labeled=y0, batch_size=20, rounds=5, strategy="margin",
                                  X_eval=X_eval, y_eval=y_eval)
    assert [r.round for r in result.rounds] == [1, 2, 3, 4, 5]
    assert [r.n_labeled for r in result.rounds] == [22, 42, 62, 82, 102]
    assert len(set(asked)) == 100  # never asks twice
    np.testing.assert_array_equal(result.labels, y_pool[result.labeled_indices])
    assert result.rounds[-1].score is not None and result.rounds[-1].score > 0.8
    # Queried items sit near the decision boundary (x = 1), not far out.
    assert np.abs(X_pool[result.labeled_indices, 0] - 1.0).mean() < np.abs(
        X_pool[:, 0] - 1.0).mean()


def test_self_training_rounds_and_counts() -> None:
    X, y = _blobs(600, 3)
    labeled = np.r_[np.flatnonzero(y == 0)[:10], np.flatnonzero(y == 1)[:10]]
    unlabeled = np.setdiff1d(np.arange(600), labeled)
    res = self_training(LogisticRegression(), X[labeled], y[labeled], X[unlabeled],
                        threshold=0.95, max_rounds=5)
    accepted = res.pseudo_labels != -1
    assert sum(res.added_per_round) == int(accepted.sum()) > 0
    assert res.added_per_round[0] > 0
    for r, count in enumerate(res.added_per_round, start=1):
        assert int((res.round_added == r).sum()) == count
    assert np.mean(res.pseudo_labels[accepted] == y[unlabeled][accepted]) > 0.95
    with pytest.raises(SchemaError, match="threshold"):
        self_training(LogisticRegression(), X[labeled], y[labeled], X[unlabeled], threshold=0)
