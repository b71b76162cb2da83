"""Every format round-trips values and types (times and nulls included); selective reads; pickle."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import winnow as wn
from winnow.errors import ColumnNotFoundError, FormatError, SourceError, UnsafeInputError
from winnow.io.formats import detect_format
from winnow.timestamps import TIMESTAMP

UTC = dt.UTC


def _table() -> pa.Table:
    """Canonical types (what text formats can carry without a schema), nulls in every column."""
    return pa.table(
        {
            "id": pa.array([1, 2, None, -4], pa.int64()),
            "when": pa.array(
                [
                    dt.datetime(2024, 1, 1, tzinfo=UTC),
                    None,
                    dt.datetime(1999, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
                    dt.datetime(2030, 6, 1, 12, 0, 0, 1, tzinfo=UTC),
                ],
                TIMESTAMP,
            ),
            "amount": pa.array([0.1, None, -2.5e300, 3.0], pa.float64()),
            "name": pa.array(["a", "", None, "x,y \"q\""], pa.string()),
            "flag": pa.array([True, None, False, True], pa.bool_()),
            "day": pa.array([dt.date(2020, 2, 29), None, dt.date(1970, 1, 1), dt.date(2024, 1, 2)]),
        }
    )


def _rich_table() -> pa.Table:
    """Types only self-describing formats keep: narrow ints, float32, binary."""
    return pa.table(
        {
            "i8": pa.array([1, None, -128], pa.int8()),
            "i32": pa.array([2**31 - 1, None, 0], pa.int32()),
            "u16": pa.array([65535, 0, None], pa.uint16()),
            "f32": pa.array([1.5, None, -0.25], pa.float32()),
            "bin": pa.array([b"\x00\xff", None, b""], pa.binary()),
            "when": pa.array([0, 1, None], TIMESTAMP),
        }
    )


TEXT = ["csv", "tsv", "jsonl"]
TYPED = ["parquet", "avro", "arrow", "feather", "pkl"]


@pytest.mark.parametrize("ext", TEXT + TYPED)
def test_round_trip_values_and_types(tmp_path: Path, ext: str) -> None:
    table = _table()
    path = wn.write_table(table, tmp_path / f"t.{ext}")
    back = wn.read_table(path, trusted=True)
    assert back.schema == table.schema
    assert back.equals(table)


@pytest.mark.parametrize("ext", TYPED)
def test_round_trip_exact_types_in_self_describing_formats(tmp_path: Path, ext: str) -> None:
    table = _rich_table()
    back = wn.read_table(wn.write_table(table, tmp_path / f"t.{ext}"), trusted=True)
    assert back.schema == table.schema
    assert back.equals(table)


@pytest.mark.parametrize("ext", TEXT)
def test_text_formats_round_trip_exact_types_with_a_schema(tmp_path: Path, ext: str) -> None:
    table = _rich_table().drop_columns(["bin"])
    path = wn.write_table(table, tmp_path / f"t.{ext}")
    result = wn.read(path, schema=wn.Schema.from_arrow(table.schema))
    assert result.quarantined == 0
    assert result.table.schema == table.schema
    assert result.table.equals(table)


def test_non_finite_floats_round_trip_through_json_lines(tmp_path: Path) -> None:
    table = pa.table({"x": [1.0, float("inf"), None, float("-inf")]})
    back = wn.read_table(wn.write_table(table, tmp_path / "t.jsonl"))
    assert back.column("x").to_pylist() == [1.0, float("inf"), None, float("-inf")]
    nan = wn.read_table(wn.write_table(pa.table({"x": [2.0, float("nan")]}), tmp_path / "n.jsonl"))
    assert nan.column("x").type == pa.float64()
    value = nan.column("x").to_pylist()[1]
    assert value != value  # NaN


def test_naive_and_nanosecond_timestamps_are_read_as_utc_microseconds(tmp_path: Path) -> None:
    naive = pa.table({"t": pa.array([1_000_000_001_000], pa.timestamp("ns"))})
    pq.write_table(naive, tmp_path / "n.parquet")
    back = wn.read_table(tmp_path / "n.parquet")
    assert back.schema.field("t").type == TIMESTAMP
    assert back.column("t").to_pylist() == [dt.datetime(1970, 1, 1, 0, 16, 40, 1, tzinfo=UTC)]


def test_offset_times_in_json_lines_are_converted_to_utc(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"t": "2024-01-01T10:00:00+02:00"}\n{"t": "2024-01-01 10:00:00"}\n')
    back = wn.read_table(path)
    assert back.column("t").to_pylist() == [
        dt.datetime(2024, 1, 1, 8, tzinfo=UTC),
        dt.datetime(2024, 1, 1, 10, tzinfo=UTC),
    ]


@pytest.mark.parametrize("ext", TEXT + TYPED)
def test_selective_column_read(tmp_path: Path, ext: str) -> None:
    path = wn.write_table(_table(), tmp_path / f"t.{ext}")
    back = wn.read_table(path, columns=["amount", "id"], trusted=True)
    assert back.column_names == ["amount", "id"]
    assert back.equals(_table().select(["amount", "id"]))
    with pytest.raises(ColumnNotFoundError, match="'nope' not found"):
        wn.read_table(path, columns=["nope"], trusted=True)


def test_parquet_reads_only_the_columns_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = wn.write_table(_table(), tmp_path / "t.parquet")
    seen: dict[str, object] = {}
    original = pq.read_table

    def spy(source: object, *, columns: object = None, **kwargs: object) -> pa.Table:
        seen["columns"] = columns
        return original(source, columns=columns, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pq, "read_table", spy)
    wn.read_table(path, columns=["name"])
    assert seen["columns"] == ["name"]


def test_parquet_is_zstd_by_default(tmp_path: Path) -> None:
    path = wn.write_table(_table(), tmp_path / "t.parquet")
    meta = pq.read_metadata(path)
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_pickle_is_refused_unless_trusted(tmp_path: Path) -> None:
    path = tmp_path / "t.pkl"
    with open(path, "wb") as handle:
        pickle.dump(_table().to_pylist(), handle)
    with pytest.raises(UnsafeInputError, match="trusted=True"):
        wn.read_table(path)
    with pytest.raises(UnsafeInputError):
        wn.read(path)
    assert wn.read_table(path, trusted=True).column("id").to_pylist() == [1, 2, None, -4]


def test_pickle_refusal_happens_before_the_file_is_opened(tmp_path: Path) -> None:
    # a pickle that would run code when loaded: refusing must not load it
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (Path.touch, (str(marker),))  # type: ignore[return-value]

    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(UnsafeInputError):
        wn.read_table(path)
    assert not marker.exists()


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot tell the format"):
        detect_format(tmp_path / "data.xlsx")
    with pytest.raises(FormatError, match="unknown format"):
        detect_format(tmp_path / "data.csv", "excel")
    with pytest.raises(SourceError, match="no such file"):
        wn.read_table(tmp_path / "missing.parquet")


def test_a_malformed_text_file_fails_with_a_pointer_to_quarantine(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(FormatError, match=r"winnow\.read"):
        wn.read_table(path)
    jl = tmp_path / "bad.jsonl"
    jl.write_text('{"a": 1}\n{"a": "x"}\n{oops\n')
    with pytest.raises(FormatError, match="line 3: malformed JSON"):
        wn.read_table(jl)


def test_avro_rejects_types_it_cannot_hold(tmp_path: Path) -> None:
    table = pa.table({"u": pa.array([1], pa.uint64())})
    with pytest.raises(FormatError, match="uint64"):
        wn.write_table(table, tmp_path / "t.avro")
    assert list(tmp_path.iterdir()) == []
