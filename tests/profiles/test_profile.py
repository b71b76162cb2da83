"""Table profiles: exact fields exact, sketched fields within error, merge, JSON, files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import winnow as wn
from winnow.errors import ColumnNotFoundError, FormatError, SchemaError
from winnow.profiles import Profile, profile


def _table(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(10, 3, n)
    x[rng.random(n) < 0.01] = np.nan
    x_mask = rng.random(n) < 0.05
    ts = 1_700_000_000_000_000 + rng.integers(0, 86_400_000_000 * 30, n)
    return pa.table({
        "x": pa.array(x, mask=x_mask),
        "i": pa.array(rng.integers(-50, 50, n), pa.int32()),
        "cat": pa.array(rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
                        mask=rng.random(n) < 0.02),
        "flag": pa.array(rng.random(n) < 0.3),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
    })


def _exact_fields(p: Profile) -> dict[str, object]:
    out: dict[str, object] = {"rows": p.rows}
    for c in p:
        out[c.name] = (c.kind, c.rows, c.nulls, c.non_finite, c.count, c.min, c.max,
                       c.categories, c.other, c.truncated)
    return out


def test_fields_match_numpy() -> None:
    table = _table(50_000, 1)
    p = profile(table)
    x = table["x"].to_numpy(zero_copy_only=False)
    finite = x[np.isfinite(x)]
    col = p["x"]
    assert (col.kind, col.rows, col.nulls) == ("numeric", 50_000, table["x"].null_count)
    assert col.non_finite == int(np.isnan(x).sum()) - table["x"].null_count
    assert col.count == finite.size
    assert col.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert col.std == pytest.approx(finite.std(ddof=1), rel=1e-10)
    assert (col.min, col.max) == (finite.min(), finite.max())
    assert col.null_rate == table["x"].null_count / 50_000
    cats = table["cat"].drop_null().to_pylist()
    assert p["cat"].kind == "categorical"
    assert p["cat"].categories == {v: cats.count(v) for v in "abcd"}
    assert p["flag"].categories == {
        "true": int(np.sum(table["flag"].to_numpy())),
        "false": int(np.sum(~table["flag"].to_numpy())),
    }
    assert p["cat"].distinct_count == 4.0
    assert p["ts"].kind == "temporal"
    micros = table["ts"].cast(pa.int64()).to_numpy()
    assert (p["ts"].min, p["ts"].max) == (micros.min(), micros.max())
    assert abs(p["i"].distinct_count - 100) <= 4 * p["i"].distinct.relative_error * 100


def test_merged_partitions_equal_the_profile_of_the_concatenation() -> None:
    parts = [_table(30_000 + 7_000 * i, seed=i) for i in range(4)]
    merged = profile(parts[0])
    for part in parts[1:]:
        merged = merged.merge(profile(part))
    whole_table = pa.concat_tables(parts)
    whole = profile(whole_table)
    assert _exact_fields(merged) == _exact_fields(whole)
    for name in ("x", "i", "ts"):
        m, w = merged[name], whole[name]
        assert m.mean == pytest.approx(w.mean, rel=1e-9)
        assert m.m2 == pytest.approx(w.m2, rel=1e-9)
        # HyperLogLog registers merge exactly
        np.testing.assert_array_equal(m.distinct.registers, w.distinct.registers)
        assert m.quantiles is not None and w.quantiles is not None
        values = np.sort(whole_table[name].cast(pa.int64()).to_numpy(zero_copy_only=False)
                         .astype(float) if name == "ts" else
                         whole_table[name].to_numpy(zero_copy_only=False).astype(float))
        values = values[np.isfinite(values)]
        qs = np.linspace(0.01, 0.99, 99)
        estimates = m.quantiles.quantiles(qs)
        below = np.searchsorted(values, estimates, side="left") / values.size
        at_most = np.searchsorted(values, estimates, side="right") / values.size
        error = m.quantiles.rank_error() + 1 / values.size
        # the estimate's true rank interval (ties make it wide) meets q within the error
        assert np.all(below - error <= qs) and np.all(qs <= at_most + error)


def test_merge_leaves_inputs_unchanged_and_handles_missing_columns() -> None:
    a = profile(pa.table({"x": [1.0, 2.0], "c": ["u", "v"]}))
    b = profile(pa.table({"x": [3.0]}))
    before = a.dumps()
    merged = a.merge(b)
    assert a.dumps() == before
    assert merged.rows == 3 and merged["x"].count == 3 and merged["x"].mean == 2.0
    assert (merged["c"].rows, merged["c"].nulls) == (3, 1)  # absent in b: null there
    streaming = Profile().update(pa.table({"x": [1.0, 2.0], "c": ["u", "v"]}))
    streaming.update(pa.table({"x": [3.0]}))
    assert _exact_fields(streaming) == _exact_fields(merged)


def test_category_cap_folds_the_rarest_into_other() -> None:
    values = [f"v{i:03d}" for i in range(50) for _ in range(i + 1)]
    p = profile(pa.table({"c": values}), max_categories=10)
    col = p["c"]
    assert col.truncated and len(col.categories or {}) == 10
    assert col.top(1) == [("v049", 50)]
    assert col.other == len(values) - sum(range(41, 51))
    assert abs(col.distinct_count - 50) <= 4


def test_save_load_round_trip_is_byte_identical(tmp_path: Path) -> None:
    p = profile(_table(20_000, 3), categorical=["i"])
    path = p.save(tmp_path / "p.json")
    loaded = Profile.load(path)
    assert loaded.dumps() == p.dumps() == path.read_text()
    assert loaded["i"].kind == "categorical"
    assert json.loads(path.read_text())["format"] == 1
    again = profile(_table(20_000, 3), categorical=["i"])
    assert again.dumps() == p.dumps()  # seeded: the same data gives the same bytes


def test_parquet_path_is_read_in_batches(tmp_path: Path) -> None:
    table = _table(25_000, 4)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=4_000)
    from_file = profile(tmp_path / "t.parquet", batch_rows=3_000, columns=["x", "cat"])
    in_memory = profile(table.select(["x", "cat"]))
    assert _exact_fields(from_file) == _exact_fields(in_memory)
    assert wn.profile is profile


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ColumnNotFoundError, match="'nope'"):
        profile(pa.table({"x": [1.0]}), columns=["nope"])
    with pytest.raises(ColumnNotFoundError, match="'x'"):
        profile(pa.table({"y": [1.0]}), columns=["x"])
    (tmp_path / "bad.json").write_text('{"format": 99}')
    with pytest.raises(FormatError, match="format 99"):
        Profile.load(tmp_path / "bad.json")
    a = profile(pa.table({"x": [1.0]}))
    b = profile(pa.table({"x": ["a"]}))
    with pytest.raises(SchemaError, match="'x' is numeric"):
        a.merge(b)


def test_summary_table() -> None:
    summary = profile(_table(5_000, 5)).summary()
    rows = {r["column"]: r for r in summary.to_pylist()}
    assert set(rows) == {"x", "i", "cat", "flag", "ts"}
    assert rows["cat"]["top"].startswith("a (")
    assert rows["x"]["p05"] < rows["x"]["median"] < rows["x"]["p95"]
    assert not math.isnan(rows["x"]["std"])
