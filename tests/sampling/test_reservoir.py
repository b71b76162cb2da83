"""Reservoirs: exact subset frequencies (with broken mutants), batching, merging, Arrow input."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tests.sampling.gof import (
    inclusion_pvalue,
    subset_pvalue,
    successive_sampling_subsets,
    uniform_subsets,
)
from winnow.errors import DefinitionError, SchemaError, StreamError
from winnow.sampling import Reservoir, WeightedReservoir

PASS, POWER = 1e-3, 1e-6
W5 = [1.0, 2.0, 3.0, 4.0, 10.0]


def _reservoir(n: int, k: int, seed: int, *, batch: int | None = None) -> np.ndarray:
    r = Reservoir(k, seed=seed)
    items = np.arange(n)
    if batch is None:
        for i in items:
            r.update_one(int(i))
    else:
        for start in range(0, n, batch):
            r.update_many(items[start : start + batch])
    out: np.ndarray = r.sample()
    return out


def test_reservoir_subsets_are_uniform_item_by_item_and_batched() -> None:
    expected = uniform_subsets(7, 2)
    assert subset_pvalue(lambda s: _reservoir(7, 2, s), expected, trials=3000) > PASS
    assert subset_pvalue(lambda s: _reservoir(7, 2, s, batch=3), expected, trials=3000) > PASS


def test_subset_test_rejects_algorithm_r_with_an_off_by_one() -> None:
    def broken_r(seed: int) -> list[int]:
        rng = np.random.default_rng(seed)
        sample = [0, 1]
        for i in range(2, 7):
            j = int(rng.integers(0, i))  # correct: integers(0, i + 1)
            if j < 2:
                sample[j] = i
        return sample

    assert subset_pvalue(broken_r, uniform_subsets(7, 2), trials=3000) < POWER


def test_reservoir_inclusion_is_uniform_over_a_long_stream_with_skips() -> None:
    # 2000 items, k = 10: the skips of Algorithm L are long here, so this tests them
    p = inclusion_pvalue(lambda s: _reservoir(2000, 10, s, batch=500), 2000, 10, trials=2000)
    assert p > PASS


def test_inclusion_test_rejects_a_reservoir_whose_w_shrinks_too_slowly() -> None:
    def slow_w(seed: int) -> np.ndarray:
        # Algorithm L with W *= u ** (1 / (2 k)) instead of u ** (1 / k): late items favoured
        rng = np.random.default_rng(seed)
        k, n = 10, 2000
        sample = np.arange(k)
        w = np.exp(np.log(rng.random()) / k)
        i = k - 1 + int(np.floor(np.log(rng.random()) / np.log1p(-w))) + 1
        while i < n:
            sample[rng.integers(0, k)] = i
            w *= np.exp(np.log(rng.random()) / (2 * k))
            i += int(np.floor(np.log(rng.random()) / np.log1p(-w))) + 1
        return sample

    assert inclusion_pvalue(slow_w, 2000, 10, trials=2000) < POWER


def test_reservoir_is_independent_of_batching_and_draws_few_random_numbers() -> None:
    items = np.arange(200_000, dtype=np.int64)
    whole = Reservoir(50, seed=9)
    whole.update_many(items)
    pieces = Reservoir(50, seed=9)
    for chunk in np.array_split(items, 37):
        pieces.update_many(chunk)
    assert np.array_equal(whole.sample(), pieces.sample())
    assert np.array_equal(whole.sample_positions(), whole.sample())
    # Algorithm L: O(k log(n / k)) random numbers (about 50 * ln(4000) = 415 replacements),
    # drawn as triples in doubling blocks of 64, 128, 256, ... events
    expected = 50 * np.log(200_000 / 50)
    assert 3 * 0.8 * expected < whole.random_draws_ <= 1 + 3 * (2 * 1.2 * expected + 64)
    assert whole.count_ == 200_000
    assert whole.describe()["method"] == "reservoir"
    assert whole.describe()["input_rows"] == 200_000


def test_reservoir_item_by_item_equals_batched() -> None:
    for seed in range(3):
        one, many = Reservoir(20, seed=seed), Reservoir(20, seed=seed)
        for i in range(3000):
            one.update_one(i)
        many.update_many(np.arange(3000))
        assert np.array_equal(one.sample(), many.sample())
        assert np.array_equal(one.sample_positions(), many.sample_positions())
        w = np.random.default_rng(seed).random(3000)
        wone, wmany = WeightedReservoir(20, seed=seed), WeightedReservoir(20, seed=seed)
        for i in range(3000):
            wone.update_one(i, float(w[i]))
        wmany.update_many(np.arange(3000), weights=w)
        assert np.array_equal(wone.sample(), wmany.sample())


def test_reservoir_holds_arrow_rows_and_arrays() -> None:
    table = pa.table({"id": np.arange(1000), "name": [f"n{i}" for i in range(1000)]})
    r = Reservoir(5, seed=2)
    for batch in table.to_batches(max_chunksize=128):
        r.update_many(batch)
    got = r.sample()
    assert isinstance(got, pa.Table) and got.num_rows == 5
    assert [f"n{i}" for i in got["id"].to_pylist()] == got["name"].to_pylist()
    assert got["id"].to_pylist() == r.sample_positions().tolist()
    ref = Reservoir(5, seed=2)
    ref.update_many(np.arange(1000))
    assert sorted(ref.sample().tolist()) == sorted(got["id"].to_pylist())
    arr = Reservoir(3, seed=2)
    arr.update_many(pa.chunked_array([pa.array(["a", "b"]), pa.array(["c", "d", "e"])]))
    assert isinstance(arr.sample(), pa.Array) and len(arr.sample()) == 3
    rows = Reservoir(2, seed=0)
    rows.update_many(table.slice(0, 3))
    rows.update_one({"id": 99, "name": "n99"})
    assert rows.count_ == 4


def test_reservoir_short_stream_and_errors() -> None:
    r = Reservoir(10, seed=0)
    assert len(r.sample()) == 0
    r.update_many(np.arange(4))
    assert sorted(r.sample().tolist()) == [0, 1, 2, 3]
    with pytest.raises(StreamError, match="holds numpy items"):
        r.update_many(pa.array([1, 2]))
    with pytest.raises(SchemaError, match="update_many takes"):
        r.update_many(object())
    with pytest.raises(DefinitionError, match="k must be a positive integer"):
        Reservoir(0, seed=0)


def _merged(n1: int, n2: int, k: int, seed: int) -> np.ndarray:
    ss = np.random.SeedSequence(seed).spawn(3)
    a, b = Reservoir(k, seed=ss[0]), Reservoir(k, seed=ss[1])
    a.update_many(np.arange(n1))
    b.update_many(np.arange(n1, n1 + n2))
    out: np.ndarray = a.merge(b, seed=ss[2]).sample()
    return out


def test_reservoir_merge_is_exactly_uniform_over_the_union() -> None:
    # unequal streams (2 and 5 items): a merge that ignored the counts would be visibly wrong
    assert subset_pvalue(lambda s: _merged(2, 5, 2, s), uniform_subsets(7, 2), trials=3000) > PASS


def test_merge_test_rejects_a_merge_that_ignores_stream_counts() -> None:
    def half_each(seed: int) -> list[int]:
        rng = np.random.default_rng(seed)
        return [int(rng.integers(0, 2)), int(rng.integers(2, 7))]

    assert subset_pvalue(half_each, uniform_subsets(7, 2), trials=3000) < POWER


def test_merged_reservoir_keeps_streaming_uniformly() -> None:
    def merged_then_more(seed: int) -> np.ndarray:
        ss = np.random.SeedSequence(seed).spawn(3)
        a, b = Reservoir(3, seed=ss[0]), Reservoir(3, seed=ss[1])
        a.update_many(np.arange(0, 40))
        b.update_many(np.arange(40, 70))
        m = a.merge(b, seed=ss[2])
        m.update_many(np.arange(70, 100))
        out: np.ndarray = m.sample()
        return out

    assert inclusion_pvalue(merged_then_more, 100, 3, trials=1500) > PASS
    m = Reservoir(3, seed=0).merge(Reservoir(3, seed=1), seed=2)
    assert m.count_ == 0
    with pytest.raises(StreamError):
        Reservoir(3, seed=0).merge(Reservoir(4, seed=0), seed=1)


# ---------------------------------------------------------------- weighted (A-ExpJ)


def _weighted(seed: int, *, batch: int | None) -> np.ndarray:
    r = WeightedReservoir(2, seed=seed)
    if batch is None:
        for i, w in enumerate(W5):
            r.update_one(i, w)
    else:
        for start in range(0, 5, batch):
            r.update_many(np.arange(start, min(start + batch, 5)), weights=W5[start:start + batch])
    out: np.ndarray = r.sample()
    return out


def test_weighted_reservoir_follows_successive_sampling() -> None:
    expected = successive_sampling_subsets(W5, 2)
    assert subset_pvalue(lambda s: _weighted(s, batch=None), expected, trials=3000) > PASS
    assert subset_pvalue(lambda s: _weighted(s, batch=5), expected, trials=3000) > PASS


def test_successive_sampling_test_rejects_a_reservoir_of_u_times_w_keys() -> None:
    def wrong(seed: int) -> list[int]:
        keys = np.random.default_rng(seed).random(5) * np.array(W5)
        return list(np.argsort(-keys)[:2])

    assert subset_pvalue(wrong, successive_sampling_subsets(W5, 2), trials=3000) < POWER


def test_weighted_reservoir_over_a_long_stream_matches_weights() -> None:
    # 300 items, weights 1 or 3: heavy items are sampled more, exactly per successive sampling;
    # check the jump logic against A-Res keys computed directly (same design)
    rng = np.random.default_rng(0)
    w = np.where(rng.random(300) < 0.5, 1.0, 3.0)
    heavy = w == 3.0
    counts_exp = np.zeros(300)
    counts_res = np.zeros(300)
    for seed in range(1500):
        r = WeightedReservoir(5, seed=seed)
        for chunk in np.array_split(np.arange(300), 7):
            r.update_many(chunk, weights=w[chunk])
        counts_exp[r.sample()] += 1
        keys = np.log(np.random.default_rng(10_000 + seed).random(300)) / w
        counts_res[np.argsort(-keys)[:5]] += 1
    from scipy import stats

    table = np.array([[counts_exp[heavy].sum(), counts_exp[~heavy].sum()],
                      [counts_res[heavy].sum(), counts_res[~heavy].sum()]])
    assert stats.chi2_contingency(table).pvalue > PASS
    wrong = np.array([[counts_exp[heavy].sum(), counts_exp[~heavy].sum()],
                      [5 * 1500 * heavy.mean(), 5 * 1500 * (1 - heavy.mean())]])
    assert stats.chi2_contingency(wrong).pvalue < POWER  # uniform sampling would be rejected


def test_weighted_reservoir_batching_merge_and_zero_weights() -> None:
    rng = np.random.default_rng(1)
    w = rng.random(50_000)
    w[::10] = 0.0
    whole = WeightedReservoir(20, seed=4)
    whole.update_many(np.arange(50_000), weights=w)
    pieces = WeightedReservoir(20, seed=4)
    for chunk in np.array_split(np.arange(50_000), 13):
        pieces.update_many(chunk, weights=w[chunk])
    assert np.array_equal(whole.sample(), pieces.sample())
    assert (w[whole.sample()] > 0).all()
    assert whole.total_weight_ == pytest.approx(w.sum())
    a, b = WeightedReservoir(20, seed=1), WeightedReservoir(20, seed=2)
    a.update_many(np.arange(25_000), weights=w[:25_000])
    b.update_many(np.arange(25_000), weights=w[25_000:])
    m = a.merge(b, seed=3)
    keys = np.concatenate([a.sample_log_keys(), b.sample_log_keys()])
    assert np.allclose(np.sort(m.sample_log_keys()), np.sort(keys)[-20:])
    pos = m.sample_positions()
    assert np.array_equal(m.sample()[pos >= 25_000] + 25_000, pos[pos >= 25_000])
    assert m.count_ == 50_000
    table = pa.table({"x": np.arange(10), "wt": np.ones(10)})
    t = WeightedReservoir(3, seed=0)
    t.update_many(table, weights="wt")
    assert t.sample().num_rows == 3
    assert t.describe()["method"] == "weighted_reservoir"
    with pytest.raises(SchemaError, match="finite and >= 0"):
        t.update_many(table, weights=-np.ones(10))
    for bad in (np.nan, np.inf):
        weights = np.ones(10)
        weights[4] = bad
        with pytest.raises(SchemaError, match=r"item 4 of the batch has (nan|inf)"):
            t.update_many(table, weights=weights)
    assert t.count_ == 10  # rejected batches left the reservoir as it was
    with pytest.raises(SchemaError, match="weights for"):
        t.update_many(table, weights=np.ones(3))


def test_merged_weighted_reservoir_follows_successive_sampling() -> None:
    def merged(seed: int) -> np.ndarray:
        ss = np.random.SeedSequence(seed).spawn(3)
        a, b = WeightedReservoir(2, seed=ss[0]), WeightedReservoir(2, seed=ss[1])
        a.update_many(np.arange(2), weights=W5[:2])
        b.update_many(np.arange(2, 5), weights=W5[2:])
        out: np.ndarray = a.merge(b, seed=ss[2]).sample()
        return out

    def positions(seed: int) -> np.ndarray:
        ss = np.random.SeedSequence(seed).spawn(3)
        a, b = WeightedReservoir(2, seed=ss[0]), WeightedReservoir(2, seed=ss[1])
        a.update_many(np.arange(2), weights=W5[:2])
        b.update_many(np.arange(3), weights=W5[2:])
        out: np.ndarray = a.merge(b, seed=ss[2]).sample_positions()
        return out

    expected = successive_sampling_subsets(W5, 2)
    assert subset_pvalue(merged, expected, trials=3000) > PASS
    assert subset_pvalue(positions, expected, trials=3000) > PASS
