"""Property: on random event logs and spines, the Spark and DuckDB engines give the same values.

Both engines are checked against the naive reference of ``tests/features/reference.py`` (floats
within 1e-9 relative) and against each other. Each example stacks a few key-disjoint sub-logs
into one backfill (so that one Spark query covers several small cases), sometimes with a
two-column key or an explicit sequence column, and draws the Spark engine's ``hot_key_rows``
small enough that most keys are split into time buckets: the bucketed plan (copied events,
merged lifetime states) is checked as well as the plain one.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import winnow as wn
from tests.features.reference import assert_features_equal, reference_backfill
from tests.features.test_backfill_property import (
    _amounts,
    _features,
    _keys,
    _merchants,
    _times,
)

TS = pa.timestamp("us", tz="UTC")

pytestmark = pytest.mark.spark


@st.composite
def _batch(draw: st.DrawFn) -> tuple[pa.Table, pa.Table, wn.FeatureGroup, int]:
    parts = draw(st.integers(1, 4))
    two_keys = draw(st.booleans())
    with_sequence = draw(st.booleans())
    columns: dict[str, list[Any]] = {"card": [], "region": [], "ts": [], "amount": [],
                                     "merchant": []}
    spine: dict[str, list[Any]] = {"card": [], "region": [], "ts": []}
    regions = st.sampled_from(["n", "s"]) if two_keys else st.just("n")
    for part in range(parts):
        n = draw(st.integers(0, 30))
        columns["card"] += [10 * part + k for k in draw(st.lists(_keys, min_size=n, max_size=n))]
        columns["region"] += draw(st.lists(regions, min_size=n, max_size=n))
        columns["ts"] += draw(st.lists(_times, min_size=n, max_size=n))
        columns["amount"] += draw(st.lists(_amounts, min_size=n, max_size=n))
        columns["merchant"] += draw(st.lists(_merchants, min_size=n, max_size=n))
        m = draw(st.integers(1, 8))
        spine["card"] += [10 * part + k for k in draw(st.lists(_keys, min_size=m, max_size=m))]
        spine["region"] += draw(st.lists(regions, min_size=m, max_size=m))
        spine["ts"] += draw(st.lists(_times, min_size=m, max_size=m))
    events = pa.table(
        {
            "card": pa.array(columns["card"], pa.int64()),
            "region": pa.array(columns["region"], pa.string()),
            "ts": pa.array(columns["ts"], TS),
            "amount": pa.array(columns["amount"], pa.float64()),
            "merchant": pa.array(columns["merchant"], pa.string()),
        }
    )
    sequence = None
    if with_sequence:
        order = draw(st.permutations(range(events.num_rows)))
        events = events.append_column("seq", pa.array(order, pa.int64()))
        sequence = "seq"
    group = wn.FeatureGroup(
        "g", source=wn.EventSource(events, time="ts", sequence=sequence),
        key=["card", "region"] if two_keys else "card", features=draw(_features()),
    )
    spine_table = pa.table(
        {
            "card": pa.array(spine["card"], pa.int64()),
            "region": pa.array(spine["region"], pa.string()),
            "ts": pa.array(spine["ts"], TS),
            "label": pa.array(range(len(spine["ts"])), pa.int64()),
        }
    )
    return events, spine_table, group, draw(st.integers(1, 12))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_batch())
def test_spark_equals_duckdb_and_the_reference(
    spark: Any, batch: tuple[pa.Table, pa.Table, wn.FeatureGroup, int]
) -> None:
    from winnow.engines.spark import SparkEngine

    _events, spine, group, hot_key_rows = batch
    duck = wn.backfill(spine, [group], time="ts")
    engine = SparkEngine(spark=spark, hot_key_rows=hot_key_rows)
    out = wn.backfill(spine, [group], time="ts", engine=engine)
    assert out.select(spine.column_names).equals(spine)
    assert out.schema.equals(duck.schema)
    assert_features_equal(out, reference_backfill(spine, [group], time="ts"), rel=1e-9)
    assert_features_equal(
        out, {c: duck[c].to_pylist() for c in group.output_columns}, rel=1e-9
    )
