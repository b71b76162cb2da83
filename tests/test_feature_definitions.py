"""Pure feature definitions: naming, validation, output types."""

from __future__ import annotations

import pyarrow as pa
import pytest

import winnow as wn
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError

EVENTS = pa.table(
    {
        "card_id": pa.array([1, 1], pa.int64()),
        "ts": pa.array([0, 5], pa.timestamp("us", tz="UTC")),
        "amount": pa.array([1.0, 2.0]),
        "merchant": pa.array(["a", "b"]),
    }
)


def _group(*features: wn.features.Aggregation, key: str | list[str] = "card_id") -> wn.FeatureGroup:
    return wn.FeatureGroup(
        "card", source=wn.EventSource(EVENTS, time="ts"), key=key, features=list(features)
    )


def test_default_names_follow_agg_column_window() -> None:
    group = _group(
        wn.Count(window="1h"),
        wn.Sum("amount", window="7d"),
        wn.Mean("amount", window="30d"),
        wn.Last("merchant"),
        wn.LastK("merchant", k=3, window="7d"),
        wn.CountDistinct("merchant", window="30d"),
        wn.Max("amount", window="1d", name="biggest"),
    )
    assert group.output_columns == [
        "card__count_1h",
        "card__sum_amount_7d",
        "card__mean_amount_30d",
        "card__last_merchant",
        "card__last3_merchant_7d",
        "card__count_distinct_merchant_30d",
        "card__biggest",
    ]


def test_default_names_are_snake_case() -> None:
    assert wn.Sum("Amount USD", window="90m").feature_name == "sum_amount_usd_90m"
    assert wn.Mean("merchantName").feature_name == "mean_merchant_name"
    distinct = wn.CountDistinct("HTTPStatus", window="2w")
    assert distinct.feature_name == "count_distinct_http_status_14d"
    assert wn.LastK("item-id", k=5, window="36h").feature_name == "last5_item_id_36h"
    assert wn.Count(window="30s").feature_name == "count_30s"
    assert wn.Count(window="lifetime").feature_name == "count"


def test_output_types() -> None:
    group = _group(
        wn.Count(window="1h"),
        wn.Sum("amount"),
        wn.Min("amount"),
        wn.Last("merchant"),
        wn.LastK("merchant", k=2),
        wn.CountDistinct("merchant"),
    )
    schema = group.output_schema(EVENTS.schema)
    assert schema.types == [
        pa.int64(),
        pa.float64(),
        pa.float64(),
        pa.string(),
        pa.list_(pa.string()),
        pa.int64(),
    ]


def test_empty_values() -> None:
    assert wn.Count().empty == 0
    assert wn.CountDistinct("m").empty == 0
    assert wn.Sum("a").empty == 0.0
    for agg in (wn.Mean("a"), wn.Std("a"), wn.Min("a"), wn.Max("a"), wn.Last("a"),
                wn.First("a"), wn.LastK("a", k=2)):
        assert agg.empty is None


def test_duplicate_feature_names_are_rejected_with_the_fix() -> None:
    with pytest.raises(DefinitionError, match="name="):
        _group(wn.Count(window="1h"), wn.Count(window="60m"))


@pytest.mark.parametrize(
    "make",
    [
        lambda: wn.Sum("amount", window="7x"),
        lambda: wn.Sum("amount", window="-1d"),
        lambda: wn.LastK("merchant", k=0),
        lambda: wn.Sum("amount", name="bad name"),
        lambda: wn.Sum(""),
    ],
)
def test_bad_aggregations(make: object) -> None:
    with pytest.raises(DefinitionError):
        make()  # type: ignore[operator]


def test_group_rejects_uncalled_aggregation_class() -> None:
    with pytest.raises(DefinitionError, match="forget to call"):
        _group(wn.Count)  # type: ignore[arg-type]


def test_validate_names_missing_and_non_numeric_columns() -> None:
    with pytest.raises(ColumnNotFoundError, match="'price'"):
        _group(wn.Sum("price")).validate(EVENTS.schema)
    with pytest.raises(SchemaError, match="numeric"):
        _group(wn.Sum("merchant")).validate(EVENTS.schema)
    with pytest.raises(ColumnNotFoundError, match="'region'"):
        _group(wn.Count(), key=["card_id", "region"]).validate(EVENTS.schema)


def test_definition_hash_changes_with_the_definition_only() -> None:
    a = _group(wn.Sum("amount", window="7d"))
    b = _group(wn.Sum("amount", window="7d"))
    c = _group(wn.Sum("amount", window="8d"))
    assert a.definition_hash() == b.definition_hash() != c.definition_hash()


def test_load_feature_groups(tmp_path: pytest.TempPathFactory) -> None:
    defs = tmp_path / "defs.py"  # type: ignore[operator]
    defs.write_text(
        "import pyarrow as pa\nimport winnow as wn\n"
        "ev = pa.table({'k': [1], 'ts': pa.array([0], pa.timestamp('us'))})\n"
        "g = wn.FeatureGroup('g', source=wn.EventSource(ev, time='ts'), key='k',"
        " features=[wn.Count()])\n"
    )
    groups = wn.features.load_feature_groups(defs)
    assert [g.name for g in groups] == ["g"]
    empty = tmp_path / "empty.py"  # type: ignore[operator]
    empty.write_text("x = 1\n")
    with pytest.raises(DefinitionError, match="no FeatureGroup"):
        wn.features.load_feature_groups(empty)
