"""Every sampler's contract: reproducible from its seed, whole input rows, an honest report.

Each table sampler runs twice with one seed (the same rows), once with another (other rows, for
the probability methods), and its report must be plain JSON that names the method, counts rows
in and out correctly and says ``biased`` exactly for the non-probability methods.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from winnow.sampling import (
    Reservoir,
    Sample,
    WeightedReservoir,
    convenience,
    importance,
    judgment,
    quota,
    simple_random,
    snowball,
    stratified,
    weighted,
)

N = 500


def _population() -> pa.Table:
    rng = np.random.default_rng(2024)
    return pa.table({
        "id": np.arange(N),
        "g": rng.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2]),
        "w": rng.random(N) + 0.01,
        "x": rng.normal(size=N),
    })


TableSampler = Callable[[pa.Table, int], Sample]

PROBABILITY: dict[str, TableSampler] = {
    "simple_random": lambda t, s: simple_random(t, n=40, seed=s),
    "simple_random_replace": lambda t, s: simple_random(t, frac=0.1, replace=True, seed=s),
    "stratified": lambda t, s: stratified(t, by="g", n=40, seed=s),
    "weighted": lambda t, s: weighted(t, weight="w", n=40, seed=s),
    "weighted_replace": lambda t, s: weighted(t, weight="w", n=40, replace=True, seed=s),
    "importance": lambda t, s: importance(t, target="w", n=40, seed=s),
}
NON_PROBABILITY: dict[str, TableSampler] = {
    "convenience": lambda t, s: convenience(t, n=40),
    "judgment": lambda t, s: judgment(t, rule="x > 1.0 AND g <> 'c'"),
    "quota": lambda t, s: quota(t, by="g", quotas={"a": 10, "c": 5}),
}


def _check_report(sample: Sample, table: pa.Table, *, method: str, biased: bool) -> None:
    report = sample.describe()
    assert json.loads(json.dumps(report)) == report  # plain JSON, nothing lost
    assert report["method"] == method
    assert report["biased"] is biased
    assert report["input_rows"] == table.num_rows
    assert report["output_rows"] == sample.table.num_rows
    assert (report["seed"] is None) is biased


@pytest.mark.parametrize("name", list(PROBABILITY))
def test_probability_sampler_contract(name: str) -> None:
    table = _population()
    draw = PROBABILITY[name]
    first, again, other = draw(table, 7), draw(table, 7), draw(table, 8)
    assert first.table.equals(again.table)
    assert first.describe() == again.describe()
    assert not first.table.equals(other.table)
    method = name.removesuffix("_replace")
    _check_report(first, table, method=method, biased=False)
    assert first.describe()["seed"] == 7
    ids = first.table["id"].to_numpy()
    assert (np.diff(ids) >= 0).all()  # source order
    original = table.take(pa.array(ids)).select(table.column_names)
    assert first.table.select(table.column_names).equals(original)  # whole, unchanged rows


@pytest.mark.parametrize("name", list(NON_PROBABILITY))
def test_non_probability_sampler_contract(name: str) -> None:
    table = _population()
    first = NON_PROBABILITY[name](table, 0)
    assert first.table.equals(NON_PROBABILITY[name](table, 1).table)  # no randomness at all
    _check_report(first, table, method=name, biased=True)
    assert any("biased" in note for note in first.report.notes)
    ids = first.table["id"].to_numpy()
    assert first.table.equals(table.take(pa.array(ids)))


def test_snowball_contract() -> None:
    edges = pa.table({"src": np.arange(99), "dst": np.arange(1, 100)})
    first = snowball(edges, seeds=[50], n=7, max_depth=10)
    assert first.table.equals(snowball(edges, seeds=[50], n=7, max_depth=10).table)
    report = first.describe()
    assert json.loads(json.dumps(report)) == report
    assert report["biased"] is True and report["seed"] is None
    assert report["input_rows"] == 99 and report["output_rows"] == 7
    assert sorted(first.table["node"].to_pylist()) == [47, 48, 49, 50, 51, 52, 53]


@pytest.mark.parametrize("kind", ["uniform", "weighted"])
def test_reservoir_contract(kind: str) -> None:
    items = np.arange(20_000, dtype=np.int64)
    weights = np.random.default_rng(0).random(20_000)

    def run(seed: int) -> Reservoir | WeightedReservoir:
        r: Reservoir | WeightedReservoir
        if kind == "uniform":
            r = Reservoir(30, seed=seed)
            r.update_many(items)
        else:
            r = WeightedReservoir(30, seed=seed)
            r.update_many(items, weights=weights)
        return r

    first, again, other = run(3), run(3), run(4)
    assert np.array_equal(first.sample(), again.sample())
    assert not np.array_equal(np.sort(first.sample()), np.sort(other.sample()))
    assert np.array_equal(first.sample(), first.sample_positions())
    assert len(np.unique(first.sample())) == 30
    report = first.describe()
    assert json.loads(json.dumps(report)) == report
    assert report["method"] == ("reservoir" if kind == "uniform" else "weighted_reservoir")
    assert report["biased"] is False and report["seed"] == 3
    assert report["input_rows"] == 20_000 and report["output_rows"] == 30
