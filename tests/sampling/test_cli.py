"""``winnow sample`` and ``winnow split`` on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from winnow.cli.app import app
from winnow.errors import DefinitionError, SinkError

runner = CliRunner()


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 3000
    start = datetime(2024, 1, 1, tzinfo=UTC)
    table = pa.table({
        "id": np.arange(n),
        "label": rng.choice(["a", "b", "c"], n, p=[0.7, 0.2, 0.1]),
        "w": rng.random(n),
        "user": rng.integers(0, 300, n),
        "ts": pa.array([start + timedelta(hours=int(h)) for h in range(n)],
                       pa.timestamp("us", tz="UTC")),
    })
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    return path


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.output)
    return out


def test_sample_stratified_writes_the_sample_and_reports(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out.parquet"
    out = _json(["sample", str(src), str(dst), "--method", "stratified", "--by", "label",
                 "--n", "300", "--seed", "7", "--json"])
    report = out["report"]
    assert isinstance(report, dict)
    strata = report["strata"]
    assert isinstance(strata, dict)
    assert sorted(strata) == ["a", "b", "c"] and sum(strata.values()) == 300
    table = pq.read_table(dst)
    assert table.num_rows == 300
    from winnow.sampling import stratified

    expected = stratified(pq.read_table(src), by="label", n=300, seed=7).table
    assert table.equals(expected)
    text = runner.invoke(app, ["sample", str(src), str(tmp_path / "o.csv"), "--method",
                               "stratified", "--by", "label", "--allocation", "a=5,c=2",
                               "--seed", "1"])
    assert text.exit_code == 0 and "stratum c" in text.output


@pytest.mark.parametrize(
    ("args", "rows"),
    [
        (["--method", "simple_random", "--frac", "0.1", "--seed", "3"], 300),
        (["--method", "weighted", "--weight", "w", "--n", "50", "--seed", "3"], 50),
        (["--method", "importance", "--target", "w", "--n", "40", "--seed", "3"], 40),
        (["--method", "reservoir", "--n", "25", "--seed", "3"], 25),
        (["--method", "weighted-reservoir", "--weight", "w", "--n", "25", "--seed", "3"], 25),
        (["--method", "convenience", "--n", "10"], 10),
        (["--method", "judgment", "--rule", "label = 'c' AND w > 0.5"], None),
        (["--method", "quota", "--by", "label", "--quotas", '{"a": 3, "b": 4}'], 7),
    ],
)
def test_sample_every_method(src: Path, tmp_path: Path, args: list[str], rows: int | None) -> None:
    dst = tmp_path / "s.parquet"
    out = _json(["sample", str(src), str(dst), *args, "--json"])
    report = out["report"]
    assert isinstance(report, dict)
    table = pq.read_table(dst)
    assert report["output_rows"] == table.num_rows
    if rows is not None:
        assert table.num_rows == rows
    assert report["biased"] is (args[1] in ("convenience", "judgment", "quota"))


def test_sample_reservoir_from_the_cli_equals_the_library(src: Path, tmp_path: Path) -> None:
    from winnow.sampling import Reservoir

    dst = tmp_path / "r.parquet"
    _json(["sample", str(src), str(dst), "--method", "reservoir", "--n", "20", "--seed", "9",
           "--json"])
    r = Reservoir(20, seed=9)
    r.update_many(pq.read_table(src))
    assert pq.read_table(dst)["id"].to_pylist() == r.sample()["id"].to_pylist()


def test_sample_snowball(tmp_path: Path) -> None:
    edges = tmp_path / "edges.csv"
    edges.write_text("src,dst\n1,2\n2,3\n3,4\n")
    dst = tmp_path / "nodes.parquet"
    out = _json(["sample", str(edges), str(dst), "--method", "snowball", "--seeds", "2",
                 "--n", "10", "--max-depth", "1", "--json"])
    assert pq.read_table(dst).to_pydict() == {"node": [2, 1, 3], "depth": [0, 1, 1]}
    assert out["report"]["biased"] is True  # type: ignore[index]


def test_sample_errors(src: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["sample", str(src), str(tmp_path / "x.parquet"), "--method",
                                 "stratified", "--by", "label", "--n", "5"])
    assert isinstance(result.exception, DefinitionError)
    assert "--seed" in str(result.exception)
    bad = runner.invoke(app, ["sample", str(src), str(tmp_path / "x.parquet"), "--method",
                              "magic", "--seed", "1"])
    assert isinstance(bad.exception, DefinitionError)
    proc = subprocess.run(
        [sys.executable, "-c", "from winnow.cli.app import main; main()", "sample", str(src),
         str(tmp_path / "x.parquet"), "--method", "stratified", "--by", "nope", "--n", "5",
         "--seed", "1"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: column 'nope' not found")
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / "x.parquet").exists()


def test_split_by_time_writes_parquet_per_split_and_summary(src: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "splits"
    out = _json(["split", str(src), str(outdir), "--by", "time", "--time", "ts", "--boundaries",
                 "2024-03-01,2024-04-01", "--gap", "1d", "--label", "label", "--train-windows",
                 "30d", "--json"])
    names = sorted(p.name for p in outdir.iterdir())
    assert names == ["summary.json", "summary.parquet", "test.parquet", "train.parquet",
                     "train_30d.parquet", "valid.parquet"]
    train = pq.read_table(outdir / "train.parquet")
    valid = pq.read_table(outdir / "valid.parquet")
    assert train["ts"].to_pylist()[-1] + timedelta(days=1) <= valid["ts"].to_pylist()[0]
    summary = pq.read_table(outdir / "summary.parquet").to_pylist()
    assert [row["split"] for row in summary] == ["train", "valid", "test", "train_30d"]
    assert summary[0]["rows"] == train.num_rows
    assert json.loads(summary[1]["label_counts"]) == out["report"]["splits"]["valid"][  # type: ignore[index]
        "label_counts"]
    saved = json.loads((outdir / "summary.json").read_text())
    assert saved == out["report"]
    assert saved["excluded_rows"] == 48


def test_split_random_and_group(src: Path, tmp_path: Path) -> None:
    _json(["split", str(src), str(tmp_path / "r"), "--by", "random", "--fractions",
           "train=0.5,test=0.5", "--stratify-by", "label", "--seed", "2", "--json"])
    parts = [pq.read_table(tmp_path / "r" / f"{n}.parquet") for n in ("train", "test")]
    assert sum(p.num_rows for p in parts) == 3000
    assert abs(parts[0].num_rows - 1500) <= 2  # rounded per stratum (3 strata)
    _json(["split", str(src), str(tmp_path / "g"), "--by", "group", "--group", "user",
           "--seed", "2", "--json"])
    users = [set(pq.read_table(tmp_path / "g" / f"{n}.parquet")["user"].to_pylist())
             for n in ("train", "valid", "test")]
    assert not (users[0] & users[1]) and not (users[0] & users[2]) and not (users[1] & users[2])
    text = runner.invoke(app, ["split", str(src), str(tmp_path / "g"), "--by", "group",
                               "--group", "user", "--seed", "2"])
    assert isinstance(text.exception, SinkError)
    assert "--overwrite" in str(text.exception)
    again = runner.invoke(app, ["split", str(src), str(tmp_path / "g"), "--by", "group",
                                "--group", "user", "--seed", "2", "--overwrite"])
    assert again.exit_code == 0 and "train" in again.output
