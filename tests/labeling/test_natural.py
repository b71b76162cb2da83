"""Natural labels: outcome windows, label times, and open windows left unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from winnow.errors import ColumnNotFoundError, SchemaError
from winnow.labeling import natural_labels


def t(minute: int) -> datetime:
    return datetime(2024, 3, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minute)


IMPRESSIONS = pa.table({
    "user": [1, 1, 2, 3, 3, 4, 5],
    "ad": ["a", "b", "a", "c", "c", "d", "e"],
    "time": [t(0), t(40), t(5), t(10), t(10), t(0), t(80)],
})
CLICKS = pa.table({
    "user": [1, 3, 4, 4, 5, 9],
    "time": [t(10), t(15), t(30), t(31), t(85), t(1)],
})


def test_window_boundaries_label_times_and_unknown_rows() -> None:
    out = natural_labels(IMPRESSIONS, CLICKS, key="user", within="30m", as_of=t(75))
    assert out.column_names == ["user", "ad", "time", "label", "label_time"]
    assert out.column("ad").to_pylist() == IMPRESSIONS.column("ad").to_pylist()
    assert out.column("label").to_pylist() == [
        1,     # user 1 clicked 10 min after
        0,     # user 1 at 40: next click none; window closed at 70 <= 75
        0,     # user 2 never clicked; window closed at 35
        1,     # user 3 clicked after 5 min (both duplicate impressions)
        1,
        0,     # user 4 clicked at exactly +30 min: outside [t, t + 30m)
        None,  # user 5 at 80: window open at 75 and the click at 85 is not yet known
    ]
    assert out.column("label_time").to_pylist() == [
        t(10), t(70), t(35), t(15), t(15), t(30), None,
    ]
    assert out.schema.field("label_time").type == pa.timestamp("us", tz="UTC")


def test_default_as_of_is_the_newest_time_in_the_data() -> None:
    out = natural_labels(IMPRESSIONS, CLICKS, key="user", within="30m")
    # Newest time is the click at 85: user 5's click is known, so its label is positive.
    assert out.column("label").to_pylist()[-1] == 1
    assert out.column("label_time").to_pylist()[-1] == t(85)


def test_outcome_at_the_event_time_counts_and_custom_labels() -> None:
    events = pa.table({"k": ["x", "y"], "ts": [t(0), t(0)]})
    outcomes = pa.table({"k": ["x"], "at": [t(0)]})
    out = natural_labels(events, outcomes, key="k", within=timedelta(minutes=5),
                         time="ts", outcome_time="at", label_if_found=2, label_if_missing=7,
                         as_of=t(60))
    assert out.column("label").to_pylist() == [2, 7]


def test_composite_keys() -> None:
    events = pa.table({"u": [1, 1], "item": ["p", "q"], "time": [t(0), t(0)]})
    outcomes = pa.table({"u": [1], "item": ["q"], "time": [t(3)]})
    out = natural_labels(events, outcomes, key=["u", "item"], within="10m", as_of=t(20))
    assert out.column("label").to_pylist() == [0, 1]


def test_matches_a_brute_force_reference_on_random_logs() -> None:
    rng = np.random.default_rng(0)
    n_ev, n_oc = 400, 300
    base = np.datetime64("2024-01-01T00:00:00", "us")
    ev_t = base + rng.integers(0, 3600, n_ev).astype("timedelta64[s]")
    oc_t = base + rng.integers(0, 3600, n_oc).astype("timedelta64[s]")
    ev_k = rng.integers(0, 20, n_ev)
    oc_k = rng.integers(0, 20, n_oc)
    events = pa.table({"k": ev_k, "time": pa.array(ev_t).cast(pa.timestamp("us", tz="UTC"))})
    outcomes = pa.table({"k": oc_k, "time": pa.array(oc_t).cast(pa.timestamp("us", tz="UTC"))})
    as_of = base + np.timedelta64(3000, "s")
    w = np.timedelta64(600, "s")
    out = natural_labels(events, outcomes, key="k", within="10m",
                         as_of=as_of.astype(datetime).replace(tzinfo=UTC))
    got = out.column("label").to_pylist()
    for i in range(n_ev):
        hits = oc_t[(oc_k == ev_k[i]) & (oc_t >= ev_t[i]) & (oc_t < ev_t[i] + w)
                    & (oc_t <= as_of)]
        expected = 1 if hits.size else (0 if ev_t[i] + w <= as_of else None)
        assert got[i] == expected, i


def test_errors_name_the_problem() -> None:
    with pytest.raises(ColumnNotFoundError, match="customer"):
        natural_labels(IMPRESSIONS, CLICKS, key="customer", within="30m")
    with pytest.raises(SchemaError, match="already has a column 'ad'"):
        natural_labels(IMPRESSIONS, CLICKS, key="user", within="30m", label="ad")
    with pytest.raises(SchemaError, match="duration"):
        natural_labels(IMPRESSIONS, CLICKS, key="user", within="soon")
    nulls = pa.table({"user": [1], "time": pa.array([None], pa.timestamp("us", tz="UTC"))})
    with pytest.raises(SchemaError, match="null times"):
        natural_labels(nulls, CLICKS, key="user", within="30m")
