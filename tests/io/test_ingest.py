"""winnow.read: typed records accepted; bad ones quarantined with position, reason, raw text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import winnow as wn
from winnow import Field, Schema
from winnow.errors import ColumnNotFoundError, SchemaError
from winnow.io.quarantine import QUARANTINE_SCHEMA

UTC = dt.UTC

SCHEMA = Schema(
    [
        Field("id", "int64", required=True),
        Field("amount", "float64"),
        Field("at", "timestamp"),
    ]
)

# line numbers are physical: line 1 is the header, line 5 is blank
BAD_CSV = (
    "id,amount,at\n"                           # 1
    "1,2.5,2024-01-01 10:00:00\n"              # 2 good
    "2,oops,2024-01-02\n"                      # 3 unparsable number
    "3,1.0\n"                                  # 4 too few fields
    "\n"                                       # 5 blank: not a record
    "4,1.5,not a time\n"                       # 6 unparsable time
    ",7,2024-01-01T10:00:00+02:00\n"           # 7 null in required column
    "5,6,2024-01-03,extra\n"                   # 8 too many fields
    "6.5,1,2024-01-04\n"                       # 9 a fraction is not an int64
    "7,NA,2024-01-05T00:00:00Z\n"              # 10 good (NA is null)
)
BAD_CSV_EXPECTED = [
    (3, "amount", "column 'amount': expected float64, found 'oops'", "2,oops,2024-01-02"),
    (4, None, "wrong number of fields: expected 3, found 2", "3,1.0"),
    (6, "at", "column 'at': expected timestamp (ISO 8601), found 'not a time'", "4,1.5,not a time"),
    (7, "id", "column 'id': null in a required column", ",7,2024-01-01T10:00:00+02:00"),
    (8, None, "wrong number of fields: expected 3, found 4", "5,6,2024-01-03,extra"),
    (9, "id", "column 'id': expected int64, found '6.5'", "6.5,1,2024-01-04"),
]
GOOD_ROWS = [
    {"id": 1, "amount": 2.5, "at": dt.datetime(2024, 1, 1, 10, tzinfo=UTC)},
    {"id": 7, "amount": None, "at": dt.datetime(2024, 1, 5, tzinfo=UTC)},
]


def _reasons(result: wn.IngestResult) -> list[tuple[int, str | None, str, str]]:
    q = result.quarantine
    return list(
        zip(
            q.column("position").to_pylist(),
            q.column("column").to_pylist(),
            q.column("reason").to_pylist(),
            q.column("raw").to_pylist(),
            strict=True,
        )
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_csv_quarantine_positions_reasons_and_raw_text(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_CSV.replace("\n", newline).encode())
    result = wn.read(path, schema=SCHEMA)
    assert (result.read, result.accepted, result.quarantined) == (8, 2, 6)
    assert result.read == result.accepted + result.quarantined
    assert result.quarantine.schema == QUARANTINE_SCHEMA
    assert set(result.quarantine.column("source").to_pylist()) == {str(path)}
    assert _reasons(result) == BAD_CSV_EXPECTED
    assert result.table.schema == SCHEMA.to_arrow()
    assert result.table.to_pylist() == GOOD_ROWS


def test_jsonl_quarantine_positions_reasons_and_raw_text(tmp_path: Path) -> None:
    lines = [
        '{"id": 1, "amount": 2.5, "at": "2024-01-01 10:00:00"}',   # 1 good
        '{"id": 2, "amount": "oops"}',                             # 2 unparsable number
        '{"id": 3, "amount": 1.0',                                 # 3 malformed JSON
        "",                                                        # 4 blank
        "[1, 2, 3]",                                               # 5 not an object
        '{"id": null, "amount": 7}',                               # 6 null in required
        '{"amount": 7}',                                           # 7 missing required key
        '{"id": 4, "at": "2024-02-30T00:00:00Z"}',                 # 8 impossible date
        '{"id": 7, "amount": null, "at": "2024-01-05T00:00:00Z", "extra": [1]}',  # 9 good
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = wn.read(path, schema=SCHEMA)
    assert (result.read, result.accepted, result.quarantined) == (8, 2, 6)
    assert _reasons(result) == [
        (2, "amount", "column 'amount': expected float64, found 'oops'", lines[1]),
        (3, None, "malformed JSON", lines[2]),
        (5, None, "not a JSON object", lines[4]),
        (6, "id", "column 'id': null in a required column", lines[5]),
        (7, "id", "column 'id': null in a required column", lines[6]),
        (8, "at", "column 'at': expected timestamp (ISO 8601), found '2024-02-30T00:00:00Z'",
         lines[7]),
    ]
    assert result.table.to_pylist() == GOOD_ROWS


def test_typed_format_quarantine_uses_row_index_and_json_raw(tmp_path: Path) -> None:
    table = pa.table({"id": ["1", "x", None, "4"], "amount": [1.0, 2.0, 3.0, 4.5]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    schema = Schema([Field("id", "int32", required=True), Field("amount", "int64")])
    result = wn.read(path, schema=schema)
    assert result.table.to_pylist() == [{"id": 1, "amount": 1}]
    assert _reasons(result) == [
        (1, "id", "column 'id': expected int32, found 'x'", '{"id": "x", "amount": 2.0}'),
        (2, "id", "column 'id': null in a required column", '{"id": null, "amount": 3.0}'),
        (3, "amount", "column 'amount': expected int64, found '4.5'",
         '{"id": "4", "amount": 4.5}'),
    ]


def test_time_formats_zones_and_epochs(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "local,stamp,epoch,day\n"
        "2024-07-01 09:30,01/07/2024 09:30 +0200,1700000000,01/02/2024\n"
        "2024-01-15 09:30,31/12/1999 23:00 +0000,0,29/02/2024\n"
        "2024-13-01 00:00,nope,1.5,30/02/2024\n"
    )
    schema = Schema(
        [
            Field("local", "timestamp", format="%Y-%m-%d %H:%M", timezone="America/New_York"),
            Field("stamp", "timestamp", format="%d/%m/%Y %H:%M %z"),
            Field("epoch", "timestamp", format="epoch_s"),
            Field("day", "date", format="%d/%m/%Y"),
        ]
    )
    result = wn.read(path, schema=schema)
    assert result.table.to_pylist() == [
        {
            "local": dt.datetime(2024, 7, 1, 13, 30, tzinfo=UTC),  # EDT is UTC-4
            "stamp": dt.datetime(2024, 7, 1, 7, 30, tzinfo=UTC),
            "epoch": dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
            "day": dt.date(2024, 2, 1),
        },
        {
            "local": dt.datetime(2024, 1, 15, 14, 30, tzinfo=UTC),  # EST is UTC-5
            "stamp": dt.datetime(1999, 12, 31, 23, tzinfo=UTC),
            "epoch": dt.datetime(1970, 1, 1, tzinfo=UTC),
            "day": dt.date(2024, 2, 29),
        },
    ]
    assert result.quarantine.column("reason").to_pylist() == [
        "column 'local': expected timestamp (format %Y-%m-%d %H:%M), found '2024-13-01 00:00'"
    ]


def test_naive_typed_times_are_read_in_the_declared_zone(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"t": pa.array([dt.datetime(2024, 1, 15, 9, 30)], pa.timestamp("s"))}),
                   path)
    utc = wn.read(path, schema=Schema([Field("t", "timestamp")]))
    ny = wn.read(path, schema=Schema([Field("t", "timestamp", timezone="America/New_York")]))
    assert utc.table.column("t").to_pylist() == [dt.datetime(2024, 1, 15, 9, 30, tzinfo=UTC)]
    assert ny.table.column("t").to_pylist() == [dt.datetime(2024, 1, 15, 14, 30, tzinfo=UTC)]


def test_every_type_parses_from_text(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("b\ti8\tu8\tf\ts\td\n"
                    "true\t-128\t255\t1e3\t\"\"\t2024-01-01\n"
                    "no\t127\t0\tNaN\tNA\t\n"
                    "maybe\t128\t-1\tx\tz\t2024-1-1\n")
    schema = Schema([Field("b", "bool"), Field("i8", "int8"), Field("u8", "uint8"),
                     Field("f", "float32"), Field("s", "string"), Field("d", "date")])
    result = wn.read(path, schema=schema)
    rows = result.table.to_pylist()
    assert rows[0] == {
        "b": True, "i8": -128, "u8": 255, "f": 1000.0, "s": "", "d": dt.date(2024, 1, 1)
    }
    assert rows[1]["b"] is False and rows[1]["s"] is None and rows[1]["d"] is None
    assert rows[1]["f"] != rows[1]["f"]  # NaN
    assert result.quarantine.column("reason").to_pylist() == [
        "column 'b': expected bool, found 'maybe'"
    ]
    assert result.quarantine.column("position").to_pylist() == [4]


def test_out_of_range_integer_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("n\n127\n128\n99999999999999999999\n")
    result = wn.read(path, schema=Schema([Field("n", "int8")]))
    assert result.table.column("n").to_pylist() == [127]
    assert result.quarantine.column("position").to_pylist() == [3, 4]


def test_columns_subset_and_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    only = wn.read(path, schema=SCHEMA, columns=["id"])
    assert only.table.column_names == ["id"]
    # with one column the field count still counts every field of the line
    assert only.quarantine.column("position").to_pylist() == [4, 7, 8, 9]
    with pytest.raises(ColumnNotFoundError):
        wn.read(path, schema=SCHEMA, columns=["nope"])
    with pytest.raises(SchemaError, match=r"has no column\(s\) \['zzz'\]"):
        wn.read(path, schema=Schema([Field("zzz", "int64")]))


def test_schema_given_as_file_or_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    spec = SCHEMA.to_dict()
    file = SCHEMA.to_file(tmp_path / "schema.yaml")
    for given in (spec, file, str(file)):
        assert wn.read(path, schema=given).table.to_pylist() == GOOD_ROWS


def test_without_a_schema_structural_errors_are_still_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    result = wn.read(path)
    assert result.read == 8
    assert result.quarantine.column("position").to_pylist() == [4, 8]
    assert result.table.schema.field("id").type == pa.float64()  # widened by 6.5
    jl = tmp_path / "t.jsonl"
    jl.write_text('{"a": 1}\n{"a": "x"}\n{bad\n')
    out = wn.read(jl)
    assert out.table.column("a").to_pylist() == ["1", "x"]
    assert out.quarantine.column("position").to_pylist() == [3]


def test_clean_files_without_schema_take_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("a,t\n1,2024-01-01 00:00:00\n2,\n")
    result = wn.read(path)
    assert result.quarantined == 0
    assert result.schema is not None and result.schema.names == ["a", "t"]
    assert result.table.schema.field("t").type == pa.timestamp("us", tz="UTC")


def test_bad_line_far_into_a_large_file_gets_its_line_number(tmp_path: Path) -> None:
    # large enough that Arrow parses in parallel blocks, where it does not number bad rows
    n = 400_000
    body = "\n".join(f"{i},{i * 0.5}" for i in range(n)).split("\n")
    body[300_000] = "300000,1,2"
    body[350_000] = "350000,abc"
    path = tmp_path / "big.csv"
    path.write_text("id,x\n" + "\n".join(body) + "\n")
    result = wn.read(path, schema=Schema([Field("id", "int64"), Field("x", "float64")]))
    assert result.quarantine.column("position").to_pylist() == [300_002, 350_002]
    assert result.quarantine.column("raw").to_pylist() == ["300000,1,2", "350000,abc"]
    assert result.accepted == n - 2


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa,b\n1,2\n1,x\n")
    result = wn.read(path, schema=Schema([Field("a", "int64"), Field("b", "int64")]))
    assert result.table.to_pylist() == [{"a": 1, "b": 2}]
    assert result.quarantine.column("position").to_pylist() == [3]
