"""Baselines on a built dataset: does the data carry signal, and what do errors cost?

:func:`baseline` trains two models on the first split (``train``) and scores them on the others:
a majority-class predictor (the floor any model must beat) and a logistic regression
(scikit-learn) over the numeric features, nulls imputed with the training median and features
standardised. For each it reports accuracy, ROC AUC, precision and recall at the default
threshold (argmax of the predicted probabilities), and the confusion matrix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from winnow.datasets.manifest import read_manifest, split_names
from winnow.errors import SchemaError

__all__ = ["BaselineResult", "baseline"]


@dataclass(frozen=True)
class BaselineResult:
    """Scores of each model on each evaluated split."""

    dataset: str
    train_split: str
    train_rows: int
    features: list[str]
    classes: list[int]
    scores: dict[str, dict[str, dict[str, Any]]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form for ``--json``."""
        return {
            "dataset": self.dataset,
            "train_split": self.train_split,
            "train_rows": self.train_rows,
            "features": self.features,
            "classes": self.classes,
            "scores": self.scores,
        }


def _matrix(table: pa.Table, features: list[str]) -> np.ndarray:
    cols = []
    for name in features:
        column = table[name]
        if pa.types.is_boolean(column.type):
            column = pc.cast(column, pa.int8())
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        cols.append(np.asarray(values, dtype=np.float64))
    if not cols:
        return np.zeros((table.num_rows, 0))
    return np.column_stack(cols)


def _scores(y: np.ndarray, proba: np.ndarray, classes: list[int]) -> dict[str, Any]:
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    binary = len(classes) == 2
    out: dict[str, Any] = {"rows": int(y.size), "accuracy": float(accuracy_score(y, pred))}
    present = np.unique(y)
    if present.size < 2:
        out["roc_auc"] = None
    elif binary:
        out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
    else:
        out["roc_auc"] = float(roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    average = "binary" if binary else "macro"
    kwargs: dict[str, Any] = {"zero_division": 0, "average": average}
    if binary:
        kwargs["pos_label"] = classes[1]
    else:
        kwargs["labels"] = classes
    out["precision"] = float(precision_score(y, pred, **kwargs))
    out["recall"] = float(recall_score(y, pred, **kwargs))
    out["average"] = f"positive class {classes[1]}" if binary else "macro over classes"
    out["confusion"] = confusion_matrix(y, pred, labels=classes).tolist()
    return out


def baseline(directory: str | os.PathLike[str], *, seed: int = 0) -> BaselineResult:
    """Train majority-class and logistic-regression baselines on train; score the other splits.

    Parameters
    ----------
    directory
        A built dataset.
    seed
        Seed of the logistic regression's solver (for exact reruns).
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    root = Path(directory)
    manifest = read_manifest(root)
    label = manifest["columns"]["label"]
    names = split_names(manifest)
    tables = {n: pq.read_table(root / f"{n}.parquet") for n in names}
    train_name = names[0]
    train = tables[train_name]
    if train.num_rows == 0:
        raise SchemaError(f"split {train_name!r} of {root} is empty; there is nothing to train on")
    schema = train.schema
    features = [
        f for f in manifest["columns"]["features"]
        if pa.types.is_integer(schema.field(f).type)
        or pa.types.is_floating(schema.field(f).type)
        or pa.types.is_boolean(schema.field(f).type)
    ]
    y_train = np.asarray(train[label].to_numpy(zero_copy_only=False), dtype=np.int64)
    classes = sorted({int(c) for t in tables.values() for c in pc.unique(t[label]).to_pylist()
                      if c is not None})
    if len(classes) < 2:
        raise SchemaError(
            f"dataset {root} has a single label class {classes}; a classifier baseline needs two"
        )
    counts = np.array([(y_train == c).sum() for c in classes], dtype=np.float64)
    majority = np.zeros(len(classes))
    majority[int(np.argmax(counts))] = 1.0
    model = None
    if features:
        x_train = _matrix(train, features)
        usable = ~np.all(np.isnan(x_train), axis=0)
        features = [f for f, ok in zip(features, usable, strict=True) if ok]
        x_train = x_train[:, usable]
        model = make_pipeline(
            SimpleImputer(strategy="median"),
            StandardScaler(),
            LogisticRegression(max_iter=1000, random_state=seed),
        )
        model.fit(x_train, y_train)
    scores: dict[str, dict[str, dict[str, Any]]] = {}
    for name in names[1:]:
        table = tables[name]
        if table.num_rows == 0:
            continue
        y = np.asarray(table[label].to_numpy(zero_copy_only=False), dtype=np.int64)
        maj = np.tile(majority, (y.size, 1))
        result = {"majority": _scores(y, maj, classes)}
        result["majority"]["roc_auc"] = 0.5 if result["majority"]["roc_auc"] is not None else None
        if model is not None:
            proba = np.zeros((y.size, len(classes)))
            fitted = model.predict_proba(_matrix(table, features))
            for j, c in enumerate(model.classes_):
                proba[:, classes.index(int(c))] = fitted[:, j]
            result["logistic_regression"] = _scores(y, proba, classes)
        scores[name] = result
    return BaselineResult(manifest["id"], train_name, train.num_rows, features, classes, scores)
