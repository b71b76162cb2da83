"""``winnow backfill`` end to end through the CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import winnow as wn

TS = pa.timestamp("us", tz="UTC")
H = 3_600_000_000

DEFS = '''
import winnow as wn

tx = wn.EventSource("events.parquet", time="ts")
card = wn.FeatureGroup("card", source=tx, key="card_id",
                       features=[wn.Count(window="1h"), wn.Sum("amount"), wn.Last("merchant")])
merchant = wn.FeatureGroup("merchant", source=tx, key="merchant", features=[wn.Count()])
'''


def _winnow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from winnow.cli import main; main()", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )


def _setup(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"card_id": [1, 1, 2], "ts": pa.array([0, H, 0], TS),
                  "amount": [1.0, 2.0, 5.0], "merchant": ["a", "b", "a"]}),
        tmp_path / "events.parquet",
    )
    pq.write_table(
        pa.table({"card_id": [1, 2, 3], "shop": ["a", "b", "a"],
                  "ts": pa.array([H, 2 * H, 2 * H], TS), "label": [1, 0, 1]}),
        tmp_path / "spine.parquet",
    )
    (tmp_path / "defs.py").write_text(DEFS)


def test_backfill_writes_features_and_prints_a_summary(tmp_path: Path) -> None:
    _setup(tmp_path)
    done = _winnow("backfill", "--features", "defs.py", "--spine", "spine.parquet",
                   "--out", "out.parquet", "--key", "merchant=shop", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["rows"] == 3 and summary["features"] == 4
    assert summary["bytes"] == (tmp_path / "out.parquet").stat().st_size
    out = wn.read_table(tmp_path / "out.parquet")
    assert out["card__count_1h"].to_pylist() == [1, 0, 0]
    assert out["card__sum_amount"].to_pylist() == [1.0, 5.0, 0.0]
    assert out["card__last_merchant"].to_pylist() == ["a", "a", None]
    assert out["merchant__count"].to_pylist() == [2, 1, 2]
    assert out["label"].to_pylist() == [1, 0, 1]

    text = _winnow("backfill", "--features", "defs.py", "--spine", "spine.parquet",
                   "--out", "out2.parquet", "--key", "merchant=shop", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("backfilled 3 rows x 4 features (2 groups: card, merchant) in ")
    assert lines[1:] == [
        "  card: 3 features, key card_id",
        "  merchant: 1 feature, key merchant (spine: shop)",
        f"wrote out2.parquet ({(tmp_path / 'out2.parquet').stat().st_size:,} bytes, 8 columns)",
    ]


def test_explain_prints_sql(tmp_path: Path) -> None:
    _setup(tmp_path)
    done = _winnow("backfill", "--features", "defs.py", "--spine", "spine.parquet",
                   "--key", "merchant=shop", "--explain", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "-- feature group card" in done.stdout and "-- feature group merchant" in done.stdout
    assert "read_parquet(" in done.stdout


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    _setup(tmp_path)
    done = _winnow("backfill", "--features", "defs.py", "--spine", "spine.parquet",
                   "--out", "out.parquet", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: column 'merchant' not found in the spine")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.parquet").exists()
