"""What every label model shares: the estimator contract, tie-breaking, and diagnostics."""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from threadpoolctl import threadpool_limits

from winnow.errors import SchemaError
from winnow.labeling.votes import ABSTAIN, check_label_matrix

__all__ = [
    "BaseLabelModel",
    "LabelModelWarning",
    "TieBreak",
    "compress_rows",
    "log_joint",
    "vote_patterns",
]

TieBreak = Literal["random", "abstain", "lowest"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class LabelModelWarning(UserWarning):
    """A label model looks wrong: an inverted source, one predicted class, or worse than voting."""


_PROBE_ROWS = 16_384
"""Rows looked at to decide whether compressing ``L`` to its distinct patterns pays off."""

_MAX_GROUP_TABLE = 4_096
"""Largest number of vote combinations :func:`log_joint` tabulates for a group of sources."""


def compress_rows(L: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Return the distinct rows of ``L``, the row -> distinct index map, and each row's count.

    Label models only depend on a row's vote pattern, so fitting and predicting on the distinct
    patterns (weighted by their counts) gives the same result for far less work when patterns
    repeat. Rows are packed into one int64 code (base ``k + 1``) when that fits.
    """
    n, m = L.shape
    if n == 0:
        return L, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    base = int(L.max(initial=0)) + 2
    if m * np.log2(base) < 62:
        powers = base ** np.arange(m - 1, -1, -1, dtype=np.int64)
        code = (L + 1) @ powers
        _, first, inverse, counts = np.unique(
            code, return_index=True, return_inverse=True, return_counts=True
        )
        return L[first], inverse.astype(np.int64), counts.astype(np.float64)
    uniq, inverse, counts = np.unique(L, axis=0, return_inverse=True, return_counts=True)
    return uniq.astype(np.int64), inverse.reshape(-1).astype(np.int64), counts.astype(np.float64)


def vote_patterns(L: IntArray) -> tuple[IntArray, IntArray | None, FloatArray]:
    """Like :func:`compress_rows`, but leaves ``L`` as it is when its rows hardly repeat.

    Finding the distinct rows costs a sort of all of them; when the first rows are already
    mostly distinct (many sources with independent abstains), the compression would save little
    and cost more than it saves. The decision looks at a fixed prefix of ``L`` only, so it is
    deterministic, and either way the model sees the same weighted rows. Returns the patterns,
    the row -> pattern map (``None`` when ``L`` is returned as is) and the pattern counts.
    """
    n = L.shape[0]
    if n > _PROBE_ROWS:
        probe, _, _ = compress_rows(L[:_PROBE_ROWS])
        if probe.shape[0] > _PROBE_ROWS // 2:
            return L, None, np.ones(n)
    U, inverse, counts = compress_rows(L)
    return U, inverse, counts


def log_joint(U: IntArray, tables: FloatArray, log_prior: FloatArray) -> FloatArray:
    """``log_prior[c] + sum_j tables[j, U[i, j], c]`` for every row ``i`` and class ``c``.

    ``tables`` is ``(m, k + 1, k)``; its last row per source scores an abstain (``-1`` indexes
    it). Sources are taken in groups of ``g`` whose ``(k + 1) ** g`` vote combinations are
    tabulated once, so each group costs one gather of ``n`` rows: ``ceil(m / g)`` gathers in
    all, no loop over rows.
    """
    n, m = U.shape
    k = log_prior.shape[0]
    group = max(1, int(np.log(_MAX_GROUP_TABLE) / np.log(k + 1)))
    order = np.r_[k, 0:k]  # vote + 1: abstain first, then classes 0..k-1
    out = np.empty((n, k))
    out[:] = log_prior
    for start in range(0, m, group):  # groups of sources, not rows
        idx = np.zeros(n, dtype=np.intp)
        combined = np.zeros((1, k))
        for j in range(start, min(start + group, m)):
            idx *= k + 1
            idx += U[:, j]
            idx += 1
            combined = (combined[:, None, :] + tables[j][order][None, :, :]).reshape(-1, k)
        out += combined[idx]
    return out


class BaseLabelModel(ABC):
    """Estimator contract of label models: ``fit`` returns ``self``, learned state ends in ``_``.

    Subclasses implement :meth:`_fit` and :meth:`_predict_proba`. After ``fit``:

    - ``cardinality_``: number of classes ``k``;
    - ``class_balance_``: ``(k,)`` class prior used for prediction;
    - ``confusions_``: ``(m, k, k)`` with ``confusions_[j, c, l] = P(source j votes l | Y = c,
      source j votes)``;
    - ``accuracies_``: ``(m,)`` ``P(source j is right | source j votes)``: over the items the
      source votes on, not under the overall class prior, so a source that only ever votes one
      class (most labeling functions) is judged on the items it speaks about. ``0.0`` for a
      source that never votes, as in :func:`~winnow.labeling.lf_summary`.
    """

    cardinality_: int
    class_balance_: FloatArray
    confusions_: FloatArray
    accuracies_: FloatArray

    def __init__(self, *, cardinality: int | None = None) -> None:
        self.cardinality = cardinality

    # ------------------------------------------------------------------ public API
    def fit(
        self,
        L: Any,
        *,
        L_dev: Any = None,
        Y_dev: Any = None,
        source_names: list[str] | None = None,
    ) -> Self:
        """Learn from the label matrix ``L`` (items x sources, ``-1`` abstain).

        Parameters
        ----------
        L
            Training votes.
        L_dev, Y_dev
            Optional dev votes and gold labels: used for the class balance where the model
            estimates it from a dev set, and to warn when majority vote beats the model.
        source_names
            Names used in warnings; default ``source_0``, ...
        """
        mat = check_label_matrix(L, cardinality=self.cardinality)
        k = self.cardinality or max(
            int(mat.max(initial=-1)) + 1,
            int(np.max(Y_dev, initial=-1)) + 1 if Y_dev is not None else 0,
            2,
        )
        self.cardinality_ = k
        y_dev = None
        if Y_dev is not None:
            y_dev = np.asarray(Y_dev).astype(np.int64).reshape(-1)
        # Every model depends on a row only through its vote pattern: fit on the distinct
        # patterns weighted by their counts.
        uniq, _, counts = vote_patterns(mat)
        # Fitting multiplies small matrices (sources x classes wide) many times: one BLAS
        # thread is as fast, and far faster when other processes compete for the cores.
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit(uniq, counts, y_dev=y_dev, L_dev=L_dev)
            self._diagnose(uniq, L_dev=L_dev, Y_dev=y_dev, names=source_names)
        return self

    def predict_proba(self, L: Any) -> FloatArray:
        """Return ``(n_items, k)`` class probabilities for each item of ``L``."""
        self._check_fitted()
        mat = check_label_matrix(L, cardinality=self.cardinality_)
        if mat.shape[1] != self.confusions_.shape[0]:
            raise SchemaError(
                f"L has {mat.shape[1]} sources but the model was fit on "
                f"{self.confusions_.shape[0]}; apply the same labeling functions in the same order"
            )
        uniq, inverse, _ = vote_patterns(mat)
        proba = self._predict_proba(uniq)
        return proba if inverse is None else proba[inverse]

    def predict(
        self, L: Any, *, tie_break: TieBreak = "random", seed: int = 0
    ) -> IntArray:
        """Return the most probable class of each item.

        Parameters
        ----------
        L
            Votes to predict.
        tie_break
            How to resolve items whose top probabilities tie: ``"random"`` (seeded),
            ``"abstain"`` (predict ``-1``) or ``"lowest"`` (smallest class id).
        seed
            Seed of the random tie-break.
        """
        return _argmax(self.predict_proba(L), tie_break=tie_break, seed=seed)

    def label_table(
        self,
        L: Any,
        *,
        items: Any = None,
        tie_break: TieBreak = "random",
        seed: int = 0,
    ) -> pa.Table:
        """Return probabilistic labels as an Arrow table, one row per item of ``L``.

        Columns: ``item_id`` (``items``, default ``0..n-1``), ``label`` (the predicted class,
        ``-1`` for an abstained tie), ``confidence`` (its probability), ``covered`` (whether
        any source voted; uncovered items carry only the class prior and are usually dropped
        from training) and ``prob_0`` .. ``prob_{k-1}``.
        """
        mat = check_label_matrix(L, cardinality=getattr(self, "cardinality_", None))
        proba = self.predict_proba(mat)
        pred = _argmax(proba, tie_break=tie_break, seed=seed)
        conf = np.where(pred >= 0, proba[np.arange(len(pred)), np.maximum(pred, 0)], np.nan)
        ids = pa.array(np.arange(mat.shape[0], dtype=np.int64)) if items is None else items
        columns: dict[str, Any] = {
            "item_id": ids,
            "label": pa.array(pred, pa.int64()),
            "confidence": pa.array(conf, pa.float64()),
            "covered": pa.array((mat != ABSTAIN).any(axis=1)),
        }
        for c in range(proba.shape[1]):
            columns[f"prob_{c}"] = pa.array(proba[:, c], pa.float64())
        return pa.table(columns)

    def score(self, L: Any, Y: Any, *, tie_break: TieBreak = "random", seed: int = 0) -> float:
        """Accuracy of :meth:`predict` against gold labels ``Y`` (items with ``Y = -1`` skipped)."""
        y = np.asarray(Y).astype(np.int64).reshape(-1)
        pred = self.predict(L, tie_break=tie_break, seed=seed)
        known = y != ABSTAIN
        return float(np.mean(pred[known] == y[known])) if known.any() else float("nan")

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _fit(
        self, U: IntArray, w: FloatArray, *, y_dev: IntArray | None, L_dev: Any
    ) -> None:
        """Learn from distinct vote patterns ``U`` that occur ``w`` times each."""

    @abstractmethod
    def _predict_proba(self, L: IntArray) -> FloatArray:
        """Class probabilities of each row of ``L`` (already checked)."""

    # ------------------------------------------------------------------ shared helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "confusions_"):
            raise SchemaError(f"{type(self).__name__} is not fitted yet; call fit(L) first")

    def _set_accuracies_from_counts(self, counts: FloatArray) -> None:
        """``accuracies_`` from ``(m, k, k)`` (true class, vote) counts: the diagonal's share."""
        right = np.trace(counts, axis1=1, axis2=2)
        total = counts.sum(axis=(1, 2))
        self.accuracies_ = np.divide(right, total, out=np.zeros(counts.shape[0]),
                                     where=total > 0)

    def _diagnose(
        self, L: IntArray, *, L_dev: Any, Y_dev: IntArray | None, names: list[str] | None
    ) -> None:
        k = self.cardinality_
        label = names or [f"source_{j}" for j in range(L.shape[1])]
        voting = (L != ABSTAIN).any(axis=0)
        for j in np.flatnonzero(voting & (self.accuracies_ < 1.0 / k)):
            warnings.warn(
                f"{type(self).__name__}: source {label[j]!r} looks worse than random "
                f"(learned accuracy {self.accuracies_[j]:.3f} < 1/{k}); it may be inverted: "
                f"check its labels or drop it",
                LabelModelWarning,
                stacklevel=3,
            )
        single = self._single_class(L)
        if single is not None:
            warnings.warn(
                f"{type(self).__name__} predicts the single class {single} for every "
                f"covered item; check the class balance and the sources' polarities",
                LabelModelWarning,
                stacklevel=3,
            )
        if L_dev is not None and Y_dev is not None and type(self).__name__ != "MajorityVote":
            from winnow.labeling.models.majority import vote_shares

            dev = check_label_matrix(L_dev, cardinality=k, name="L_dev")
            known = Y_dev != ABSTAIN
            mv_pred = _argmax(vote_shares(dev, k), tie_break="random", seed=0)
            mv_acc = float(np.mean(mv_pred[known] == Y_dev[known]))
            own = self.score(dev, Y_dev, tie_break="random")
            if mv_acc > own:
                warnings.warn(
                    f"majority vote beats {type(self).__name__} on the dev set "
                    f"(accuracy {mv_acc:.4f} vs {own:.4f}); prefer MajorityVote or check "
                    f"the sources for dependencies",
                    LabelModelWarning,
                    stacklevel=3,
                )

    def _single_class(self, L: IntArray) -> int | None:
        """The one class predicted for every covered row of ``L``, or ``None`` if there are two.

        Works through the rows in blocks and stops at the first block that shows a second
        class, so a healthy model pays for predicting one block, not every row. Fewer than two
        covered rows say nothing and give ``None``.
        """
        seen: int | None = None
        n_covered = 0
        for start in range(0, L.shape[0], _PROBE_ROWS):  # blocks, not rows
            block = L[start:start + _PROBE_ROWS]
            block = block[(block != ABSTAIN).any(axis=1)]
            if block.shape[0] == 0:
                continue
            n_covered += block.shape[0]
            pred = _argmax(self._predict_proba(block), tie_break="lowest", seed=0)
            classes = np.unique(pred)
            if classes.size > 1 or (seen is not None and int(classes[0]) != seen):
                return None
            seen = int(classes[0])
        return seen if n_covered > 1 else None


def _argmax(proba: FloatArray, *, tie_break: TieBreak, seed: int) -> IntArray:
    if tie_break not in ("random", "abstain", "lowest"):
        raise SchemaError(f"tie_break must be 'random', 'abstain' or 'lowest', got {tie_break!r}")
    top = proba.max(axis=1, keepdims=True)
    tied = np.isclose(proba, top, rtol=0.0, atol=1e-9)
    n_tied = tied.sum(axis=1)
    pred: IntArray = np.argmax(tied, axis=1).astype(np.int64)
    multi = n_tied > 1
    if not multi.any() or tie_break == "lowest":
        return pred
    if tie_break == "abstain":
        pred[multi] = ABSTAIN
        return pred
    rng = np.random.default_rng(seed)
    # Pick uniformly among tied classes: random keys, highest key among the tied wins.
    keys = np.where(tied[multi], rng.random((int(multi.sum()), proba.shape[1])), -1.0)
    pred[multi] = np.argmax(keys, axis=1)
    return pred
