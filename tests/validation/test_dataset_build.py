"""Dataset builds with validate= on an input and on the dataset: manifest, report,
quarantine.parquet, stable row ids, failing builds write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.datasets.synthetic import write_project
from winnow.datasets import build, verify
from winnow.errors import ValidationError

INPUT_SUITE = (
    '[wn.Expect.in_range("device_score", max=0.9, on_fail="quarantine"), '
    'wn.Expect.references("user_id", table="events"), wn.Expect.unique("imp_id")]'
)
DATASET_SUITE = (
    'wn.ExpectationSuite([wn.Expect.in_set("label", [0, 1]), '
    'wn.Expect.not_null("user__sum_amount_2d"), '
    'wn.Expect.in_range("user__count_1d", max=8, on_fail="quarantine")], name="rows")'
)


def project(directory: Path, *, input_suite: str = INPUT_SUITE,
            dataset_suite: str = DATASET_SUITE) -> Path:
    path = write_project(directory)
    source = path.read_text()
    source = source.replace(
        '"impressions": Input(HERE / "impressions.csv"),',
        f'"impressions": Input(HERE / "impressions.csv", validate={input_suite}),',
    )
    source = source.replace("split=Split", f"validate={dataset_suite},\n    split=Split")
    path.write_text(source)
    return path


def test_validation_recorded_and_quarantined(tmp_path: Path) -> None:
    path = project(tmp_path / "proj")
    result = build(path, out=tmp_path / "ds", seed=1)
    m = result.manifest
    impressions = pacsv.read_csv(tmp_path / "proj" / "impressions.csv")
    scores = impressions.column("device_score").to_pylist()
    bad_inputs = [i for i, s in enumerate(scores) if s > 0.9]
    record = m["validation"]["impressions"]
    assert record["source"] == "impressions"  # by name: no path in the hashed manifest
    assert record["rows"] == impressions.num_rows
    assert record["rows_quarantined"] == len(bad_inputs)
    assert [(r["name"], r["action"]) for r in record["results"]] == [
        ("in_range(device_score)", "quarantined"),
        ("references(user_id)", "passed"),
        ("unique(imp_id)", "passed"),
    ]
    assert record["results"][0]["observed"]["max"] == max(scores)
    rows = m["validation"]["dataset"]
    assert rows["suite"] == "rows"
    assert [r["passed"] for r in rows["results"][:2]] == [True, True]
    dropped = rows["rows_quarantined"]
    assert m["spine"]["excluded"].get("quarantined by validation", 0) == dropped
    assert m["quarantine"]["by_validation"] == {"impressions": len(bad_inputs), "dataset": dropped}
    # quarantine.parquet: the input's rows at their positions in the file, then the dataset's
    q = pq.read_table(tmp_path / "ds" / "quarantine.parquet")
    from_input = q.filter(q.column("input").to_numpy(zero_copy_only=False) == "impressions")
    assert from_input.column("position").to_pylist() == bad_inputs
    assert m["quarantine"]["rows"] == q.num_rows == len(bad_inputs) + dropped
    # no output row comes from a quarantined input row, nor breaks the dataset suite
    lineage = pq.read_table(tmp_path / "ds" / "lineage.parquet")
    out_positions = set(lineage.column("position").to_pylist())
    parts = [pq.read_table(tmp_path / "ds" / f"{s}.parquet") for s in ("train", "valid", "test")]
    assert all(max(p.column("user__count_1d").to_pylist() or [0]) <= 8 for p in parts)
    total = sum(p.num_rows for p in parts)
    assert total == sum(s["rows"] for s in m["splits"].values())
    assert out_positions and not out_positions & set(bad_inputs)
    # the report has the section; the build is reproducible and verifies
    html = (tmp_path / "ds" / "report.html").read_text()
    assert "<h2>Validation</h2>" in html and "in_range(device_score)" in html
    assert "impressions (failed expectations)" in html
    again = build(path, out=tmp_path / "ds2", seed=1)
    assert again.id == result.id
    assert verify(tmp_path / "ds").intact
    on_disk = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert on_disk["validation"]["impressions"]["rows_quarantined"] == len(bad_inputs)


def test_row_ids_do_not_move_when_rows_are_quarantined(tmp_path: Path) -> None:
    plain = write_project(tmp_path / "plain")
    checked = project(tmp_path / "checked", dataset_suite="None")
    build(plain, out=tmp_path / "a", seed=1)
    build(checked, out=tmp_path / "b", seed=1)

    def ids(directory: Path) -> set[str]:
        return {
            rid
            for s in ("train", "valid", "test")
            for rid in pq.read_table(directory / f"{s}.parquet").column("row_id").to_pylist()
        }

    a, b = ids(tmp_path / "a"), ids(tmp_path / "b")
    assert b < a  # a strict subset: the same ids, fewer rows


def test_failing_expectation_stops_the_build(tmp_path: Path) -> None:
    path = project(
        tmp_path / "proj",
        input_suite='[wn.Expect.in_range("device_score", max=0.5)]',
        dataset_suite="None",
    )
    with pytest.raises(ValidationError, match=r"impressions\.csv.*in_range\(device_score\)"):
        build(path, out=tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_builds_without_validate_have_no_section(tmp_path: Path) -> None:
    result = build(write_project(tmp_path / "p"), out=tmp_path / "ds", seed=1)
    assert "validation" not in result.manifest
    assert "by_validation" not in result.manifest["quarantine"]
    assert "<h2>Validation</h2>" not in (tmp_path / "ds" / "report.html").read_text()
