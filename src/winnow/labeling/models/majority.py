"""Majority vote, optionally weighted: the baseline every label model must beat."""

from __future__ import annotations

from typing import Any

import numpy as np

from winnow.errors import SchemaError
from winnow.labeling.analysis import class_counts
from winnow.labeling.models._base import BaseLabelModel, FloatArray, IntArray, _argmax
from winnow.labeling.votes import ABSTAIN

__all__ = ["MajorityVote", "vote_shares"]


def vote_shares(L: IntArray, k: int, weights: FloatArray | None = None) -> FloatArray:
    """Weighted share of the votes each class got on each item; uniform for no votes."""
    n, m = L.shape
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)
    tally = np.empty((n, k))
    for c in range(k):  # classes, not rows
        tally[:, c] = (c == L) @ w
    total = tally.sum(axis=1, keepdims=True)
    out: FloatArray = np.divide(tally, total, out=np.full((n, k), 1.0 / k), where=total > 0)
    return out


class MajorityVote(BaseLabelModel):
    """Each vote counts ``weights[j]`` (default 1); probabilities are the normalised tallies.

    Items with no vote get the uniform distribution. ``fit`` learns nothing but the
    cardinality and reports each source's agreement with the majority label as its
    ``accuracies_`` (and the matching ``confusions_``), which is what ``lf_summary`` would say
    with the majority vote as gold.

    Parameters
    ----------
    cardinality
        Number of classes; inferred from ``L`` when omitted.
    weights
        Optional non-negative weight per source.

    Examples
    --------
    >>> import numpy as np
    >>> mv = MajorityVote().fit(np.array([[0, 0, 1], [1, -1, 1]]))
    >>> mv.predict_proba(np.array([[0, 0, 1]])).round(3).tolist()
    [[0.667, 0.333]]
    """

    def __init__(self, *, cardinality: int | None = None, weights: Any = None) -> None:
        super().__init__(cardinality=cardinality)
        self.weights = weights

    def _weights(self, m: int) -> FloatArray:
        if self.weights is None:
            return np.ones(m)
        w = np.asarray(self.weights, dtype=np.float64).reshape(-1)
        if w.shape[0] != m or np.any(w < 0):
            raise SchemaError(
                f"MajorityVote weights must be {m} non-negative numbers (one per source), "
                f"got {w.tolist()}"
            )
        return w

    def _fit(
        self, U: IntArray, w: FloatArray, *, y_dev: IntArray | None, L_dev: Any
    ) -> None:
        k = self.cardinality_
        m = U.shape[1]
        pred = _argmax(self._predict_proba(U), tie_break="lowest", seed=0)
        conf = np.zeros((m, k, k))
        for j in range(m):  # sources
            voted = U[:, j] != ABSTAIN
            conf[j] = np.bincount(pred[voted] * k + U[voted, j], weights=w[voted],
                                  minlength=k * k).reshape(k, k)
        totals = conf.sum(axis=2, keepdims=True)
        self.confusions_ = np.divide(conf, totals, out=np.full_like(conf, 1.0 / k),
                                     where=totals > 0)
        self._set_accuracies_from_counts(conf)
        if y_dev is not None:
            known = y_dev[y_dev != ABSTAIN]
            self.class_balance_ = np.bincount(known, minlength=k)[:k] / max(known.size, 1)
        else:
            covered = (U != ABSTAIN).any(axis=1)
            counts = np.bincount(pred[covered], weights=w[covered], minlength=k)[:k]
            self.class_balance_ = counts / max(counts.sum(), 1.0)

    def _predict_proba(self, L: IntArray) -> FloatArray:
        return vote_shares(L, self.cardinality_, self._weights(L.shape[1]))

    def counts(self, L: Any) -> IntArray:
        """Unweighted per-class vote counts of each item (``(n_items, k)``)."""
        self._check_fitted()
        return class_counts(L, cardinality=self.cardinality_)
