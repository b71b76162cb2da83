"""Pipelines from YAML: the same steps as the Python API, and errors that name the step."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from winnow.errors import DefinitionError, SourceError
from winnow.etl import (
    DuckDBSink,
    FileSource,
    Join,
    ParquetSink,
    Pipeline,
    PostgresSource,
    load_pipeline,
)
from winnow.etl.config import pipeline_from_dict

from .test_pipeline import every_step

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "etl"

EVERY_STEP_YAML = """
name: every_step
extract:
  file: orders.csv
steps:
  - select: [order_id, customer, amount, updated_at]
  - rename: {amount: amount_eur}
  - cast: {order_id: INTEGER, amount_eur: DOUBLE, updated_at: TIMESTAMPTZ}
  - filter: "amount_eur > 0"
  - dedupe: {keys: [order_id], latest_by: updated_at}
  - derive: {big: "amount_eur >= 50", amount_usd: "round(amount_eur * 1.1, 2)"}
  - join: {source: {file: customers.csv}, on: [customer], how: left}
  - aggregate: {by: [country], aggregates: {orders: "count(*)", total: "sum(amount_eur)"}}
load:
  parquet: out/by_country
"""


def write(directory: Path, text: str) -> Path:
    path = directory / "pipeline.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_yaml_equals_python(etl_files: Path) -> None:
    pipeline = load_pipeline(write(etl_files, EVERY_STEP_YAML))
    assert pipeline.name == "every_step"
    report = pipeline.run()
    python = Pipeline(extract=etl_files / "orders.csv", steps=every_step(etl_files)).run()
    assert report.table.equals(python.table)
    assert [(s.kind, s.rows_in, s.rows_out) for s in report.steps] == [
        (s.kind, s.rows_in, s.rows_out) for s in python.steps
    ]
    assert [s.description for s in report.steps] == [s.description for s in python.steps]
    # relative paths resolve against the YAML file's directory
    assert pq.read_table(etl_files / "out" / "by_country").equals(report.table)


def test_from_yaml_classmethod_and_duckdb_load(etl_files: Path) -> None:
    path = write(
        etl_files,
        """
        extract: {file: orders.csv, columns: [order_id, amount]}
        steps:
          - filter: amount > 50
        load: {duckdb: shop.duckdb, table: big, mode: append}
        """,
    )
    pipeline = Pipeline.from_yaml(path)
    assert isinstance(pipeline.load, DuckDBSink)
    assert pipeline.load.path == etl_files / "shop.duckdb"
    assert pipeline.load.mode == "append"
    report = pipeline.run()
    assert report.table.to_pydict() == {"order_id": [3, 3], "amount": [100.0, 90.0]}


def test_source_and_sink_options_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DSN", "postgresql://u@h:5/db")
    pipeline = pipeline_from_dict(
        {
            "extract": {"postgres": {"dsn_env": "SHOP_DSN", "query": "SELECT $1", "params": [3]}},
            "steps": [
                {
                    "join": {
                        "source": {"file": "c.parquet", "columns": ["k"]},
                        "on": {"a": "k"},
                        "how": "anti",
                        "suffix": "_c",
                    }
                },
                {"select": {"a": "b"}},
            ],
            "load": {
                "parquet": "/abs/out",
                "overwrite": True,
                "partition_by": "b",
                "max_rows_per_file": 10,
            },
        },
        base_dir=tmp_path,
    )
    assert pipeline.extract == PostgresSource(
        "postgresql://u@h:5/db", query="SELECT $1", params=(3,)
    )
    join = pipeline.steps[0]
    assert isinstance(join, Join)
    assert join.source == FileSource(tmp_path / "c.parquet", columns=("k",))
    assert (join.on, join.how, join.suffix) == ((("a", "k"),), "anti", "_c")
    assert pipeline.load == ParquetSink(
        Path("/abs/out"), overwrite=True, partition_by=("b",), max_rows_per_file=10
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"steps": []}, "needs extract"),
        ({"extract": {"url": "x"}}, "extract: a source needs a 'file' or 'postgres' key"),
        ({"extract": {"file": "x.csv", "colums": ["a"]}}, "unknown key.*'colums'"),
        (
            {"extract": {"file": "x.csv"}, "steps": [{"sort": ["a"]}]},
            r"step 1: unknown step kind 'sort'",
        ),
        (
            {
                "extract": {"file": "x.csv"},
                "steps": [{"filter": "a > 1"}, {"dedupe": {"latest_by": "t"}}],
            },
            r"step 2 \(dedupe\): needs keys",
        ),
        (
            {"extract": {"file": "x.csv"}, "steps": [{"filter": "a", "derive": {}}]},
            "each step is a mapping with one key",
        ),
        (
            {"extract": {"file": "x.csv"}, "steps": [{"join": {"on": ["a"]}}]},
            r"step 1 \(join\): needs source",
        ),
        (
            {
                "extract": {"file": "x.csv"},
                "steps": [{"join": {"source": {"file": "y.csv"}, "on": ["a"], "how": "outer"}}],
            },
            r"step 1 \(join\): join how='outer'",
        ),
        (
            {"extract": {"file": "x.csv"}, "steps": [{"cast": {}}]},
            r"step 1 \(cast\): cast is empty",
        ),
        (
            {"extract": {"file": "x.csv"}, "load": {"s3": "x"}},
            "load: needs a 'parquet' or 'duckdb'",
        ),
        ({"extract": {"file": "x.csv"}, "load": {"duckdb": "x.duckdb"}}, "needs table"),
        ({"extract": {"postgres": {"table": "t"}}}, "exactly one of dsn"),
    ],
)
def test_definition_errors_name_the_place(spec: dict, message: str, tmp_path: Path) -> None:  # type: ignore[type-arg]
    with pytest.raises(DefinitionError, match=message):
        pipeline_from_dict(spec, base_dir=tmp_path)


def test_missing_dsn_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_DSN", raising=False)
    with pytest.raises(SourceError, match="'NO_SUCH_DSN' is not set"):
        pipeline_from_dict(
            {"extract": {"postgres": {"dsn_env": "NO_SUCH_DSN", "table": "t"}}}, base_dir=tmp_path
        )


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such pipeline file"):
        load_pipeline(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("extract: [unclosed\n")
    with pytest.raises(DefinitionError, match="not valid YAML"):
        load_pipeline(bad)
    named = write(tmp_path, "extract: {file: x.csv}\nsteps: [{sort: a}]\n")
    with pytest.raises(DefinitionError, match=r"pipeline\.yaml: step 1: unknown step kind"):
        load_pipeline(named)


def test_shipped_example_runs(tmp_path: Path) -> None:
    example = shutil.copytree(EXAMPLES, tmp_path / "etl")
    report = load_pipeline(example / "pipeline.yaml").run()
    assert (report.extract.rows_read, report.extract.rows_quarantined) == (9, 1)
    assert report.quarantine is not None
    assert report.quarantine.column("position").to_pylist() == [10]
    assert [(s.kind, s.rows_in, s.rows_out) for s in report.steps] == [
        ("select", 8, 8),
        ("rename", 8, 8),
        ("cast", 8, 8),
        ("filter", 8, 7),
        ("dedupe", 7, 5),
        ("derive", 5, 5),
        ("join", 5, 5),
        ("aggregate", 5, 3),
    ]
    rows = pq.read_table(example / "out" / "revenue_by_country").to_pylist()
    assert [
        (r["country"], r["orders"], r["large_orders"], str(r["revenue_eur"])) for r in rows
    ] == [
        ("DE", 1, 0, "42.00"),
        ("FR", 3, 1, "107.00"),
        (None, 1, 0, "7.25"),
    ]
