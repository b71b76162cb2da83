"""Class imbalance: random over- and under-sampling, SMOTE, and balanced class weights.

Resamplers take an Arrow table and a label column and return a :class:`Resampled`
``(table, report)``; the :class:`ImbalanceReport` gives the class distribution before and after,
the method, parameters and seed, for the dataset manifest. The target is a ``ratio``: after
resampling each class has at least (oversampling, SMOTE) or at most (undersampling) ``ratio``
times the size of the majority (respectively minority / ``ratio``) class, or explicit sizes
``{class: rows}``. Resample only the training split: resampled validation data misstates
performance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.sampling._seeding import Seed, make_rng, seed_record
from winnow.sampling._strata import Strata, match_mapping, strata_of, stratum_label

__all__ = [
    "ImbalanceReport",
    "Resampled",
    "class_distribution",
    "class_weights",
    "random_oversample",
    "random_undersample",
    "smote",
]

Ratio = float | Mapping[Any, int]


@dataclass(frozen=True)
class ImbalanceReport:
    """What a resampler did: class counts before and after (class text -> rows)."""

    method: str
    parameters: dict[str, Any]
    seed: int | dict[str, object] | None
    label: str
    before: dict[str, int]
    after: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "method": self.method,
            "parameters": dict(self.parameters),
            "seed": self.seed,
            "label": self.label,
            "before": dict(self.before),
            "after": dict(self.after),
        }


class Resampled(NamedTuple):
    """The result of a resampler: ``table, report = random_oversample(...)``.

    Attributes
    ----------
    table
        The resampled rows (``pyarrow.Table``).
    report
        The :class:`ImbalanceReport`.
    """

    table: pa.Table
    report: ImbalanceReport

    def describe(self) -> dict[str, Any]:
        """Return ``report.to_dict()``."""
        return self.report.to_dict()


def _labels_array(labels: Any) -> pa.Array:
    if isinstance(labels, pa.ChunkedArray):
        return labels.combine_chunks()
    if isinstance(labels, pa.Array):
        return labels
    to_numpy = getattr(labels, "to_numpy", None)
    values = to_numpy() if callable(to_numpy) else labels
    return pa.array(np.asarray(values).tolist())


def class_distribution(labels: Any) -> dict[Any, int]:
    """Return ``{class: rows}`` in ascending class order (nulls last) for any 1-d labels."""
    table = pa.table({"y": _labels_array(labels)})
    strata = strata_of(table, "y", where="class_distribution")
    return {k: int(s) for k, s in zip(strata.keys, strata.sizes, strict=True)}


def class_weights(labels: Any, *, method: str = "balanced") -> dict[Any, float]:
    """Return a weight per class that evens out the classes' total weight.

    ``"balanced"`` is scikit-learn's rule: ``n_rows / (n_classes * rows_of_class)``.

    Examples
    --------
    >>> class_weights([0, 0, 0, 1])
    {0: 0.6666666666666666, 1: 2.0}
    """
    if method != "balanced":
        raise DefinitionError(f"class_weights: method must be 'balanced', got {method!r}")
    dist = class_distribution(labels)
    n = sum(dist.values())
    return {k: n / (len(dist) * c) for k, c in dist.items()}


def _strata(table: pa.Table, label: str, where: str) -> Strata:
    if label not in table.column_names:
        raise ColumnNotFoundError(label, table.column_names, where=where)
    if table.num_rows == 0:
        raise DefinitionError(f"{where}: the table is empty")
    return strata_of(table, label, where=where)


def _dist(strata: Strata, sizes: np.ndarray) -> dict[str, int]:
    return {stratum_label(k): int(s) for k, s in zip(strata.keys, sizes, strict=True)}


def _targets(strata: Strata, ratio: Ratio, *, grow: bool, where: str) -> np.ndarray:
    sizes = strata.sizes
    if isinstance(ratio, Mapping):
        explicit = match_mapping(ratio, strata, where=where, what="ratio")
        named = np.zeros(len(sizes), dtype=bool)
        named[match_mapping(dict.fromkeys(ratio, 1), strata, where=where, what="ratio") > 0] = True
        targets = np.where(named, explicit, sizes)
        wrong = np.flatnonzero(targets < sizes) if grow else np.flatnonzero(targets > sizes)
        if len(wrong):
            h = int(wrong[0])
            verb = "fewer" if grow else "more"
            raise DefinitionError(
                f"{where}: class {stratum_label(strata.keys[h])!r} has {sizes[h]} rows, "
                f"{verb} than its target {targets[h]}; "
                + ("oversampling only adds rows" if grow else "undersampling only removes rows")
            )
        return targets
    r = float(ratio)
    if not 0.0 < r <= 1.0:
        raise DefinitionError(f"{where}: ratio must be in (0, 1], got {ratio!r}")
    if grow:
        goal = int(np.floor(r * sizes.max() + 0.5))
        return np.asarray(np.maximum(sizes, goal), dtype=np.int64)
    goal = int(np.floor(sizes.min() / r + 0.5))
    return np.asarray(np.minimum(sizes, goal), dtype=np.int64)


def _ratio_param(ratio: Ratio) -> Any:
    if isinstance(ratio, Mapping):
        return {stratum_label(k): int(v) for k, v in ratio.items()}
    return float(ratio)


def random_oversample(
    table: pa.Table, *, label: str, ratio: Ratio = 1.0, seed: Seed
) -> Resampled:
    """Add copies of minority-class rows, drawn uniformly with replacement, up to the target.

    With a float ``ratio`` every class smaller than ``ratio * majority`` (rounded half up) grows
    to that size; a mapping gives the target rows per class (classes not named keep theirs).

    Returns
    -------
    Resampled
        ``(table, report)``: all original rows in source order, then the added copies (grouped
        by class, in source order), and an :class:`ImbalanceReport`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"y": [0, 0, 0, 0, 1]})
    >>> random_oversample(t, label="y", seed=0).report.after
    {'0': 4, '1': 4}
    """
    where = "random_oversample"
    rng = make_rng(seed, where=where)
    strata = _strata(table, label, where)
    targets = _targets(strata, ratio, grow=True, where=where)
    order = np.argsort(strata.codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(strata.sizes)[:-1]))
    extra: list[np.ndarray] = []
    for h, need in enumerate(targets - strata.sizes):
        if need > 0:
            picks = rng.integers(0, strata.sizes[h], size=int(need))
            extra.append(np.sort(order[starts[h] + picks]))
    added = np.concatenate(extra) if extra else np.zeros(0, dtype=np.int64)
    out = pa.concat_tables([table, table.take(pa.array(added.astype(np.int64)))])
    report = ImbalanceReport(
        method="random_oversample",
        parameters={"ratio": _ratio_param(ratio)},
        seed=seed_record(seed),
        label=label,
        before=_dist(strata, strata.sizes),
        after=_dist(strata, targets),
    )
    return Resampled(out, report)


def random_undersample(
    table: pa.Table, *, label: str, ratio: Ratio = 1.0, seed: Seed
) -> Resampled:
    """Keep a simple random subset of each majority class, down to the target.

    With a float ``ratio`` every class larger than ``minority / ratio`` (rounded half up)
    shrinks to that size; a mapping gives the target rows per class.

    Returns
    -------
    Resampled
        ``(table, report)``: the kept rows in source order and an :class:`ImbalanceReport`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"y": [0, 0, 0, 0, 1, 1]})
    >>> random_undersample(t, label="y", ratio=0.5, seed=0).report.after
    {'0': 4, '1': 2}
    """
    from winnow.sampling.probability import stratified

    where = "random_undersample"
    strata = _strata(table, label, where)
    targets = _targets(strata, ratio, grow=False, where=where)
    allocation = {k: int(t) for k, t in zip(strata.keys, targets, strict=True)}
    sampled = stratified(table, by=label, allocation=allocation, seed=seed)
    report = ImbalanceReport(
        method="random_undersample",
        parameters={"ratio": _ratio_param(ratio)},
        seed=seed_record(seed),
        label=label,
        before=_dist(strata, strata.sizes),
        after=_dist(strata, targets),
    )
    return Resampled(sampled.table, report)


def _feature_matrix(table: pa.Table, features: Sequence[str], where: str) -> np.ndarray:
    cols = []
    for name in features:
        if name not in table.column_names:
            raise ColumnNotFoundError(name, table.column_names, where=where)
        col = table[name]
        if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
            raise SchemaError(
                f"{where}: feature {name!r} has type {col.type}; SMOTE interpolates numeric "
                f"features only (encode categories first)"
            )
        if col.null_count:
            raise SchemaError(
                f"{where}: feature {name!r} has {col.null_count} nulls; impute them first"
            )
        cols.append(np.asarray(col.to_numpy(), dtype=np.float64))
    return np.column_stack(cols) if cols else np.zeros((table.num_rows, 0))


def smote(
    table: pa.Table,
    *,
    label: str,
    features: Sequence[str],
    k: int = 5,
    ratio: Ratio = 1.0,
    seed: Seed,
) -> Resampled:
    """Synthesise minority-class rows by interpolating between near neighbours (SMOTE).

    For each synthetic row of class c: a row x of class c is drawn uniformly, one of its ``k``
    nearest neighbours x' within class c (Euclidean, over ``features``) uniformly, and
    ``x + g * (x' - x)`` with ``g`` uniform in [0, 1). Targets as in :func:`random_oversample`.

    Parameters
    ----------
    table
        The training rows.
    label
        The class column.
    features
        Numeric feature columns (no nulls) to interpolate.
    k
        Neighbours per row; each class to grow needs at least ``k + 1`` rows.
    ratio
        Target as in :func:`random_oversample`.
    seed
        Seed of the PCG64 generator.

    Returns
    -------
    Resampled
        ``(table, report)``: the original rows then the synthetic ones, with the feature
        columns as float64, other columns null on synthetic rows, and an extra bool column
        ``synthetic``; and an :class:`ImbalanceReport`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"x": [0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0], "y": [0, 0, 0, 0, 1, 1, 1]})
    >>> out = smote(t, label="y", features=["x"], k=2, seed=0).table
    >>> out.num_rows, all(10 <= v <= 12 for v in out["x"].to_pylist()[7:])
    (8, True)
    """
    from scipy.spatial import cKDTree

    where = "smote"
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise DefinitionError(f"{where}: k must be a positive integer, got {k!r}")
    if "synthetic" in table.column_names:
        raise SchemaError(f"{where}: the table already has a 'synthetic' column; rename it")
    if label in features:
        raise DefinitionError(f"{where}: the label {label!r} cannot also be a feature")
    rng = make_rng(seed, where=where)
    strata = _strata(table, label, where)
    x = _feature_matrix(table, list(features), where)
    targets = _targets(strata, ratio, grow=True, where=where)
    order = np.argsort(strata.codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(strata.sizes)[:-1]))
    synthetic: list[np.ndarray] = []
    classes: list[np.ndarray] = []
    for h, need in enumerate(targets - strata.sizes):
        if need <= 0:
            continue
        size = int(strata.sizes[h])
        if size < k + 1:
            raise DefinitionError(
                f"{where}: class {stratum_label(strata.keys[h])!r} of {label!r} has {size} rows; "
                f"SMOTE with k={k} needs at least k + 1 = {k + 1}. Lower k or use "
                f"random_oversample for this class"
            )
        rows = order[starts[h] : starts[h] + size]
        points = x[rows]
        _, nn = cKDTree(points).query(points, k=k + 1)
        nn = np.asarray(nn).reshape(size, k + 1)
        # drop each point itself (normally column 0; with duplicates it may be elsewhere)
        is_self = nn == np.arange(size)[:, None]
        has_self = is_self.any(axis=1)
        drop = np.where(has_self, np.argmax(is_self, axis=1), k)
        keep = np.ones_like(nn, dtype=bool)
        keep[np.arange(size), drop] = False
        neighbours = nn[keep].reshape(size, k)
        base = rng.integers(0, size, size=int(need))
        pick = neighbours[base, rng.integers(0, k, size=int(need))]
        gap = rng.random(int(need))[:, None]
        synthetic.append(points[base] + gap * (points[pick] - points[base]))
        classes.append(np.full(int(need), h, dtype=np.int64))
    out = table
    for name in features:
        out = out.set_column(
            out.schema.get_field_index(name), name, pc.cast(out[name], pa.float64())
        )
    out = out.append_column("synthetic", pa.array(np.zeros(table.num_rows, dtype=bool)))
    if synthetic:
        new_x = np.vstack(synthetic)
        new_codes = np.concatenate(classes)
        first_row = np.full(len(strata.sizes), -1, dtype=np.int64)
        first_row[strata.codes[order[starts]]] = order[starts]
        label_values = table[label].take(pa.array(first_row[new_codes]))
        columns: dict[str, Any] = {}
        for field in out.schema:
            if field.name in features:
                columns[field.name] = pa.array(new_x[:, list(features).index(field.name)])
            elif field.name == label:
                columns[field.name] = label_values
            elif field.name == "synthetic":
                columns[field.name] = pa.array(np.ones(len(new_x), dtype=bool))
            else:
                columns[field.name] = pa.nulls(len(new_x), type=field.type)
        out = pa.concat_tables([out, pa.table(columns, schema=out.schema)])
    report = ImbalanceReport(
        method="smote",
        parameters={"features": list(features), "k": int(k), "ratio": _ratio_param(ratio)},
        seed=seed_record(seed),
        label=label,
        before=_dist(strata, strata.sizes),
        after=_dist(strata, targets),
    )
    return Resampled(out, report)
