"""A pipeline with every step kind, built in Python, checked row by row and step by step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from winnow.etl import (
    Aggregate,
    ArrowSource,
    Cast,
    Dedupe,
    Derive,
    FileSource,
    Filter,
    Join,
    Pipeline,
    Rename,
    Select,
)

UTC = dt.UTC


def every_step(files: Path) -> list:  # type: ignore[type-arg]
    return [
        Select(["order_id", "customer", "amount", "updated_at"]),
        Rename({"amount": "amount_eur"}),
        Cast({"order_id": "INTEGER", "amount_eur": "DOUBLE", "updated_at": "TIMESTAMPTZ"}),
        Filter("amount_eur > 0"),
        Dedupe(["order_id"], latest_by="updated_at"),
        Derive({"big": "amount_eur >= 50", "amount_usd": "round(amount_eur * 1.1, 2)"}),
        Join(FileSource(files / "customers.csv"), on=["customer"], how="left"),
        Aggregate(["country"], {"orders": "count(*)", "total": "sum(amount_eur)"}),
    ]


def test_every_step_kind_exact_rows_and_counts(etl_files: Path) -> None:
    report = Pipeline(extract=etl_files / "orders.csv", steps=every_step(etl_files)).run()
    assert report.table.to_pylist() == [
        {"country": "FR", "orders": 3, "total": 107.0},
        {"country": None, "orders": 1, "total": 7.25},
    ]
    assert report.extract.rows_read == 7
    assert report.extract.rows_out == 7
    assert [(s.index, s.kind, s.rows_in, s.rows_out) for s in report.steps] == [
        (1, "select", 7, 7),
        (2, "rename", 7, 7),
        (3, "cast", 7, 7),
        (4, "filter", 7, 6),
        (5, "dedupe", 6, 4),
        (6, "derive", 4, 4),
        (7, "join", 4, 4),
        (8, "aggregate", 4, 2),
    ]
    assert all(s.seconds >= 0 for s in report.steps)
    assert report.load is None
    assert report.rows_out == 2


def test_rows_before_aggregate(etl_files: Path) -> None:
    table = Pipeline(extract=etl_files / "orders.csv", steps=every_step(etl_files)[:-1]).run().table
    assert table.schema.field("order_id").type == pa.int32()
    assert table.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert table.to_pylist() == [
        {
            "order_id": 1,
            "customer": "alice",
            "amount_eur": 12.0,
            "updated_at": dt.datetime(2024, 1, 1, 11, tzinfo=UTC),
            "big": False,
            "amount_usd": 13.2,
            "country": "FR",
        },
        {
            # tie on updated_at: the later input row (90.00) is the latest
            "order_id": 3,
            "customer": "alice",
            "amount_eur": 90.0,
            "updated_at": dt.datetime(2024, 1, 2, 8, tzinfo=UTC),
            "big": True,
            "amount_usd": 99.0,
            "country": "FR",
        },
        {
            "order_id": 4,
            "customer": "carol",
            "amount_eur": 5.0,
            "updated_at": dt.datetime(2024, 1, 3, 0, tzinfo=UTC),
            "big": False,
            "amount_usd": 5.5,
            "country": "FR",
        },
        {
            "order_id": 5,
            "customer": "dave",
            "amount_eur": 7.25,
            "updated_at": dt.datetime(2024, 1, 3, 1, tzinfo=UTC),
            "big": False,
            "amount_usd": 7.98,
            "country": None,
        },
    ]


def test_select_with_rename_mapping_and_order() -> None:
    table = pa.table({"a": [1, 2], "b": ["x", "y"], "c": [True, False]})
    out = Pipeline(extract=table, steps=[Select({"c": "flag", "a": "id"})]).run().table
    assert out.to_pydict() == {"flag": [True, False], "id": [1, 2]}


def test_dedupe_null_time_is_oldest_and_no_order_keeps_last() -> None:
    at = [dt.datetime(2024, 1, 1, tzinfo=UTC), None, None, dt.datetime(2023, 1, 1, tzinfo=UTC)]
    table = pa.table(
        {
            "k": ["a", "a", "b", "b"],
            "v": [1, 2, 3, 4],
            "at": pa.array(at, pa.timestamp("us", "UTC")),
        }
    )
    by_time = Pipeline(extract=table, steps=[Dedupe("k", latest_by="at")]).run().table
    assert by_time.column("v").to_pylist() == [1, 4]
    by_order = Pipeline(extract=table, steps=[Dedupe(["k"])]).run().table
    assert by_order.column("v").to_pylist() == [2, 4]


def test_dedupe_on_two_keys_with_two_order_columns() -> None:
    table = pa.table(
        {
            "k1": [1, 1, 1, 2],
            "k2": ["x", "x", "y", "x"],
            "day": [1, 2, 2, 1],
            "version": [5, 1, 0, 0],
            "v": ["a", "b", "c", "d"],
        }
    )
    out = Pipeline(extract=table, steps=[Dedupe(["k1", "k2"], latest_by=["day", "version"])])
    assert out.run().table.column("v").to_pylist() == ["b", "c", "d"]


def test_derive_replaces_in_place_and_sees_only_input() -> None:
    table = pa.table({"x": [1, 2], "y": [10, 20]})
    out = Pipeline(extract=table, steps=[Derive({"x": "x * 100", "z": "x + y"})]).run().table
    assert out.to_pydict() == {"x": [100, 200], "y": [10, 20], "z": [11, 22]}


def test_join_kinds() -> None:
    left = pa.table({"id": [1, 2, 3, None], "v": ["a", "b", "c", "n"]})
    right = ArrowSource(pa.table({"key": [2, 3, 3, 9], "v": ["B", "C1", "C2", "Z"]}), name="rhs")

    def run(how: str) -> list[dict[str, object]]:
        step = Join(right, on={"id": "key"}, how=how)  # type: ignore[arg-type]
        return Pipeline(extract=left, steps=[step]).run().table.to_pylist()

    assert run("inner") == [
        {"id": 2, "v": "b", "v_right": "B"},
        {"id": 3, "v": "c", "v_right": "C1"},
        {"id": 3, "v": "c", "v_right": "C2"},
    ]
    assert run("left") == [
        {"id": 1, "v": "a", "v_right": None},
        {"id": 2, "v": "b", "v_right": "B"},
        {"id": 3, "v": "c", "v_right": "C1"},
        {"id": 3, "v": "c", "v_right": "C2"},
        {"id": None, "v": "n", "v_right": None},
    ]
    assert run("full")[-1] == {"id": 9, "v": None, "v_right": "Z"}
    assert len(run("full")) == 6
    assert run("right") == [
        {"id": 2, "v": "b", "v_right": "B"},
        {"id": 3, "v": "c", "v_right": "C1"},
        {"id": 3, "v": "c", "v_right": "C2"},
        {"id": 9, "v": None, "v_right": "Z"},
    ]
    assert run("semi") == [{"id": 2, "v": "b"}, {"id": 3, "v": "c"}]
    assert run("anti") == [{"id": 1, "v": "a"}, {"id": None, "v": "n"}]


def test_aggregate_without_keys_is_one_row() -> None:
    table = pa.table({"x": [1.0, 2.0, 4.0]})
    out = Pipeline(extract=table, steps=[Aggregate([], {"n": "count(*)", "m": "max(x)"})]).run()
    assert out.table.to_pylist() == [{"n": 3, "m": 4.0}]


def test_transform_without_extract_or_load() -> None:
    pipeline = Pipeline(extract=pa.table({"a": [1]}), steps=[Filter("a > 5")])
    out, reports = pipeline.transform(pa.table({"a": [3, 7, 9]}))
    assert out.column("a").to_pylist() == [7, 9]
    assert [(r.rows_in, r.rows_out) for r in reports] == [(3, 2)]


def test_quoted_identifiers_with_odd_names() -> None:
    table = pa.table({'we"ird name': [1, 2, 2], "select": ["a", "b", "c"]})
    steps = [
        Dedupe(['we"ird name']),
        Rename({"select": "from"}),
        Aggregate(['we"ird name'], {"n": "count(*)"}),
    ]
    out = Pipeline(extract=table, steps=steps).run().table
    assert out.to_pydict() == {'we"ird name': [1, 2], "n": [1, 1]}


def test_progress_callback_sees_every_stage(etl_files: Path, tmp_path: Path) -> None:
    from winnow.etl import ParquetSink

    seen: list[tuple[int, int, str]] = []
    Pipeline(
        extract=etl_files / "orders.csv",
        steps=[Filter("amount > 0")],
        load=ParquetSink(tmp_path / "out"),
    ).run(progress=lambda done, total, label: seen.append((done, total, label)))
    assert [(d, t) for d, t, _ in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert seen[1][2].startswith("step 1 (filter)")
    assert seen[2][2].startswith("load: parquet")


def test_report_to_dict_is_json_ready(etl_files: Path) -> None:
    import json

    report = Pipeline(extract=etl_files / "orders.csv", steps=[Filter("amount > 0")]).run()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["extract"]["rows_read"] == 7
    assert data["steps"][0]["rows_out"] == 6
    assert data["rows_out"] == 6


@pytest.mark.parametrize("bad", [42, None])
def test_bad_extract_is_a_definition_error(bad: object) -> None:
    from winnow import DefinitionError

    with pytest.raises(DefinitionError, match="pipeline extract"):
        Pipeline(extract=bad)  # type: ignore[arg-type]


def test_output_times_are_utc_microseconds() -> None:
    table = pa.table({"s": ["2024-01-01 10:00:00.123456789"]})
    exprs = {
        "naive": "CAST(s AS TIMESTAMP)",
        "ns": "CAST(s AS TIMESTAMP_NS)",
        "aware": "CAST(s AS TIMESTAMPTZ)",
        "sec": "CAST(s AS TIMESTAMP_S)",
    }
    out = Pipeline(extract=table, steps=[Derive(exprs)]).run().table
    for name in exprs:
        assert out.schema.field(name).type == pa.timestamp("us", tz="UTC")
    row = out.to_pylist()[0]
    assert (
        row["naive"]
        == row["ns"]
        == row["aware"]
        == dt.datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)
    )
    assert row["sec"] == dt.datetime(2024, 1, 1, 10, tzinfo=UTC)
