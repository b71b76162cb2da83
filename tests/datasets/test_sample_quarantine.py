"""A dataset's sampling step (seeded, non-probability flagged) and inputs read with a schema."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tests.datasets.synthetic import write_project
from winnow.datasets import build, lineage, verify

SCHEMA = (
    'schema={"fields": {"imp_id": "int64", "user_id": "int64", "ts": "timestamp", '
    '"device_score": "float64", "lf_score": "float64", "gold": "int64"}}'
)


def _with_sample(project: Path, sample: str) -> Path:
    text = project.read_text()
    text = text.replace("from winnow.datasets import Dataset, Input, Labels, Spine, Split",
                        "from winnow.datasets import Dataset, Input, Labels, Sample, Spine, Split")
    text = text.replace("    split=", f"    sample={sample},\n            split=", 1)
    project.write_text(text)
    return project


def _row_ids(out: Path) -> set[str]:
    return {
        r for s in ("train", "valid", "test")
        for r in pq.read_table(out / f"{s}.parquet")["row_id"].to_pylist()
    }


def test_probability_sample_is_seeded(tmp_path: Path) -> None:
    project = _with_sample(write_project(tmp_path / "p", split="random"),
                           'Sample("simple_random", {"n": 100})')
    a = build(project, out=tmp_path / "a", seed=1)
    build(project, out=tmp_path / "b", seed=1)
    build(project, out=tmp_path / "c", seed=2)
    record = a.manifest["sampling"]
    assert record["method"] == "simple_random" and record["probability"] is True
    assert record["rows_out"] == 100 and record["caveat"] is None
    assert sum(a.split_rows.values()) == 100
    assert _row_ids(tmp_path / "a") == _row_ids(tmp_path / "b") != _row_ids(tmp_path / "c")
    html = (tmp_path / "a" / "report.html").read_text()
    assert "probability sample" in html and "NON-PROBABILITY" not in html


def test_non_probability_sample_is_flagged_as_biased(tmp_path: Path) -> None:
    project = _with_sample(write_project(tmp_path / "p", split="random"),
                           'Sample("convenience", {"n": 80})')
    result = build(project, out=tmp_path / "ds", seed=1)
    record = result.manifest["sampling"]
    assert record["probability"] is False and "biased" in record["caveat"]
    assert sum(result.split_rows.values()) == 80
    html = (tmp_path / "ds" / "report.html").read_text()
    assert "NON-PROBABILITY sample (biased)" in html and record["caveat"] in html


def test_schema_input_quarantines_records_and_keeps_positions(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    csv = tmp_path / "p" / "impressions.csv"
    lines = csv.read_text().splitlines()
    # records 5 and 40 (0-based) get a user id that is not an integer
    for index in (5, 40):
        fields = lines[index + 1].split(",")
        fields[1] = "oops"
        lines[index + 1] = ",".join(fields)
    csv.write_text("\n".join(lines) + "\n")
    text = project.read_text().replace(
        '"impressions": Input(HERE / "impressions.csv")',
        f'"impressions": Input(HERE / "impressions.csv", {SCHEMA})',
    )
    project.write_text(text)
    out = tmp_path / "ds"
    result = build(project, out=out, seed=1)
    m = result.manifest
    assert m["quarantine"]["rows"] == 2 and m["quarantine"]["by_input"]["impressions"] == 2
    assert m["inputs"]["impressions"]["quarantined"] == 2
    quarantine = pq.read_table(out / "quarantine.parquet")
    assert sorted(quarantine["position"].to_pylist()) == [7, 42]  # lines, header = line 1
    assert set(quarantine["input"].to_pylist()) == {"impressions"}
    html = (out / "report.html").read_text()
    assert "2 records did not fit" in html
    assert verify(out).intact
    # rows after a quarantined record still lead to their own line of the file
    source = pacsv.read_csv(io.BytesIO(csv.read_bytes()),
                            convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    checked = 0
    for split in ("train", "valid", "test"):
        for row in pq.read_table(out / f"{split}.parquet").to_pylist()[:20]:
            info = lineage(out, row["row_id"])
            original = source.slice(info["source"]["position"], 1).to_pylist()[0]
            assert str(original["user_id"]) == str(row["user_id"])
            assert original["device_score"] == row["device_score"]
            checked += 1
    assert checked >= 40
