"""lf_summary on a small hand-checked matrix."""

from __future__ import annotations

import numpy as np
import pytest

from winnow.errors import SchemaError
from winnow.labeling import lf_summary

# Four items, three sources; source 2 never votes.
L = np.array([
    [0, 0, -1],
    [1, 0, -1],
    [-1, 1, -1],
    [2, -1, -1],
])
Y = np.array([0, 1, 1, 0])


def test_hand_checked_statistics() -> None:
    t = lf_summary(L, Y, names=["a", "b", "silent"])
    assert t.column("source").to_pylist() == ["a", "b", "silent"]
    assert t.column("polarity").to_pylist() == [[0, 1, 2], [0, 1], []]
    assert t.column("coverage").to_pylist() == [0.75, 0.75, 0.0]
    # Items 0 and 1 have two votes each.
    assert t.column("overlaps").to_pylist() == [0.5, 0.5, 0.0]
    # Only item 1 has a disagreement (1 vs 0).
    assert t.column("conflicts").to_pylist() == [0.25, 0.25, 0.0]
    # a: items 0, 1 right, item 3 wrong; b: items 0, 2 right, item 1 wrong.
    assert t.column("correct").to_pylist() == [2, 2, 0]
    assert t.column("incorrect").to_pylist() == [1, 1, 0]
    acc = t.column("emp_acc").to_pylist()
    assert acc[0] == pytest.approx(2 / 3) and acc[1] == pytest.approx(2 / 3)
    assert acc[2] == 0.0  # never votes: 0, not NaN


def test_without_gold_and_unknown_gold() -> None:
    t = lf_summary(L)
    assert "emp_acc" not in t.column_names
    t2 = lf_summary(L, np.array([0, -1, -1, -1]))
    assert t2.column("correct").to_pylist() == [1, 1, 0]
    assert t2.column("emp_acc").to_pylist() == [1.0, 1.0, 0.0]


def test_mismatched_gold_is_refused() -> None:
    with pytest.raises(SchemaError, match="Y has 2 labels"):
        lf_summary(L, np.array([0, 1]))
