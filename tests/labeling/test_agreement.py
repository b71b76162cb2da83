"""Agreement statistics against published examples and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from winnow.labeling import agreement_matrix, cohen_kappa, fleiss_kappa, krippendorff_alpha

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 coders (rows)
# by 12 units (columns), missing values blank. winnow takes items x coders: the transpose.
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]).T


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # 0.743 is the paper's nominal figure; the ordinal, interval and ratio figures are the
        # values the `krippendorff` 0.9.0 package gives for the same data (0.8154, 0.8491, 0.7974).
        ("nominal", 0.743),
        ("ordinal", 0.815),
        ("interval", 0.849),
        ("ratio", 0.797),
    ],
)
def test_krippendorff_published_example(level: str, expected: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level=level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_integer_input_uses_abstain_as_missing() -> None:
    ints = np.where(np.isnan(KRIPPENDORFF_2011), -1, KRIPPENDORFF_2011).astype(int)
    assert krippendorff_alpha(ints) == pytest.approx(0.7434, abs=1e-4)


def test_krippendorff_perfect_agreement_and_nothing_pairable() -> None:
    assert krippendorff_alpha(np.array([[0, 0], [1, 1], [2, 2]])) == pytest.approx(1.0)
    assert np.isnan(krippendorff_alpha(np.array([[0, -1], [-1, 1]])))


def test_fleiss_wikipedia_example() -> None:
    # Fleiss (1971) style example from Wikipedia: 10 subjects, 14 raters, 5 categories.
    counts = np.array([
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ])
    assert fleiss_kappa(counts, counts=True) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_from_label_matrix_matches_counts() -> None:
    rng = np.random.default_rng(3)
    L = rng.integers(0, 3, size=(50, 4))
    counts = np.stack([np.bincount(row, minlength=3) for row in L])
    assert fleiss_kappa(L) == pytest.approx(fleiss_kappa(counts, counts=True))


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_matches_sklearn(weights: str | None) -> None:
    rng = np.random.default_rng(7)
    a = rng.integers(0, 4, 300)
    b = np.where(rng.random(300) < 0.6, a, rng.integers(0, 4, 300))
    assert cohen_kappa(a, b, weights=weights) == pytest.approx(
        cohen_kappa_score(a, b, weights=weights)
    )


def test_cohen_skips_abstains() -> None:
    a = np.array([0, 1, 1, -1, 0])
    b = np.array([0, 1, 0, 1, -1])
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score([0, 1, 1], [0, 1, 0]))


def test_pairwise_matrix() -> None:
    L = np.array([[0, 0, -1], [1, 0, 1], [1, 1, 1], [0, 0, 0]])
    pct = agreement_matrix(L)
    assert pct[0, 1] == pytest.approx(3 / 4)
    assert pct[0, 2] == pytest.approx(1.0)
    assert pct[1, 2] == pytest.approx(2 / 3)
    np.testing.assert_allclose(pct, pct.T)
    kappa = agreement_matrix(L, statistic="cohen")
    assert kappa[0, 1] == pytest.approx(cohen_kappa_score(L[:, 0], L[:, 1]))
