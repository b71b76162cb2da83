"""Pick the label model that does best on labelled dev data."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from winnow.errors import SchemaError
from winnow.labeling.models._base import BaseLabelModel, LabelModelWarning, TieBreak
from winnow.labeling.models.dawid_skene import DawidSkene
from winnow.labeling.models.label_model import LabelModel
from winnow.labeling.models.majority import MajorityVote
from winnow.labeling.votes import ABSTAIN, check_label_matrix

__all__ = ["ModelSelection", "default_candidates", "select_label_model"]


@dataclass(frozen=True)
class ModelSelection:
    """Outcome of :func:`select_label_model`.

    Attributes
    ----------
    best
        The fitted model with the best dev score.
    best_name
        Its name.
    scores
        Dev score of every candidate, by name, in the order given.
    models
        Every fitted candidate, by name.
    """

    best: BaseLabelModel
    best_name: str
    scores: dict[str, float]
    models: dict[str, BaseLabelModel]


def default_candidates(cardinality: int | None = None) -> dict[str, BaseLabelModel]:
    """Majority vote, Dawid–Skene and LabelModel (learned and dev class balance)."""
    return {
        "majority": MajorityVote(cardinality=cardinality),
        "dawid_skene": DawidSkene(cardinality=cardinality),
        "label_model": LabelModel(cardinality=cardinality),
        "label_model_dev_balance": LabelModel(cardinality=cardinality, class_balance="dev"),
    }


def select_label_model(
    L_dev: Any,
    Y_dev: Any,
    candidates: Mapping[str, BaseLabelModel] | Sequence[BaseLabelModel] | None = None,
    *,
    L_train: Any = None,
    metric: Literal["accuracy", "macro_f1"] = "accuracy",
    tie_break: TieBreak = "random",
    seed: int = 0,
) -> ModelSelection:
    """Fit each candidate and return the one that scores best on ``(L_dev, Y_dev)``.

    Parameters
    ----------
    L_dev, Y_dev
        Dev votes and their gold labels (``-1`` for unknown, skipped).
    candidates
        Unfitted models, by name or as a list (named after their class; repeated classes get
        ``_2``, ``_3``, ...). Default: :func:`default_candidates`. They are copied, not mutated.
    L_train
        Votes to fit on; default ``L_dev`` itself (its gold labels are used only to score and,
        for ``class_balance="dev"``, for the class prior).
    metric
        ``"accuracy"`` or ``"macro_f1"``.
    tie_break, seed
        Passed to ``predict`` when scoring. Ties between candidates go to the earlier one.

    Returns
    -------
    ModelSelection
        The best fitted model, its name and every score.
    """
    dev = check_label_matrix(L_dev, name="L_dev")
    y = np.asarray(Y_dev).astype(np.int64).reshape(-1)
    if y.shape[0] != dev.shape[0]:
        raise SchemaError(f"Y_dev has {y.shape[0]} labels but L_dev has {dev.shape[0]} rows")
    train = dev if L_train is None else check_label_matrix(L_train, name="L_train")
    if candidates is None:
        k = max(int(dev.max(initial=-1)), int(train.max(initial=-1)), int(y.max(initial=-1))) + 1
        named: dict[str, BaseLabelModel] = default_candidates(max(k, 2))
    elif isinstance(candidates, Mapping):
        named = dict(candidates)
    else:
        named = {}
        for model in candidates:
            base = type(model).__name__
            name, i = base, 1
            while name in named:
                i += 1
                name = f"{base}_{i}"
            named[name] = model
    if not named:
        raise SchemaError("select_label_model needs at least one candidate model")
    scores: dict[str, float] = {}
    models: dict[str, BaseLabelModel] = {}
    for name, model in named.items():
        fitted = copy.deepcopy(model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LabelModelWarning)
            fitted.fit(train, L_dev=dev, Y_dev=y)
        pred = fitted.predict(dev, tie_break=tie_break, seed=seed)
        scores[name] = _score(pred, y, metric)
        models[name] = fitted
    best_name = max(scores, key=lambda n: (scores[n], -list(scores).index(n)))
    return ModelSelection(models[best_name], best_name, scores, models)


def _score(pred: Any, y: Any, metric: str) -> float:
    known = y != ABSTAIN
    p, t = pred[known], y[known]
    if t.size == 0:
        return float("nan")
    if metric == "accuracy":
        return float(np.mean(p == t))
    if metric == "macro_f1":
        f1s = []
        for c in np.unique(t):  # classes
            tp = float(np.sum((p == c) & (t == c)))
            denom = float(np.sum(p == c) + np.sum(t == c))
            f1s.append(2 * tp / denom if denom else 0.0)
        return float(np.mean(f1s))
    raise SchemaError(f"metric must be 'accuracy' or 'macro_f1', got {metric!r}")
