"""wn.backfill on small hand-computed cases: every aggregation and the point-in-time edge cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import winnow as wn
from winnow.features import sql

from .reference import assert_features_equal, reference_backfill

TS = pa.timestamp("us", tz="UTC")
H = 3_600_000_000  # one hour in microseconds
D = 24 * H


@pytest.fixture(autouse=True, params=["range_join", "window"])
def formulation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every case through both formulations: all keys range-joined, or all windowed."""
    monkeypatch.setattr(sql, "RANGE_JOIN_LIMIT", 10**12 if request.param == "range_join" else 0)
    return str(request.param)


def _times(*hours: float) -> pa.Array:
    return pa.array([int(h * H) for h in hours], TS)


# card 1: a at 0h (1.0), b at 1h (2.0), c at 1h (null amount), a at 2h (4.0); card 2: one
# event with a null merchant. Events are deliberately not in time order.
EVENTS = pa.table(
    {
        "card_id": pa.array([1, 2, 1, 1, 1], pa.int64()),
        "ts": _times(2, 0, 0, 1, 1),
        "amount": pa.array([4.0, 5.0, 1.0, 2.0, None]),
        "merchant": pa.array(["a", None, "a", "b", "c"]),
    }
)


def _group(*features: wn.features.Aggregation, events: pa.Table = EVENTS) -> wn.FeatureGroup:
    return wn.FeatureGroup(
        "card", source=wn.EventSource(events, time="ts"), key="card_id", features=list(features)
    )


def _spine(cards: list[int], hours: list[float]) -> pa.Table:
    return pa.table({"card_id": pa.array(cards, pa.int64()), "ts": _times(*hours)})


def _run(group: wn.FeatureGroup, cards: list[int], hours: list[float]) -> dict[str, list[object]]:
    out = wn.backfill(_spine(cards, hours), [group], time="ts")
    return {name: out[name].to_pylist() for name in group.output_columns}


def test_count_excludes_events_at_exactly_the_spine_time() -> None:
    group = _group(wn.Count(window="1h"), wn.Count())
    got = _run(group, [1, 1, 1, 1], [0, 1, 2, 3])
    # at 1h: only the 0h event ([0h, 1h)); the two events at 1h are excluded
    assert got["card__count_1h"] == [0, 1, 2, 1]
    assert got["card__count"] == [0, 1, 3, 4]


def test_window_start_is_inclusive() -> None:
    group = _group(wn.Count(window="1h"))
    # at 2h the window [1h, 2h) includes both events at exactly 1h (null amount counted)
    assert _run(group, [1], [2])["card__count_1h"] == [2]


def test_sum_mean_ignore_nulls_and_empty_values() -> None:
    group = _group(wn.Sum("amount", window="1h"), wn.Mean("amount", window="1d"))
    got = _run(group, [1, 1, 1, 2, 9], [0, 2, 3, 1, 1])
    assert got["card__sum_amount_1h"] == [0.0, 2.0, 4.0, 5.0, 0.0]
    assert got["card__mean_amount_1d"] == [None, 1.5, 7.0 / 3.0, 5.0, None]


def test_min_max_keep_type_and_ignore_nulls() -> None:
    events = EVENTS.set_column(2, "amount", pa.array([4, 5, 1, 2, None], pa.int32()))
    group = _group(wn.Min("amount", window="1h"), wn.Max("amount"), events=events)
    out = wn.backfill(_spine([1, 1, 1, 3], [0, 2, 3, 3]), [group], time="ts")
    assert out.schema.field("card__min_amount_1h").type == pa.int32()
    assert out["card__min_amount_1h"].to_pylist() == [None, 2, 4, None]
    assert out["card__max_amount"].to_pylist() == [None, 2, 4, None]


def test_std_is_sample_std_and_null_below_two_values() -> None:
    group = _group(wn.Std("amount", window="30d"))
    got = _run(group, [1, 1, 1], [1, 2, 3])["card__std_amount_30d"]
    assert got[0] is None  # one value
    assert got[1] == pytest.approx(math.sqrt(0.5))  # 1, 2 (the null is ignored)
    assert got[2] == pytest.approx(math.sqrt(7.0 / 3.0))  # 1, 2, 4


