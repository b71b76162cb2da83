"""wn.backfill rejects bad definitions and spines early, with messages that say the fix."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import winnow as wn
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, SourceError

TS = pa.timestamp("us", tz="UTC")
EVENTS = pa.table(
    {
        "card_id": pa.array([1, 2], pa.int64()),
        "ts": pa.array([0, 1], TS),
        "amount": [1.0, 2.0],
        "merchant": ["a", "b"],
    }
)
SPINE = pa.table({"card_id": pa.array([1], pa.int64()), "ts": pa.array([5], TS)})


def _group(*features: wn.features.Aggregation, name: str = "card",
           events: pa.Table = EVENTS, key: str = "card_id") -> wn.FeatureGroup:
    return wn.FeatureGroup(name, source=wn.EventSource(events, time="ts"), key=key,
                           features=list(features))


def test_unknown_column_names_the_group_and_available_columns() -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'amout'.*feature group 'card'.*amount"):
        wn.backfill(SPINE, [_group(wn.Sum("amout"))], time="ts")


def test_non_numeric_column_in_a_numeric_aggregation() -> None:
    with pytest.raises(SchemaError, match=r"card__mean_merchant.*numeric.*CountDistinct"):
        wn.backfill(SPINE, [_group(wn.Mean("merchant"))], time="ts")


def test_bad_window_string() -> None:
    with pytest.raises(DefinitionError, match=r"bad window '7 days'.*'7d'|bad window"):
        wn.Sum("amount", window="7 days")


def test_duplicate_feature_names_in_a_group() -> None:
    with pytest.raises(DefinitionError, match="name="):
        _group(wn.Count(window="1d"), wn.Count(window="24h"))


def test_duplicate_output_column_across_groups() -> None:
    a = _group(wn.Count(), name="card")
    b = _group(wn.Count(), name="card")
    with pytest.raises(DefinitionError, match=r"'card__count'.*rename"):
        wn.backfill(SPINE, [a, b], time="ts")


def test_output_column_clashing_with_a_spine_column() -> None:
    spine = SPINE.append_column("card__count", pa.array([0]))
    with pytest.raises(DefinitionError, match=r"'card__count'.*the spine"):
        wn.backfill(spine, [_group(wn.Count())], time="ts")


def test_spine_missing_the_key_says_how_to_map_it() -> None:
    spine = SPINE.rename_columns(["card", "ts"])
    with pytest.raises(ColumnNotFoundError, match=r"'card_id'.*keys=\{'card': 'spine_column'\}"):
        wn.backfill(spine, [_group(wn.Count())], time="ts")
    out = wn.backfill(spine, [_group(wn.Count())], time="ts", keys={"card": "card"})
    assert out["card__count"].to_pylist() == [1]


def test_spine_missing_the_time_column() -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'when'.*the spine"):
        wn.backfill(SPINE, [_group(wn.Count())], time="when")


def test_spine_time_with_nulls_is_rejected() -> None:
    spine = pa.table({"card_id": [1, 1], "ts": pa.array([5, None], TS)})
    with pytest.raises(SchemaError, match=r"1 null values \(first at row 1\)"):
        wn.backfill(spine, [_group(wn.Count())], time="ts")


def test_spine_time_that_is_not_a_timestamp() -> None:
    spine = pa.table({"card_id": [1], "ts": ["2024-01-01"]})
    with pytest.raises(SchemaError, match=r"'ts'.*not a timestamp"):
        wn.backfill(spine, [_group(wn.Count())], time="ts")


def test_key_type_mismatch_between_spine_and_source() -> None:
    spine = pa.table({"card_id": ["1"], "ts": pa.array([5], TS)})
    with pytest.raises(SchemaError, match=r"key type mismatch.*'card_id' is string.*int64.*cast"):
        wn.backfill(spine, [_group(wn.Count())], time="ts")


def test_integer_keys_of_different_widths_match() -> None:
    spine = pa.table({"card_id": pa.array([1], pa.int32()), "ts": pa.array([5], TS)})
    assert wn.backfill(spine, [_group(wn.Count())], time="ts")["card__count"].to_pylist() == [1]


def test_wrong_key_arity_in_keys_mapping() -> None:
    with pytest.raises(DefinitionError, match=r"one spine column per key column"):
        wn.backfill(SPINE, [_group(wn.Count())], time="ts", keys={"card": ["card_id", "ts"]})


def test_keys_for_an_unknown_group() -> None:
    with pytest.raises(DefinitionError, match=r"\['cards'\]"):
        wn.backfill(SPINE, [_group(wn.Count())], time="ts", keys={"cards": "card_id"})


def test_unknown_engine() -> None:
    with pytest.raises(DefinitionError, match=r"unknown engine 'spork'.*duckdb"):
        wn.backfill(SPINE, [_group(wn.Count())], time="ts", engine="spork")


def test_not_a_feature_group() -> None:
    with pytest.raises(DefinitionError, match="FeatureGroup"):
        wn.backfill(SPINE, [wn.Count()], time="ts")  # type: ignore[list-item]


def test_event_time_that_is_not_a_timestamp() -> None:
    events = EVENTS.set_column(1, "ts", pa.array([0, 1]))
    with pytest.raises(SchemaError, match=r"time column 'ts'.*not a timestamp"):
        wn.backfill(SPINE, [_group(wn.Count(), events=events)], time="ts")


def test_non_integer_sequence_column() -> None:
    events = EVENTS.append_column("off", pa.array(["x", "y"]))
    group = wn.FeatureGroup("card", source=wn.EventSource(events, time="ts", sequence="off"),
                            key="card_id", features=[wn.Count()])
    with pytest.raises(SchemaError, match=r"sequence column 'off'.*integer"):
        wn.backfill(SPINE, [group], time="ts")


def test_missing_source_file(tmp_path: Path) -> None:
    group = wn.FeatureGroup("card", source=wn.EventSource(tmp_path / "none.parquet", time="ts"),
                            key="card_id", features=[wn.Count()])
    with pytest.raises(SourceError, match="does not exist"):
        wn.backfill(SPINE, [group], time="ts")
