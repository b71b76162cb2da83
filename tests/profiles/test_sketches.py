"""The sketches: HyperLogLog and the seeded KLL quantile sketch, checked against exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from winnow.errors import DefinitionError
from winnow.profiles import HyperLogLog, QuantileSketch
from winnow.profiles._hll import hash_floats, hash_strings


def _registers_by_maximum_at(hashes: np.ndarray, p: int) -> np.ndarray:
    """The textbook register update, one value at a time semantics (np.maximum.at)."""
    index = (hashes >> np.uint64(64 - p)).astype(np.intp)
    rest = hashes << np.uint64(p)
    ranks = np.empty(hashes.size, dtype=np.uint8)
    for i, w in enumerate(rest.tolist()):
        ranks[i] = min((64 - w.bit_length()) if w else 64 - p, 64 - p) + 1
    registers = np.zeros(1 << p, dtype=np.uint8)
    np.maximum.at(registers, index, ranks)
    return registers


@pytest.mark.parametrize("p", [6, 12])
def test_hll_registers_equal_the_textbook_update(p: int) -> None:
    hashes = hash_floats(np.random.default_rng(3).normal(size=20_000))
    sketch = HyperLogLog(p=p)
    sketch.update_hashes(hashes)
    np.testing.assert_array_equal(sketch.registers, _registers_by_maximum_at(hashes, p))


@pytest.mark.parametrize("n", [0, 1, 7, 300, 5_000, 40_000, 300_000])
def test_hll_estimate_within_four_standard_errors(n: int) -> None:
    values = np.random.default_rng(n).normal(size=n)
    values = np.concatenate([values, values[: n // 2]])  # duplicates do not count twice
    sketch = HyperLogLog(p=12)
    sketch.update_hashes(hash_floats(values))
    assert abs(sketch.estimate() - n) <= max(4 * sketch.relative_error * n, 0.5)


def test_hll_merge_is_the_sketch_of_the_concatenation() -> None:
    words = [f"w{i}" for i in range(30_000)]
    a, b, whole = HyperLogLog(), HyperLogLog(), HyperLogLog()
    a.update_hashes(hash_strings(words[:20_000]))
    b.update_hashes(hash_strings(words[10_000:]))
    whole.update_hashes(hash_strings(words))
    a.merge(b)
    np.testing.assert_array_equal(a.registers, whole.registers)
    assert HyperLogLog.from_json(a.to_json()).estimate() == whole.estimate()
    with pytest.raises(DefinitionError, match="same p"):
        a.merge(HyperLogLog(p=10))


def test_minus_zero_hashes_as_zero() -> None:
    assert hash_floats(np.array([-0.0]))[0] == hash_floats(np.array([0.0]))[0]


def _rank_errors(sketch: QuantileSketch, data: np.ndarray) -> float:
    """Largest |estimated rank - true rank| over the sketch's own quantiles and a grid of points."""
    ordered = np.sort(data)
    points = np.concatenate([sketch.quantiles(np.linspace(0, 1, 201)),
                             np.quantile(ordered, np.linspace(0, 1, 201))])
    true = np.searchsorted(ordered, points, side="right") / ordered.size
    return float(np.max(np.abs(sketch.cdf(points) - true)))


@pytest.mark.parametrize("batch", [1_000_000, 10_000, 997])
def test_kll_rank_error_within_its_stated_bound(batch: int) -> None:
    data = np.random.default_rng(11).lognormal(0, 2, 400_000)
    sketch = QuantileSketch(k=200, seed=5)
    for start in range(0, data.size, batch):
        sketch.update(data[start:start + batch])
    assert sketch.n == data.size and sketch.min == data.min() and sketch.max == data.max()
    assert sketch.retained < 1_000  # memory is the sketch's, not the data's
    stated = sketch.rank_error()
    assert 0 < stated < 0.03
    assert _rank_errors(sketch, data) <= stated


def test_kll_merged_equals_concatenation_within_error() -> None:
    rng = np.random.default_rng(2)
    parts = [rng.normal(i, 1 + i, 50_000 + 1_000 * i) for i in range(6)]
    merged = QuantileSketch(seed=1)
    for i, part in enumerate(parts):
        piece = QuantileSketch(seed=100 + i)
        piece.update(part)
        merged.merge(piece)
    whole = QuantileSketch(seed=1)
    whole.update(np.concatenate(parts))
    data = np.concatenate(parts)
    assert merged.n == whole.n == data.size
    assert _rank_errors(merged, data) <= merged.rank_error()
    grid = np.quantile(data, np.linspace(0.01, 0.99, 99))
    assert np.max(np.abs(merged.cdf(grid) - whole.cdf(grid))) <= (
        merged.rank_error() + whole.rank_error())


def test_kll_is_deterministic_and_round_trips() -> None:
    data = np.random.default_rng(0).normal(size=200_000)
    a, b = QuantileSketch(seed=9), QuantileSketch(seed=9)
    a.update(data)
    b.update(data)
    assert a.to_json() == b.to_json()
    c = QuantileSketch.from_json(a.to_json())
    more = np.random.default_rng(1).normal(size=50_000)
    a.update(more)
    c.update(more)  # the generator's state travels with the sketch
    assert a.to_json() == c.to_json()
    other = QuantileSketch(seed=10)
    other.update(data)
    assert other.to_json()["levels"] != b.to_json()["levels"]


def test_kll_small_inputs_are_exact() -> None:
    sketch = QuantileSketch(k=200)
    sketch.update(np.array([3.0, 1.0, 2.0, 2.0]))
    assert sketch.rank_error() == 0.0
    np.testing.assert_array_equal(sketch.cdf(np.array([0.5, 1.0, 2.0, 3.0])),
                                  [0.0, 0.25, 0.75, 1.0])
    np.testing.assert_array_equal(sketch.quantiles([0.0, 0.5, 1.0]), [1.0, 2.0, 3.0])
    assert np.isnan(QuantileSketch().quantiles([0.5])[0])
