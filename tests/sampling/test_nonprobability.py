"""Non-probability samplers: deterministic selections, flagged as biased."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.sampling import convenience, judgment, quota, snowball


def test_convenience_takes_the_first_rows_and_is_biased() -> None:
    t = pa.table({"x": [5, 4, 3, 2, 1]})
    s = convenience(t, n=3)
    assert s.table["x"].to_pylist() == [5, 4, 3]
    assert s.report.biased is True
    assert s.describe()["biased"] is True
    assert s.report.seed is None
    assert convenience(t, n=10).table.num_rows == 5


def test_judgment_by_sql_and_by_function() -> None:
    t = pa.table({"amount": [5, 500, 50, 5000], "country": ["FR", "FR", "US", None]})
    sql = judgment(t, rule="amount >= 50 AND country = 'FR'")
    assert sql.table["amount"].to_pylist() == [500]
    assert sql.report.parameters == {"rule": "amount >= 50 AND country = 'FR'"}
    fn = judgment(t, rule=lambda tab: pc.equal(tab["country"], "FR"))  # null -> not selected
    assert fn.table["amount"].to_pylist() == [5, 500]
    assert fn.report.biased
    arr = judgment(t, rule=lambda tab: np.array([True, False, False, True]))
    assert arr.table["amount"].to_pylist() == [5, 5000]
    with pytest.raises(DefinitionError, match="failed in DuckDB"):
        judgment(t, rule="nope > 1")
    with pytest.raises(SchemaError, match="one boolean per row"):
        judgment(t, rule=lambda tab: np.array([True]))
    with pytest.raises(SchemaError, match="expected booleans"):
        judgment(t, rule=lambda tab: np.array([1, 0, 0, 1]))


def test_quota_takes_first_rows_of_each_stratum() -> None:
    t = pa.table({"g": ["a", "b", "a", "c", "b", "a", "b"], "x": list(range(7))})
    s = quota(t, by="g", quotas={"a": 2, "b": 3})
    assert s.table["x"].to_pylist() == [0, 1, 2, 4, 6]
    assert s.report.strata == {"a": 2, "b": 3}
    assert s.report.biased
    assert quota(t, by="g", quotas={"a": 2, "b": 3}).table.equals(s.table)
    with pytest.raises(DefinitionError, match=r"stratum 'c'.*1 rows, fewer than its quota 2"):
        quota(t, by="g", quotas={"c": 2})
    short = quota(t, by="g", quotas={"c": 2}, shortfall="take_all")
    assert short.table["x"].to_pylist() == [3]
    with pytest.raises(ColumnNotFoundError):
        quota(t, by="nope", quotas={"a": 1})


def test_snowball_walks_levels_and_stops_at_n() -> None:
    edges = pa.table({"src": [1, 1, 2, 3, 7, 8], "dst": [2, 3, 4, 5, 1, 9]})
    both = snowball(edges, seeds=[1], n=100, max_depth=2)
    assert both.table.to_pydict() == {"node": [1, 2, 3, 7, 4, 5], "depth": [0, 1, 1, 1, 2, 2]}
    directed = snowball(edges, seeds=[1], n=100, max_depth=5, directed=True)
    assert directed.table["node"].to_pylist() == [1, 2, 3, 4, 5]
    capped = snowball(edges, seeds=[1], n=3, max_depth=5)
    assert capped.table["node"].to_pylist() == [1, 2, 3]  # the last level in node order
    assert capped.report.biased and capped.report.strata == {"depth 0": 1, "depth 1": 2}
    assert snowball(edges, seeds=[8], n=10, max_depth=0).table["node"].to_pylist() == [8]
    named = pa.table({"a": ["x", "y"], "b": ["y", "z"]})
    got = snowball(named, seeds=["x"], n=5, max_depth=3, source="a", target="b")
    assert got.table["node"].to_pylist() == ["x", "y", "z"]
    with pytest.raises(ColumnNotFoundError):
        snowball(named, seeds=["x"], n=5, max_depth=1)
    with pytest.raises(SchemaError, match="seed nodes"):
        snowball(edges, seeds=["not a number"], n=5, max_depth=1)
