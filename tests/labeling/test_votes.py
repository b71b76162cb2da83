"""The vote store converts to the L matrix and back without loss; latest vote wins."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from winnow.errors import ColumnNotFoundError, SchemaError
from winnow.labeling import ABSTAIN, VoteStore, check_label_matrix


def test_round_trip_keeps_empty_items_and_silent_sources() -> None:
    L = np.array([[0, -1, 2], [-1, -1, -1], [1, 1, -1]])
    store = VoteStore.from_matrix(L, items=["a", "b", "c"], sources=["x", "y", "never"])
    assert store.table.num_rows == 4
    assert store.n_items == 3 and store.sources == ["x", "y", "never"]
    assert store.table.column("label").to_pylist() == [0, 2, 1, 1]
    assert store.table.column("item_id").to_pylist() == ["a", "a", "c", "c"]
    np.testing.assert_array_equal(store.to_matrix(), L)


def test_latest_vote_of_a_source_wins() -> None:
    t = lambda d: datetime(2024, 1, d, tzinfo=UTC)  # noqa: E731
    table = pa.table({
        "item_id": [1, 1, 2, 2],
        "source": ["ann", "ann", "ann", "ann"],
        "label": [0, 1, 2, 0],
        "time": [t(2), t(1), t(1), t(3)],
    })
    store = VoteStore(table)
    assert store.to_matrix().tolist() == [[0], [0]]


def test_from_table_maps_string_labels_and_drops_abstains() -> None:
    table = pa.table({
        "item": ["a", "a", "b", "b", "c"],
        "annotator": ["p", "q", "p", "q", "q"],
        "answer": ["spam", "ham", None, "spam", "unsure"],
    })
    store = VoteStore.from_table(table, item_id="item", source="annotator", label="answer",
                                 label_map={"ham": 0, "spam": 1, "unsure": ABSTAIN})
    assert store.items.to_pylist() == ["a", "b", "c"]
    assert store.sources == ["p", "q"]
    assert store.to_matrix().tolist() == [[1, 0], [-1, 1], [-1, -1]]
    with pytest.raises(SchemaError, match="not in label_map"):
        VoteStore.from_table(table, item_id="item", source="annotator", label="answer",
                             label_map={"ham": 0})
    with pytest.raises(ColumnNotFoundError, match="who"):
        VoteStore.from_table(table, item_id="item", source="who", label="answer")


def test_concat_unions_items_and_sources() -> None:
    a = VoteStore.from_matrix(np.array([[0], [1]]), sources=["lf"], items=[10, 11])
    b = VoteStore.from_matrix(np.array([[1], [1]]), sources=["ann"], items=[11, 12])
    both = a.concat(b)
    assert both.items.to_pylist() == [10, 11, 12]
    assert both.to_matrix().tolist() == [[0, -1], [1, 1], [-1, 1]]


def test_bad_matrices_are_refused_with_the_fix() -> None:
    with pytest.raises(SchemaError, match="re-encode"):
        check_label_matrix(np.array([[1, -2]]))
    with pytest.raises(SchemaError, match="cardinality is 2"):
        check_label_matrix(np.array([[0, 2]]), cardinality=2)
    with pytest.raises(SchemaError, match="2-D"):
        check_label_matrix(np.array([0, 1]))
    with pytest.raises(SchemaError, match="drop abstains"):
        VoteStore(pa.table({"item_id": [1], "source": ["s"], "label": [-1]}))


def test_from_matrix_keeps_confidence_and_time_per_vote() -> None:
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    t1 = datetime(2024, 5, 2, tzinfo=UTC)
    L = np.array([[1, -1], [0, 2]])
    conf = np.array([[0.9, 0.0], [0.6, 0.7]])
    times = np.array(["2024-05-01", "2024-05-02"], dtype="datetime64[us]")  # naive: UTC
    store = VoteStore.from_matrix(L, sources=["model", "ann"], confidence=conf, time=times)
    assert store.table.column("confidence").to_pylist() == [0.9, 0.6, 0.7]
    assert store.table.column("time").to_pylist() == [t0, t1, t1]
    assert store.table.schema.field("time").type == pa.timestamp("us", tz="UTC")
    np.testing.assert_array_equal(store.to_matrix(), L)
    # And back through a long table, as an annotation tool would hand it over.
    again = VoteStore.from_table(store.table, confidence="confidence", time="time")
    assert again.table.equals(store.table)
    np.testing.assert_array_equal(again.to_matrix(), L)
