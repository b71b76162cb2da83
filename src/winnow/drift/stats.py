"""Drift statistics between a reference and a current distribution.

Numeric columns: the population stability index (PSI) over the reference's deciles and the
two-sample Kolmogorov–Smirnov statistic. Categorical columns: the chi-square test of homogeneity
(with Cramér's V as its effect size) and the Jensen–Shannon distance. A distribution is given
either by its data or by a quantile sketch; with data on both sides the KS test is
:func:`scipy.stats.ks_2samp`, otherwise its statistic is the exact supremum of the difference of
the two (sketched or empirical) step CDFs and its p-value the asymptotic Kolmogorov distribution
with the effective size ``n * m / (n + m)``, as ``ks_2samp(method="asymp")`` computes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winnow.profiles._kll import QuantileSketch

__all__ = [
    "PSI_FLOOR",
    "Distribution",
    "chi_square",
    "jensen_shannon",
    "ks_test",
    "psi",
    "shares_between",
]

Floats = npt.NDArray[np.float64]

#: Empty bins count as this share in the PSI, so that ln(c / r) stays finite.
PSI_FLOOR = 1e-4


@dataclass(frozen=True)
class Distribution:
    """One side of a numeric comparison: its finite values, or a quantile sketch of them."""

    n: int
    values: Floats | None = None  # sorted finite values when the data is at hand
    sketch: QuantileSketch | None = None

    def cdf(self, points: Floats) -> Floats:
        """Share of values ``<= x`` at each point."""
        if self.values is not None:
            out: Floats = np.searchsorted(self.values, points, side="right") / max(self.n, 1)
            return out
        assert self.sketch is not None
        return self.sketch.cdf(points)

    def support(self) -> Floats:
        """Where the CDF steps."""
        if self.values is not None:
            return np.unique(self.values)
        assert self.sketch is not None
        return self.sketch.support()

    def quantiles(self, fractions: Floats) -> Floats:
        """Quantiles of the distribution."""
        if self.values is not None:
            return np.quantile(self.values, fractions, method="inverted_cdf")
        assert self.sketch is not None
        return self.sketch.quantiles(fractions)

    @property
    def error(self) -> float:
        """Normalised rank error of the CDF (0 for data; the sketch's 99% bound otherwise)."""
        return 0.0 if self.values is not None or self.sketch is None else self.sketch.rank_error()


def shares_between(dist: Distribution, edges: Floats) -> Floats:
    """Shares of values in the bins ``(-inf, e1], (e1, e2], ..., (ek, inf)``."""
    cdf = np.concatenate([[0.0], dist.cdf(edges), [1.0]])
    return np.clip(np.diff(cdf), 0.0, 1.0)


def psi(reference: Floats, current: Floats, *, floor: float = PSI_FLOOR) -> float:
    """Population stability index ``sum((c - r) * ln(c / r))`` over bins of the same edges.

    Shares below ``floor`` count as ``floor``.
    """
    r = np.maximum(np.asarray(reference, dtype=np.float64), floor)
    c = np.maximum(np.asarray(current, dtype=np.float64), floor)
    return float(np.sum((c - r) * np.log(c / r)))


def decile_edges(reference: Distribution) -> Floats:
    """The reference's distinct deciles: the PSI's bin edges."""
    return np.unique(reference.quantiles(np.arange(1, 10) / 10))


def ks_test(reference: Distribution, current: Distribution) -> tuple[float, float]:
    """Two-sample KS statistic and p-value."""
    if reference.n == 0 or current.n == 0:
        return math.nan, math.nan
    from scipy import stats

    if reference.values is not None and current.values is not None:
        import warnings

        with warnings.catch_warnings():  # "exact calculation unsuccessful": scipy falls back
            warnings.simplefilter("ignore", RuntimeWarning)
            result = stats.ks_2samp(reference.values, current.values)
        return float(result.statistic), float(result.pvalue)
    points = np.union1d(reference.support(), current.support())
    d = float(np.max(np.abs(reference.cdf(points) - current.cdf(points))))
    en = reference.n * current.n / (reference.n + current.n)
    return d, float(stats.kstwo.sf(d, round(en)))


def chi_square(reference: Floats, current: Floats) -> tuple[float, float, float]:
    """Chi-square test of homogeneity on a 2 x K table of counts: statistic, p-value, Cramér's V.

    Categories empty on both sides are dropped; with fewer than two categories left the
    distributions cannot differ and the result is ``(0, 1, 0)``.
    """
    table = np.vstack([np.asarray(reference, dtype=np.float64),
                       np.asarray(current, dtype=np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0, 0.0
    from scipy import stats

    result = stats.chi2_contingency(table, correction=False)
    statistic = float(result.statistic)
    return statistic, float(result.pvalue), math.sqrt(statistic / table.sum())


def jensen_shannon(reference: Floats, current: Floats) -> float:
    """Jensen–Shannon distance (base 2, in [0, 1]) between two count or share vectors."""
    p = np.asarray(reference, dtype=np.float64)
    q = np.asarray(current, dtype=np.float64)
    if p.sum() == 0 or q.sum() == 0:
        return math.nan
    p = p / p.sum()
    q = q / q.sum()
    m = 0.5 * (p + q)

    def kl(a: Floats) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))

    return math.sqrt(max(0.5 * kl(p) + 0.5 * kl(q), 0.0))


def aligned_counts(reference: Mapping[str, int], current: Mapping[str, int]
                   ) -> tuple[list[str], Floats, Floats]:
    """Counts of both sides over the union of categories (sorted)."""
    names = sorted(set(reference) | set(current))
    get: Callable[[Mapping[str, int], str], int] = lambda m, k: m.get(k, 0)  # noqa: E731
    return (names, np.array([get(reference, k) for k in names], dtype=np.float64),
            np.array([get(current, k) for k in names], dtype=np.float64))
