"""``winnow etl PIPELINE.yaml``: the run report as a table or JSON; one-line errors."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from winnow.cli.app import app, main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "etl"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return shutil.copytree(EXAMPLE, tmp_path / "etl") / "pipeline.yaml"


def test_json_report(example: Path) -> None:
    result = CliRunner().invoke(app, ["etl", str(example), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pipeline"] == "revenue_by_country"
    assert data["extract"]["rows_read"] == 9
    assert data["extract"]["rows_quarantined"] == 1
    assert data["extract"]["rows_out"] == 8
    assert [(s["kind"], s["rows_in"], s["rows_out"]) for s in data["steps"]][-2:] == [
        ("join", 5, 5),
        ("aggregate", 5, 3),
    ]
    assert data["load"]["rows"] == 3
    assert data["load"]["files"] == ["part-0.parquet"]
    assert data["rows_out"] == 3
    assert (example.parent / "out" / "revenue_by_country" / "part-0.parquet").exists()


def test_table_report(example: Path) -> None:
    result = CliRunner().invoke(app, ["etl", str(example)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("extract", "dedupe", "aggregate", "load", "rows in", "rows out"):
        assert text in result.stdout
    assert "9 rows read, 3 rows out" in result.stdout
    assert "(1 quarantined)" in result.stdout


def test_error_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    bad = tmp_path / "p.yaml"
    bad.write_text("extract: {file: t.csv}\nsteps:\n  - dedupe: {keys: [nope]}\n")
    monkeypatch.setattr(sys, "argv", ["winnow", "etl", str(bad)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: column 'nope' not found in step 1 (dedupe)")
    assert not (tmp_path / "out").exists()
