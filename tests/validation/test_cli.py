"""``winnow validate SRC --expect FILE``: the table, --json, exit codes, written files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from winnow.cli.app import app

SUITE = """\
on_fail: {on_fail}
expectations:
  - unique: id
  - not_null: x
  - in_range: {{column: x, min: 0}}
  - row_count: {{min: 1}}
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": [1, 2, 2, 3, 4], "x": [1.0, -5.0, 2.0, None, 4.0]}), path)
    return path


def suite(tmp_path: Path, on_fail: str) -> Path:
    path = tmp_path / f"{on_fail}.yaml"
    path.write_text(SUITE.format(on_fail=on_fail))
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout


def test_failure_exits_1_with_a_table(data: Path, tmp_path: Path) -> None:
    code, out = run(str(data), "--expect", str(suite(tmp_path, "fail")))
    assert code == 1
    for text in ("expectation", "observed", "expected", "failing rows", "unique(id)",
                 "duplicates 1", "null_rate 0.2", "min -5", "FAIL", "pass"):
        assert text in out, text
    assert "FAILED: 3 expectation(s) with on_fail=fail" in out
    assert 'row 1: {"id": 2, "x": -5.0}' in out


def test_json_and_quarantine_out(data: Path, tmp_path: Path) -> None:
    q = tmp_path / "q.parquet"
    kept = tmp_path / "kept.parquet"
    code, out = run(str(data), "--expect", str(suite(tmp_path, "quarantine")), "--json",
                    "--quarantine-out", str(q), "--out", str(kept))
    assert code == 0
    report = json.loads(out)
    assert report["passed"] is False
    assert report["rows_quarantined"] == 3
    assert [r["action"] for r in report["results"]] == [
        "quarantined", "quarantined", "quarantined", "passed"
    ]
    assert report["results"][0]["observed"] == {"duplicates": 1}
    assert report["results"][2]["sample"] == [{"_position": 1, "id": 2, "x": -5.0}]
    assert pq.read_table(q).column("position").to_pylist() == [1, 2, 3]
    assert pq.read_table(kept).column("id").to_pylist() == [1, 4]
    assert report["written"] == {"quarantine": str(q), "kept": str(kept)}


def test_warn_exits_0_and_on_fail_override(data: Path, tmp_path: Path) -> None:
    code, out = run(str(data), "--expect", str(suite(tmp_path, "warn")))
    assert code == 0
    assert "passed with warnings/quarantine" in out
    code, _ = run(str(data), "--expect", str(suite(tmp_path, "warn")), "--on-fail", "fail")
    assert code == 1
    # nothing is written when the validation fails
    q = tmp_path / "q.parquet"
    code, _ = run(str(data), "--expect", str(suite(tmp_path, "fail")), "--quarantine-out", str(q))
    assert code == 1 and not q.exists()


def test_passing_data_exits_0(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,x\n1,1.5\n2,0\n")
    code, out = run(str(good), "--expect", str(suite(tmp_path, "fail")), "--json")
    assert code == 0
    assert json.loads(out)["passed"] is True


def test_errors_are_one_line_through_the_script(tmp_path: Path, data: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("expectations:\n  - in_range: {column: x, minimum: 0}\n")
    for args, message in (
        ([str(data), "--expect", str(bad)], "line 2, expectations[0] (in_range): unknown key"),
        ([str(data), "--expect", str(suite(tmp_path, "fail")), "--on-fail", "drop"],
         "--on-fail 'drop' is not one of"),
    ):
        proc = subprocess.run(
            [sys.executable, "-c", "from winnow.cli.app import main; main()", "validate", *args],
            capture_output=True, text=True, check=False,
        )
        assert proc.returncode == 1
        assert proc.stderr.startswith("error: ") and message in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    # a failed validation through the real entry point exits 1 too
    proc = subprocess.run(
        [sys.executable, "-c", "from winnow.cli.app import main; main()", "validate",
         str(data), "--expect", str(suite(tmp_path, "fail"))],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1
