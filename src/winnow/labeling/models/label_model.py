"""A Snorkel-style label model fit from the sources' agreement statistics (method of moments).

Under the model, sources vote independently given the true class ``Y``. Write
``mu[j, l, c] = P(source j votes l | Y = c)`` for the vote outcomes ``l = 0..k-1`` and abstain,
and ``p = P(Y)``. Then the observable statistics satisfy

- first moments: ``P(vote_j = l) = sum_c mu[j, l, c] p_c``;
- overlaps, for two different sources: ``P(vote_j = l, vote_i = l') = sum_c mu[j, l, c]
  mu[i, l', c] p_c``, i.e. the off-diagonal blocks of the overlap matrix ``O = E[psi psi^T]``
  of the one-hot votes ``psi`` equal ``mu P mu^T``.

:class:`LabelModel` fits ``mu`` (and ``p`` unless given) to the observed ``O`` and first moments
by least squares over the observed (off-diagonal) entries only, as Snorkel's matrix completion
does; the same-source blocks are never used. Probabilities are parameterised by softmax so every
column of ``mu`` stays a distribution, and the small problem (``m (k + 1) k`` parameters) is
solved with L-BFGS and an analytic gradient. The data enter only through ``O`` and the first
moments, one pass over ``L``, which is why fitting a million rows takes a few seconds at most.
Starting from sources that are better than random breaks the class-permutation symmetry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from winnow.labeling.models._base import BaseLabelModel, FloatArray, IntArray, log_joint
from winnow.labeling.models.dawid_skene import _fixed_prior

__all__ = ["LabelModel"]

_CHUNK = 16_384


class LabelModel(BaseLabelModel):
    """Snorkel-style label model fit by matrix completion on the observed overlap matrix.

    Parameters
    ----------
    cardinality
        Number of classes; inferred when omitted.
    class_balance
        ``"learned"`` (estimated with ``mu`` from the moments), ``"dev"`` (class frequencies
        of ``Y_dev`` passed to ``fit``), or a length-``k`` array of given class probabilities.
        When most sources vote one class only, a wrong balance fits the moments almost as well
        as the right one: give the balance or estimate it from a dev set
        (:func:`~winnow.labeling.select_label_model` tries both).
    init_accuracy
        Accuracy every source starts from (must be above ``1/k``).
    abstain_informative
        Whether prediction uses ``P(abstain | Y)``: when a source abstains more on one class,
        its silence is evidence too. ``False`` ignores abstains, as Snorkel does.
    l2
        Ridge penalty pulling the parameters toward the initial ones (0 disables it).
    max_iter
        L-BFGS iteration cap.

    Attributes
    ----------
    vote_probs_
        ``(m, k + 1, k)`` learned ``P(vote = l | Y = c)``; row ``k`` is abstain.
    fit_loss_
        Final value of the least-squares objective.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 5000)
    >>> L = np.stack([np.where(rng.random(5000) < a, y, 1 - y) for a in (0.9, 0.8, 0.7)], 1)
    >>> lm = LabelModel(cardinality=2).fit(L)
    >>> np.round(lm.accuracies_, 1).tolist()
    [0.9, 0.8, 0.7]
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        class_balance: str | Any = "learned",
        init_accuracy: float = 0.7,
        abstain_informative: bool = False,
        l2: float = 0.0,
        max_iter: int = 500,
    ) -> None:
        super().__init__(cardinality=cardinality)
        self.class_balance = class_balance
        self.init_accuracy = init_accuracy
        self.abstain_informative = abstain_informative
        self.l2 = l2
        self.max_iter = max_iter

    def _fit(
        self, U: IntArray, w: FloatArray, *, y_dev: IntArray | None, L_dev: Any
    ) -> None:
        k = self.cardinality_
        m = U.shape[1]
        fixed = _fixed_prior(self.class_balance, k, y_dev)
        first, overlap = _moments(U, w, k)
        mask = 1.0 - np.kron(np.eye(m), np.ones((k, k)))  # drop same-source blocks
        coverage = first.reshape(m, k).sum(axis=1)
        theta0 = _init_theta(coverage, k, self.init_accuracy)
        beta0 = np.zeros(k) if fixed is None else np.log(fixed)
        n_theta = theta0.size
        x0 = np.concatenate([theta0.ravel(), beta0])

        def objective(x: FloatArray) -> tuple[float, FloatArray]:
            theta = x[:n_theta].reshape(m, k + 1, k)
            mu_full = _softmax(theta, axis=1)  # (m, k+1, k)
            M = mu_full[:, :k, :].reshape(m * k, k)
            p = fixed if fixed is not None else _softmax(x[n_theta:], axis=0)
            S = (M * p) @ M.T
            R = mask * (S - overlap)
            e = M @ p - first
            loss = float((R**2).sum() + (e**2).sum())
            g_M = 4.0 * (R @ M) * p + 2.0 * np.outer(e, p)
            g_p = 2.0 * np.einsum("ac,ab,bc->c", M, R, M) + 2.0 * (M.T @ e)
            g_mu = np.zeros_like(mu_full)
            g_mu[:, :k, :] = g_M.reshape(m, k, k)
            g_theta = mu_full * (g_mu - (mu_full * g_mu).sum(axis=1, keepdims=True))
            if self.l2:
                diff = theta - theta0
                loss += self.l2 * float((diff**2).sum())
                g_theta = g_theta + 2.0 * self.l2 * diff
            g_beta = p * (g_p - float(p @ g_p)) if fixed is None else np.zeros(k)
            return loss, np.concatenate([g_theta.ravel(), g_beta])

        from scipy.optimize import minimize  # imported here: it costs ~0.4 s at `import winnow`

        result = minimize(objective, x0, jac=True, method="L-BFGS-B",
                          options={"maxiter": self.max_iter, "gtol": 1e-8, "ftol": 1e-10})
        x = result.x
        self.fit_loss_ = float(result.fun)
        self.n_iter_ = int(result.nit)
        self._objective = objective
        mu_full = _softmax(x[:n_theta].reshape(m, k + 1, k), axis=1)
        self.vote_probs_ = mu_full
        self.class_balance_ = fixed if fixed is not None else _softmax(x[n_theta:], axis=0)
        votes = mu_full[:, :k, :]  # (m, l, c)
        total = votes.sum(axis=1, keepdims=True)
        self.confusions_ = np.transpose(votes / np.maximum(total, 1e-12), (0, 2, 1))
        # P(right | votes) = sum_c P(vote = c | c) p_c / sum_c P(votes | c) p_c.
        p = self.class_balance_
        right = np.einsum("jcc,c->j", votes, p)
        voting = total[:, 0, :] @ p
        self.accuracies_ = np.divide(right, voting, out=np.zeros(m), where=voting > 1e-12)

    def _predict_proba(self, L: IntArray) -> FloatArray:
        k = self.cardinality_
        tables = np.log(np.clip(self.vote_probs_, 1e-12, 1.0))  # (m, k+1, k)
        if not self.abstain_informative:
            tables[:, k, :] = 0.0
        out = log_joint(L, tables, np.log(self.class_balance_))
        out -= out.max(axis=1, keepdims=True)
        p = np.exp(out)
        result: FloatArray = p / p.sum(axis=1, keepdims=True)
        return result


