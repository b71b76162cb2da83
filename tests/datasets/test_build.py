"""Building datasets: output layout, byte-identical rebuilds, ids, verify, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.datasets.synthetic import write_project
from winnow.datasets import build, read_manifest, verify
from winnow.errors import DefinitionError, SinkError

DATA_FILES = ("train.parquet", "valid.parquet", "test.parquet", "lineage.parquet",
              "votes.parquet", "report.html")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


def test_build_writes_splits_manifest_report(project: Path, tmp_path: Path) -> None:
    result = build(project, out=tmp_path / "ds", seed=3)
    names = sorted(p.name for p in (tmp_path / "ds").iterdir())
    assert names == sorted([*DATA_FILES, "manifest.json", "profiles"])
    manifest = read_manifest(tmp_path / "ds")
    assert manifest["id"] == result.id
    assert manifest["split"]["names"] == ["train", "valid", "test"]
    total = sum(s["rows"] for s in manifest["splits"].values())
    assert total == sum(pq.read_metadata(tmp_path / "ds" / f"{s}.parquet").num_rows
                        for s in ("train", "valid", "test"))
    # spine rows = labelled rows + rows whose 30m window was still open at the data's end
    excluded = manifest["spine"]["excluded"]
    assert manifest["spine"]["rows"] == total + sum(excluded.values())
    for name in ("impressions", "clicks", "events"):
        info = manifest["inputs"][name]
        assert len(info["sha256"]) == 64 and info["rows"] > 0 and info["schema"]
    train = pq.read_table(tmp_path / "ds" / "train.parquet")
    assert train.column_names == [
        "row_id", "ts", "user_id", "device_score", "user__count_1d", "user__sum_amount_2d",
        "user__last_amount", "label", "label_time",
    ]
    assert pq.ParquetFile(tmp_path / "ds" / "train.parquet").metadata.row_group(0).column(
        0).compression == "ZSTD"
    assert manifest["leakage"]["passed"]
    # Last("amount") is a lifetime feature, so the group reads all earlier events
    assert manifest["features"]["groups"][0]["longest_window_us"] is None


def test_rebuild_is_byte_identical(project: Path, tmp_path: Path) -> None:
    first = build(project, out=tmp_path / "a", seed=7)
    second = build(project, out=tmp_path / "b", seed=7)
    assert first.id == second.id
    for name in DATA_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    a = read_manifest(tmp_path / "a")
    b = read_manifest(tmp_path / "b")
    assert a["files"] == b["files"]
    a.pop("build"), b.pop("build")
    assert a == b


def test_id_changes_with_input_byte(tmp_path: Path) -> None:
    base = write_project(tmp_path / "one")
    first = build(base, out=tmp_path / "a", seed=1)
    events = tmp_path / "one" / "events.csv"
    data = bytearray(events.read_bytes())
    # change one digit of one amount in the last line (still a valid number)
    idx = data.rstrip().rfind(b".") - 1
    data[idx] = ord("7") if data[idx] != ord("7") else ord("3")
    events.write_bytes(bytes(data))
    second = build(base, out=tmp_path / "b", seed=1)
    assert first.id != second.id
    assert first.manifest["inputs"]["events"]["sha256"] != second.manifest["inputs"]["events"][
        "sha256"]


def test_id_changes_with_seed(project: Path, tmp_path: Path) -> None:
    assert build(project, out=tmp_path / "a", seed=1).id != build(
        project, out=tmp_path / "b", seed=2).id


def test_id_changes_with_the_definition(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    first = build(project, out=tmp_path / "a", seed=1)
    project.write_text(project.read_text().replace('within="30m"', 'within="45m"'))
    second = build(project, out=tmp_path / "b", seed=1)
    assert first.manifest["definition"]["sha256"] != second.manifest["definition"]["sha256"]
    assert first.manifest["labels"]["within"] == "30m" != second.manifest["labels"]["within"]
    assert first.id != second.id


def test_id_changes_with_labeling_function_code_only(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", labels="lfs")
    first = build(project, out=tmp_path / "a", seed=1)
    lfs = tmp_path / "p" / "lfs.py"
    lfs.write_text(lfs.read_text().replace("> 0.7", "> 0.75"))
    for mod in [m for m in sys.modules if m == "lfs"]:
        del sys.modules[mod]
    second = build(project, out=tmp_path / "b", seed=1)
    # the project file itself did not change; only the function's code did
    assert first.manifest["definition"] == second.manifest["definition"]
    v1 = {f["name"]: f["version"] for f in first.manifest["labels"]["labeling_functions"]}
    v2 = {f["name"]: f["version"] for f in second.manifest["labels"]["labeling_functions"]}
    assert v1["high_score"] != v2["high_score"] and v1["low_score"] == v2["low_score"]
    assert first.id != second.id


def test_lf_labels_and_gold_report(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", labels="lfs", split="random")
    result = build(project, out=tmp_path / "ds", seed=1)
    labels = result.manifest["labels"]
    assert labels["kind"] == "lfs" and labels["model"]["class"] == "MajorityVote"
    # the functions are exact on the rows they cover, and rows with score in [0.3, 0.7] abstain
    assert labels["gold_accuracy"] == 1.0
    assert result.manifest["spine"]["excluded"]["no labeling function voted"] > 0
    html = (tmp_path / "ds" / "report.html").read_text()
    assert "Label model vs gold labels" in html and "high_score" in html
    train = pq.read_table(tmp_path / "ds" / "train.parquet")
    assert "gold" not in train.column_names


def test_existing_output_is_refused_unless_overwrite(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    build(project, out=out, seed=1)
    with pytest.raises(SinkError, match="already exists"):
        build(project, out=out, seed=1)
    build(project, out=out, seed=2, overwrite=True)
    assert read_manifest(out)["seed"] == 2


def test_failed_build_leaves_no_directory(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        prepare='def prepare(tables):\n    raise RuntimeError("boom")\n',
    )
    with pytest.raises(RuntimeError, match="boom"):
        build(project, out=tmp_path / "ds", seed=1)
    assert not (tmp_path / "ds").exists()
    assert not list(tmp_path.glob(".winnow-tmp-*"))


def test_verify_detects_changes(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    build(project, out=out, seed=1)
    ok = verify(out)
    assert ok.intact and ok.problems == []
    assert ok.inputs == {"impressions": "unchanged", "clicks": "unchanged", "events": "unchanged"}

    damaged = tmp_path / "damaged"
    shutil.copytree(out, damaged)
    data = bytearray((damaged / "valid.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (damaged / "valid.parquet").write_bytes(bytes(data))
    bad = verify(damaged)
    assert not bad.intact and any("valid.parquet changed" in p for p in bad.problems)

    edited = tmp_path / "edited"
    shutil.copytree(out, edited)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["seed"] = 99
    (edited / "manifest.json").write_text(json.dumps(manifest))
    assert any("manifest was edited" in p for p in verify(edited).problems)

    added = tmp_path / "added"
    shutil.copytree(out, added)
    (added / "profiles" / "extra.json").write_text("{}")
    assert "files not written by the build: profiles/extra.json" in verify(added).problems

    (tmp_path / "proj" / "clicks.csv").write_text("user_id,ts\n")
    assert verify(out).inputs["clicks"] == "changed" and verify(out).intact


def test_split_kinds(tmp_path: Path) -> None:
    for kind in ("random", "group"):
        project = write_project(tmp_path / kind, split=kind)
        result = build(project, out=tmp_path / f"ds-{kind}", seed=5)
        rows = result.split_rows
        assert set(rows) == {"train", "valid", "test"} and all(v > 0 for v in rows.values())
        checks = {c["name"]: c for c in result.manifest["leakage"]["checks"]}
        if kind == "group":
            assert checks["group split"]["passed"]
            users = [set(pq.read_table(tmp_path / f"ds-{kind}" / f"{s}.parquet")["user_id"]
                         .to_pylist()) for s in ("train", "valid", "test")]
            assert not (users[0] & users[1]) and not (users[0] & users[2])


def test_timeless_spine_rejects_feature_groups(tmp_path: Path) -> None:
    from winnow.datasets import Dataset, Input, Labels, Spine, Split

    write_project(tmp_path / "p")
    with pytest.raises(DefinitionError, match="no time column"):
        Dataset(
            "x", inputs={"impressions": Input(tmp_path / "p" / "impressions.csv")},
            spine=Spine("impressions", time=None), labels=Labels.column("gold"),
            split=Split.by_time({"train": None, "test": "2024-01-05"}),
        )


def test_cli_build_verify_lineage_baseline(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    exe = [str(Path(sys.executable).parent / "winnow")]
    run = subprocess.run([*exe, "build", str(project), "--out", str(out), "--seed", "4",
                          "--json"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["id"] == read_manifest(out)["id"] and summary["leakage_passed"]
    run = subprocess.run([*exe, "verify", str(out), "--json"], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0 and json.loads(run.stdout)["intact"]
    row_id = pq.read_table(out / "valid.parquet")["row_id"][0].as_py()
    run = subprocess.run([*exe, "lineage", str(out), row_id, "--json"], capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["split"] == "valid"
    run = subprocess.run([*exe, "baseline", str(out)], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert "logistic" in run.stdout and "ROC AUC" in run.stdout and "majority" in run.stdout
    (out / "test.parquet").write_bytes(b"garbage")
    run = subprocess.run([*exe, "verify", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "DAMAGED" in run.stdout
    run = subprocess.run([*exe, "lineage", str(out), "ffffffffffffffff"], capture_output=True,
                         text=True, check=False)
    assert run.returncode == 1 and run.stderr.startswith("error: row_id")
