"""``winnow drift`` and ``winnow profile``: exit codes, JSON, HTML and plots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from winnow.profiles import Profile


def _write(path: Path, seed: int, *, shift: float = 0.0) -> Path:
    rng = np.random.default_rng(seed)
    n = 8_000
    pq.write_table(pa.table({
        "amount": rng.normal(100 + 20 * shift, 20, n),
        "merchant": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        "label": rng.integers(0, 2, n),
    }), path)
    return path


def _winnow(*args: str) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).parent / "winnow")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"ref": _write(tmp_path / "ref.parquet", 1),
            "same": _write(tmp_path / "same.parquet", 2),
            "shifted": _write(tmp_path / "shifted.parquet", 3, shift=0.5)}


def test_exit_0_without_drift_and_3_with_it(files: dict[str, Path], tmp_path: Path) -> None:
    run = _winnow("drift", "--reference", str(files["ref"]), "--current", str(files["same"]),
                  "--label", "label", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["drifted"] is False and data["label"] == "label"
    assert {s["column"] for s in data["statistics"]} == {"amount", "merchant", "label"}
    html = tmp_path / "out" / "drift.html"
    run = _winnow("drift", "--reference", str(files["ref"]), "--current",
                  str(files["shifted"]), "--json", "--html", str(html), "--plots",
                  str(tmp_path / "plots"))
    assert run.returncode == 3, run.stderr
    data = json.loads(run.stdout)
    assert data["drifted"] is True and data["drifted_columns"] == ["amount"]
    assert data["html"] == str(html) and "data:image/png;base64," in html.read_text()
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "amount.png", "label.png", "merchant.png"]
    text = _winnow("drift", "--reference", str(files["ref"]), "--current",
                   str(files["shifted"]))
    assert text.returncode == 3 and "DRIFT in amount" in text.stdout


def test_threshold_overrides_and_errors(files: dict[str, Path]) -> None:
    run = _winnow("drift", "--reference", str(files["ref"]), "--current",
                  str(files["shifted"]), "--threshold", "amount:psi=9",
                  "--threshold", "amount:ks_statistic=0.9", "--json")
    assert run.returncode == 0, run.stdout
    bad = _winnow("drift", "--reference", str(files["ref"]), "--current",
                  str(files["shifted"]), "--threshold", "psi")
    assert bad.returncode == 1 and "NAME=NUMBER" in bad.stderr
    missing = _winnow("drift", "--reference", str(files["ref"]), "--current", "nope.parquet")
    assert missing.returncode == 1 and "nope.parquet" in missing.stderr
    column = _winnow("drift", "--reference", str(files["ref"]), "--current",
                     str(files["same"]), "--columns", "amount,nope")
    assert column.returncode == 1 and "'nope'" in column.stderr


def test_profile_command_saves_a_reference(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "ref.json"
    run = _winnow("profile", str(files["ref"]), "--out", str(out), "--categorical", "label",
                  "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["rows"] == 8_000 and data["saved"] == str(out)
    assert [c["column"] for c in data["columns"]] == ["amount", "merchant", "label"]
    assert Profile.load(out)["label"].kind == "categorical"
    run = _winnow("drift", "--reference", str(out), "--current", str(files["shifted"]),
                  "--label", "label", "--json")
    assert run.returncode == 3 and json.loads(run.stdout)["drifted_columns"] == ["amount"]
