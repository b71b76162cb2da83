"""How good is each source? Coverage, overlap, conflict, polarity and empirical accuracy.

:func:`lf_summary` computes, for each column of a label matrix ``L``, the statistics Snorkel's
``LFAnalysis`` reports, all vectorised over rows:

- *polarity*: the set of labels the source ever emits;
- *coverage*: fraction of items it votes on;
- *overlaps*: fraction of items where it votes and at least one other source votes too;
- *conflicts*: fraction of items where it votes and another source votes a different label;
- with gold labels ``Y``: *correct*, *incorrect* and *emp_acc* (``correct / votes``, ``0.0`` for
  a source that never votes, not NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from winnow.errors import SchemaError
from winnow.labeling.votes import ABSTAIN, check_label_matrix

__all__ = ["class_counts", "lf_summary"]


def class_counts(L: Any, *, cardinality: int | None = None) -> npt.NDArray[np.int64]:
    """Return the ``(n_items, k)`` count of votes per class for each item of ``L``."""
    mat = check_label_matrix(L, cardinality=cardinality)
    k = cardinality if cardinality is not None else max(int(mat.max(initial=-1)) + 1, 1)
    n = mat.shape[0]
    voted = mat != ABSTAIN
    flat = (np.arange(n)[:, None] * k + mat)[voted]
    return np.bincount(flat, minlength=n * k).reshape(n, k).astype(np.int64)


def lf_summary(
    L: Any,
    Y: Any = None,
    *,
    names: Sequence[str] | None = None,
    cardinality: int | None = None,
) -> pa.Table:
    """Return one row of statistics per source (column) of ``L``.

    Parameters
    ----------
    L
        ``(n_items, n_sources)`` label matrix, ``-1`` for abstain.
    Y
        Optional gold labels, one per item (``-1`` for unknown items, which are skipped in the
        accuracy columns).
    names
        Source names; default ``source_0``, ``source_1``, ...
    cardinality
        Number of classes; inferred from ``L`` and ``Y`` when omitted.

    Returns
    -------
    pyarrow.Table
        Columns ``source``, ``polarity`` (list of int), ``coverage``, ``overlaps``,
        ``conflicts`` and, with ``Y``, ``correct``, ``incorrect``, ``emp_acc``.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0], [1, 0], [-1, 1]])
    >>> t = lf_summary(L, np.array([0, 1, 1]), names=["a", "b"])
    >>> t.column("conflicts").to_pylist(), t.column("emp_acc").to_pylist()
    ([0.3333333333333333, 0.3333333333333333], [1.0, 0.6666666666666666])
    """
    mat = check_label_matrix(L, cardinality=cardinality)
    n, m = mat.shape
    src = list(names) if names is not None else [f"source_{j}" for j in range(m)]
    if len(src) != m:
        raise SchemaError(f"L has {m} sources (columns) but {len(src)} names were given")
    gold = None
    if Y is not None:
        gold = np.asarray(Y).astype(np.int64).reshape(-1)
        if gold.shape[0] != n:
            raise SchemaError(f"Y has {gold.shape[0]} labels but L has {n} items (rows)")
    k = cardinality or max(int(mat.max(initial=-1)) + 1,
                           int(gold.max(initial=-1)) + 1 if gold is not None else 0, 1)
    voted = mat != ABSTAIN
    counts = class_counts(mat, cardinality=k)
    n_votes = voted.sum(axis=1)
    denom = max(n, 1)
    coverage = voted.sum(axis=0) / denom
    overlaps = (voted & (n_votes[:, None] > 1)).sum(axis=0) / denom
    # Votes on the same item for another class: total votes minus votes for my label.
    same = np.take_along_axis(counts, np.where(voted, mat, 0), axis=1)
    conflicts = (voted & (n_votes[:, None] - same > 0)).sum(axis=0) / denom
    present = np.zeros((m, k), dtype=bool)
    cols = np.broadcast_to(np.arange(m), mat.shape)[voted]
    present[cols, mat[voted]] = True
    polarity = [np.flatnonzero(present[j]).tolist() for j in range(m)]
    data: dict[str, Any] = {
        "source": pa.array(src, pa.string()),
        "polarity": pa.array(polarity, pa.list_(pa.int64())),
        "coverage": pa.array(coverage, pa.float64()),
        "overlaps": pa.array(overlaps, pa.float64()),
        "conflicts": pa.array(conflicts, pa.float64()),
    }
    if gold is not None:
        known = voted & (gold[:, None] != ABSTAIN)
        correct = (known & (mat == gold[:, None])).sum(axis=0)
        total = known.sum(axis=0)
        data["correct"] = pa.array(correct, pa.int64())
        data["incorrect"] = pa.array(total - correct, pa.int64())
        data["emp_acc"] = pa.array(
            np.divide(correct, total, out=np.zeros(m, dtype=np.float64), where=total > 0)
        )
    return pa.table(data)
