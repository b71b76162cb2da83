"""Find labels that are probably wrong, by confident learning (Northcutt, Jiang & Chuang, 2021).

Given each item's given label and out-of-sample predicted probabilities, the per-class threshold
``t_j`` is the mean predicted probability of class ``j`` over the items labelled ``j``. An item
labelled ``i`` is *confidently* of class ``j`` when ``p_j >= t_j`` (the largest such ``p_j`` if
several pass). Counting those pairs gives the confident joint ``C[i, j]``; calibrated to the
label counts it estimates how many items of each given label really belong to each class.
:func:`find_label_issues` flags, for every off-diagonal ``(i, j)``, that many items labelled
``i`` with the largest margin ``p_j - p_i`` ("prune by noise rate"), or simply the items in the
off-diagonal of the confident joint, and ranks them by a label-quality score (worst first).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from winnow.errors import SchemaError

__all__ = ["confident_joint", "find_label_issues", "label_quality_scores"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _check(labels: Any, pred_probs: Any) -> tuple[IntArray, FloatArray]:
    y = np.asarray(labels).astype(np.int64).reshape(-1)
    p = np.asarray(pred_probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != y.shape[0]:
        raise SchemaError(
            f"pred_probs must be (n_items, k) with one row per label; got {p.shape} for "
            f"{y.shape[0]} labels"
        )
    if y.size and (y.min() < 0 or y.max() >= p.shape[1]):
        raise SchemaError(
            f"labels must be class ids 0..{p.shape[1] - 1} (no abstains); found "
            f"{int(y.min())}..{int(y.max())}: drop unlabelled items first"
        )
    return y, p


def confident_joint(labels: Any, pred_probs: Any) -> IntArray:
    """Return the ``(k, k)`` confident joint: rows are given labels, columns likely true classes.

    Items with no class above its threshold are not counted.
    """
    y, p = _check(labels, pred_probs)
    k = p.shape[1]
    thresholds = _thresholds(y, p)
    above = p >= thresholds - 1e-12
    masked = np.where(above, p, -np.inf)
    guess = np.argmax(masked, axis=1)
    counted = above.any(axis=1)
    flat = y[counted] * k + guess[counted]
    return np.bincount(flat, minlength=k * k).reshape(k, k).astype(np.int64)


def _thresholds(y: IntArray, p: FloatArray) -> FloatArray:
    k = p.shape[1]
    sums = np.zeros(k)
    np.add.at(sums, y, p[np.arange(y.size), y])  # k-sized accumulate; rows are vectorised
    counts = np.bincount(y, minlength=k).astype(np.float64)
    # A class nobody was given: its threshold cannot be estimated; never let it match.
    out: FloatArray = np.divide(sums, counts, out=np.full(k, np.inf), where=counts > 0)
    return out


def label_quality_scores(
    labels: Any,
    pred_probs: Any,
    *,
    method: Literal["self_confidence", "normalized_margin"] = "self_confidence",
) -> FloatArray:
    """Score each label in ``[0, 1]``; low means likely wrong.

    ``"self_confidence"`` is the predicted probability of the given label;
    ``"normalized_margin"`` is ``(p_given - max_other + 1) / 2``.
    """
    y, p = _check(labels, pred_probs)
    own = p[np.arange(y.size), y]
    if method == "self_confidence":
        return own
    if method == "normalized_margin":
        others = p.copy()
        others[np.arange(y.size), y] = -np.inf
        out: FloatArray = (own - others.max(axis=1) + 1.0) / 2.0
        return out
    raise SchemaError(
        f"method must be 'self_confidence' or 'normalized_margin', got {method!r}"
    )


def find_label_issues(
    labels: Any,
    pred_probs: Any,
    *,
    filter_by: Literal["prune_by_noise_rate", "confident_learning"] = "prune_by_noise_rate",
    rank_by: Literal["self_confidence", "normalized_margin"] = "self_confidence",
) -> IntArray:
    """Return the indices of likely mislabelled items, worst (lowest quality score) first.

    Parameters
    ----------
    labels
        Given class of each item, ``0..k-1``.
    pred_probs
        ``(n_items, k)`` out-of-sample predicted probabilities (e.g. from cross-validation or
        a label model); in-sample predictions overfit the noise and find little.
    filter_by
        ``"prune_by_noise_rate"`` (per off-diagonal cell of the calibrated confident joint,
        that many items with the largest margin) or ``"confident_learning"`` (the items in the
        off-diagonal of the confident joint).
    rank_by
        Label-quality score used to order the result (see :func:`label_quality_scores`).

    Examples
    --------
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.95, 0.05], [0.2, 0.8]])
    >>> find_label_issues(np.array([0, 0, 1, 1, 1]), probs).tolist()
    [3]
    """
    y, p = _check(labels, pred_probs)
    n, k = p.shape
    thresholds = _thresholds(y, p)
    above = p >= thresholds - 1e-12
    guess = np.argmax(np.where(above, p, -np.inf), axis=1)
    counted = above.any(axis=1)
    off = counted & (guess != y)
    if filter_by == "confident_learning":
        flagged = off
    elif filter_by == "prune_by_noise_rate":
        joint = np.bincount(y[counted] * k + guess[counted], minlength=k * k).reshape(k, k)
        label_counts = np.bincount(y, minlength=k).astype(np.float64)
        row_sums = joint.sum(axis=1, keepdims=True).astype(np.float64)
        calibrated = np.divide(joint * label_counts[:, None], row_sums,
                               out=np.zeros((k, k)), where=row_sums > 0)
        to_remove = np.rint(calibrated).astype(np.int64)
        np.fill_diagonal(to_remove, 0)
        flagged = np.zeros(n, dtype=bool)
        margin = p - p[np.arange(n), y][:, None]
        for i in range(k):  # classes, not rows
            members = np.flatnonzero(y == i)
            if members.size == 0:
                continue
            for j in np.flatnonzero(to_remove[i]):
                take = min(int(to_remove[i, j]), members.size)
                order = np.argsort(-margin[members, j], kind="stable")[:take]
                flagged[members[order]] = True
        # Never flag an item whose given label is already the most probable one.
        flagged &= p.argmax(axis=1) != y
    else:
        raise SchemaError(
            f"filter_by must be 'prune_by_noise_rate' or 'confident_learning', got {filter_by!r}"
        )
    idx = np.flatnonzero(flagged)
    scores = label_quality_scores(y, p, method=rank_by)[idx]
    ranked: IntArray = idx[np.argsort(scores, kind="stable")].astype(np.int64)
    return ranked
