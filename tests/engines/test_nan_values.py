"""A float NaN in an aggregated column is a missing value, like null, in every engine.

NaN has no agreed order (DuckDB sorts it above every number, Python's comparisons are all
false) and poisons sums; treating it as null is the one rule all three executions can share.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

import winnow as wn

NAN = float("nan")
TS = pa.timestamp("s", tz="UTC")


def _group(events: pa.Table) -> wn.FeatureGroup:
    return wn.FeatureGroup(
        "g", source=wn.EventSource(events, time="ts"), key="k",
        features=[
            wn.Count(window="1h"), wn.Sum("x", window="1h"), wn.Mean("x", window="1h"),
            wn.Std("x", window="1h"), wn.Min("x", window="1h"), wn.Max("x", window="1h"),
            wn.CountDistinct("x", window="1h"), wn.Last("x"), wn.LastK("x", k=2),
        ],
    )


EVENTS = pa.table({
    "k": [1, 1, 1, 1, 2],
    "ts": pa.array([1, 2, 3, 4, 1], TS),
    "x": [1.0, NAN, 5.0, NAN, NAN],
})
SPINE = pa.table({"k": [1, 1, 2], "ts": pa.array([3, 5, 9], TS)})

# hand-computed with NaN read as null: key 1 before t=3 sees [1.0, NaN]; before t=5 sees
# [1.0, NaN, 5.0, NaN]; key 2 sees only a NaN
EXPECTED = [
    {"g__count_1h": 2, "g__sum_x_1h": 1.0, "g__mean_x_1h": 1.0, "g__std_x_1h": None,
     "g__min_x_1h": 1.0, "g__max_x_1h": 1.0, "g__count_distinct_x_1h": 1, "g__last_x": 1.0,
     "g__last2_x": [1.0]},
    {"g__count_1h": 4, "g__sum_x_1h": 6.0, "g__mean_x_1h": 3.0, "g__std_x_1h": 8.0**0.5,
     "g__min_x_1h": 1.0, "g__max_x_1h": 5.0, "g__count_distinct_x_1h": 2, "g__last_x": 5.0,
     "g__last2_x": [5.0, 1.0]},
    {"g__count_1h": 1, "g__sum_x_1h": 0.0, "g__mean_x_1h": None, "g__std_x_1h": None,
     "g__min_x_1h": None, "g__max_x_1h": None, "g__count_distinct_x_1h": 0, "g__last_x": None,
     "g__last2_x": None},
]


def _features(table: pa.Table) -> list[dict[str, Any]]:
    return table.drop_columns(["k", "ts"]).to_pylist()


def _close(rows: list[dict[str, Any]]) -> None:
    assert len(rows) == len(EXPECTED)
    for got, want in zip(rows, EXPECTED, strict=True):
        for name, value in want.items():
            if isinstance(value, float):
                assert got[name] == pytest.approx(value, rel=1e-12), name
            else:
                assert got[name] == value, name


def test_duckdb_backfill_reads_nan_as_null() -> None:
    _close(_features(wn.backfill(SPINE, [_group(EVENTS)], time="ts")))


@pytest.mark.parametrize("ingest", ["one", "many"])
def test_online_engine_agrees_with_batch_on_nan(ingest: str) -> None:
    report = wn.check_consistency(EVENTS, SPINE, [_group(EVENTS)], time="ts", ingest=ingest)
    assert report.ok, [(f.column, f.examples) for f in report.features if f.mismatches]


def test_online_update_one_and_many_give_the_hand_computed_values() -> None:
    for feed in ("one", "many"):
        engine = wn.OnlineEngine([_group(EVENTS)])
        if feed == "one":
            for row in EVENTS.to_pylist():
                engine.update_one(row)
        else:
            engine.update_many(EVENTS)
        got = engine.features("g", key=1, at=5_000_000)
        assert got["g__max_x_1h"] == 5.0 and got["g__sum_x_1h"] == 6.0, feed
        assert got["g__count_1h"] == 4 and got["g__count_distinct_x_1h"] == 2, feed


@pytest.mark.spark
def test_spark_backfill_reads_nan_as_null(spark: Any) -> None:
    out = wn.backfill(SPINE, [_group(EVENTS)], time="ts", engine="spark", spark=spark)
    _close(_features(out))