def test_first_last_use_sequence_for_equal_times_and_skip_nulls() -> None:
    group = _group(wn.First("merchant"), wn.Last("merchant"), wn.Last("merchant", window="1h",
                                                                       name="last_1h"))
    got = _run(group, [1, 1, 1, 2], [1, 2, 4, 5])
    assert got["card__first_merchant"] == ["a", "a", "a", None]
    # b (row 3) and c (row 4) share 1h: c has the larger sequence, so it is last
    assert got["card__last_merchant"] == ["a", "c", "a", None]
    assert got["card__last_1h"] == ["a", "c", None, None]


def test_first_and_last_skip_null_values() -> None:
    events = pa.table({"card_id": [1, 1, 1], "ts": _times(0, 1, 2), "m": ["x", "y", None]})
    group = _group(wn.First("m", window="90m"), wn.Last("m"), events=events)
    got = _run(group, [1], [3])
    assert got["card__first_m_90m"] == [None]  # window [1.5h, 3h) holds only the null
    assert got["card__last_m"] == ["y"]  # the latest non-null value


def test_first_in_window_skips_leading_nulls() -> None:
    events = pa.table({"card_id": [1, 1, 1], "ts": _times(0, 2, 2.2), "m": ["x", None, "z"]})
    group = _group(wn.First("m", window="1h"), events=events)
    assert _run(group, [1], [2.5])["card__first_m_1h"] == ["z"]


def test_last_k_newest_first_with_ties_and_empty_window() -> None:
    group = _group(wn.LastK("merchant", k=3, window="1d"), wn.LastK("merchant", k=2))
    out = wn.backfill(_spine([1, 1, 1, 2], [0, 1.5, 3, 3]), [group], time="ts")
    assert out.schema.field("card__last3_merchant_1d").type == pa.list_(pa.string())
    assert out["card__last3_merchant_1d"].to_pylist() == [None, ["c", "b", "a"],
                                                          ["a", "c", "b"], None]
    assert out["card__last2_merchant"].to_pylist() == [None, ["c", "b"], ["a", "c"], None]


def test_count_distinct_ignores_nulls() -> None:
    group = _group(wn.CountDistinct("merchant", window="90m"), wn.CountDistinct("merchant"))
    got = _run(group, [1, 1, 1, 2], [0, 2, 3, 3])
    assert got["card__count_distinct_merchant_90m"] == [0, 2, 1, 0]  # at 2h: b, c; at 3h: a
    assert got["card__count_distinct_merchant"] == [0, 3, 3, 0]


def test_keys_absent_from_the_source_get_empty_values() -> None:
    group = _group(
        wn.Count(), wn.Sum("amount"), wn.Mean("amount"), wn.Last("merchant"),
        wn.LastK("merchant", k=2), wn.CountDistinct("merchant"),
    )
    got = _run(group, [42], [10])
    assert got == {
        "card__count": [0],
        "card__sum_amount": [0.0],
        "card__mean_amount": [None],
        "card__last_merchant": [None],
        "card__last2_merchant": [None],
        "card__count_distinct_merchant": [0],
    }


def test_null_spine_key_gets_empty_values_and_null_event_keys_are_ignored() -> None:
    events = pa.table({"card_id": pa.array([None, 1], pa.int64()), "ts": _times(0, 0)})
    group = _group(wn.Count(), events=events)
    out = wn.backfill(
        pa.table({"card_id": pa.array([None, 1], pa.int64()), "ts": _times(1, 1)}),
        [group], time="ts",
    )
    assert out["card__count"].to_pylist() == [0, 1]