def _softmax(x: FloatArray, *, axis: int) -> FloatArray:
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    out: FloatArray = z / z.sum(axis=axis, keepdims=True)
    return out


def _init_theta(coverage: FloatArray, k: int, accuracy: float) -> FloatArray:
    """Logits of ``mu`` where source j votes with its coverage and the given accuracy."""
    m = coverage.shape[0]
    cov = np.clip(coverage, 1e-3, 1 - 1e-3)
    acc = min(max(accuracy, 1.0 / k + 1e-3), 1 - 1e-3)
    mu = np.empty((m, k + 1, k))
    wrong = (1.0 - acc) / max(k - 1, 1)
    for j in range(m):  # sources
        mu[j, :k, :] = cov[j] * (np.eye(k) * acc + (1 - np.eye(k)) * wrong)
        mu[j, k, :] = 1.0 - cov[j]
    out: FloatArray = np.log(mu)
    return out


def _moments(U: IntArray, w: FloatArray, k: int) -> tuple[FloatArray, FloatArray]:
    """First moments ``P(vote_j = l)`` and overlap matrix ``O`` of one-hot votes, one pass.

    ``U`` holds distinct vote patterns occurring ``w`` times each. The one-hot block is built
    class by class (``k`` contiguous comparisons of the whole chunk rather than one comparison
    per vote), in chunks small enough to stay in cache, and ``O`` is accumulated by BLAS. Votes
    are 0/1, so the first moments are the diagonal of ``O``.
    """
    u, m = U.shape
    n = float(w.sum())
    overlap = np.zeros((m * k, m * k))
    unweighted = bool(np.all(w == 1.0))
    X = np.empty((min(_CHUNK, u), k * m), dtype=np.float32)  # columns class-major: c * m + j
    for start in range(0, u, _CHUNK):  # chunks of rows keep the one-hot block small
        block = U[start:start + _CHUNK]
        Xb = X[: block.shape[0]]
        for c in range(k):  # classes, not rows
            Xb[:, c * m:(c + 1) * m] = block == c
        # float32 halves the memory traffic; counts are exact in float32 up to 2**24 a chunk.
        if unweighted:  # X.T @ X of one array is a symmetric rank-k update: half the work
            overlap += (Xb.T @ Xb).astype(np.float64)
        else:
            Xw = Xb * w[start:start + _CHUNK, None].astype(np.float32)
            overlap += (Xw.T @ Xb).astype(np.float64)
    order = (np.arange(k)[None, :] * m + np.arange(m)[:, None]).ravel()  # to source-major j*k+c
    overlap = overlap[np.ix_(order, order)] / max(n, 1.0)
    return np.diagonal(overlap).copy(), overlap
