"""Goodness-of-fit helpers for the sampler tests: exact subset frequencies and inclusion counts.

Each helper runs a sampler over many seeded trials and returns a p-value. The tests assert
p > 1e-3 for winnow's samplers and p < 1e-6 for a deliberately broken sampler, so every test
both passes on correct code and has the power to fail on wrong code.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

import numpy as np
from scipy import stats

Sampler = Callable[[int], Iterable[int]]  # seed -> indices of the sampled items


def subset_pvalue(sampler: Sampler, expected: Mapping[frozenset[int], float], trials: int) -> float:
    """Pearson chi-square p-value of observed subset frequencies against exact probabilities."""
    counts: Counter[frozenset[int]] = Counter()
    for seed in range(trials):
        subset = frozenset(int(i) for i in sampler(seed))
        if subset not in expected:
            return 0.0  # a subset the design gives probability 0
        counts[subset] += 1
    keys = list(expected)
    observed = np.array([counts[k] for k in keys], dtype=np.float64)
    probs = np.array([expected[k] for k in keys], dtype=np.float64)
    return float(stats.chisquare(observed, probs / probs.sum() * trials).pvalue)


def uniform_subsets(n: int, k: int) -> dict[frozenset[int], float]:
    """Every k-subset of range(n) with equal probability."""
    subsets = [frozenset(c) for c in itertools.combinations(range(n), k)]
    return dict.fromkeys(subsets, 1.0 / len(subsets))


def successive_sampling_subsets(weights: list[float], k: int) -> dict[frozenset[int], float]:
    """Exact probability of each k-subset when drawing without replacement in proportion to
    weight (successive sampling: sum over the orders of the product of conditional draws)."""
    out: dict[frozenset[int], float] = {}
    total = float(sum(weights))
    for order in itertools.permutations(range(len(weights)), k):
        p, left = 1.0, total
        for i in order:
            p *= weights[i] / left
            left -= weights[i]
        key = frozenset(order)
        out[key] = out.get(key, 0.0) + p
    return out


def inclusion_pvalue(sampler: Sampler, n: int, k: int, trials: int) -> float:
    """p-value of per-item inclusion counts of fixed-size uniform samples of k out of n.

    Inclusion counts are not multinomial (each trial includes exactly k distinct items), so
    Pearson's X^2 is scaled by (n - 1) / (n (1 - k / n)) to follow chi-square(n - 1).
    """
    counts = np.zeros(n, dtype=np.float64)
    for seed in range(trials):
        idx = np.asarray(list(sampler(seed)), dtype=np.int64)
        if len(idx) != k or len(np.unique(idx)) != k:
            return 0.0
        counts[idx] += 1
    expected = trials * k / n
    x2 = float(((counts - expected) ** 2 / expected).sum())
    scaled = x2 * (n - 1) / (n * (1 - k / n))
    return float(stats.chi2.sf(scaled, n - 1))


def multinomial_pvalue(draws: np.ndarray, probs: np.ndarray) -> float:
    """Pearson chi-square p-value of independent draws (with replacement) against ``probs``."""
    observed = np.bincount(draws, minlength=len(probs)).astype(np.float64)
    return float(stats.chisquare(observed, probs / probs.sum() * len(draws)).pvalue)
