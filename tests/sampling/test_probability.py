"""Probability samplers on tables: goodness of fit (with broken mutants) and exact properties."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from tests.sampling.gof import (
    inclusion_pvalue,
    multinomial_pvalue,
    subset_pvalue,
    successive_sampling_subsets,
    uniform_subsets,
)
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.sampling import importance, simple_random, stratified, weighted

PASS, POWER = 1e-3, 1e-6


def _ids(n: int, **extra: object) -> pa.Table:
    return pa.table({"id": np.arange(n), **extra})  # type: ignore[arg-type]


# ---------------------------------------------------------------- simple random


def test_simple_random_subsets_are_uniform() -> None:
    t = _ids(6)
    p = subset_pvalue(
        lambda s: simple_random(t, n=2, seed=s).table["id"].to_pylist(), uniform_subsets(6, 2),
        trials=3000,
    )
    assert p > PASS


def test_subset_test_rejects_a_window_sampler_with_uniform_inclusion() -> None:
    # every item is included with probability k/n, but only "adjacent" pairs ever occur
    def window(seed: int) -> list[int]:
        start = int(np.random.default_rng(seed).integers(0, 6))
        return [start, (start + 1) % 6]

    assert subset_pvalue(window, uniform_subsets(6, 2), trials=3000) < POWER
    assert inclusion_pvalue(window, 6, 2, trials=3000) > PASS  # inclusion alone cannot see it


def test_simple_random_inclusion_is_uniform_on_a_larger_table() -> None:
    t = _ids(60)
    p = inclusion_pvalue(
        lambda s: simple_random(t, n=12, seed=s).table["id"].to_numpy(), 60, 12, trials=3000
    )
    assert p > PASS


def test_inclusion_test_rejects_a_sampler_biased_toward_early_rows() -> None:
    weights = np.linspace(1.0, 1.5, 60)

    def early(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return rng.choice(60, size=12, replace=False, p=weights[::-1] / weights.sum())

    assert inclusion_pvalue(early, 60, 12, trials=3000) < POWER


def test_simple_random_with_replacement_is_multinomial_and_mutant_is_not() -> None:
    t = _ids(10)
    draws = np.concatenate(
        [simple_random(t, n=5, replace=True, seed=s).table["id"].to_numpy() for s in range(2000)]
    )
    assert multinomial_pvalue(draws, np.ones(10)) > PASS
    # off-by-one: never draws the last row
    broken = np.concatenate(
        [np.random.default_rng(s).integers(0, 9, size=5) for s in range(2000)]
    )
    assert multinomial_pvalue(broken, np.ones(10)) < POWER


def test_simple_random_properties() -> None:
    t = _ids(1000, x=np.arange(1000) * 2)
    a = simple_random(t, frac=0.1, seed=3)
    assert a.table.num_rows == 100
    assert a.table.equals(simple_random(t, frac=0.1, seed=3).table)
    assert not a.table.equals(simple_random(t, frac=0.1, seed=4).table)
    ids = a.table["id"].to_numpy()
    assert (np.diff(ids) > 0).all()  # source order, no repeats
    assert (a.table["x"].to_numpy() == ids * 2).all()  # whole rows
    assert a.report.to_dict() == {
        "method": "simple_random",
        "parameters": {"n": None, "frac": 0.1, "replace": False},
        "seed": 3,
        "input_rows": 1000,
        "output_rows": 100,
        "biased": False,
    }
    json.dumps(a.describe())
    seq = simple_random(t, n=5, seed=np.random.SeedSequence(42))
    assert seq.report.seed == {"entropy": 42, "spawn_key": []}
    assert seq.table.equals(simple_random(t, n=5, seed=42).table)


def test_simple_random_errors() -> None:
    t = _ids(5)
    with pytest.raises(DefinitionError, match="without replacement"):
        simple_random(t, n=6, seed=1)
    with pytest.raises(DefinitionError, match="exactly one of n= or frac="):
        simple_random(t, n=2, frac=0.5, seed=1)
    with pytest.raises(DefinitionError, match="seed"):
        simple_random(t, n=2, seed=None)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="frac"):
        simple_random(t, frac=1.5, seed=1)


# ---------------------------------------------------------------- stratified


def test_stratified_is_uniform_within_each_stratum() -> None:
    # stratum "a" = rows 0..4 (2 drawn), stratum "b" = rows 5..9 (2 drawn)
    t = _ids(10, g=["a"] * 5 + ["b"] * 5)
    draws = [stratified(t, by="g", n=4, seed=s).table["id"].to_numpy() for s in range(2000)]
    for a in draws:
        assert (a < 5).sum() == 2
    a_side = subset_pvalue(lambda s: draws[s][draws[s] < 5], uniform_subsets(5, 2), trials=2000)
    b_side = subset_pvalue(
        lambda s: draws[s][draws[s] >= 5] - 5, uniform_subsets(5, 2), trials=2000
    )
    assert a_side > PASS
    assert b_side > PASS


def test_stratified_within_test_rejects_a_low_index_biased_sampler() -> None:
    def biased(seed: int) -> list[int]:
        picks = np.random.default_rng(seed).choice(5, size=3, replace=False)
        return sorted(int(i) for i in picks)[:2]  # keeps the two smallest of three

    assert subset_pvalue(biased, uniform_subsets(5, 2), trials=2000) < POWER


def test_stratified_is_uniform_within_strata_large_enough_for_the_key_threshold() -> None:
    # 3 of 100 and 6 of 200: only rows whose key is under the per-stratum threshold are sorted
    t = _ids(300, g=["a"] * 100 + ["b"] * 200)
    draws = [stratified(t, by="g", n=9, seed=s).table["id"].to_numpy() for s in range(2000)]
    a_side = inclusion_pvalue(lambda s: draws[s][draws[s] < 100], 100, 3, trials=2000)
    b_side = inclusion_pvalue(lambda s: draws[s][draws[s] >= 100] - 100, 200, 6, trials=2000)
    assert a_side > PASS
    assert b_side > PASS


def test_inclusion_test_rejects_taking_the_first_candidates_in_row_order() -> None:
    # the threshold step without the sort: candidates are uniform, but the first ones win
    def unsorted(seed: int) -> np.ndarray:
        keys = np.random.default_rng(seed).random(100)
        return np.flatnonzero(keys < 0.217)[:3]

    assert inclusion_pvalue(unsorted, 100, 3, trials=2000) < POWER


class _FixedKeys:
    """Stands in for the generator: hands out predetermined 64-bit keys."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys

    def integers(self, *args: object, size: int, **kwargs: object) -> np.ndarray:
        assert size == len(self.keys)
        return self.keys


