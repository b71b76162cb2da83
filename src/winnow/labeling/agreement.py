"""Agreement between annotators (or any sources): Cohen's and Fleiss' kappa, Krippendorff's alpha.

Inputs use winnow's label matrix convention: rows are items, columns are annotators, ``-1``
(ABSTAIN) or NaN means "did not rate". Each statistic skips what it cannot use and says so in
its docstring; all of them are computed from count matrices with NumPy, no loops over items.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, SchemaError
from winnow.labeling.votes import ABSTAIN, check_label_matrix

__all__ = [
    "agreement_matrix",
    "annotator_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
FloatArray = npt.NDArray[np.float64]


def cohen_kappa(
    a: Any, b: Any, *, weights: Literal["linear", "quadratic"] | None = None
) -> float:
    """Cohen's kappa between two raters; items either rater skipped (``-1``) are dropped.

    Parameters
    ----------
    a, b
        Labels of the two raters, one per item.
    weights
        ``None`` for the unweighted kappa, or ``"linear"``/``"quadratic"`` disagreement
        weights for ordered classes (as :func:`sklearn.metrics.cohen_kappa_score`).

    Returns
    -------
    float
        ``1 - observed / expected`` disagreement; NaN when no item was rated by both or when
        expected disagreement is zero (both raters always give the same single class).
    """
    x = np.asarray(a).astype(np.int64).reshape(-1)
    y = np.asarray(b).astype(np.int64).reshape(-1)
    if x.shape != y.shape:
        raise SchemaError(f"the two raters have {x.shape[0]} and {y.shape[0]} labels; "
                          f"give one label per item for both")
    both = (x != ABSTAIN) & (y != ABSTAIN)
    x, y = x[both], y[both]
    if x.size == 0:
        return float("nan")
    if min(int(x.min()), int(y.min())) < 0:
        raise SchemaError("labels are 0..k-1 and -1 (ABSTAIN); found another negative label")
    k = int(max(x.max(), y.max())) + 1
    # Classes neither rater used do not change kappa; index the used ones only (as sklearn).
    used = np.unique(np.concatenate([x, y]))
    remap = np.zeros(k, dtype=np.int64)
    remap[used] = np.arange(used.size)
    x, y = remap[x], remap[y]
    q = used.size
    confusion = np.bincount(x * q + y, minlength=q * q).reshape(q, q).astype(np.float64)
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / confusion.sum()
    if weights is None:
        w = 1.0 - np.eye(q)
    elif weights in ("linear", "quadratic"):
        diff = np.abs(np.subtract.outer(np.arange(q), np.arange(q))).astype(np.float64)
        w = diff if weights == "linear" else diff**2
    else:
        raise SchemaError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    exp = float((w * expected).sum())
    if exp == 0.0:
        return float("nan")
    return 1.0 - float((w * confusion).sum()) / exp


def fleiss_kappa(ratings: Any, *, counts: bool = False, cardinality: int | None = None) -> float:
    """Fleiss' kappa for any number of raters per item.

    Parameters
    ----------
    ratings
        Either a label matrix (items x raters, ``-1`` = not rated), or with ``counts=True`` an
        ``(n_items, k)`` table of how many raters chose each class.
    counts
        Whether ``ratings`` is already the count table.
    cardinality
        Number of classes (label-matrix input only); inferred when omitted.

    Returns
    -------
    float
        Fleiss' kappa. Items rated by fewer than two raters carry no agreement information and
        are skipped; with a varying number of raters per item each item's agreement is
        ``sum_j n_ij (n_ij - 1) / (n_i (n_i - 1))`` and class proportions pool all ratings.
    """
    if counts:
        table = np.asarray(ratings, dtype=np.float64)
        if table.ndim != 2 or np.any(table < 0):
            raise SchemaError("with counts=True, ratings must be an (items x classes) table "
                              "of non-negative counts")
    else:
        mat = check_label_matrix(ratings, cardinality=cardinality, name="ratings")
        k = cardinality or max(int(mat.max(initial=-1)) + 1, 1)
        n = mat.shape[0]
        voted = mat != ABSTAIN
        flat = (np.arange(n)[:, None] * k + mat)[voted]
        table = np.bincount(flat, minlength=n * k).reshape(n, k).astype(np.float64)
    per_item = table.sum(axis=1)
    table = table[per_item >= 2]
    per_item = per_item[per_item >= 2]
    if table.shape[0] == 0:
        return float("nan")
    p_i = ((table * (table - 1)).sum(axis=1)) / (per_item * (per_item - 1))
    p_bar = float(p_i.mean())
    p_j = table.sum(axis=0) / per_item.sum()
    p_e = float((p_j**2).sum())
    if p_e == 1.0:
        return float("nan")
    return (p_bar - p_e) / (1.0 - p_e)


def krippendorff_alpha(data: Any, *, level: Level = "nominal") -> float:
    """Krippendorff's alpha reliability of items x coders data with missing values.

    Parameters
    ----------
    data
        ``(n_items, n_coders)`` values. Missing ratings are NaN; in an integer array, ``-1``
        (ABSTAIN) is missing too. (Krippendorff writes reliability data coders x units; pass
        the transpose of such a table.)
    level
        Metric of the values: ``"nominal"`` (categories), ``"ordinal"`` (ranks: distance from
        the marginal frequencies between two values), ``"interval"`` (squared difference) or
        ``"ratio"`` (squared relative difference).

    Returns
    -------
    float
        ``1 - D_o / D_e`` from the coincidence matrix of pairable values; items with fewer
        than two values are not pairable and are skipped. NaN when there is no pairable value
        or no expected disagreement.

    Examples
    --------
    Krippendorff's (2011) example of 4 coders and 12 units:

    >>> import numpy as np
    >>> nan = np.nan
    >>> d = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...               [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...               [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...               [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]).T
    >>> round(krippendorff_alpha(d, level="nominal"), 3)
    0.743
    """
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise SchemaError(f"data must be 2-D (items x coders), got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.integer):
        values = arr.astype(np.float64)
        values[arr == ABSTAIN] = np.nan
    else:
        values = arr.astype(np.float64)
    present = ~np.isnan(values)
    domain = np.unique(values[present])
    if domain.size == 0:
        return float("nan")
    n_items = values.shape[0]
    q = domain.size
    codes = np.searchsorted(domain, np.where(present, values, domain[0]))
    flat = (np.arange(n_items)[:, None] * q + codes)[present]
    counts = np.bincount(flat, minlength=n_items * q).reshape(n_items, q).astype(np.float64)
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    counts, m_u = counts[pairable], m_u[pairable]
    if counts.shape[0] == 0:
        return float("nan")
    w = 1.0 / (m_u - 1.0)
    coincidence = counts.T @ (counts * w[:, None]) - np.diag((counts * w[:, None]).sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = float(n_c.sum())
    delta = _delta(domain, n_c, level)
    d_o = float((coincidence * delta).sum()) / n
    d_e = float((np.outer(n_c, n_c) * delta).sum()) / (n * (n - 1.0))
    if d_e == 0.0:
        return float("nan")
    return 1.0 - d_o / d_e


def _delta(domain: FloatArray, n_c: FloatArray, level: str) -> FloatArray:
    if level == "nominal":
        return 1.0 - np.eye(domain.size)
    if level == "interval":
        return np.subtract.outer(domain, domain) ** 2
    if level == "ratio":
        total = np.add.outer(domain, domain)
        diff = np.subtract.outer(domain, domain)
        out: FloatArray = np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
        return out
    if level == "ordinal":
        # delta(c, k) = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 over ranks c <= k.
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        idx = np.arange(domain.size)
        lo = np.minimum.outer(idx, idx)
        hi = np.maximum.outer(idx, idx)
        between = cum[hi + 1] - cum[lo]
        result: FloatArray = (between - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2
        return result
    raise SchemaError(
        f"level must be 'nominal', 'ordinal', 'interval' or 'ratio', got {level!r}"
    )


def agreement_matrix(
    L: Any, *, statistic: Literal["percent", "cohen"] = "percent"
) -> FloatArray:
    """Pairwise agreement between the sources (columns) of ``L``.

    Parameters
    ----------
    L
        ``(n_items, n_sources)`` label matrix, ``-1`` for abstain.
    statistic
        ``"percent"``: fraction of items voted by both on which they agree; ``"cohen"``:
        Cohen's kappa on those items.

    Returns
    -------
    numpy.ndarray
        Symmetric ``(n_sources, n_sources)`` matrix; NaN where two sources share no item.
    """
    mat = check_label_matrix(L)
    m = mat.shape[1]
    if statistic == "percent":
        voted = (mat != ABSTAIN).astype(np.float64)
        k = max(int(mat.max(initial=-1)) + 1, 1)
        both = voted.T @ voted
        agree = np.zeros((m, m))
        for c in range(k):  # classes, not rows
            hit = (mat == c).astype(np.float64)
            agree += hit.T @ hit
        out: FloatArray = np.divide(agree, both, out=np.full((m, m), np.nan), where=both > 0)
        return out
    if statistic == "cohen":
        result = np.eye(m)
        for i in range(m):
            for j in range(i + 1, m):
                result[i, j] = result[j, i] = cohen_kappa(mat[:, i], mat[:, j])
        return result
    raise SchemaError(f"statistic must be 'percent' or 'cohen', got {statistic!r}")


def annotator_agreement(
    annotations: pa.Table,
    *,
    item: str = "item_id",
    annotator: str = "annotator",
    label: str = "label",
    level: Level = "nominal",
) -> dict[str, Any]:
    """Every agreement statistic for a long table of annotations, as plain Python data.

    Parameters
    ----------
    annotations
        One row per rating: item id, annotator, label (any sortable type; nulls are skipped).
        When an annotator rated an item twice, the later row wins.
    item, annotator, label
        Column names.
    level
        Measurement level for Krippendorff's alpha. Numeric labels keep their values (so
        ``"interval"`` uses real differences); other labels are ranked in sorted order.

    Returns
    -------
    dict
        ``items``, ``ratings``, ``annotators``, ``classes`` (label values in class-id order),
        ``fleiss_kappa``, ``krippendorff_alpha``, ``cohen_kappa`` (pairwise matrix as nested
        lists) and ``percent_agreement`` (pairwise); undefined statistics are ``None``.
    """
    from winnow.labeling.votes import VoteStore

    for col in (item, annotator, label):
        if col not in annotations.column_names:
            raise ColumnNotFoundError(col, annotations.column_names, where="the annotations")
    values = pc.unique(pc.drop_null(annotations.column(label))).to_pylist()
    values = sorted(values)
    store = VoteStore.from_table(annotations, item_id=item, source=annotator, label=label,
                                 label_map={v: i for i, v in enumerate(values)})
    L = store.to_matrix()
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric and values:
        table = np.asarray(values, dtype=np.float64)
        alpha_input: Any = np.where(L >= 0, table[np.maximum(L, 0)], np.nan)
    else:
        alpha_input = L

    def clean(x: float) -> float | None:
        return None if np.isnan(x) else float(x)

    def clean_matrix(m: FloatArray) -> list[list[float | None]]:
        return [[clean(float(v)) for v in row] for row in m]

    return {
        "items": store.n_items,
        "ratings": int((L != ABSTAIN).sum()),
        "annotators": list(store.sources),
        "classes": values,
        "fleiss_kappa": clean(fleiss_kappa(L, cardinality=max(len(values), 1))),
        "krippendorff_alpha": clean(krippendorff_alpha(alpha_input, level=level)),
        "cohen_kappa": clean_matrix(agreement_matrix(L, statistic="cohen")),
        "percent_agreement": clean_matrix(agreement_matrix(L)),
    }
