"""Records that do not fit a declared schema are quarantined and counted, never dropped silently."""

from __future__ import annotations

from pathlib import Path

from winnow.etl import FileSource, Filter, Join, Pipeline, load_pipeline

ORDERS = (
    "id,amount,at\n"
    "1,2.5,2024-01-01T00:00:00Z\n"
    "2,oops,2024-01-01T01:00:00Z\n"
    "3,4.0,never\n"
    "4,1.0,2024-01-02T00:00:00Z\n"
)
SCHEMA = {"fields": {"id": "int64", "amount": "float64", "at": "timestamp"}}


def test_extract_counts_quarantined_records(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS)
    report = Pipeline(
        extract=FileSource(tmp_path / "orders.csv", schema=SCHEMA), steps=[Filter("amount > 1")]
    ).run()
    assert (report.extract.rows_read, report.extract.rows_quarantined) == (4, 2)
    assert report.extract.rows_out == 2
    assert report.table.column("id").to_pylist() == [1]
    assert report.quarantine is not None
    assert report.quarantine.column("position").to_pylist() == [3, 4]
    assert report.to_dict()["extract"]["rows_quarantined"] == 2


def test_join_source_quarantine_is_counted_on_its_step(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS)
    (tmp_path / "left.csv").write_text("id\n1\n4\n")
    join = Join(FileSource(tmp_path / "orders.csv", schema=SCHEMA), on="id", how="left")
    report = Pipeline(extract=tmp_path / "left.csv", steps=[join]).run()
    assert report.steps[0].rows_quarantined == 2
    assert report.table.column("amount").to_pylist() == [2.5, 1.0]


def test_yaml_schema_file_relative_to_pipeline(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS)
    (tmp_path / "orders.schema.yaml").write_text(
        "fields:\n  id: int64\n  amount: float64\n  at: timestamp\n"
    )
    (tmp_path / "p.yaml").write_text(
        "extract: {file: orders.csv, schema: orders.schema.yaml}\n"
        "steps: [{aggregate: {by: [], aggregates: {n: 'count(*)'}}}]\n"
    )
    report = load_pipeline(tmp_path / "p.yaml").run()
    assert report.extract.rows_quarantined == 2
    assert report.table.to_pylist() == [{"n": 2}]
