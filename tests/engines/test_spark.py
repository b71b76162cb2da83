"""The Spark engine on hand-made inputs: DataFrames in and out, Parquet globs, several groups,
multi-column keys, session time zone, the CLI, and a skewed key split over several tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import winnow as wn
from tests.features.reference import assert_features_equal, reference_backfill
from winnow.errors import DefinitionError, SchemaError, SourceError

pytestmark = pytest.mark.spark

TS = pa.timestamp("us", tz="UTC")
M = 60_000_000


def _events() -> pa.Table:
    return pa.table(
        {
            "card": pa.array([1, 1, 1, 2, 1, 2, 3, 1], pa.int64()),
            "shop": ["a", "b", "a", "a", "b", "b", "a", "a"],
            "ts": pa.array([0, M, M, 2 * M, 5 * M, 5 * M, 6 * M, 9 * M], TS),
            "amount": [1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0, 8.0],
            "merchant": ["x", "y", "y", None, "z", "x", "x", "y"],
        }
    )


def _spine() -> pa.Table:
    # unsorted times and keys, a key without events, a row at exactly an event's time
    return pa.table(
        {
            "card": pa.array([1, 2, 9, 1, 1, 3], pa.int64()),
            "shop": ["a", "b", "a", "b", "a", "a"],
            "ts": pa.array([9 * M, 6 * M, M, M, 30 * M, 7 * M], TS),
            "label": [1, 0, 1, 0, 1, 1],
        }
    )


def _features() -> list[wn.features.Aggregation]:
    return [
        wn.Count(window="5m"), wn.Sum("amount", window="3m"), wn.Mean("amount"),
        wn.Std("amount", window="10m"), wn.Min("amount"), wn.Max("amount", window="2m"),
        wn.First("merchant"), wn.Last("merchant", window="4m"), wn.LastK("merchant", k=2),
        wn.CountDistinct("merchant"), wn.CountDistinct("merchant", window="3m"),
    ]


def _expected(duck: pa.Table, groups: list[wn.FeatureGroup]) -> dict[str, list[Any]]:
    return {c: duck[c].to_pylist() for g in groups for c in g.output_columns}


def test_several_groups_and_a_two_column_key_match_duckdb(spark: Any) -> None:
    source = wn.EventSource(_events(), time="ts")
    card = wn.FeatureGroup("card", source=source, key="card", features=_features())
    pair = wn.FeatureGroup("pair", source=source, key=["card", "shop"],
                           features=[wn.Count(window="3m"), wn.Last("amount")])
    shop = wn.FeatureGroup("shop", source=source, key="merchant",
                           features=[wn.Count(), wn.Sum("amount", window="2m")])
    spine = _spine().append_column("m", pa.array(["x", "y", "x", None, "z", "q"]))
    groups = [card, pair, shop]
    keys = {"shop": "m"}
    duck = wn.backfill(spine, groups, time="ts", keys=keys)
    seen: list[str] = []
    out = wn.backfill(spine, groups, time="ts", keys=keys, engine="spark", spark=spark,
                      progress=lambda g: seen.append(g.name))
    assert out.schema.equals(duck.schema)
    assert out.select(spine.column_names).equals(spine)
    assert_features_equal(out, _expected(duck, groups))
    assert_features_equal(out, reference_backfill(spine, groups, time="ts", keys=keys))
    assert seen == ["card", "pair", "shop"]


def test_dataframe_spine_and_source_give_a_dataframe_in_spine_order(spark: Any) -> None:
    events = _events().append_column("offset", pa.array([7, 6, 5, 4, 3, 2, 1, 0], pa.int64()))
    arrow_group = wn.FeatureGroup(
        "card", source=wn.EventSource(events, time="ts", sequence="offset"), key="card",
        features=_features(),
    )
    spark_group = wn.FeatureGroup(
        "card", source=wn.EventSource(spark.createDataFrame(events), time="ts",
                                      sequence="offset"),
        key="card", features=_features(),
    )
    spine = _spine()
    duck = wn.backfill(spine, [arrow_group], time="ts")
    frame = wn.backfill(spark.createDataFrame(spine), [spark_group], time="ts", engine="spark",
                        spark=spark, output="spark")
    assert type(frame).__name__ == "DataFrame"
    assert frame.columns == duck.column_names
    table = frame.toArrow()
    assert table.select(spine.column_names).to_pylist() == spine.to_pylist()
    assert_features_equal(table, _expected(duck, [arrow_group]))
    # DataFrame spine, Arrow output: feature types as FeatureGroup.output_schema says
    arrow = wn.backfill(spark.createDataFrame(spine), [spark_group], time="ts",
                        engine="spark", spark=spark)
    assert arrow.select(arrow_group.output_columns).schema.equals(
        duck.select(arrow_group.output_columns).schema
    )
    assert_features_equal(arrow, _expected(duck, [arrow_group]))


def test_arrow_spine_with_spark_output(spark: Any) -> None:
    group = wn.FeatureGroup("card", source=wn.EventSource(_events(), time="ts"), key="card",
                            features=[wn.Count(window="5m"), wn.Last("merchant")])
    spine = _spine()
    frame = wn.backfill(spine, [group], time="ts", engine="spark", spark=spark, output="spark")
    table = frame.toArrow()
    duck = wn.backfill(spine, [group], time="ts")
    assert table.select(spine.column_names).to_pylist() == spine.to_pylist()
    assert_features_equal(table, _expected(duck, [group]))


def test_parquet_glob_sequence_follows_file_order_under_any_session_zone(
    spark: Any, tmp_path: Path
) -> None:
    events = _events()
    # naive times: read as UTC by both engines, whatever the session's zone
    events = events.set_column(2, "ts", events["ts"].cast(pa.timestamp("us")))
    for i, (start, stop) in enumerate([(0, 3), (3, 6), (6, 8)]):
        pq.write_table(events.slice(start, stop - start), tmp_path / f"part-{i}.parquet")
    group = wn.FeatureGroup(
        "card", source=wn.EventSource(str(tmp_path / "part-*.parquet"), time="ts"), key="card",
        features=_features(),
    )
    spine = _spine()
    duck = wn.backfill(spine, [group], time="ts")
    zone = "spark.sql.session.timeZone"
    spark.conf.set(zone, "Asia/Tokyo")
    try:
        out = wn.backfill(spine, [group], time="ts", engine="spark", spark=spark)
        assert spark.conf.get(zone) == "Asia/Tokyo"  # restored after the call
    finally:
        spark.conf.set(zone, "UTC")
    assert_features_equal(out, _expected(duck, [group]))
    in_memory = wn.FeatureGroup("card", source=wn.EventSource(events, time="ts"), key="card",
                                features=_features())
    assert_features_equal(out, reference_backfill(spine, [in_memory], time="ts"))


def test_explain_shows_the_spark_sql() -> None:
    group = wn.FeatureGroup("card", source=wn.EventSource(_events(), time="ts"), key="card",
                            features=[wn.Count(window="5m"), wn.Last("merchant")])
    sql = wn.explain(_spine(), [group], time="ts", engine="spark")
    assert "RANGE BETWEEN 300000000 PRECEDING AND 1 PRECEDING" in sql
    assert "RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING" in sql
    assert "HAVING count(*) > 1000000" in sql  # the hot-key split is part of the plan


def test_cli_engine_spark(spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from winnow.cli.app import app

    pq.write_table(_events(), tmp_path / "events.parquet")
    pq.write_table(_spine(), tmp_path / "spine.parquet")
    (tmp_path / "defs.py").write_text(
        "import winnow as wn\n"
        "card = wn.FeatureGroup('card', source=wn.EventSource('events.parquet', time='ts'),\n"
        "    key='card', features=[wn.Count(window='5m'), wn.Mean('amount'),\n"
        "    wn.Last('merchant')])\n"
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for engine in ("duckdb", "spark"):
        result = runner.invoke(app, ["backfill", "--features", "defs.py", "--spine",
                                     "spine.parquet", "--out", f"{engine}.parquet",
                                     "--engine", engine, "--json"])
        assert result.exit_code == 0, result.output
    duck, out = pq.read_table("duckdb.parquet"), pq.read_table("spark.parquet")
    assert out.schema.equals(duck.schema)
    assert_features_equal(out, {c: duck[c].to_pylist() for c in duck.column_names})


def test_wrong_combinations_say_the_fix(spark: Any) -> None:
    group = wn.FeatureGroup("card", source=wn.EventSource(_events(), time="ts"), key="card",
                            features=[wn.Count()])
    frame_source = wn.FeatureGroup(
        "card", source=wn.EventSource(spark.createDataFrame(_events()), time="ts"), key="card",
        features=[wn.Count()],
    )
    spine = _spine()
    with pytest.raises(DefinitionError, match="engine='duckdb'"):
        wn.backfill(spine, [group], time="ts", engine="spark", memory_limit="1GB")
    with pytest.raises(DefinitionError, match="need engine='spark'"):
        wn.backfill(spine, [group], time="ts", output="spark")
    with pytest.raises(DefinitionError, match="need engine='spark'"):
        wn.backfill(spark.createDataFrame(spine), [group], time="ts")
    with pytest.raises(SchemaError, match="engine='spark'"):
        wn.explain(spark.createDataFrame(spine), [group], time="ts")
    with pytest.raises(SourceError, match="engine='spark'"):
        wn.backfill(spine, [frame_source], time="ts")
    with pytest.raises(DefinitionError, match="spark= is for engine='spark'"):
        wn.backfill(spine, [group], time="ts", spark=spark)


def test_a_hot_key_is_split_over_several_tasks_and_matches_duckdb(spark: Any) -> None:
    from pyspark.sql import functions as F

    from winnow.backfill import _internal_spine, _plan
    from winnow.engines.spark import SparkEngine

    # key 0 holds 90% of 3000 events over 40 minutes; 20 other keys share the rest
    n, hot = 3000, 2700
    keys = [0] * hot + [1 + i % 20 for i in range(n - hot)]
    times = [(i * 7919) % (40 * 60) * 1_000_000 for i in range(n)]
    events = pa.table({
        "card": pa.array(keys, pa.int64()), "ts": pa.array(times, TS),
        "amount": [float(i % 97) for i in range(n)],
        "merchant": [f"m{i % 13}" for i in range(n)],
    })
    spine_keys = [0] * 300 + [1 + i % 20 for i in range(100)]
    spine = pa.table({"card": pa.array(spine_keys, pa.int64()),
                      "ts": pa.array([(i * 104_729) % (45 * 60) * 1_000_000
                                      for i in range(400)], TS)})
    group = wn.FeatureGroup(
        "card", source=wn.EventSource(events, time="ts"), key="card",
        features=[wn.Count(window="5m"), wn.Sum("amount", window="2m"), wn.Std("amount"),
                  wn.Last("merchant"), wn.CountDistinct("merchant"),
                  wn.CountDistinct("merchant", window="1m"), wn.LastK("merchant", k=3)],
    )
    duck = wn.backfill(spine, [group], time="ts")

    def partitions_of_hot_rows(engine: SparkEngine) -> tuple[pa.Table, int]:
        plan = _plan(spine.schema, [group], time="ts", keys=None)
        internal = _internal_spine(spine, plan, "ts")
        [(frame, _)] = engine.frames(spark.createDataFrame(internal), plan,
                                     spine_schema=internal.schema)
        table = frame.withColumn("__pid", F.spark_partition_id()).toArrow()
        table = table.sort_by("__winnow_row")
        hot_rows = [p for p, k in zip(table["__pid"].to_pylist(), spine_keys, strict=True)
                    if k == 0]
        return table, len(set(hot_rows))

    split, split_partitions = partitions_of_hot_rows(SparkEngine(spark=spark, hot_key_rows=500))
    whole, whole_partitions = partitions_of_hot_rows(SparkEngine(spark=spark))
    # without splitting, the hot key's window partition is one task; split, it is several
    assert whole_partitions == 1
    assert split_partitions > 1
    for table in (split, whole):
        assert_features_equal(table, _expected(duck, [group]))
