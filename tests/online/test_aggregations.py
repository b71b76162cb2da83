"""Hand-computed values of every aggregation in the online engine: ties, gaps, the boundary at
exactly t, nulls, lifetime windows; events fed one at a time and in micro-batches."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest

import winnow as wn

S = 1_000_000  # one second in microseconds
TS = pa.timestamp("us", tz="UTC")

# key 1: ties at 10s (sequence decides), a null amount, a null merchant, a gap after 30s
EVENTS = pa.table(
    {
        "card_id": pa.array([1, 1, 1, 1, 1, 2], pa.int64()),
        "ts": pa.array([0, 10 * S, 10 * S, 20 * S, 30 * S, 5 * S], TS),
        "amount": pa.array([1.0, 2.0, None, 4.0, 8.0, 100.0], pa.float64()),
        "q": pa.array([1, 5, 3, None, 2, 7], pa.int64()),
        "merchant": pa.array(["a", "b", "b", None, "c", "z"], pa.string()),
    }
)

FEATURES = [
    wn.Count(window="15s"),
    wn.Sum("amount", window="15s"),
    wn.Mean("amount", window="15s"),
    wn.Std("amount", window="15s"),
    wn.Min("amount", window="15s"),
    wn.Max("amount", window="15s"),
    wn.CountDistinct("merchant", window="15s"),
    wn.First("merchant", window="15s"),
    wn.Last("merchant", window="15s"),
    wn.LastK("merchant", k=2, window="15s"),
    wn.Sum("q", window="15s"),
    wn.Min("q", window="15s"),
    wn.First("q", window="15s"),
    wn.Last("q", window="15s"),
    wn.Count(),
    wn.Sum("amount"),
    wn.Mean("amount"),
    wn.Std("amount"),
    wn.Min("amount"),
    wn.Max("q"),
    wn.CountDistinct("merchant"),
    wn.First("merchant"),
    wn.Last("merchant"),
    wn.LastK("merchant", k=3),
]

NAMES = [
    "count_15s", "sum_amount_15s", "mean_amount_15s", "std_amount_15s", "min_amount_15s",
    "max_amount_15s", "count_distinct_merchant_15s", "first_merchant_15s", "last_merchant_15s",
    "last2_merchant_15s", "sum_q_15s", "min_q_15s", "first_q_15s", "last_q_15s", "count",
    "sum_amount", "mean_amount", "std_amount", "min_amount", "max_q",
    "count_distinct_merchant", "first_merchant", "last_merchant", "last3_merchant",
]

LIFETIME_100 = [5, 15.0, 3.75, math.sqrt(28.75 / 3), 1.0, 5, 3, "a", "c", ["c", "b", "b"]]

# expected values of key 1 at a query time (seconds); windowed part then lifetime part
EXPECTED: dict[float, list[Any]] = {
    # [-5, 10): the event at 0 only; the two events at exactly 10 are excluded
    10: [1, 1.0, 1.0, None, 1.0, 1.0, 1, "a", "a", ["a"], 1.0, 1, 1, 1,
         1, 1.0, 1.0, None, 1.0, 1, 1, "a", "a", ["a"]],
    # [5, 20): the tie at 10; the null amount is ignored, Count counts it
    20: [2, 2.0, 2.0, None, 2.0, 2.0, 1, "b", "b", ["b", "b"], 8.0, 3, 5, 3,
         3, 3.0, 1.5, math.sqrt(0.5), 1.0, 5, 2, "a", "b", ["b", "b", "a"]],
    # [10, 25): boundary at exactly t - w = 10 is included; merchant at 20 is null
    25: [3, 6.0, 3.0, math.sqrt(2.0), 2.0, 4.0, 1, "b", "b", ["b", "b"], 8.0, 3, 5, 3,
         4, 7.0, 7 / 3, math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2),
         1.0, 5, 2, "a", "b", ["b", "b", "a"]],
    # [15, 30): the event at exactly 30 is excluded
    30: [1, 4.0, 4.0, None, 4.0, 4.0, 0, None, None, None, 0.0, None, None, None,
         4, 7.0, 7 / 3, math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2),
         1.0, 5, 2, "a", "b", ["b", "b", "a"]],
    # just after 30: the event at 30 is in
    30.000001: [2, 12.0, 6.0, math.sqrt(8.0), 4.0, 8.0, 1, "c", "c", ["c"], 2.0, 2, 2, 2,
                *LIFETIME_100],
    # a gap: the window is empty, lifetime values remain
    100: [0, 0.0, None, None, None, None, 0, None, None, None, 0.0, None, None, None,
          *LIFETIME_100],
}


def _group() -> wn.FeatureGroup:
    return wn.FeatureGroup(
        "card", source=wn.EventSource(EVENTS, time="ts"), key="card_id", features=FEATURES
    )


def _engine_at(t: int, mode: str) -> wn.OnlineEngine:
    """An engine holding the events with time <= t (a query at t may not precede them)."""
    engine = wn.OnlineEngine([_group()], process_every=2 if mode == "small" else 256)
    ingest = EVENTS.filter(pa.compute.less_equal(EVENTS["ts"].cast(pa.int64()), t))
    if mode == "many":
        engine.update_many(ingest)
    else:
        for row in ingest.to_pylist():
            engine.update_one(row)
    return engine


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return bool(a == b) and type(a) is type(b)


def test_names_match_the_expected_table() -> None:
    assert _group().output_columns == [f"card__{n}" for n in NAMES]


@pytest.mark.parametrize("mode", ["one", "many", "small"])
@pytest.mark.parametrize("seconds", sorted(EXPECTED))
def test_hand_computed_values(seconds: float, mode: str) -> None:
    t = round(seconds * S)
    got = _engine_at(t, mode).features("card", 1, at=t)
    expected = dict(zip([f"card__{n}" for n in NAMES], EXPECTED[seconds], strict=True))
    wrong = {k: (got[k], v) for k, v in expected.items() if not _close(got[k], v)}
    assert not wrong, f"at {seconds}s (got, expected): {wrong}"


def test_queries_move_forward_through_time_on_one_engine() -> None:
    engine = wn.OnlineEngine([_group()])
    rows = EVENTS.to_pylist()
    for seconds in sorted(EXPECTED):
        t = round(seconds * S)
        while rows and rows[0]["ts"].timestamp() * S <= t:
            engine.update_one(rows.pop(0))
        got = engine.features("card", 1, at=t)
        for name, value in zip(NAMES, EXPECTED[seconds], strict=True):
            assert _close(got[f"card__{name}"], value), (seconds, name, got[f"card__{name}"])


def test_repeated_queries_do_not_change_state() -> None:
    engine = _engine_at(30 * S, "many")
    later = engine.features("card", 1, at=100 * S)
    # a query at a later time evicts nothing for good: an earlier (still legal) time still works
    again = engine.features("card", 1, at=round(30.000001 * S))
    assert [again[f"card__{n}"] for n in NAMES][:14] == EXPECTED[30.000001][:14]
    assert engine.features("card", 1, at=100 * S) == later


def test_unknown_key_gets_empty_values() -> None:
    got = _engine_at(30 * S, "many").features("card", 999, at=40 * S)
    assert got["card__count_15s"] == 0
    assert got["card__sum_amount_15s"] == 0.0
    assert got["card__count_distinct_merchant"] == 0
    assert got["card__last3_merchant"] is None
    assert got["card__mean_amount"] is None


def test_default_at_is_latest_event_time_seen() -> None:
    engine = _engine_at(30 * S, "many")
    # latest event seen is at 30s: the query sees [15, 30) and not the event at 30
    assert engine.features("card", 1)["card__count_15s"] == 1
    assert engine.latest == 30 * S


def test_features_many_types_and_order() -> None:
    engine = _engine_at(30 * S, "many")
    table = engine.features_many("card", [2, 1, 3], at=100 * S)
    assert table.column_names[0] == "card_id"
    assert table["card_id"].to_pylist() == [2, 1, 3]
    assert table.schema.field("card__min_q_15s").type == pa.int64()
    assert table.schema.field("card__last3_merchant").type == pa.list_(pa.string())
    assert table["card__count"].to_pylist() == [1, 5, 0]
    assert table["card__max_q"].to_pylist() == [7, 5, None]


def test_composite_keys() -> None:
    events = pa.table(
        {"a": [1, 1, 2], "b": ["x", "y", "x"], "ts": pa.array([0, 1, 2], TS), "v": [1.0, 2.0, 3.0]}
    )
    group = wn.FeatureGroup(
        "pair", source=wn.EventSource(events, time="ts"), key=["a", "b"],
        features=[wn.Sum("v"), wn.Count()],
    )
    engine = wn.OnlineEngine([group])
    engine.update_many(events)
    assert engine.features("pair", (1, "y"), at=10) == {"pair__sum_v": 2.0, "pair__count": 1}
    engine.update_one({"a": 1, "b": "y", "ts": 5, "v": 4.0})
    assert engine.features("pair", [1, "y"], at=10)["pair__sum_v"] == 6.0
    with pytest.raises(wn.StreamError, match="composite key"):
        engine.features("pair", 1)
