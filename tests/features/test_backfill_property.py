"""Property: on random event logs and spines, wn.backfill equals the naive reference."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import winnow as wn
from winnow.features import sql

from .reference import assert_features_equal, reference_backfill

TS = pa.timestamp("us", tz="UTC")
MINUTE = 60_000_000

# small key and time domains so that windows overlap, times tie and keys repeat
_keys = st.integers(0, 3)
_times = st.integers(0, 40).map(lambda m: m * MINUTE)
_amounts = st.one_of(st.none(), st.integers(-100_000, 100_000).map(lambda i: i / 100))
_merchants = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"]))
_windows = st.sampled_from(["1m", "5m", "17m", "1h", "lifetime"])


@st.composite
def _features(draw: st.DrawFn) -> list[wn.features.Aggregation]:
    makers: list[Any] = [
        lambda w: wn.Count(window=w),
        lambda w: wn.Sum("amount", window=w),
        lambda w: wn.Mean("amount", window=w),
        lambda w: wn.Std("amount", window=w),
        lambda w: wn.Min("amount", window=w),
        lambda w: wn.Max("amount", window=w),
        lambda w: wn.First("merchant", window=w),
        lambda w: wn.Last("merchant", window=w),
        lambda w: wn.LastK("merchant", k=draw(st.integers(1, 4)), window=w),
        lambda w: wn.CountDistinct("merchant", window=w),
    ]
    chosen = draw(st.lists(st.sampled_from(range(len(makers))), min_size=1, max_size=6))
    features: dict[str, wn.features.Aggregation] = {}
    for index in chosen:
        feature = makers[index](draw(_windows))
        features.setdefault(feature.feature_name, feature)
    return list(features.values())


@st.composite
def _case(draw: st.DrawFn) -> tuple[pa.Table, pa.Table, wn.FeatureGroup]:
    n = draw(st.integers(0, 30))
    events = pa.table(
        {
            "card": pa.array(draw(st.lists(_keys, min_size=n, max_size=n)), pa.int64()),
            "ts": pa.array(draw(st.lists(_times, min_size=n, max_size=n)), TS),
            "amount": pa.array(draw(st.lists(_amounts, min_size=n, max_size=n)), pa.float64()),
            "merchant": pa.array(draw(st.lists(_merchants, min_size=n, max_size=n)), pa.string()),
        }
    )
    m = draw(st.integers(1, 15))
    spine = pa.table(
        {
            "card": pa.array(draw(st.lists(_keys, min_size=m, max_size=m)), pa.int64()),
            "ts": pa.array(draw(st.lists(_times, min_size=m, max_size=m)), TS),
        }
    )
    group = wn.FeatureGroup(
        "g", source=wn.EventSource(events, time="ts"), key="card", features=draw(_features())
    )
    return events, spine, group


# the range join limit decides which keys take the window formulation: 0 sends every key with
# events there, 10**12 none, 1 and the default split the keys of one spine between both
_limits = st.sampled_from([0, 1, sql.RANGE_JOIN_LIMIT, 10**12])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case(), _limits)
def test_backfill_equals_the_naive_reference(
    case: tuple[pa.Table, pa.Table, wn.FeatureGroup], limit: int
) -> None:
    _events, spine, group = case
    with mock.patch.object(sql, "RANGE_JOIN_LIMIT", limit):
        out = wn.backfill(spine, [group], time="ts")
    assert out.select(spine.column_names).equals(spine)
    assert_features_equal(out, reference_backfill(spine, [group], time="ts"), rel=1e-9)
