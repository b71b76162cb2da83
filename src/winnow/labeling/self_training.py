"""Self-training: grow a labelled set with the model's own confident predictions, in rounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from winnow.errors import SchemaError
from winnow.labeling.votes import ABSTAIN

__all__ = ["SelfTrainingResult", "self_training"]


@dataclass(frozen=True)
class SelfTrainingResult:
    """Outcome of :func:`self_training`.

    Attributes
    ----------
    estimator
        The estimator fitted on the labelled data plus every accepted pseudo-label.
    added_per_round
        How many pseudo-labels each round added (the last round may add 0 and stop).
    pseudo_labels
        One entry per unlabelled row: its pseudo-label, or ``-1`` if never accepted.
    round_added
        One entry per unlabelled row: the round (1-based) that accepted it, ``0`` if none.
    """

    estimator: Any
    added_per_round: list[int]
    pseudo_labels: npt.NDArray[np.int64]
    round_added: npt.NDArray[np.int64]


def self_training(
    estimator: Any,
    X_labeled: Any,
    y: Any,
    X_unlabeled: Any,
    *,
    threshold: float = 0.9,
    max_rounds: int = 10,
) -> SelfTrainingResult:
    """Fit, pseudo-label unlabelled rows predicted with probability >= ``threshold``, refit.

    Each round fits a clone of ``estimator`` on the labelled rows plus the pseudo-labels
    accepted so far, predicts the remaining unlabelled rows and accepts those whose top class
    probability reaches ``threshold``. It stops when a round accepts nothing, nothing is left,
    or after ``max_rounds`` rounds. Accepted pseudo-labels are never revised.

    Parameters
    ----------
    estimator
        A scikit-learn classifier with ``predict_proba``; cloned, never mutated.
    X_labeled, y
        Labelled features and their class labels.
    X_unlabeled
        Features of the unlabelled rows.
    threshold
        Minimum predicted probability to accept a pseudo-label, in ``(0, 1]``.
    max_rounds
        Maximum number of pseudo-labelling rounds.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]]); y = np.array([0, 0, 1, 1])
    >>> res = self_training(LogisticRegression(), X, y, np.array([[-3.0], [4.0], [0.55]]),
    ...                     threshold=0.8)
    >>> res.pseudo_labels.tolist(), res.added_per_round
    ([0, 1, -1], [2, 0])
    """
    from sklearn.base import clone

    if not 0.0 < threshold <= 1.0:
        raise SchemaError(f"threshold must be in (0, 1], got {threshold}")
    X_l = np.asarray(X_labeled)
    y_l = np.asarray(y)
    X_u = np.asarray(X_unlabeled)
    if X_l.shape[0] != y_l.shape[0]:
        raise SchemaError(f"X_labeled has {X_l.shape[0]} rows but y has {y_l.shape[0]} labels")
    pseudo = np.full(X_u.shape[0], ABSTAIN, dtype=np.int64)
    when = np.zeros(X_u.shape[0], dtype=np.int64)
    added: list[int] = []
    model = clone(estimator).fit(X_l, y_l)
    for r in range(1, max_rounds + 1):
        remaining = np.flatnonzero(pseudo == ABSTAIN)
        if remaining.size == 0:
            break
        probs = model.predict_proba(X_u[remaining])
        confident = probs.max(axis=1) >= threshold
        accepted = remaining[confident]
        added.append(int(accepted.size))
        if accepted.size == 0:
            break
        pseudo[accepted] = np.asarray(model.classes_)[probs[confident].argmax(axis=1)]
        when[accepted] = r
        keep = pseudo != ABSTAIN
        model = clone(estimator).fit(
            np.concatenate([X_l, X_u[keep]]), np.concatenate([y_l, pseudo[keep]])
        )
    return SelfTrainingResult(model, added, pseudo, when)
