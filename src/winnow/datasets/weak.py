"""Labels from labeling functions: apply them, fit a label model, keep the votes.

The labeling functions run over the spine (:func:`winnow.labeling.apply`, item id = ``row_id``),
their votes form the label matrix ``L``, and the chosen label model (majority vote, Dawid-Skene
or the Snorkel-style :class:`~winnow.labeling.LabelModel`) turns ``L`` into labels: the most
probable class, ties broken with the build's seed. Rows no function voted on are excluded and
counted. The manifest records each function's version (the hash of its code) and the model's
parameters and learned source accuracies; with a gold column, the report scores the functions
and the model against it (the gold column never enters the data).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from winnow.datasets.labels import LabelOutcome
from winnow.errors import ColumnNotFoundError, DefinitionError

if TYPE_CHECKING:
    from winnow.datasets.definition import Dataset

__all__ = ["label_with_lfs"]

_DIGITS = 6


def _round(values: Any) -> list[float]:
    return [float(f"{v:.{_DIGITS}g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def _model(name: str, k: int, n_epochs: int | None, options: dict[str, Any]) -> Any:
    from winnow.labeling import DawidSkene, LabelModel, MajorityVote

    try:
        if name == "majority":
            return MajorityVote(cardinality=k, **options)
        if name == "dawid_skene":
            return DawidSkene(cardinality=k, max_iter=n_epochs or 100, **options)
        return LabelModel(cardinality=k, max_iter=n_epochs or 500, **options)
    except TypeError as exc:
        raise DefinitionError(f"label model {name!r}: bad model_options {options}: {exc}") from exc


_MODELS = ("majority", "dawid_skene", "label_model")


def _gold_report(
    gold: np.ndarray,
    pred: np.ndarray,
    others: dict[str, np.ndarray],
    *,
    used: str,
    k: int,
    classes: list[str],
) -> dict[str, Any]:
    """Score the labels against gold: accuracy and confusion, and every model's accuracy.

    ``others`` maps each label model's name to its predictions (-1 where it abstains) on the
    same rows, so the report shows whether another model would have labelled better.
    """
    known = gold >= 0
    covered = known & (pred >= 0)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (gold[covered], pred[covered]), 1)
    acc = float(np.mean(pred[covered] == gold[covered])) if covered.any() else None
    models = []
    for name, predicted in others.items():
        scored = covered & (predicted >= 0)
        models.append(
            {
                "model": name + (" (labels this dataset)" if name == used else ""),
                "accuracy": float(np.mean(predicted[scored] == gold[scored]))
                if scored.any()
                else None,
                "rows": int(scored.sum()),
            }
        )
    return {
        "rows with gold": int(known.sum()),
        "rows with gold and a label": int(covered.sum()),
        "accuracy of the labels": acc,
        "classes": classes,
        "confusion": confusion.tolist(),
        "models": models,
    }


def label_with_lfs(ds: Dataset, spine: pa.Table, *, seed: int) -> LabelOutcome:
    """Label ``spine`` with the dataset's labeling functions and label model."""
    from winnow.labeling import apply, lf_summary

    p = ds.labels.params
    lfs = list(p["lfs"])
    classes: list[str] | None = p["classes"]
    k = len(classes) if classes else None
    store = apply(spine, lfs, item_id="row_id", cardinality=k)
    names = [lf.name for lf in lfs]
    L = store.to_matrix()
    if k is None:
        k = max(int(L.max(initial=-1)) + 1, 2)
    class_names = classes or [str(c) for c in range(k)]
    covered: np.ndarray = np.asarray((L >= 0).any(axis=1), dtype=bool)
    if not covered.any():
        raise DefinitionError(
            f"dataset {ds.name!r}: no labeling function voted on any of {spine.num_rows} rows; "
            f"check the functions against the spine columns"
        )
    model = _model(p["model"], k, p["n_epochs"], dict(p.get("model_options") or {}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(L[covered], source_names=names)
    pred = model.predict(L, tie_break="random", seed=seed)
    pred[~covered] = -1
    labelled = spine.append_column("label", pa.array(np.where(covered, pred, 0), pa.int64()))
    table = labelled.filter(pa.array(covered & (pred >= 0)))
    excluded: dict[str, int] = {}
    if int((~covered).sum()):
        excluded["no labeling function voted"] = int((~covered).sum())
    ties = int((covered & (pred < 0)).sum())
    if ties:
        excluded["label model abstained"] = ties
    failures = {
        name: {"count": f.count, "first_row": f.first_row, "first_error": f.first_error}
        for name, f in store.failures.items()
    }
    record: dict[str, Any] = {
        "kind": "lfs",
        "labeling_functions": [{"name": lf.name, "version": lf.version} for lf in lfs],
        "classes": class_names,
        "model": {
            "name": p["model"],
            "class": type(model).__name__,
            "params": {
                key: value for key, value in sorted(vars(model).items())
                if not key.endswith("_") and not key.startswith("_")
                and isinstance(value, (int, float, str, bool, type(None), list, tuple))
            },
            "class_balance": _round(model.class_balance_),
            "accuracies": dict(zip(names, _round(model.accuracies_), strict=True)),
        },
        "failures": failures,
        "covered_rows": int(covered.sum()),
        "gold": p["gold"],
    }
    learns = p["model"] != "majority"
    report: dict[str, Any] = {
        "model": {
            "label model": f"{type(model).__name__} ({p['model']})",
            "rows covered by at least one function": f"{int(covered.sum())} of {len(covered)}",
            "class balance": ", ".join(
                f"{c}: {b:.3f}" for c, b in zip(class_names, model.class_balance_, strict=True)
            ),
        },
        # majority vote learns no source accuracies (its accuracy-based warnings say nothing)
        "accuracies": record["model"]["accuracies"] if learns else None,
        "warnings": [str(w.message) for w in caught] if learns else [],
    }
    gold_values: np.ndarray | None = None
    if p["gold"]:
        if p["gold"] not in spine.column_names:
            raise ColumnNotFoundError(p["gold"], spine.column_names, where="the spine (gold=)")
        gold_values = np.asarray(
            spine[p["gold"]].fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        others: dict[str, np.ndarray] = {}
        for name in _MODELS:
            if name == p["model"]:
                others[name] = pred
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # only the dataset's own model's warnings count
                other = _model(name, k, p["n_epochs"], {}).fit(L[covered], source_names=names)
                others[name] = other.predict(L, tie_break="random", seed=seed)
        report["gold"] = _gold_report(
            gold_values, pred, others, used=p["model"], k=k, classes=class_names
        )
        record["gold_accuracy"] = report["gold"]["accuracy of the labels"]
    summary = lf_summary(L, gold_values, names=names, cardinality=k)
    rows = summary.to_pylist()
    for row in rows:
        row["polarity"] = ", ".join(class_names[c] for c in row["polarity"])
    report["lf_summary"] = rows
    return LabelOutcome(table, excluded, record, store.table, report)
