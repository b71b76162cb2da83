"""File replay: (time, sequence) order, positions as row offsets, seek and resume."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from winnow.errors import ColumnNotFoundError, StreamError
from winnow.features import EventSource
from winnow.streams import ReplayStream, Stream, open_stream


def _events() -> pa.Table:
    ts = pa.array([30, 10, 20, 10, 30], pa.timestamp("s"))
    return pa.table({"k": [1, 2, 3, 4, 5], "ts": ts, "seq": [9, 1, 1, 0, 2]})


def _drain(stream: ReplayStream, max_rows: int) -> list[tuple[list[int], int]]:
    out = []
    while (batch := stream.read_batch(max_rows=max_rows)) is not None:
        assert isinstance(batch.position, int)
        out.append((batch.events["k"].to_pylist(), batch.position))
    return out


def test_orders_by_time_then_row_order_and_counts_positions() -> None:
    stream = ReplayStream(_events(), time="ts")
    assert isinstance(stream, Stream)
    assert _drain(stream, 2) == [([2, 4], 2), ([3, 1], 4), ([5], 5)]
    assert stream.exhausted
    assert stream.read_batch() is None


def test_sequence_column_breaks_ties() -> None:
    stream = ReplayStream(_events(), time="ts", sequence="seq")
    assert _drain(stream, 10) == [([4, 2, 3, 5, 1], 5)]


def test_time_is_normalised_to_utc_microseconds() -> None:
    batch = ReplayStream(_events(), time="ts").read_batch()
    assert batch is not None
    assert batch.events.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert batch.events["ts"][0].as_py() == datetime(1970, 1, 1, 0, 0, 10, tzinfo=UTC)


def test_seek_resumes_after_the_position() -> None:
    stream = ReplayStream(_events(), time="ts")
    stream.seek(3)
    assert stream.committed == 3
    assert _drain(stream, 10) == [([1, 5], 5)]
    stream.commit(5)
    assert stream.committed == 5


def test_bad_positions_are_refused_with_the_reason() -> None:
    stream = ReplayStream(_events(), time="ts")
    with pytest.raises(StreamError, match="row offset"):
        stream.seek("1700000000000-0")
    with pytest.raises(StreamError, match="past the end"):
        stream.seek(6)
    with pytest.raises(StreamError, match="max_rows"):
        stream.read_batch(max_rows=0)


def test_missing_time_column_names_it() -> None:
    with pytest.raises(ColumnNotFoundError, match="'when'"):
        ReplayStream(_events(), time="when")


def test_event_source_and_file_url(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "events.parquet"  # type: ignore[operator]
    pq.write_table(_events(), path)
    via_source = ReplayStream(EventSource(str(path), time="ts", sequence="seq"))
    assert _drain(via_source, 10) == [([4, 2, 3, 5, 1], 5)]
    via_url = open_stream(str(path), time="ts")
    batch = via_url.read_batch(max_rows=10)
    assert batch is not None and batch.events["k"].to_pylist() == [2, 4, 3, 1, 5]
    assert "replay" in via_url.description
