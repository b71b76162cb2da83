"""``winnow label`` and ``winnow agreement`` end to end through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from winnow.cli.app import app
from winnow.io import write_table

WINNOW = [sys.executable, "-c", "from winnow.cli.app import main; main()"]

LFS = """
from winnow.labeling import labeling_function, regex_lf

@labeling_function()
def mentions_free(row):
    return 1 if "free" in row["text"].lower() else -1

@labeling_function()
def polite(row):
    return 0 if "please" in row["text"] or "thanks" in row["text"] else -1

@labeling_function()
def fragile(row):
    return 1 if row["text"].split()[3] == "now" else -1

cash = regex_lf("cash", column="text", pattern="cash|prize|money", label=1)
"""


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run(*args: str) -> Result:
    """Run the app in-process (fast); errors are checked through the real script below."""
    res = CliRunner().invoke(app, list(args))
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return Result(res.exit_code, res.stdout, "")


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WINNOW, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    texts = ["free cash now", "thanks for lunch", "win a free prize now", "please call me",
             "money money money", "thanks, free tomorrow?", "see you", "claim free money now"]
    gold = [1, 0, 1, 0, 1, 0, None, 1]
    path = tmp_path / "messages.parquet"
    write_table(pa.table({"msg_id": [f"m{i}" for i in range(len(texts))], "text": texts,
                          "gold": pa.array(gold, pa.int64())}), path)
    (tmp_path / "lfs.py").write_text(textwrap.dedent(LFS))
    return tmp_path


def test_label_writes_probabilistic_labels_and_prints_summary(corpus: Path) -> None:
    out = corpus / "labels.parquet"
    res = run("label", "--lfs", str(corpus / "lfs.py"), "--data", str(corpus / "messages.parquet"),
              "--out", str(out), "--item-id", "msg_id", "--gold", "gold", "--model", "majority")
    assert res.returncode == 0, res.stderr
    assert "mentions_free" in res.stdout and "fragile failed on" in res.stdout
    labels = pq.read_table(out)
    assert labels.column_names == ["item_id", "label", "confidence", "covered", "prob_0", "prob_1"]
    assert labels.column("item_id").to_pylist()[0] == "m0"
    assert labels.column("label").to_pylist()[:5] == [1, 0, 1, 0, 1]
    assert labels.column("covered").to_pylist()[6] is False


def test_label_json_and_models(corpus: Path) -> None:
    for model in ("dawid-skene", "label-model"):
        res = run("label", "--lfs", str(corpus / "lfs.py"), "--data",
                  str(corpus / "messages.parquet"), "--out", str(corpus / f"{model}.parquet"),
                  "--model", model, "--json")
        assert res.returncode == 0, res.stderr
        report = json.loads(res.stdout)
        assert report["model"] == model and report["items"] == 8 and report["covered"] == 7
        assert [s["source"] for s in report["sources"]] == ["mentions_free", "polite",
                                                             "fragile", "cash"]
        assert report["failures"]["fragile"]["count"] > 0


def test_label_errors_are_one_line(corpus: Path) -> None:
    (corpus / "empty.py").write_text("x = 1\n")
    res = run_script("label", "--lfs", str(corpus / "empty.py"), "--data",
              str(corpus / "messages.parquet"), "--out", str(corpus / "x.parquet"))
    assert res.returncode == 1
    assert res.stderr.startswith("error:") and "labeling_function" in res.stderr


def test_label_gold_column_is_checked(corpus: Path) -> None:
    args = ["label", "--lfs", str(corpus / "lfs.py"), "--data", str(corpus / "messages.parquet"),
            "--out", str(corpus / "x.parquet")]
    res = run_script(*args, "--gold", "truth")
    assert res.returncode == 1
    assert res.stderr.startswith("error: column 'truth' not found") and "gold" in res.stderr
    res = run_script(*args, "--gold", "text")
    assert res.returncode == 1 and "encode them as integers" in res.stderr
    assert not (corpus / "x.parquet").exists()


def test_agreement(tmp_path: Path) -> None:
    path = tmp_path / "ann.csv"
    path.write_text("item,who,grade\na,p,1\na,q,1\na,r,2\nb,p,3\nb,q,3\nc,p,1\nc,r,1\n"
                    "d,q,2\nd,r,3\n")
    res = run("agreement", str(path), "--item", "item", "--annotator", "who", "--label",
              "grade", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["items"] == 4 and report["ratings"] == 9
    assert report["annotators"] == ["p", "q", "r"]
    assert report["cohen_kappa"][0][1] == pytest.approx(1.0)
    text = run("agreement", str(path), "--item", "item", "--annotator", "who", "--label",
               "grade", "--level", "interval")
    assert "Krippendorff's alpha (interval)" in text.stdout
    assert "Fleiss' kappa" in text.stdout
