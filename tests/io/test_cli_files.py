"""winnow convert / winnow inspect through the real command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import winnow as wn
from winnow.cli.app import app, main

from .test_ingest import BAD_CSV, BAD_CSV_EXPECTED, GOOD_ROWS, SCHEMA

runner = CliRunner()


def _write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "bad.csv"
    src.write_text(BAD_CSV)
    return src, SCHEMA.to_file(tmp_path / "schema.yaml")


def test_convert_writes_exactly_the_good_rows_and_quarantines_exactly_the_bad(
    tmp_path: Path,
) -> None:
    src, schema = _write_inputs(tmp_path)
    dst = tmp_path / "good.parquet"
    result = runner.invoke(app, ["convert", str(src), str(dst), "--schema", str(schema)])
    assert result.exit_code == 0, result.output
    assert "read 8, accepted 2, quarantined 6 rows" in result.output
    good = pq.read_table(dst)
    assert good.schema == SCHEMA.to_arrow()
    assert good.to_pylist() == GOOD_ROWS
    quarantine = pq.read_table(tmp_path / "good.parquet.quarantine.parquet")
    got = list(zip(*(quarantine.column(c).to_pylist()
                     for c in ("position", "column", "reason", "raw")), strict=True))
    assert got == BAD_CSV_EXPECTED


def test_convert_json_output_and_no_quarantine_file_when_clean(tmp_path: Path) -> None:
    src = tmp_path / "ok.csv"
    src.write_text("a,b\n1,x\n2,y\n")
    dst = tmp_path / "ok.jsonl"
    stale = tmp_path / "ok.jsonl.quarantine.parquet"
    stale.write_bytes(b"from an earlier run")
    result = runner.invoke(app, ["convert", str(src), str(dst), "--json", "--columns", "b"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["read"], report["accepted"], report["quarantined"]) == (2, 2, 0)
    assert report["quarantine_file"] is None
    assert report["input_bytes"] == src.stat().st_size
    assert report["output_bytes"] == dst.stat().st_size
    assert report["seconds"] >= 0
    assert not stale.exists()
    assert wn.read_table(dst).to_pylist() == [{"b": "x"}, {"b": "y"}]


def test_convert_every_format_pair_round_trips(tmp_path: Path) -> None:
    table = pa.table({"id": [1, 2], "t": pa.array([0, None], pa.timestamp("us", tz="UTC"))})
    src = wn.write_table(table, tmp_path / "t.parquet")
    for ext in ("csv", "jsonl", "avro", "arrow", "tsv"):
        dst = tmp_path / f"t.{ext}"
        result = runner.invoke(app, ["convert", str(src), str(dst)])
        assert result.exit_code == 0, result.output
        back = tmp_path / f"back-{ext}.parquet"
        assert runner.invoke(app, ["convert", str(dst), str(back)]).exit_code == 0
        assert pq.read_table(back).equals(table), ext


def test_errors_exit_non_zero_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pkl = tmp_path / "t.pkl"
    pkl.write_bytes(b"not even a pickle")
    cases = [
        (["convert", str(tmp_path / "missing.csv"), str(tmp_path / "x.parquet")], "no such file"),
        (["convert", str(pkl), str(tmp_path / "x.parquet")], "refusing to read pickle"),
        (["convert", str(pkl), str(tmp_path / "x.xlsx"), "--trusted"], "cannot tell the format"),
        (["inspect", str(tmp_path / "nope.parquet")], "no such file"),
    ]
    for args, message in cases:
        monkeypatch.setattr(sys, "argv", ["winnow", *args])
        with pytest.raises(SystemExit) as exited:
            main()  # the console script's entry point
        assert exited.value.code == 1, args
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not (tmp_path / "x.parquet").exists()


def test_inspect_text_and_json(tmp_path: Path) -> None:
    table = pa.table({"id": [1, None, 3], "name": ["a", "b", None], "t": pa.array(
        [0, 1, 2], pa.timestamp("us", tz="UTC"))})
    path = wn.write_table(table, tmp_path / "t.parquet")
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["format"] == "parquet"
    assert info["rows"] == 3
    assert info["bytes"] == path.stat().st_size
    assert info["columns"] == [
        {"name": "id", "type": "int64", "nulls": 1},
        {"name": "name", "type": "string", "nulls": 1},
        {"name": "t", "type": "timestamp[us, tz=UTC]", "nulls": 0},
    ]
    text = runner.invoke(app, ["inspect", str(path)])
    assert text.exit_code == 0
    assert "format parquet" in text.output and "3 rows" in text.output
    assert "timestamp[us, tz=UTC]" in text.output


def test_inspect_infer_reports_widening_and_writes_the_schema(tmp_path: Path) -> None:
    src, _ = _write_inputs(tmp_path)
    out = tmp_path / "inferred.yaml"
    result = runner.invoke(app, ["inspect", str(src), "--infer", "--schema-out", str(out),
                                 "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["quarantined"] == 2  # the two lines with the wrong number of fields
    assert info["inference"]["rows_read"] == 6
    assert {w["column"] for w in info["inference"]["widened"]} == {"id", "amount", "at"}
    assert wn.Schema.from_file(out).names == ["id", "amount", "at"]
