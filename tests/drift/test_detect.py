"""detect_drift: synthetic shifts are caught, same-distribution samples are not flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import winnow as wn
from winnow.drift import Thresholds, detect_drift, load_reference
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.profiles import Profile, profile

SHARES = {"a": 0.5, "b": 0.3, "c": 0.2}
DOUBLED_C = {"a": 0.375, "b": 0.225, "c": 0.4}  # c's share doubled, the others scaled down


def _sample(n: int, seed: int, *, mean: float = 0.0,
            shares: dict[str, float] = SHARES, positive: float = 0.3) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "amount": rng.normal(100 + 20 * mean, 20, n),  # sd 20: mean=0.5 moves it by 0.5 sd
        "merchant": rng.choice(list(shares), n, p=list(shares.values())),
        "label": (rng.random(n) < positive).astype(np.int64),
    })


def _flags(report: wn.DriftReport) -> dict[tuple[str, str], bool]:
    return {(s.column, s.statistic): s.drifted for s in report.statistics}


@pytest.mark.parametrize("mode", ["data", "profiles"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_same_distribution_is_not_flagged(mode: str, seed: int) -> None:
    ref, cur = _sample(20_000, 100 + seed), _sample(15_000, 200 + seed)
    if mode == "profiles":
        report = detect_drift(profile(ref, categorical=["label"]),
                              profile(cur, categorical=["label"]), label="label")
    else:
        report = detect_drift(ref, cur, label="label")
    assert not report.drifted, report.to_arrow().to_pylist()
    assert report.columns == ["amount", "merchant", "label"]


@pytest.mark.parametrize("mode", ["data", "profiles"])
def test_mean_moved_by_half_a_standard_deviation_is_caught(mode: str) -> None:
    ref, cur = _sample(20_000, 1), _sample(15_000, 2, mean=0.5)
    if mode == "profiles":
        ref, cur = profile(ref), profile(cur)  # type: ignore[assignment]
    report = detect_drift(ref, cur)
    flags = _flags(report)
    assert flags[("amount", "psi")] and flags[("amount", "ks")]
    assert not flags[("merchant", "chi2")] and not flags[("merchant", "js")]
    assert report.drifted_columns == ["amount"]
    ks = next(s for s in report.statistics if s.statistic == "ks")
    assert 0.15 < ks.value < 0.25 and ks.p_value is not None and ks.p_value < 1e-10


@pytest.mark.parametrize("mode", ["data", "profiles"])
def test_a_category_share_doubled_is_caught(mode: str) -> None:
    ref, cur = _sample(20_000, 3), _sample(15_000, 4, shares=DOUBLED_C)
    if mode == "profiles":
        ref, cur = profile(ref), profile(cur)  # type: ignore[assignment]
    flags = _flags(detect_drift(ref, cur))
    assert flags[("merchant", "chi2")] and flags[("merchant", "js")]
    assert not flags[("amount", "psi")] and not flags[("amount", "ks")]


def test_label_distribution_shift() -> None:
    ref, cur = _sample(20_000, 5), _sample(15_000, 6, positive=0.6)
    report = detect_drift(ref, cur, label="label")
    label_stats = [s for s in report.statistics if s.column == "label"]
    assert {s.role for s in label_stats} == {"label"}
    assert report.drifted_columns == ["label"]
    with pytest.raises(SchemaError, match="categorical=\\['label'\\]"):
        detect_drift(profile(ref), profile(cur), label="label")


def test_new_and_missing_categories_and_null_rates() -> None:
    ref = pa.table({"m": ["a"] * 600 + ["b"] * 300 + ["gone"] * 100,
                    "x": [1.0] * 1000})
    cur = pa.table({"m": ["a"] * 550 + ["b"] * 300 + ["new"] * 150,
                    "x": [1.0] * 800 + [None] * 200})
    report = detect_drift(ref, cur)
    by = {(s.column, s.statistic): s for s in report.statistics}
    assert by[("m", "new_categories")].value == pytest.approx(0.15)
    assert by[("m", "new_categories")].drifted and "new" in by[("m", "new_categories")].detail
    assert by[("m", "missing_categories")].value == pytest.approx(0.1)
    assert by[("m", "missing_categories")].drifted
    assert by[("x", "null_rate")].value == pytest.approx(0.2) and by[("x", "null_rate")].drifted


def test_thresholds_default_and_per_column() -> None:
    ref, cur = _sample(20_000, 1), _sample(15_000, 2, mean=0.5)
    loose = detect_drift(ref, cur, column_thresholds={"amount": {"psi": 5.0,
                                                                 "ks_statistic": 0.9}})
    assert not loose.drifted
    strict = detect_drift(ref, _sample(15_000, 9), thresholds=Thresholds(ks_pvalue=1.0,
                                                                       ks_statistic=0.0))
    assert ("amount", "ks") in {(s.column, s.statistic) for s in strict.statistics if s.drifted}
    with pytest.raises(DefinitionError, match="unknown drift threshold 'psl'"):
        Thresholds().with_overrides({"psl": 1.0})


def test_outputs(tmp_path: Path) -> None:
    report = detect_drift(_sample(5_000, 1), _sample(5_000, 2, mean=0.5), label="label")
    table = report.to_arrow()
    assert table.column_names == ["column", "role", "statistic", "value", "threshold", "p_value",
                                  "drifted", "detail"]
    assert table.num_rows == len(report.statistics)
    data = report.to_json()
    assert data["drifted"] is True and data["drifted_columns"] == ["amount"]
    html = report.save_html(tmp_path / "r.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "amount - DRIFT" not in html
    assert "<td>DRIFT</td>" in html
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(report.to_rich())
    assert "DRIFT" in console.export_text()
    paths = wn.drift.save_plots(report, tmp_path / "plots")
    assert sorted(p.name for p in paths) == ["amount.png", "label.png", "merchant.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_sources_profile_json_and_files(tmp_path: Path) -> None:
    ref, cur = _sample(8_000, 1), _sample(8_000, 2, mean=0.5)
    pq.write_table(ref, tmp_path / "ref.parquet")
    pq.write_table(cur, tmp_path / "cur.parquet")
    profile(ref).save(tmp_path / "ref.json")
    from_files = detect_drift(tmp_path / "ref.parquet", tmp_path / "cur.parquet")
    from_json = detect_drift(tmp_path / "ref.json", tmp_path / "cur.parquet")
    assert from_files.drifted_columns == from_json.drifted_columns == ["amount"]
    assert isinstance(load_reference(tmp_path / "ref.json"), Profile)
    with pytest.raises(ColumnNotFoundError, match="'nope'"):
        detect_drift(ref, cur, columns=["nope"])


def test_dataset_directory_reference(tmp_path: Path) -> None:
    from tests.datasets.synthetic import write_project

    project = write_project(tmp_path / "proj")
    result = wn.build(project, out=tmp_path / "ds", seed=3)
    saved = tmp_path / "ds" / "profiles" / "train.json"
    assert saved.is_file()
    assert result.manifest["files"]["profiles/train.json"]
    reference = load_reference(tmp_path / "ds")
    features = list(result.manifest["columns"]["features"])
    assert reference.names == [*features, "label"] and reference["label"].kind == "categorical"
    train = pq.read_table(tmp_path / "ds" / "train.parquet")
    assert reference.rows == train.num_rows
    valid = tmp_path / "ds" / "valid.parquet"
    report = detect_drift(tmp_path / "ds", valid, label="label")
    assert report.columns == [*features, "label"]
    same = detect_drift(tmp_path / "ds", tmp_path / "ds" / "train.parquet", label="label")
    assert not same.drifted
    assert wn.datasets.verify(tmp_path / "ds").intact
