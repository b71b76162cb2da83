"""Time conventions: duration parsing and UTC microsecond timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from winnow.errors import SchemaError
from winnow.timestamps import TIMESTAMP, format_duration, parse_duration, to_micros, to_utc


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("30s", 30_000_000),
        ("10m", 600_000_000),
        ("1h", 3_600_000_000),
        ("7d", 7 * 86_400_000_000),
        ("2w", 14 * 86_400_000_000),
        ("250ms", 250_000),
        (" 5 us ", 5),
        (timedelta(hours=1, microseconds=1), 3_600_000_001),
        (42, 42),
    ],
)
def test_parse_duration(text: str | int | timedelta, micros: int) -> None:
    assert parse_duration(text) == micros


@pytest.mark.parametrize("bad", ["", "7", "d", "7x", "-1h", "0s", "1.5h", 0, -3, True])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(SchemaError):
        parse_duration(bad)  # type: ignore[arg-type]


def test_format_duration_uses_largest_whole_unit_up_to_days() -> None:
    assert format_duration(parse_duration("7d")) == "7d"
    assert format_duration(parse_duration("2w")) == "14d"
    assert format_duration(parse_duration("90m")) == "90m"
    assert format_duration(parse_duration("120m")) == "2h"
    assert format_duration(1_500) == "1500us"


def test_to_utc_naive_is_read_as_utc_and_units_become_micros() -> None:
    naive = pa.array([0, 1_000], pa.timestamp("ms"))
    out = to_utc(naive)
    assert out.type == TIMESTAMP
    assert out.to_pylist()[1] == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_to_utc_converts_other_zones_to_the_same_instant() -> None:
    aware = pa.array([0], pa.timestamp("s", tz="America/New_York"))
    out = to_utc(aware)
    assert out.type == TIMESTAMP
    assert out.cast(pa.int64()).to_pylist() == [0]


def test_to_utc_rejects_non_time_column_naming_it() -> None:
    with pytest.raises(SchemaError, match="'amount'"):
        to_utc(pa.array([1.0]), name="amount")


def test_to_micros() -> None:
    assert to_micros("1970-01-01T00:00:01Z") == 1_000_000
    assert to_micros(datetime(1970, 1, 1, 0, 0, 2)) == 2_000_000
    assert to_micros(None) is None
    with pytest.raises(SchemaError):
        to_micros("yesterday")


def test_to_utc_truncates_nanoseconds_like_the_engines() -> None:
    import pyarrow as pa

    from winnow.timestamps import to_utc

    ns = pa.array([1_000_001_999, -1_999, None], pa.timestamp("ns", tz="UTC"))
    out = to_utc(ns).cast(pa.int64()).to_pylist()
    assert out == [1_000_001, -1, None]  # toward zero, as Arrow's cast and DuckDB's // do
    naive = pa.array([5_999], pa.timestamp("ns"))
    assert to_utc(naive).cast(pa.int64()).to_pylist() == [5]