def _smallest_keys(codes: np.ndarray, wanted: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Reference: per stratum the wanted rows of smallest truncated key, ties in row order."""
    bits = max(1, int(len(wanted) - 1).bit_length())
    out = []
    for h, want in enumerate(wanted):
        rows = np.flatnonzero(codes == h)
        order = np.lexsort((rows, keys[rows] >> np.uint64(bits)))
        out.extend(rows[order[:want]].tolist())
    return np.sort(np.asarray(out, dtype=np.int64))


def test_stratum_subset_equals_the_smallest_keys_on_every_path() -> None:
    from winnow.sampling._strata import random_subset_within

    top = np.iinfo(np.uint64).max
    gen = np.random.default_rng(0)
    cases = []
    for _ in range(200):  # the threshold path, random sizes and allocations
        h = int(gen.integers(1, 6))
        codes = gen.integers(0, h, int(gen.integers(1, 400)))
        sizes = np.bincount(codes, minlength=h)
        wanted = np.array([int(gen.integers(0, s + 1)) for s in sizes], dtype=np.int64)
        keys = gen.integers(0, top, size=len(codes), dtype=np.uint64, endpoint=True)
        cases.append((codes, wanted, keys))
    # keys all above every threshold: each stratum is redone with all of its rows
    codes = np.repeat(np.arange(2), 500)
    cases.append((codes, np.array([3, 7]), top - np.arange(1000, dtype=np.uint64)))
    # keys that tie once truncated (they differ only in the dropped low bit): row order wins
    tied = np.full(1000, 12345 << 1, dtype=np.uint64) | (np.arange(1000, dtype=np.uint64) % 2)
    cases.append((codes, np.array([3, 7]), tied[::-1].copy()))
    for codes, wanted, keys in cases:
        sizes = np.bincount(codes, minlength=len(wanted)).astype(np.int64)
        got = random_subset_within(codes, wanted, sizes, _FixedKeys(keys))  # type: ignore[arg-type]
        np.testing.assert_array_equal(got, _smallest_keys(codes, wanted, keys))
    assert _smallest_keys(codes, np.array([3, 7]), tied[::-1].copy()).tolist() == [
        0, 1, 2, 500, 501, 502, 503, 504, 505, 506,
    ]


def test_stratified_exact_counts_largest_remainder() -> None:
    g = ["a"] * 50 + ["b"] * 30 + ["c"] * 15 + ["d"] * 5
    t = _ids(100, g=g)
    s = stratified(t, by="g", n=11, seed=1)
    # quotas 5.5, 3.3, 1.65, 0.55 -> floors 5, 3, 1, 0 (9); remainders .65 (c), .55 (d) win
    assert s.report.strata == {"a": 5, "b": 3, "c": 2, "d": 1}
    counts = dict(zip(*np.unique(s.table["g"].to_numpy(zero_copy_only=False),
                                 return_counts=True), strict=True))
    assert {k: int(v) for k, v in counts.items()} == {"a": 5, "b": 3, "c": 2, "d": 1}
    # a tie of remainders (.5 each) goes to the larger stratum
    tie = stratified(_ids(4, g=["a", "b", "b", "b"]), by="g", n=2, seed=0)
    assert tie.report.strata == {"a": 0, "b": 2}
    assert s.report.population_strata == {"a": 50, "b": 30, "c": 15, "d": 5}
    eq = stratified(t, by="g", n=10, allocation="equal", seed=1)
    assert eq.report.strata == {"a": 3, "b": 3, "c": 2, "d": 2}
    fixed = stratified(t, by="g", allocation={"a": 7, "d": 5}, seed=1)
    assert fixed.report.strata == {"a": 7, "b": 0, "c": 0, "d": 5}
    assert fixed.table.num_rows == 12
    assert stratified(t, by="g", frac=0.2, seed=9).report.strata == {
        "a": 10, "b": 6, "c": 3, "d": 1,
    }


def test_stratified_same_seed_same_rows_and_source_order() -> None:
    rng = np.random.default_rng(0)
    t = _ids(5000, g=rng.integers(0, 7, 5000), h=rng.choice(["x", "y"], 5000))
    a = stratified(t, by=["g", "h"], n=700, seed=11)
    b = stratified(t, by=["g", "h"], n=700, seed=11)
    assert a.table.equals(b.table)
    assert (np.diff(a.table["id"].to_numpy()) > 0).all()
    assert a.table.num_rows == 700
    assert len(a.report.strata or {}) == 14
    assert "0|x" in (a.report.strata or {})


def test_stratified_nulls_form_a_stratum() -> None:
    t = _ids(6, g=pa.array(["a", None, "a", None, "b", "b"]))
    s = stratified(t, by="g", n=3, seed=0)
    assert s.report.strata == {"a": 1, "b": 1, "null": 1}


def test_stratified_shortfall_names_the_stratum() -> None:
    t = _ids(10, g=["a"] * 8 + ["b"] * 2)
    with pytest.raises(DefinitionError, match=r"stratum 'b'.*2 rows.*allocation is 3"):
        stratified(t, by="g", n=6, allocation="equal", seed=0)
    s = stratified(t, by="g", n=6, allocation="equal", shortfall="take_all", seed=0)
    assert s.report.strata == {"a": 3, "b": 2}
    assert s.report.notes
    with pytest.raises(DefinitionError, match="stratum 'z'"):
        stratified(t, by="g", allocation={"z": 1}, seed=0)
    with pytest.raises(ColumnNotFoundError, match="'nope'"):
        stratified(t, by="nope", n=2, seed=0)


def test_stratified_mapping_keys_may_be_text_of_int_strata() -> None:
    t = _ids(10, y=[0] * 6 + [1] * 4)
    s = stratified(t, by="y", allocation={"0": 2, 1: 1}, seed=0)
    assert s.report.strata == {"0": 2, "1": 1}


# ---------------------------------------------------------------- weighted


W5 = [1.0, 2.0, 3.0, 4.0, 10.0]


def test_weighted_without_replacement_follows_successive_sampling() -> None:
    t = _ids(5, w=W5)
    p = subset_pvalue(
        lambda s: weighted(t, weight="w", n=2, seed=s).table["id"].to_pylist(),
        successive_sampling_subsets(W5, 2),
        trials=3000,
    )
    assert p > PASS


def test_successive_sampling_test_rejects_u_times_w_keys() -> None:
    def wrong_keys(seed: int) -> list[int]:
        keys = np.random.default_rng(seed).random(5) * np.array(W5)  # should be u ** (1 / w)
        return list(np.argsort(-keys)[:2])

    assert subset_pvalue(wrong_keys, successive_sampling_subsets(W5, 2), trials=3000) < POWER


def test_successive_sampling_test_rejects_proportional_inclusion_design() -> None:
    # systematic PPS-like: inclusion n w / W would need different subset probabilities
    def conditional_poisson(seed: int) -> list[int]:
        rng = np.random.default_rng(seed)
        return list(rng.choice(5, size=2, replace=False, p=np.square(W5) / np.square(W5).sum()))

    assert subset_pvalue(
        conditional_poisson, successive_sampling_subsets(W5, 2), trials=3000
    ) < POWER


def test_weighted_with_replacement_is_proportional_and_weights_are_hansen_hurwitz() -> None:
    t = _ids(5, w=W5)
    draws = np.concatenate(
        [weighted(t, weight="w", n=3, replace=True, seed=s).table["id"].to_numpy()
         for s in range(2000)]
    )
    assert multinomial_pvalue(draws, np.array(W5)) > PASS
    assert multinomial_pvalue(draws, np.ones(5)) < POWER  # the test sees non-proportional draws
    s = weighted(t, weight="w", n=4, replace=True, seed=1)
    w = np.array(W5)
    expected = 1.0 / (4 * w[s.table["id"].to_numpy()] / w.sum())
    np.testing.assert_allclose(s.table["sampling_weight"].to_numpy(), expected)


def test_weighted_properties_and_errors() -> None:
    t = _ids(6, w=[0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    for seed in range(50):
        ids = weighted(t, weight="w", n=4, seed=seed).table["id"].to_pylist()
        assert ids == [1, 2, 3, 4]  # weight 0 never drawn
    eq = weighted(_ids(8, w=[2.0] * 8), weight="w", n=2, seed=0)
    np.testing.assert_allclose(eq.table["sampling_weight"].to_numpy(), [4.0, 4.0])
    with pytest.raises(DefinitionError, match="only 4 rows"):
        weighted(t, weight="w", n=5, seed=0)
    with pytest.raises(SchemaError, match=r"row 1 has -1\.0"):
        weighted(_ids(3, w=[1.0, -1.0, 2.0]), weight="w", n=1, seed=0)
    with pytest.raises(SchemaError, match="nulls"):
        weighted(_ids(2, w=pa.array([1.0, None])), weight="w", n=1, seed=0)
    with pytest.raises(SchemaError, match="expected a number"):
        weighted(_ids(2, w=["a", "b"]), weight="w", n=1, seed=0)


# ---------------------------------------------------------------- importance


def _proposal_population() -> pa.Table:
    x = np.random.default_rng(12345).normal(0.0, 1.0, 200_000)  # drawn from q = N(0, 1)
    ratio = np.exp(x - 0.5)  # p / q for p = N(1, 1)
    return pa.table({"x": x, "ratio": ratio, "p": stats.norm.pdf(x, 1, 1),
                     "q": stats.norm.pdf(x, 0, 1)})


def test_importance_resample_follows_the_target_ks() -> None:
    pop = _proposal_population()
    for seed in (1, 2):
        s = importance(pop, target="ratio", n=3000, seed=seed)
        assert stats.kstest(s.table["x"].to_numpy(), stats.norm(1, 1).cdf).pvalue > PASS
        two = importance(pop, target="p", proposal="q", n=3000, seed=seed)
        assert stats.kstest(two.table["x"].to_numpy(), stats.norm(1, 1).cdf).pvalue > PASS
        np.testing.assert_allclose(
            two.table["importance_weight"].to_numpy(), s.table["importance_weight"].to_numpy()
        )


def test_ks_test_rejects_resampling_that_ignores_or_squares_the_ratio() -> None:
    pop = _proposal_population()
    x = pop["x"].to_numpy()
    ratio = pop["ratio"].to_numpy()
    rng = np.random.default_rng(1)
    ignores = x[rng.integers(0, len(x), 3000)]
    squares = x[rng.choice(len(x), 3000, p=ratio**2 / (ratio**2).sum())]
    assert stats.kstest(ignores, stats.norm(1, 1).cdf).pvalue < POWER
    assert stats.kstest(squares, stats.norm(1, 1).cdf).pvalue < POWER


def test_importance_reports_effective_sample_size_and_weights() -> None:
    t = pa.table({"x": [0, 1, 2, 3], "r": [1.0, 1.0, 1.0, 5.0]})
    s = importance(t, target="r", n=10, seed=0)
    assert s.report.effective_sample_size == pytest.approx(64 / 28)
    mean = 8 / 4
    w = dict(zip(s.table["x"].to_pylist(), s.table["importance_weight"].to_pylist(), strict=True))
    for x, weight in w.items():
        assert weight == pytest.approx([1.0, 1.0, 1.0, 5.0][x] / mean)
    assert s.report.to_dict()["effective_sample_size"] == pytest.approx(64 / 28)
    with pytest.raises(SchemaError, match="must cover the target"):
        importance(pa.table({"p": [1.0, 1.0], "q": [1.0, 0.0]}), target="p", proposal="q", n=1,
                   seed=0)
    with pytest.raises(DefinitionError, match="every density ratio is 0"):
        importance(pa.table({"r": [0.0, 0.0]}), target="r", n=1, seed=0)
