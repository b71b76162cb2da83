"""The online engine's contract: routing, errors, lateness and dead letters, snapshots."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import winnow as wn
from tests.features.reference import assert_features_equal, reference_backfill
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, StreamError

S = 1_000_000
TS = pa.timestamp("us", tz="UTC")


def _events(rows: list[tuple[int, int, float | None, str | None]]) -> pa.Table:
    return pa.table(
        {
            "card_id": pa.array([r[0] for r in rows], pa.int64()),
            "ts": pa.array([r[1] for r in rows], TS),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
            "merchant": pa.array([r[3] for r in rows], pa.string()),
        }
    )


def _card(events: pa.Table) -> wn.FeatureGroup:
    return wn.FeatureGroup(
        "card",
        source=wn.EventSource(events, time="ts"),
        key="card_id",
        features=[
            wn.Count(window="10s"),
            wn.Sum("amount", window="7s"),
            wn.Mean("amount", window="30s"),
            wn.Std("amount", window="20s"),
            wn.Max("amount", window="5s"),
            wn.Min("amount"),
            wn.CountDistinct("merchant", window="30s"),
            wn.Last("merchant"),
            wn.First("merchant", window="12s"),
            wn.LastK("merchant", k=2),
            wn.Count(),
        ],
    )


BASE = _events([(1, 0, 1.0, "a"), (1, 2 * S, 2.0, "b"), (2, 3 * S, 5.0, "c")])


def test_at_earlier_than_an_ingested_event_is_an_error_that_says_why() -> None:
    engine = wn.OnlineEngine([_card(BASE)])
    engine.update_many(BASE)
    with pytest.raises(StreamError, match="already ingested") as info:
        engine.features("card", 1, at=S)
    assert "moves forward" in str(info.value)
    # the same time for another key whose events are older is fine
    assert engine.features("card", 2, at=3 * S)["card__count"] == 0


def test_event_missing_key_or_time_names_the_column() -> None:
    engine = wn.OnlineEngine([_card(BASE)])
    with pytest.raises(ColumnNotFoundError, match="'card_id'"):
        engine.update_one({"ts": 0, "amount": 1.0, "merchant": "a"})
    with pytest.raises(ColumnNotFoundError, match="'ts'"):
        engine.update_many(BASE.drop_columns(["ts"]))


def test_event_for_no_group_is_an_error() -> None:
    engine = wn.OnlineEngine([_card(BASE)])
    with pytest.raises(StreamError, match="no feature group"):
        engine.update_one({"card_id": 1, "ts": 0, "other": 3})


def test_routing_by_aggregated_columns() -> None:
    clicks = pa.table({"user": [1], "ts": pa.array([0], TS), "page": ["p"]})
    pays = pa.table({"user": [1], "ts": pa.array([0], TS), "amount": [2.0]})
    g_clicks = wn.FeatureGroup("clicks", source=wn.EventSource(clicks, time="ts"), key="user",
                               features=[wn.CountDistinct("page")])
    g_pays = wn.FeatureGroup("pays", source=wn.EventSource(pays, time="ts"), key="user",
                             features=[wn.Sum("amount")])
    engine = wn.OnlineEngine([g_clicks, g_pays])
    engine.update_one({"user": 1, "ts": 0, "page": "p1"})
    engine.update_one({"user": 1, "ts": 1, "page": "p2"})
    engine.update_one({"user": 1, "ts": 2, "amount": 5.0})
    assert engine.stats["clicks"].events == 2
    assert engine.stats["pays"].events == 1
    assert engine.features("clicks", 1, at=10) == {"clicks__count_distinct_page": 2}
    assert engine.features("pays", 1, at=10) == {"pays__sum_amount": 5.0}


def test_unknown_group_and_wrong_value_type() -> None:
    ints = pa.table({"k": [1], "ts": pa.array([0], TS), "n": pa.array([1], pa.int64())})
    group = wn.FeatureGroup("g", source=wn.EventSource(ints, time="ts"), key="k",
                            features=[wn.Max("n")])
    engine = wn.OnlineEngine([group])
    with pytest.raises(StreamError, match="no feature group named 'nope'"):
        engine.features("nope", 1)
    with pytest.raises(SchemaError, match="holds integers"):
        engine.update_one({"k": 1, "ts": 0, "n": 2.5})
    engine.update_one({"k": 1, "ts": 0, "n": 3.0})  # an integral float is an integer
    assert engine.features("g", 1, at=1) == {"g__max_n": 3}


def test_late_events_go_to_the_dead_letter_sink_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "dead" / "letters.jsonl"
    engine = wn.OnlineEngine([_card(BASE)], allowed_lateness="2s", dead_letter=path)
    engine.update_many(_events([(1, 10 * S, 1.0, "a"), (1, 7 * S, 2.0, "b")]))  # 7 >= 10-2? no
    engine.update_one({"card_id": 1, "ts": 9 * S, "amount": 4.0, "merchant": "c"})  # within 2s
    engine.update_one({"card_id": 1, "ts": 3 * S, "amount": 8.0, "merchant": "d"})  # late
    assert engine.stats["card"].late == 2
    assert engine.stats["card"].events == 4
    letters = wn.JsonLinesDeadLetterSink(path).read()
    assert [d["event"]["amount"] for d in letters] == [2.0, 8.0]
    assert all(d["reason"].startswith("late:") and d["group"] == "card" for d in letters)
    assert letters[0]["key"] == 1 and letters[0]["time"].startswith("1970-01-01T00:00:07")
    # the in-lateness event at 9s is merged at its place; the late ones are not
    got = engine.features("card", 1, at=11 * S)
    assert got["card__count"] == 2
    assert got["card__sum_amount_7s"] == 5.0
    assert got["card__last_merchant"] == "a"  # the event at 10s is the latest by time


def test_default_dead_letter_sink_is_an_in_memory_list() -> None:
    engine = wn.OnlineEngine([_card(BASE)])
    engine.update_many(_events([(1, 5, 1.0, "a"), (1, 4, 1.0, "a"), (1, 5, 2.0, "b")]))
    sink = engine.dead_letter
    assert isinstance(sink, wn.ListDeadLetterSink)
    assert [(d.key, d.time, d.sequence) for d in sink.letters] == [(1, 4, 1)]
    # a tie in time is in order (lateness 0 rejects only strictly older events)
    assert engine.features("card", 1, at=6)["card__count"] == 2


def _late_rule(rows: list[dict[str, Any]], lateness: int) -> list[dict[str, Any]]:
    """The events the lateness rule accepts, in arrival order (what batch should replay)."""
    newest: dict[int, int] = {}
    kept = []
    for row in rows:
        t = row["t"]
        cur = newest.get(row["card_id"])
        if cur is not None and t < cur - lateness:
            continue
        newest[row["card_id"]] = t if cur is None else max(cur, t)
        kept.append(row)
    return kept


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 3), st.integers(0, 40), st.one_of(st.none(), st.integers(-20, 20)),
            st.sampled_from(["a", "b", "c", None]),
        ),
        min_size=1, max_size=60,
    ),
    lateness=st.integers(0, 15),
    batch=st.booleans(),
    chunk=st.integers(1, 9),
)
def test_out_of_order_within_lateness_equals_batch_on_the_accepted_events(
    data: list[tuple[int, int, int | None, str | None]], lateness: int, batch: bool, chunk: int
) -> None:
    rows = [
        {"card_id": k, "t": t * S, "amount": None if a is None else a / 4, "merchant": m}
        for k, t, a, m in data
    ]
    events = _events([(r["card_id"], r["t"], r["amount"], r["merchant"]) for r in rows])
    engine = wn.OnlineEngine([_card(events)], allowed_lateness=lateness * S, process_every=chunk)
    if batch:
        for start in range(0, events.num_rows, chunk):
            engine.update_many(events.slice(start, chunk))
    else:
        for row in events.to_pylist():
            engine.update_one(row)
    kept = _late_rule(rows, lateness * S)
    assert engine.stats["card"].late == len(rows) - len(kept)
    accepted = _events([(r["card_id"], r["t"], r["amount"], r["merchant"]) for r in kept])
    end = max(r["t"] for r in rows)
    spine = pa.table({"card_id": [0, 1, 2, 3] * 2, "ts": pa.array([end] * 4 + [end + 1] * 4, TS)})
    expected = reference_backfill(spine, [_card(accepted)], time="ts")
    got_rows = [engine.features("card", k, at=t) for k, t in zip(
        spine["card_id"].to_pylist(), spine["ts"].cast(pa.int64()).to_pylist(), strict=True)]
    got = pa.table({c: [r[c] for r in got_rows] for c in _card(events).output_columns})
    assert_features_equal(got, expected)


def _stream(n: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    t = 0
    rows = []
    for _ in range(n):
        t += rng.choice([0, 0, S // 2, S, 3 * S])
        rows.append((rng.randint(0, 5), t, rng.choice([None, 1.5, 2.0, -3.25, 10.0]),
                     rng.choice(["a", "b", None])))
    return _events(rows)


def test_save_load_round_trip_and_resume(tmp_path: Path) -> None:
    events = _stream(400, seed=3)
    group = _card(events)
    whole = wn.OnlineEngine([group])
    first = wn.OnlineEngine([group])
    for start in range(0, 400, 50):
        whole.update_many(events.slice(start, 50))
    for start in range(0, 200, 50):
        first.update_many(events.slice(start, 50))
    first.update_one(events.slice(200, 1).to_pylist()[0])
    first.set_position({"offset": 201, "stream": "cards"})
    snap = tmp_path / "state.json"
    first.save(snap)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left behind
    resumed = wn.OnlineEngine.load(snap, [group])
    assert resumed.position == {"offset": 201, "stream": "cards"}
    assert resumed.stats["card"].events == 201
    for row in events.slice(201, 49).to_pylist():
        resumed.update_one(row)
    for start in range(250, 400, 50):
        resumed.update_many(events.slice(start, 50))
    at = whole.latest
    assert at is not None and resumed.latest == at
    for key in range(6):
        assert resumed.features("card", key, at=at + 1) == whole.features("card", key, at=at + 1)
        assert resumed.features("card", key) == whole.features("card", key)
    assert resumed.stats == whole.stats


def test_load_with_other_definitions_is_an_error(tmp_path: Path) -> None:
    engine = wn.OnlineEngine([_card(BASE)])
    engine.update_many(BASE)
    engine.save(tmp_path / "s.json")
    other = wn.FeatureGroup("card", source=wn.EventSource(BASE, time="ts"), key="card_id",
                            features=[wn.Count(window="1h")])
    with pytest.raises(DefinitionError, match="differs from the one saved"):
        wn.OnlineEngine.load(tmp_path / "s.json", [other])
    # the same definitions over another copy of the data load fine
    moved = _card(BASE.slice(0, 1))
    assert wn.OnlineEngine.load(tmp_path / "s.json", [moved]).stats["card"].events == 3


def test_position_must_be_json() -> None:
    engine = wn.OnlineEngine([_card(BASE)])
    with pytest.raises(StreamError, match="JSON"):
        engine.set_position(object())
    engine.set_position(["0-1", 5])
    assert engine.position == ["0-1", 5]


def test_snapshot_holds_definition_hashes_and_position(tmp_path: Path) -> None:
    engine = wn.OnlineEngine([_card(BASE)])
    engine.update_many(BASE)
    engine.set_position(7)
    doc = json.loads(engine.save(tmp_path / "s.json").read_text())
    assert doc["position"] == 7
    assert doc["groups"]["card"]["definition"] == wn.online.online_definition_hash(_card(BASE))


def test_memory_per_key_is_bounded_by_the_longest_window() -> None:
    events = _events([(1, i * S, 1.0, "m") for i in range(5000)])
    group = wn.FeatureGroup(
        "card", source=wn.EventSource(events, time="ts"), key="card_id",
        features=[wn.Count(window="10s"), wn.Sum("amount"), wn.Last("merchant")],
    )
    engine = wn.OnlineEngine([group], process_every=64, flush_every=100)
    state = None
    for start in range(0, 5000, 100):
        engine.update_many(events.slice(start, 100))
        state = engine._runtime("card").keys[1]
        # the 10s window, the tail at the newest time, and fewer than 64 + 100 pending events
        assert state.n - state.start <= 11 + 64 + 100
        assert state.times.size <= 512
    engine.process_all()
    assert state is not None and state.n - state.start <= 11
    # a burst (everything pending at once) grows the buffer, which shrinks back once processed
    burst = wn.OnlineEngine([group])
    burst.update_many(events)
    burst.process_all()
    assert burst._runtime("card").keys[1].times.size <= 64
    got = engine.features("card", 1, at=5000 * S)
    assert got == {"card__count_10s": 10, "card__sum_amount": 5000.0, "card__last_merchant": "m"}


def test_the_same_key_in_other_arrow_types_is_the_same_key() -> None:
    group = wn.FeatureGroup("user", source=wn.EventSource(pa.table({"user": ["a"],
                            "ts": pa.array([0], TS)}), time="ts"), key="user",
                            features=[wn.Count()])
    engine = wn.OnlineEngine([group])
    engine.update_many(pa.table({"user": ["a", "b"], "ts": pa.array([0, S], TS)}))
    # a dictionary column whose dictionary holds a value no row uses ("ghost")
    coded = pa.DictionaryArray.from_arrays(pa.array([0, 0], pa.int8()),
                                           pa.array(["a", "ghost"]))
    engine.update_many(pa.table({"user": coded, "ts": pa.array([2 * S, 3 * S], TS)}))
    engine.update_many(pa.table({"user": pa.array(["b"], pa.large_string()),
                                 "ts": pa.array([4 * S], TS)}))
    engine.update_one({"user": "a", "ts": 5 * S})
    at = 6 * S
    assert engine.features("user", "a", at=at) == {"user__count": 4}
    assert engine.features("user", "b", at=at) == {"user__count": 2}
    assert engine.stats["user"].keys == 2  # no state for "ghost"
    ints = wn.FeatureGroup("card", source=wn.EventSource(BASE, time="ts"), key="card_id",
                           features=[wn.Sum("amount")])
    engine = wn.OnlineEngine([ints])
    engine.update_many(BASE.set_column(0, "card_id", BASE["card_id"].cast(pa.int32())))
    engine.update_many(_events([(1, 4 * S, 10.0, "d")]))
    assert engine.features("card", 1, at=5 * S) == {"card__sum_amount": 13.0}
    assert engine.stats["card"].keys == 2