def test_spine_order_and_columns_are_preserved() -> None:
    spine = pa.table(
        {
            "label": pa.array([1, 0, 1, 0, 1], pa.int8()),
            "card_id": pa.array([1, 2, 1, 9, 1], pa.int64()),
            "ts": pa.array([3 * H, H, H, H, 2 * H], pa.timestamp("us")),
            "note": ["e", "d", "c", "b", "a"],
        }
    )
    out = wn.backfill(spine, [_group(wn.Count())], time="ts")
    assert out.column_names == ["label", "card_id", "ts", "note", "card__count"]
    assert out.select(spine.column_names).equals(spine)
    assert out["card__count"].to_pylist() == [4, 1, 1, 0, 3]


def test_naive_spine_times_are_utc() -> None:
    aware = _spine([1], [2])
    naive = aware.set_column(1, "ts", aware["ts"].cast(pa.timestamp("us")))
    group = _group(wn.Count())
    assert wn.backfill(naive, [group], time="ts")["card__count"].to_pylist() == [3]
    spine = pa.table({"card_id": [1], "ts": [datetime(1970, 1, 1, 2, tzinfo=UTC)]})
    assert wn.backfill(spine, [group], time="ts")["card__count"].to_pylist() == [3]


def test_multi_column_keys() -> None:
    events = pa.table(
        {
            "user": ["u", "u", "v", "u"],
            "device": [1, 2, 1, 1],
            "ts": _times(0, 0, 0, 1),
            "x": [1.0, 10.0, 100.0, 2.0],
        }
    )
    group = wn.FeatureGroup(
        "ud", source=wn.EventSource(events, time="ts"), key=["user", "device"],
        features=[wn.Sum("x"), wn.Count()],
    )
    spine = pa.table({"user": ["u", "u", "v", "v"], "device": [1, 2, 1, 2],
                      "ts": _times(5, 5, 5, 5)})
    out = wn.backfill(spine, group, time="ts")
    assert out["ud__sum_x"].to_pylist() == [3.0, 10.0, 100.0, 0.0]
    assert out["ud__count"].to_pylist() == [2, 1, 1, 0]


def test_several_groups_with_different_keys_on_one_spine() -> None:
    events = pa.table(
        {
            "card_id": [1, 1, 2],
            "merchant_id": ["m1", "m2", "m1"],
            "ts": _times(0, 1, 2),
            "amount": [1.0, 2.0, 4.0],
        }
    )
    src = wn.EventSource(events, time="ts")
    card = wn.FeatureGroup("card", source=src, key="card_id", features=[wn.Sum("amount")])
    merchant = wn.FeatureGroup("merchant", source=src, key="merchant_id",
                               features=[wn.Sum("amount"), wn.Count()])
    spine = pa.table({"card_id": [1, 2], "shop": ["m1", "m1"], "ts": _times(3, 1)})
    out = wn.backfill(spine, [card, merchant], time="ts", keys={"merchant": "shop"})
    assert out.column_names == ["card_id", "shop", "ts", "card__sum_amount",
                                "merchant__sum_amount", "merchant__count"]
    assert out["card__sum_amount"].to_pylist() == [3.0, 0.0]
    assert out["merchant__sum_amount"].to_pylist() == [5.0, 1.0]
    assert out["merchant__count"].to_pylist() == [2, 1]


def test_lifetime_windows_see_all_history() -> None:
    events = pa.table({"card_id": [1, 1], "ts": _times(0, 24 * 400), "x": [1.0, 2.0]})
    group = _group(wn.Sum("x"), wn.Sum("x", window="30d", name="recent"), events=events)
    got = _run(group, [1], [24 * 400 + 1])
    assert got == {"card__sum_x": [3.0], "card__recent": [2.0]}


def test_sequence_column_breaks_ties() -> None:
    events = pa.table({"card_id": [1, 1], "ts": _times(0, 0), "m": ["x", "y"], "off": [7, 3]})
    group = wn.FeatureGroup(
        "card", source=wn.EventSource(events, time="ts", sequence="off"), key="card_id",
        features=[wn.Last("m"), wn.First("m")],
    )
    out = wn.backfill(_spine([1], [1]), group, time="ts")
    assert out["card__last_m"].to_pylist() == ["x"]
    assert out["card__first_m"].to_pylist() == ["y"]


