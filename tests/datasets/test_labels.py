"""Natural labels whose class comes from the outcome (``Labels.natural(value=...)``).

A tiny order/delivery log with hand-checked labels: the class is the first delivery's lateness,
known at the delivery's time whichever class it is; ties in time go to the earlier row; null
values and deliveries before the order do not count; no delivery is a negative once the window
has closed, and unknown (excluded, counted) while it is open.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from winnow.datasets import Dataset, Input, Labels, Spine, Split, build
from winnow.errors import SchemaError

DAY1 = "2024-03-01"
DAY2 = "2024-03-02"


def _write(directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    orders = pa.table(
        {
            "order_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
            "ts": [f"{DAY1}T10:00:00Z", f"{DAY1}T10:00:00Z", f"{DAY1}T10:00:00Z",
                   f"{DAY1}T09:00:00Z", f"{DAY2}T20:00:00Z", f"{DAY2}T20:30:00Z",
                   f"{DAY1}T10:00:00Z", f"{DAY1}T10:00:00Z", f"{DAY1}T10:00:00Z"],
        }
    )
    deliveries = pa.table(
        {
            "order_id": [1, 2, 4, 5, 7, 7, 8, 8, 9],
            "ts": [f"{DAY1}T12:00:00Z", f"{DAY1}T11:00:00Z", f"{DAY2}T10:00:00Z",
                   f"{DAY2}T21:00:00Z", f"{DAY1}T11:00:00Z", f"{DAY1}T11:00:00Z",
                   f"{DAY1}T10:30:00Z", f"{DAY1}T11:30:00Z", f"{DAY1}T09:00:00Z"],
            "late_minutes": pa.array([30, 0, 50, 40, 0, 50, None, 20, 99], pa.int64()),
        }
    )
    pacsv.write_csv(orders, directory / "orders.csv")
    pacsv.write_csv(deliveries, directory / "deliveries.csv")
    return directory / "orders.csv", directory / "deliveries.csv"


def _dataset(orders: Path, deliveries: Path, value: str) -> Dataset:
    return Dataset(
        "deliveries",
        inputs={"orders": Input(orders), "deliveries": Input(deliveries)},
        spine=Spine("orders", time="ts", keys=("order_id",)),
        labels=Labels.natural(
            outcomes="deliveries", key="order_id", time="ts", within="1d", value=value
        ),
        split=Split.random({"train": 0.5, "test": 0.5}, stratify_by_label=False),
    )


def _t(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+00:00").astimezone(UTC)


def test_value_labels_are_known_at_the_outcome_whatever_the_class(tmp_path: Path) -> None:
    orders, deliveries = _write(tmp_path / "data")
    result = build(_dataset(orders, deliveries, "late_minutes > 15"), out=tmp_path / "ds")
    rows = pa.concat_tables(
        [pq.read_table(tmp_path / "ds" / f"{s}.parquet") for s in ("train", "test")]
    ).to_pylist()
    got = {r["order_id"]: (r["label"], r["label_time"]) for r in rows}
    assert got == {
        1: (1, _t(DAY1, "12:00")),  # late delivery, known when it arrived
        2: (0, _t(DAY1, "11:00")),  # on time: known at the delivery too, not at the window end
        3: (0, _t(DAY2, "10:00")),  # no delivery: negative once the 1d window closed
        4: (0, _t(DAY2, "09:00")),  # its delivery came after the window: none within
        5: (1, _t(DAY2, "21:00")),  # window still open at the end, but the outcome is in
        7: (0, _t(DAY1, "11:00")),  # two deliveries at one time: the earlier row counts
        8: (1, _t(DAY1, "11:30")),  # a null value does not count; the next delivery does
        9: (0, _t(DAY2, "10:00")),  # a delivery before the order is not its outcome
    }
    excluded = result.manifest["spine"]["excluded"]
    assert excluded == {"outcome window still open at the end of the data": 1}  # order 6
    labels = result.manifest["labels"]
    assert labels["value"] == "late_minutes > 15" and labels["rows_with_outcome"] == 5
    assert result.manifest["leakage"]["passed"]


def test_value_must_give_a_class(tmp_path: Path) -> None:
    orders, deliveries = _write(tmp_path / "data")
    with pytest.raises(SchemaError, match=r"late_minutes \* 1.5.*boolean or integer"):
        build(_dataset(orders, deliveries, "late_minutes * 1.5"), out=tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_value_changes_the_dataset_id(tmp_path: Path) -> None:
    orders, deliveries = _write(tmp_path / "data")
    a = build(_dataset(orders, deliveries, "late_minutes > 15"), out=tmp_path / "a")
    b = build(_dataset(orders, deliveries, "late_minutes > 30"), out=tmp_path / "b")
    assert a.id != b.id
