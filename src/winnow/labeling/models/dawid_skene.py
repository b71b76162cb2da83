"""Dawid–Skene: EM over one confusion matrix per source, abstains treated as missing votes."""

from __future__ import annotations

from typing import Any

import numpy as np

from winnow.errors import SchemaError
from winnow.labeling.models._base import BaseLabelModel, FloatArray, IntArray, log_joint
from winnow.labeling.models.majority import vote_shares
from winnow.labeling.votes import ABSTAIN

__all__ = ["DawidSkene"]


class DawidSkene(BaseLabelModel):
    """Dawid & Skene (1979) EM: learn each source's confusion matrix and the class prior.

    The E-step computes each item's class posterior from the prior and the confusion rows of
    the votes it received (abstains contribute nothing); the M-step re-estimates the confusion
    matrices from posterior-weighted vote counts (plus ``smoothing`` pseudo-counts) and the prior
    from the posteriors. EM starts from the (soft) majority vote and stops when the mean
    log-likelihood improves by less than ``tol`` or after ``max_iter`` iterations. As in
    crowdsourcing, an abstain is a missing vote: a source that only ever votes one class gives
    no evidence here (use :class:`~winnow.labeling.LabelModel`, which models abstains, for such
    labeling functions), and ``accuracies_`` is the expected share of right votes under the
    final posteriors. Fitting works
    on the distinct vote patterns weighted by their counts, so its cost grows with the number of
    distinct rows, not of items.

    Parameters
    ----------
    cardinality
        Number of classes; inferred when omitted.
    max_iter
        Iteration cap.
    tol
        Convergence tolerance on the mean log-likelihood per item.
    smoothing
        Dirichlet pseudo-count added to every confusion cell (keeps probabilities positive).
    class_balance
        ``"learned"`` (EM estimates the prior), ``"dev"`` (class frequencies of ``Y_dev`` passed
        to ``fit``), or a length-``k`` array of given class probabilities.

    Attributes
    ----------
    n_iter_
        Iterations run.
    converged_
        Whether the tolerance was reached before the cap.
    log_likelihood_
        Final mean log-likelihood per item.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2000)
    >>> L = np.stack([np.where(rng.random(2000) < a, y, 1 - y) for a in (0.9, 0.8, 0.7)], 1)
    >>> ds = DawidSkene(cardinality=2).fit(L)
    >>> np.round(ds.accuracies_, 1).tolist()
    [0.9, 0.8, 0.7]
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        max_iter: int = 100,
        tol: float = 1e-6,
        smoothing: float = 0.01,
        class_balance: str | Any = "learned",
    ) -> None:
        super().__init__(cardinality=cardinality)
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.class_balance = class_balance

    def _fit(
        self, U: IntArray, w: FloatArray, *, y_dev: IntArray | None, L_dev: Any
    ) -> None:
        k = self.cardinality_
        m = U.shape[1]
        fixed_prior = _fixed_prior(self.class_balance, k, y_dev)
        total = float(w.sum())
        T = vote_shares(U, k)
        prior = fixed_prior if fixed_prior is not None else (T * w[:, None]).sum(0) / total
        self.n_iter_ = 0
        self.converged_ = False
        previous = -np.inf
        log_pi = np.zeros((m, k, k))
        voters = [np.flatnonzero(U[:, j] != ABSTAIN) for j in range(m)]
        votes = [U[idx, j] for j, idx in enumerate(voters)]
        for it in range(1, self.max_iter + 1):
            # M-step: confusion counts per source from posterior-weighted votes.
            Tw = T * w[:, None]
            for j in range(m):  # sources, not rows
                Tj = Tw[voters[j]]
                counts = np.stack([  # (true class c, vote l)
                    np.bincount(votes[j], weights=Tj[:, c], minlength=k) for c in range(k)
                ]) + self.smoothing
                log_pi[j] = np.log(counts / counts.sum(axis=1, keepdims=True))
            if fixed_prior is None:
                prior = np.maximum(Tw.sum(axis=0) / total, 1e-12)
            # E-step.
            log_post = _log_joint(U, log_pi, np.log(prior))
            top = log_post.max(axis=1, keepdims=True)
            norm = top + np.log(np.exp(log_post - top).sum(axis=1, keepdims=True))
            T = np.exp(log_post - norm)
            ll = float((norm[:, 0] * w).sum() / total)
            self.n_iter_ = it
            if abs(ll - previous) < self.tol:
                self.converged_ = True
                break
            previous = ll
        self.log_likelihood_ = previous if not self.converged_ else ll
        self._log_pi = log_pi
        self.class_balance_ = np.asarray(prior, dtype=np.float64)
        self.confusions_ = np.exp(log_pi)
        # Accuracy: expected share of right votes under the final posteriors.
        Tw = T * w[:, None]
        self._set_accuracies_from_counts(np.stack([
            np.stack([np.bincount(votes[j], weights=Tw[voters[j], c], minlength=k)
                      for c in range(k)])
            for j in range(m)  # sources
        ]))

    def _predict_proba(self, L: IntArray) -> FloatArray:
        log_post = _log_joint(L, self._log_pi, np.log(self.class_balance_))
        log_post -= log_post.max(axis=1, keepdims=True)
        p = np.exp(log_post)
        out: FloatArray = p / p.sum(axis=1, keepdims=True)
        return out


def _log_joint(U: IntArray, log_pi: FloatArray, log_prior: FloatArray) -> FloatArray:
    """``log P(Y = c) + sum_j log P(vote_j | Y = c)`` for each row; abstains add nothing."""
    m, k = log_pi.shape[0], log_prior.shape[0]
    tables = np.zeros((m, k + 1, k))
    tables[:, :k, :] = np.transpose(log_pi, (0, 2, 1))  # (source, vote l, class c)
    return log_joint(U, tables, log_prior)


def _fixed_prior(spec: Any, k: int, y_dev: IntArray | None) -> FloatArray | None:
    """The class prior the caller fixed, or ``None`` when it is to be learned."""
    if isinstance(spec, str):
        if spec == "learned":
            return None
        if spec == "dev":
            if y_dev is None:
                raise SchemaError(
                    "class_balance='dev' needs gold labels: call fit(L, Y_dev=...)"
                )
            known = y_dev[y_dev != ABSTAIN]
            counts = np.bincount(known, minlength=k)[:k].astype(np.float64) + 1.0
            prior: FloatArray = counts / counts.sum()
            return prior
        raise SchemaError(
            f"class_balance must be 'learned', 'dev' or k probabilities, got {spec!r}"
        )
    p = np.asarray(spec, dtype=np.float64).reshape(-1)
    if p.shape[0] != k or np.any(p <= 0) or not np.isclose(p.sum(), 1.0):
        raise SchemaError(
            f"class_balance must be {k} positive probabilities summing to 1, got {p.tolist()}"
        )
    return p
