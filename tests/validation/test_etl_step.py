"""The ETL ``validate`` step: in Python and YAML; quarantine, fail before load, run report."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from winnow.errors import DefinitionError, ValidationError
from winnow.etl import Filter, ParquetSink, Pipeline, Validate, load_pipeline
from winnow.validation import Expect

ORDERS = pa.table(
    {
        "id": [1, 2, 3, 4, 5, 6],
        "amount": [10.0, -3.0, 25.0, None, 7.0, 1000.0],
        "country": ["FR", "DE", "XX", "FR", "IT", "DE"],
    }
)


def test_quarantine_positions_are_the_steps_input_rows() -> None:
    step = Validate(
        [Expect.not_null("amount"), Expect.in_set("country", ["FR", "DE", "IT"])],
        on_fail="quarantine",
    )
    report = Pipeline(extract=ORDERS, steps=[Filter("id > 1"), step]).run()
    # the filter removed id 1, so the step's input rows are ids 2..6 at positions 0..4
    assert report.table.column("id").to_pylist() == [2, 5, 6]
    validate_report = report.steps[1]
    assert (validate_report.kind, validate_report.rows_in, validate_report.rows_out) == (
        "validate", 5, 3
    )
    assert validate_report.rows_quarantined == 2
    assert report.quarantine is not None
    assert report.quarantine.column("position").to_pylist() == [1, 2]
    assert report.quarantine.column("source").to_pylist() == ["step 2 (validate)"] * 2
    data = report.to_dict()["steps"][1]
    assert data["validation"]["rows_quarantined"] == 2
    assert [r["name"] for r in data["validation"]["results"]] == [
        "not_null(amount)", "in_set(country)"
    ]
    assert "sample" not in data["validation"]["results"][0]
    assert "validation" not in report.to_dict()["steps"][0]


def test_failure_stops_the_run_before_load(tmp_path: Path) -> None:
    sink = ParquetSink(tmp_path / "out")
    pipeline = Pipeline(
        extract=ORDERS,
        steps=[Validate([Expect.in_range("amount", min=0, max=500)])],
        load=sink,
    )
    with pytest.raises(ValidationError, match=r"in_range\(amount\).*min -3, max 1000"):
        pipeline.run()
    assert not (tmp_path / "out").exists()


def test_yaml_validate_step_inline_and_file(tmp_path: Path) -> None:
    pacsv.write_csv(ORDERS, tmp_path / "orders.csv")
    (tmp_path / "orders.expect.yaml").write_text(
        "expectations:\n  - in_range: {column: amount, min: 0}\n"
    )
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent("""\
        extract: {file: orders.csv}
        steps:
          - validate: {file: orders.expect.yaml, on_fail: quarantine}
          - validate:
              on_fail: warn
              expectations:
                - in_set: {column: country, values: [FR, DE, IT]}
          - filter: "amount < 500"
        """))
    report = load_pipeline(tmp_path / "pipeline.yaml").run()
    assert [s.kind for s in report.steps] == ["validate", "validate", "filter"]
    assert report.steps[0].rows_quarantined == 1  # -3.0
    assert report.steps[1].rows_quarantined == 0  # warn keeps the XX row
    assert report.steps[1].validation is not None
    assert report.steps[1].validation["passed"] is False
    # the filter then drops 1000.0 and the null amount (null counts as false)
    assert report.table.column("id").to_pylist() == [1, 3, 5]


def test_yaml_validate_step_errors_name_the_step(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent("""\
        extract: {file: orders.csv}
        steps:
          - validate: {expectations: [{in_range: {column: amount, mn: 0}}]}
        """))
    with pytest.raises(DefinitionError, match=r"step 1 \(validate\).*unknown key\(s\) 'mn'"):
        load_pipeline(tmp_path / "pipeline.yaml")
