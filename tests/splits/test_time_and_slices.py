"""Time splits (ordering, gaps, training windows) and named slices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from winnow.errors import DefinitionError, SchemaError
from winnow.splits import slices, time_split


def _events(n: int = 2000) -> pa.Table:
    rng = np.random.default_rng(3)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    minutes = np.sort(rng.integers(0, 60 * 24 * 90, n))
    times = [start + timedelta(minutes=int(m)) for m in rng.permutation(minutes)]
    return pa.table({
        "id": np.arange(n),
        "ts": pa.array(times, pa.timestamp("us", tz="UTC")),
        "y": rng.integers(0, 2, n),
    })


def test_time_split_orders_splits_and_respects_the_gap() -> None:
    t = _events()
    gap = timedelta(days=3)
    tables, report = time_split(t, time="ts", boundaries=["2024-02-15", "2024-03-10"], gap="3d",
                                label="y")
    train, valid, test = tables["train"], tables["valid"], tables["test"]
    assert pc.max(train["ts"]).as_py() + gap <= pc.min(valid["ts"]).as_py()
    assert pc.max(valid["ts"]).as_py() + gap <= pc.min(test["ts"]).as_py()
    assert pc.max(train["ts"]).as_py() < datetime(2024, 2, 12, tzinfo=UTC)
    assert pc.min(valid["ts"]).as_py() >= datetime(2024, 2, 15, tzinfo=UTC)
    ids = np.concatenate([p["id"].to_numpy() for p in tables.values()])
    assert len(ids) == len(set(ids.tolist()))  # disjoint
    assert len(ids) + report.excluded_rows == t.num_rows
    ts = t["ts"].cast(pa.int64()).to_numpy()
    b1 = int(datetime(2024, 2, 15, tzinfo=UTC).timestamp() * 1e6)
    b2 = int(datetime(2024, 3, 10, tzinfo=UTC).timestamp() * 1e6)
    g = 3 * 86_400_000_000
    in_gap = ((ts >= b1 - g) & (ts < b1)) | ((ts >= b2 - g) & (ts < b2))
    assert report.excluded_rows == int(in_gap.sum()) > 0
    assert report.splits["train"].time_max == pc.max(train["ts"]).as_py().isoformat()
    assert report.parameters["gap"] == "3d"
    assert sum((report.splits["valid"].label_counts or {}).values()) == valid.num_rows


def test_time_split_without_gap_covers_every_row_and_boundary_goes_right() -> None:
    t = pa.table({"t": pa.array([datetime(2024, 1, d) for d in (1, 2, 3, 3, 4)],
                                pa.timestamp("us")), "id": range(5)})
    tables, report = time_split(t, time="t", boundaries=[datetime(2024, 1, 3)])
    assert tables["train"]["id"].to_pylist() == [0, 1]
    assert tables["test"]["id"].to_pylist() == [2, 3, 4]  # an event at the boundary is after it
    assert report.excluded_rows == 0
    dates = pa.table({"d": pa.array([datetime(2024, 1, d).date() for d in (1, 5)])})
    assert time_split(dates, time="d", boundaries=["2024-01-03"]).tables["test"].num_rows == 1


def test_time_split_training_windows() -> None:
    t = pa.table({"day": np.arange(100)})
    tables, report = time_split(t, time="day", boundaries=[80, 90], gap=5,
                                train_windows=[30, 10])
    assert tables["train"]["day"].to_pylist() == list(range(75))
    assert tables["train_30"]["day"].to_pylist() == list(range(45, 75))
    assert tables["train_10"]["day"].to_pylist() == list(range(65, 75))
    assert tables["valid"]["day"].to_pylist() == list(range(80, 85))
    assert list(tables) == ["train", "valid", "test", "train_30", "train_10"]
    assert report.parameters["train_windows"] == ["30", "10"]
    ev = _events()
    named, rep = time_split(ev, time="ts", boundaries=["2024-03-01"], train_windows=["30d", "7d"])
    assert list(named) == ["train", "test", "train_30d", "train_7d"]
    lo = pc.min(named["train_7d"]["ts"]).as_py()
    assert lo >= datetime(2024, 2, 23, tzinfo=UTC)
    assert rep.splits["train_7d"].rows == named["train_7d"].num_rows


def test_time_split_errors() -> None:
    t = _events(50)
    with pytest.raises(DefinitionError, match="strictly increasing"):
        time_split(t, time="ts", boundaries=["2024-02-01", "2024-01-01"])
    with pytest.raises(DefinitionError, match="names were given"):
        time_split(t, time="ts", boundaries=["2024-02-01"], names=["a", "b", "c"])
    with pytest.raises(DefinitionError, match="longer than the interval"):
        time_split(t, time="ts", boundaries=["2024-02-01", "2024-02-03"], gap="7d")
    with pytest.raises(SchemaError, match="nulls"):
        time_split(pa.table({"ts": pa.array([None, 1])}), time="ts", boundaries=[1])
    with pytest.raises(DefinitionError, match="holds numbers"):
        time_split(pa.table({"t": [1, 2]}), time="t", boundaries=["2024-01-01"])
    with pytest.raises(SchemaError, match="cannot parse duration"):
        time_split(t, time="ts", boundaries=["2024-02-01"], gap="3 fortnights")
    with pytest.raises(SchemaError, match="expected a timestamp"):
        time_split(pa.table({"t": ["x"]}), time="t", boundaries=[1])


def test_slices_sql_and_callables_may_overlap() -> None:
    t = pa.table({"amount": [5, 50, 500, 5000], "country": ["FR", "US", "FR", "DE"],
                  "y": [0, 1, 1, 0]})
    tables, report = slices(t, label="y", big="amount > 100",
                            fr=lambda tab: pc.equal(tab["country"], "FR"))
    assert tables["big"]["amount"].to_pylist() == [500, 5000]
    assert tables["fr"]["amount"].to_pylist() == [5, 500]
    assert report.splits["big"].label_counts == {"0": 1, "1": 1}
    assert report.parameters["predicates"]["big"] == "amount > 100"
    assert report.method == "slices"
    with pytest.raises(DefinitionError, match="name at least one slice"):
        slices(t)
