"""Confident learning finds flipped labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from winnow.errors import SchemaError
from winnow.labeling import confident_joint, find_label_issues, label_quality_scores

PROBS = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.95, 0.05], [0.2, 0.8]])
LABELS = np.array([0, 0, 1, 1, 1])


def test_hand_checked_joint_and_issues() -> None:
    # Thresholds: class 0 = 0.85, class 1 = (0.9 + 0.05 + 0.8) / 3.
    assert confident_joint(LABELS, PROBS).tolist() == [[1, 0], [1, 2]]
    assert find_label_issues(LABELS, PROBS).tolist() == [3]
    assert find_label_issues(LABELS, PROBS, filter_by="confident_learning").tolist() == [3]


def test_scores() -> None:
    np.testing.assert_allclose(label_quality_scores(LABELS, PROBS), [0.9, 0.8, 0.9, 0.05, 0.8])
    np.testing.assert_allclose(
        label_quality_scores(LABELS, PROBS, method="normalized_margin"),
        [0.9, 0.8, 0.9, 0.05, 0.8],
    )


def test_finds_flipped_labels_with_cross_validated_probabilities() -> None:
    rng = np.random.default_rng(0)
    n, k = 3000, 3
    centers = np.array([[0, 0], [4, 0], [0, 4]])
    y = rng.integers(0, k, n)
    X = centers[y] + rng.normal(size=(n, 2))
    noisy = y.copy()
    flip = rng.choice(n, 150, replace=False)
    noisy[flip] = (y[flip] + rng.integers(1, k, 150)) % k
    probs = cross_val_predict(LogisticRegression(), X, noisy, cv=5, method="predict_proba")
    issues = find_label_issues(noisy, probs)
    flipped = set(flip.tolist())
    precision = len(flipped & set(issues.tolist())) / len(issues)
    recall = len(flipped & set(issues.tolist())) / len(flipped)
    assert precision > 0.8 and recall > 0.8
    scores = label_quality_scores(noisy, probs)[issues]
    assert np.all(np.diff(scores) >= 0)  # worst first


def test_bad_inputs() -> None:
    with pytest.raises(SchemaError, match="no abstains"):
        find_label_issues(np.array([0, -1]), np.array([[0.5, 0.5], [0.5, 0.5]]))
    with pytest.raises(SchemaError, match="one row per label"):
        find_label_issues(np.array([0, 1, 1]), np.array([[0.5, 0.5]]))