def test_parquet_glob_sources_use_sorted_file_order_as_sequence(tmp_path: Path) -> None:
    # same timestamp in both files: the later file (sorted name) holds the later event
    pq.write_table(pa.table({"card_id": [1], "ts": _times(0), "m": ["second"]}),
                   tmp_path / "b.parquet")
    pq.write_table(pa.table({"card_id": [1, 1], "ts": _times(0, 0), "m": ["zero", "first"]}),
                   tmp_path / "a.parquet")
    group = wn.FeatureGroup(
        "card", source=wn.EventSource(str(tmp_path / "*.parquet"), time="ts"), key="card_id",
        features=[wn.Last("m"), wn.First("m"), wn.LastK("m", k=3), wn.Count()],
    )
    spine_path = tmp_path / "spine.csv"
    pa.csv.write_csv(pa.table({"card_id": [1], "ts": ["1970-01-01T01:00:00"]}), spine_path)
    spine = wn.read_table(spine_path)
    spine = spine.set_column(1, "ts", spine["ts"].cast(pa.timestamp("us")))
    out = wn.backfill(spine, group, time="ts")
    assert out["card__last_m"].to_pylist() == ["second"]
    assert out["card__first_m"].to_pylist() == ["zero"]
    assert out["card__last3_m"].to_pylist() == [["second", "first", "zero"]]
    assert out["card__count"].to_pylist() == [3]


def test_spine_from_a_file_and_csv_event_source(tmp_path: Path) -> None:
    wn.write_table(EVENTS, tmp_path / "events.arrow")
    wn.write_table(_spine([1, 2], [3, 3]), tmp_path / "spine.parquet")
    group = wn.FeatureGroup("card", source=wn.EventSource(tmp_path / "events.arrow", time="ts"),
                            key="card_id", features=[wn.Count(), wn.Last("merchant")])
    out = wn.backfill(tmp_path / "spine.parquet", group, time="ts")
    assert out["card__count"].to_pylist() == [4, 1]
    assert out["card__last_merchant"].to_pylist() == ["a", None]


def test_matches_reference_on_the_example() -> None:
    group = _group(
        wn.Count(window="1h"), wn.Sum("amount", window="7d"), wn.Mean("amount", window="30d"),
        wn.Min("amount", window="1d"), wn.Max("amount", window="1d"),
        wn.Std("amount", window="30d"), wn.First("merchant"), wn.Last("merchant"),
        wn.LastK("merchant", k=3, window="7d"), wn.CountDistinct("merchant", window="30d"),
    )
    spine = _spine([1, 1, 2, 3, 1, 1], [0, 1, 1, 1, 2, 30])
    out = wn.backfill(spine, [group], time="ts")
    assert_features_equal(out, reference_backfill(spine, [group], time="ts"))


def test_explain_returns_the_sql() -> None:
    group = _group(wn.Count(window="1h"), wn.Count(name="n"), wn.Last("merchant"))
    sql_text = wn.explain(_spine([1], [1]), [group], time="ts")
    assert "-- feature group card" in sql_text and '"card__count_1h"' in sql_text
    # light keys: a range join bounded by the window; heavy keys: RANGE frames up to the spine
    # row, which stands at t - 1us
    assert "__x.__t < __s.__t" in sql_text
    assert "FILTER (WHERE __x.__t >= __s.__t - 3600000000)" in sql_text
    assert "__t - 1 AS __t" in sql_text
    assert "RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW" in sql_text
    assert "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW" in sql_text
    # last: an ASOF join on the packed (time, sequence) key, strictly before t
    assert "ASOF LEFT JOIN" in sql_text and "__o < CAST(__s.__t AS HUGEINT)" in sql_text


