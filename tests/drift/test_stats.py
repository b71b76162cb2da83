"""Drift statistics agree with scipy on the same samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from winnow.drift.stats import (
    Distribution,
    chi_square,
    decile_edges,
    jensen_shannon,
    ks_test,
    psi,
    shares_between,
)
from winnow.profiles import QuantileSketch


def _data(values: np.ndarray) -> Distribution:
    return Distribution(n=values.size, values=np.sort(values))


def _sketch(values: np.ndarray, seed: int = 0) -> Distribution:
    sketch = QuantileSketch(seed=seed)
    sketch.update(values)
    return Distribution(n=values.size, sketch=sketch)


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.5])
def test_ks_on_data_is_scipy_ks_2samp(shift: float) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 3_000), rng.normal(shift, 1, 2_000)
    d, p = ks_test(_data(a), _data(b))
    want = stats.ks_2samp(a, b)
    assert d == want.statistic and p == want.pvalue


@pytest.mark.parametrize("shift", [0.0, 0.1, 0.5])
def test_ks_of_data_against_empirical_cdf_matches_asymptotic_scipy(shift: float) -> None:
    """The supremum over the CDFs' union support is the exact KS statistic of the samples."""
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 50_000), rng.exponential(1, 40_000) + shift
    exact_ref = Distribution(n=a.size, values=np.sort(a))
    sketch_cur = _sketch(b)
    d, p = ks_test(exact_ref, sketch_cur)
    want = stats.ks_2samp(a, b, method="asymp")
    assert abs(d - want.statistic) <= sketch_cur.error
    # with a sketched side, D is within the sketch's stated error of scipy's
    d2, _ = ks_test(_sketch(a, 3), _sketch(b, 4))
    assert abs(d2 - want.statistic) <= _sketch(a, 3).error + _sketch(b, 4).error
    # same statistic -> same p-value as scipy's asymptotic formula
    en = a.size * b.size / (a.size + b.size)
    assert p == pytest.approx(stats.kstwo.sf(d, round(en)))


def test_ks_p_value_formula_matches_scipy_asymp_exactly() -> None:
    """Both sides as exact step functions through the sketch path give scipy's numbers."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 100), rng.normal(0.3, 1, 120)  # k=200: nothing is compacted
    d, p = ks_test(_sketch(a), _sketch(b))
    want = stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(want.statistic, abs=1e-15)
    assert p == pytest.approx(want.pvalue, rel=1e-9)


def test_chi_square_is_scipy_chi2_contingency() -> None:
    ref = np.array([500.0, 300.0, 200.0, 0.0])
    cur = np.array([380.0, 240.0, 360.0, 20.0])
    statistic, p, v = chi_square(ref, cur)
    want = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert statistic == pytest.approx(want.statistic) and p == pytest.approx(want.pvalue)
    assert v == pytest.approx(math.sqrt(want.statistic / 2000))
    assert chi_square(np.array([5.0, 0.0]), np.array([7.0, 0.0])) == (0.0, 1.0, 0.0)


def test_jensen_shannon_is_scipy_base_2() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        p, q = rng.integers(0, 50, 6).astype(float), rng.integers(0, 50, 6).astype(float)
        p[0] += 1
        q[1] += 1
        assert jensen_shannon(p, q) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    assert jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)


def test_psi_by_hand() -> None:
    ref = np.array([0.25, 0.25, 0.5])
    cur = np.array([0.5, 0.25, 0.25])
    want = (0.5 - 0.25) * math.log(0.5 / 0.25) + 0 + (0.25 - 0.5) * math.log(0.25 / 0.5)
    assert psi(ref, cur) == pytest.approx(want)
    # an empty bin counts as the floor, so the PSI stays finite
    assert math.isfinite(psi(np.array([0.5, 0.5, 0.0]), np.array([0.4, 0.4, 0.2])))


def test_deciles_and_shares_on_data() -> None:
    values = np.arange(1, 1001, dtype=float)
    dist = _data(values)
    edges = decile_edges(dist)
    np.testing.assert_array_equal(edges, np.arange(100, 1000, 100))
    np.testing.assert_allclose(shares_between(dist, edges), np.full(10, 0.1))
