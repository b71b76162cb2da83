"""Lineage: a row_id leads back to its source row, its feature inputs' time range and its votes."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.datasets.synthetic import write_project
from winnow.datasets import build, lineage
from winnow.errors import SourceError
from winnow.io import read_table


def test_lineage_resolves_to_the_source_row(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    out = tmp_path / "ds"
    build(project, out=out, seed=1)
    source = read_table(tmp_path / "p" / "impressions.csv")
    for split in ("train", "valid", "test"):
        table = pq.read_table(out / f"{split}.parquet")
        for i in (0, table.num_rows // 2, table.num_rows - 1):
            row = table.slice(i, 1).to_pylist()[0]
            info = lineage(out, row["row_id"])
            assert info["split"] == split
            src = info["source"]
            assert src["input"] == "impressions"
            assert src["path"] == str((tmp_path / "p" / "impressions.csv").resolve())
            assert src["line"] == src["position"] + 2
            original = source.slice(src["position"], 1).to_pylist()[0]
            assert original["user_id"] == row["user_id"]
            assert original["ts"] == row["ts"]
            assert original["device_score"] == row["device_score"]
            # the CSV line itself holds that impression
            line = (tmp_path / "p" / "impressions.csv").read_text().splitlines()[src["line"] - 1]
            assert line.startswith(f"{original['imp_id']},{original['user_id']},")
            (group,) = info["features"]
            assert group["group"] == "user" and group["key"] == {"user_id": row["user_id"]}
            assert group["events_from"] == "-inf"  # Last("amount") is a lifetime feature
            assert group["events_before"] == row["ts"].isoformat()
            label = info["label"]
            assert label["value"] == row["label"]
            assert label["known_at"] == row["label_time"].isoformat()
            (vote,) = label["votes"]
            assert vote["source"] == "natural:clicks" and vote["label"] == row["label"]


def test_lineage_of_windowed_group_and_lf_votes(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", labels="lfs", split="random")
    text = project.read_text().replace(', wn.Last("amount")]', "]")
    project.write_text(text)
    out = tmp_path / "ds"
    build(project, out=out, seed=2)
    table = pq.read_table(out / "train.parquet")
    source = read_table(tmp_path / "p" / "impressions.csv")
    for row in table.slice(0, 20).to_pylist():
        info = lineage(out, row["row_id"])
        (group,) = info["features"]
        start = row["ts"] - __import__("datetime").timedelta(days=2)
        assert group["events_from"] == start.isoformat()  # [t - 2d, t)
        lf_score = source.slice(info["source"]["position"], 1)["lf_score"][0].as_py()
        votes = {v["source"]: v["label"] for v in info["label"]["votes"]}
        expected = {}
        if lf_score > 0.7:
            expected["high_score"] = 1
        if lf_score < 0.3:
            expected["low_score"] = 0
        assert votes == expected
        assert info["label"]["value"] == next(iter(expected.values()))


def test_row_ids_are_stable_and_unique(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", split="random")
    a = build(project, out=tmp_path / "a", seed=1)
    b = build(project, out=tmp_path / "b", seed=9)
    assert a.id != b.id
    ids_a = {r: s for s in ("train", "valid", "test")
             for r in pq.read_table(tmp_path / "a" / f"{s}.parquet")["row_id"].to_pylist()}
    ids_b = {r: s for s in ("train", "valid", "test")
             for r in pq.read_table(tmp_path / "b" / f"{s}.parquet")["row_id"].to_pylist()}
    # another seed moves rows between splits but never renames them
    assert set(ids_a) == set(ids_b)
    assert len(ids_a) == sum(a.split_rows.values())
    assert any(ids_a[r] != ids_b[r] for r in ids_a)
    lin = pq.read_table(tmp_path / "a" / "lineage.parquet")
    assert pc.count_distinct(lin["position"]).as_py() == lin.num_rows


def test_unknown_row_id(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    build(project, out=tmp_path / "ds", seed=1)
    with pytest.raises(SourceError, match="not in the dataset"):
        lineage(tmp_path / "ds", "0123456789abcdef")
    with pytest.raises(SourceError, match="not a built dataset"):
        lineage(tmp_path / "p", "0123456789abcdef")