def test_keys_split_between_range_join_and_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # card 1 has 4 events and 3 spine rows (4 * 3 > 1 * 7): heavy at limit 1; card 2 is light
    monkeypatch.setattr(sql, "RANGE_JOIN_LIMIT", 1)
    group = _group(
        wn.Count(window="1h"), wn.Sum("amount"), wn.Max("amount", window="1d"),
        wn.Std("amount"), wn.LastK("merchant", k=2), wn.CountDistinct("merchant", window="1h"),
        wn.Last("merchant"), wn.First("merchant", window="90m"),
    )
    spine = _spine([1, 2, 1, 3, 1, 2], [1, 1, 2, 2, 3, 0])
    out = wn.backfill(spine, [group], time="ts")
    assert_features_equal(out, reference_backfill(spine, [group], time="ts"))
    assert out["card__count_1h"].to_pylist() == [1, 1, 2, 0, 1, 0]


def test_nanosecond_times_are_truncated_to_microseconds() -> None:
    # DuckDB's own ns -> us cast rounds: 1.5us would become 2us and leave the window [.., 2us)
    events = pa.table({"card_id": [1, 1], "ts": pa.array([1500, 2400], pa.timestamp("ns", "UTC")),
                       "m": ["a", "b"]})
    spine = pa.table({"card_id": [1, 1, 1],
                      "ts": pa.array([1999, 2000, 3000], pa.timestamp("ns"))})
    group = _group(wn.Count(), wn.Last("m"), events=events)
    out = wn.backfill(spine, [group], time="ts")
    assert out["card__count"].to_pylist() == [0, 1, 2]  # events at 1us and 2us
    assert out["card__last_m"].to_pylist() == [None, "a", "b"]
    assert out.select(["card_id", "ts"]).equals(spine)


def test_user_columns_named_like_internal_ones() -> None:
    # a key called __t and a value called __v0 must not shadow the query's own columns
    events = pa.table({"__t": [1, 1, 2], "ts": _times(0, 1, 0), "__v0": [1.0, 2.0, 4.0]})
    group = wn.FeatureGroup("g", source=wn.EventSource(events, time="ts"), key="__t",
                            features=[wn.Count(), wn.Sum("__v0"), wn.Last("__v0")])
    out = wn.backfill(pa.table({"__t": [1, 2], "ts": _times(2, 2)}), [group], time="ts")
    assert out["g__count"].to_pylist() == [2, 1]
    assert out["g__sum_v0"].to_pylist() == [3.0, 4.0]
    assert out["g__last_v0"].to_pylist() == [2.0, 4.0]


def test_parquet_columns_named_like_read_parquet_extras(tmp_path: Path) -> None:
    # read_parquet(file_row_number = true, filename = true) adds these two names
    events = pa.table({"card_id": [1, 1], "ts": _times(0, 0), "filename": ["x", "y"],
                       "file_row_number": [7, 3]})
    pq.write_table(events, tmp_path / "a.parquet")
    pq.write_table(events.slice(0, 1), tmp_path / "b.parquet")
    for path in (tmp_path / "a.parquet", tmp_path / "*.parquet"):
        group = wn.FeatureGroup(
            "card", source=wn.EventSource(str(path), time="ts"), key="card_id",
            features=[wn.Last("filename"), wn.Sum("file_row_number")],
        )
        out = wn.backfill(_spine([1], [1]), [group], time="ts")
        last, total = ("y", 10.0) if path.name == "a.parquet" else ("x", 17.0)
        assert out["card__last_filename"].to_pylist() == [last]
        assert out["card__sum_file_row_number"].to_pylist() == [total]


def test_one_microsecond_window_holds_only_the_previous_microsecond() -> None:
    events = pa.table({"card_id": [1, 1, 1], "ts": pa.array([8, 9, 10], TS), "x": [1.0, 2.0, 4.0]})
    group = _group(wn.Count(window="1us"), wn.Sum("x", window="2us"), events=events)
    out = wn.backfill(pa.table({"card_id": [1, 1], "ts": pa.array([10, 11], TS)}), [group],
                      time="ts")
    assert out["card__count_1us"].to_pylist() == [1, 1]  # [9us, 10us) and [10us, 11us)
    assert out["card__sum_x_2us"].to_pylist() == [3.0, 6.0]
