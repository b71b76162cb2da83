"""Class imbalance: over/under-sampling targets, SMOTE geometry and errors, class weights."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from sklearn.utils.class_weight import compute_class_weight

from winnow.errors import DefinitionError, SchemaError
from winnow.imbalance import (
    class_distribution,
    class_weights,
    random_oversample,
    random_undersample,
    smote,
)

PASS, POWER = 1e-3, 1e-6


def _table() -> pa.Table:
    rng = np.random.default_rng(0)
    y = np.array(["maj"] * 90 + ["mid"] * 30 + ["min"] * 10)
    return pa.table({
        "id": np.arange(130),
        "x1": rng.normal(size=130) + (y == "min") * 5,
        "x2": rng.integers(0, 10, 130),
        "note": [f"r{i}" for i in range(130)],
        "y": y,
    })


def test_class_weights_match_scikit_learn_balanced() -> None:
    y = np.array([0] * 7 + [1] * 2 + [2])
    ours = class_weights(y)
    ref = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=y)
    assert list(ours) == [0, 1, 2]
    np.testing.assert_allclose(list(ours.values()), ref)
    assert class_weights(pa.array(["b", "a", "a"])) == {"a": 0.75, "b": 1.5}
    assert class_distribution(["b", "a", "a"]) == {"a": 2, "b": 1}
    with pytest.raises(DefinitionError):
        class_weights(y, method="inverse")


def test_random_oversample_reaches_the_ratio_and_keeps_originals() -> None:
    t = _table()
    out, report = random_oversample(t, label="y", ratio=0.5, seed=1)
    assert report.before == {"maj": 90, "mid": 30, "min": 10}
    assert report.after == {"maj": 90, "mid": 45, "min": 45}
    assert out.slice(0, 130).equals(t)
    added = out.slice(130)
    assert class_distribution(added["y"]) == {"mid": 15, "min": 35}
    ids = added["id"].to_numpy()
    assert set(ids[added["y"].to_numpy(zero_copy_only=False) == "min"]) <= set(range(120, 130))
    again, _ = random_oversample(t, label="y", ratio=0.5, seed=1)
    assert again.equals(out)
    full, rep = random_oversample(t, label="y", ratio={"min": 20}, seed=1)
    assert rep.after == {"maj": 90, "mid": 30, "min": 20}
    assert full.num_rows == 140
    with pytest.raises(DefinitionError, match="oversampling only adds rows"):
        random_oversample(t, label="y", ratio={"maj": 10}, seed=1)


def test_oversample_copies_are_uniform_over_the_minority_rows() -> None:
    t = pa.table({"id": np.arange(2010), "y": [0] * 2000 + [1] * 10})
    added = random_oversample(t, label="y", ratio=1.0, seed=2).table.slice(2010)
    minority = added["id"].to_numpy()
    assert len(minority) == 1990 and (minority >= 2000).all()
    counts = np.bincount(minority - 2000, minlength=10)
    assert stats.chisquare(counts).pvalue > PASS
    skewed = np.bincount(np.minimum(minority - 2000, 8), minlength=10)  # never copies the last
    assert stats.chisquare(skewed).pvalue < POWER


def test_random_undersample_exact_sizes() -> None:
    t = _table()
    out, report = random_undersample(t, label="y", ratio=0.5, seed=4)
    assert report.after == {"maj": 20, "mid": 20, "min": 10}
    assert class_distribution(out["y"]) == {"maj": 20, "mid": 20, "min": 10}
    assert (np.diff(out["id"].to_numpy()) > 0).all()
    one, _ = random_undersample(t, label="y", seed=4)
    assert class_distribution(one["y"]) == {"maj": 10, "mid": 10, "min": 10}
    with pytest.raises(DefinitionError, match=r"ratio must be in \(0, 1\]"):
        random_undersample(t, label="y", ratio=2.0, seed=4)


def test_smote_synthesises_points_between_minority_neighbours() -> None:
    t = _table()
    out, report = smote(t, label="y", features=["x1", "x2"], k=3, ratio=1.0, seed=5)
    assert report.after == {"maj": 90, "mid": 90, "min": 90}
    assert out.num_rows == 270
    assert out["x2"].type == pa.float64()
    synth = out.filter(out["synthetic"])
    assert synth.num_rows == 140
    assert synth["note"].null_count == 140 and synth["id"].null_count == 140
    assert out.slice(0, 130)["synthetic"].to_pylist() == [False] * 130
    # every synthetic point lies on a segment between two real points of its class
    for cls in ("mid", "min"):
        real = t.filter(pa.compute.equal(t["y"], cls))
        pts = np.column_stack([real["x1"].to_numpy(), real["x2"].to_numpy().astype(float)])
        rows = synth.filter(pa.compute.equal(synth["y"], cls))
        new = np.column_stack([rows["x1"].to_numpy(), rows["x2"].to_numpy()])
        for p in new:
            d = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=2)
            a = pts[:, None, :]
            b = pts[None, :, :]
            # distance from p to the segment a-b: |p-a| + |p-b| == |a-b| on the segment
            on = np.abs(np.linalg.norm(p - a, axis=2) + np.linalg.norm(p - b, axis=2) - d)
            assert on.min() < 1e-9
    again, _ = smote(t, label="y", features=["x1", "x2"], k=3, ratio=1.0, seed=5)
    assert again.equals(out)


def test_smote_errors() -> None:
    t = _table()
    with pytest.raises(DefinitionError, match=r"class 'min' of 'y' has 10 rows.*k \+ 1 = 11"):
        smote(t, label="y", features=["x1"], k=10, seed=0)
    with pytest.raises(SchemaError, match="numeric features only"):
        smote(t, label="y", features=["note"], seed=0)
    with pytest.raises(DefinitionError, match="cannot also be a feature"):
        smote(t, label="y", features=["y"], seed=0)
    nulls = t.set_column(1, "x1", pa.array([None] + [1.0] * 129))
    with pytest.raises(SchemaError, match="nulls"):
        smote(nulls, label="y", features=["x1"], seed=0)


def test_smote_handles_duplicate_points() -> None:
    t = pa.table({"x": [0.0, 0.0, 0.0, 1.0, 5.0, 5.0, 5.0, 5.0, 5.0, 6.0],
                  "y": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]})
    out = smote(t, label="y", features=["x"], k=2, seed=0).table
    new = out.filter(out["synthetic"])["x"].to_numpy()
    assert len(new) == 2 and ((new >= 0) & (new <= 1)).all()


def _on_knn_segments(real: np.ndarray, new: np.ndarray, k: int) -> float:
    """Fraction of ``new`` points lying on a segment from a real point to one of its k nearest
    real neighbours (excluding itself)."""
    d = np.linalg.norm(real[:, None, :] - real[None, :, :], axis=2)
    np.fill_diagonal(d, np.inf)
    knn = np.argsort(d, axis=1)[:, :k]
    a = real[:, None, :]
    b = real[knn]  # (points, k, dims)
    seg = np.linalg.norm(a - b, axis=2)
    hits = 0
    for p in new:
        off = np.linalg.norm(p - a, axis=2) + np.linalg.norm(p - b, axis=2) - seg
        hits += bool(np.abs(off).min() < 1e-9)
    return hits / len(new)


def test_smote_partners_are_among_the_k_nearest_neighbours() -> None:
    rng = np.random.default_rng(8)
    minority = rng.uniform(0, 100, size=(40, 2))
    x = np.vstack([minority, rng.normal(50, 5, size=(240, 2))])
    t = pa.table({"x1": x[:, 0], "x2": x[:, 1], "y": [1] * 40 + [0] * 240})
    out = smote(t, label="y", features=["x1", "x2"], k=3, seed=1).table
    synth = out.filter(out["synthetic"])
    new = np.column_stack([synth["x1"].to_numpy(), synth["x2"].to_numpy()])
    assert len(new) == 200
    assert _on_knn_segments(minority, new, 3) == 1.0
    # a SMOTE that interpolates toward any row of the class is caught by the same check
    base = rng.integers(0, 40, 200)
    partner = rng.integers(0, 40, 200)
    wrong = minority[base] + rng.random((200, 1)) * (minority[partner] - minority[base])
    assert _on_knn_segments(minority, wrong, 3) < 0.5
