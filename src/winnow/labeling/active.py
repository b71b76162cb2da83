"""Active learning: choose what a person should label next, and retrain as labels arrive.

:func:`uncertainty_sample` ranks unlabelled items by how unsure a model is (least confident,
smallest margin between the top two classes, or highest entropy). :func:`active_learning_loop`
repeats "fit a scikit-learn estimator, query the most uncertain batch, ask the oracle" and
records each round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from winnow.errors import SchemaError

__all__ = ["ActiveLearningResult", "ActiveRound", "active_learning_loop", "uncertainty_sample"]

Strategy = Literal["least_confident", "margin", "entropy"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def uncertainty_scores(pred_probs: Any, *, strategy: Strategy = "least_confident") -> FloatArray:
    """Return an uncertainty score per item (higher = less sure)."""
    p = np.asarray(pred_probs, dtype=np.float64)
    if p.ndim != 2:
        raise SchemaError(f"pred_probs must be (n_items, k), got shape {p.shape}")
    if strategy == "least_confident":
        out: FloatArray = 1.0 - p.max(axis=1)
    elif strategy == "margin":
        if p.shape[1] < 2:
            raise SchemaError("the margin strategy needs at least two classes")
        top2 = np.partition(p, -2, axis=1)[:, -2:]
        out = 1.0 - (top2[:, 1] - top2[:, 0])
    elif strategy == "entropy":
        logs = np.log(p, out=np.zeros_like(p), where=p > 0)
        out = -(p * logs).sum(axis=1)
    else:
        raise SchemaError(
            f"strategy must be 'least_confident', 'margin' or 'entropy', got {strategy!r}"
        )
    return out


def uncertainty_sample(
    pred_probs: Any,
    n: int,
    *,
    strategy: Strategy = "least_confident",
    exclude: Any = None,
) -> IntArray:
    """Return the indices of the ``n`` most uncertain items, most uncertain first.

    Parameters
    ----------
    pred_probs
        ``(n_items, k)`` predicted probabilities on the unlabelled pool.
    n
        How many to pick (fewer if the pool is smaller).
    strategy
        ``"least_confident"`` (``1 - max p``), ``"margin"`` (smallest gap between the two most
        probable classes) or ``"entropy"``.
    exclude
        Optional indices (or boolean mask) never to pick, e.g. items already sent to annotators.

    Ties keep the lower index first, so the result is deterministic.

    Examples
    --------
    >>> uncertainty_sample([[0.9, 0.1], [0.5, 0.5], [0.6, 0.4]], 2).tolist()
    [1, 2]
    """
    if n < 0:
        raise SchemaError(f"n must be >= 0, got {n}")
    scores = uncertainty_scores(pred_probs, strategy=strategy)
    if exclude is not None:
        ex = np.asarray(exclude)
        mask = ex if ex.dtype == bool else np.isin(np.arange(scores.size), ex)
        scores = np.where(mask, -np.inf, scores)
    available = int(np.isfinite(scores).sum())
    order = np.argsort(-scores, kind="stable")[: min(n, available)]
    return order.astype(np.int64)


@dataclass(frozen=True)
class ActiveRound:
    """One round of the loop: which pool items were queried and the score after retraining."""

    round: int
    queried: IntArray
    n_labeled: int
    score: float | None


@dataclass
class ActiveLearningResult:
    """The retrained estimator, every round, and the labels gathered from the oracle."""

    estimator: Any
    rounds: list[ActiveRound] = field(default_factory=list)
    labeled_indices: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    labels: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


def active_learning_loop(
    estimator: Any,
    X_pool: Any,
    oracle: Callable[[IntArray], Any],
    *,
    X_labeled: Any,
    y_labeled: Any,
    batch_size: int,
    rounds: int,
    strategy: Strategy = "least_confident",
    X_eval: Any = None,
    y_eval: Any = None,
) -> ActiveLearningResult:
    """Fit, query the ``batch_size`` most uncertain pool items, label them, refit; ``rounds`` times.

    Parameters
    ----------
    estimator
        A scikit-learn classifier with ``predict_proba``; it is cloned, never mutated.
    X_pool
        Unlabelled features (array-like, row-indexable).
    oracle
        ``oracle(indices) -> labels`` for pool indices: a person, a lookup of held-out gold
        labels, or an annotation queue.
    X_labeled, y_labeled
        The initial labelled set.
    batch_size, rounds
        Items per query and number of query rounds.
    strategy
        Uncertainty measure (see :func:`uncertainty_sample`).
    X_eval, y_eval
        Optional evaluation set; each round records ``estimator.score`` on it.

    Returns
    -------
    ActiveLearningResult
        The final fitted estimator, one :class:`ActiveRound` per round, and the queried pool
        indices with their oracle labels.
    """
    from sklearn.base import clone

    if batch_size <= 0 or rounds < 0:
        raise SchemaError(f"batch_size must be > 0 and rounds >= 0, got {batch_size}, {rounds}")
    pool = np.asarray(X_pool)
    X = np.asarray(X_labeled)
    y = np.asarray(y_labeled)
    queried_all: list[IntArray] = []
    got: list[Any] = []
    taken = np.zeros(pool.shape[0], dtype=bool)
    model = clone(estimator).fit(X, y)
    history: list[ActiveRound] = []
    for r in range(1, rounds + 1):
        if taken.all():
            break
        # predict_proba columns follow model.classes_; uncertainty does not depend on order.
        probs = model.predict_proba(pool)
        pick = uncertainty_sample(probs, batch_size, strategy=strategy, exclude=taken)
        new = np.asarray(oracle(pick))
        if new.shape[0] != pick.shape[0]:
            raise SchemaError(
                f"the oracle returned {new.shape[0]} labels for {pick.shape[0]} items; "
                f"return one label per queried index"
            )
        taken[pick] = True
        queried_all.append(pick)
        got.append(new)
        X = np.concatenate([X, pool[pick]])
        y = np.concatenate([y, new])
        model = clone(estimator).fit(X, y)
        score = float(model.score(X_eval, y_eval)) if X_eval is not None else None
        history.append(ActiveRound(r, pick, int(y.shape[0]), score))
    return ActiveLearningResult(
        estimator=model,
        rounds=history,
        labeled_indices=np.concatenate(queried_all) if queried_all else np.empty(0, np.int64),
        labels=np.concatenate(got) if got else np.empty(0, np.int64),
    )
