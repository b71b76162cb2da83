"""infer_schema: reads every row (or says it sampled), narrowest types, widening reported."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import winnow as wn
from winnow.errors import SchemaError
from winnow.io.inference import Widening


def test_csv_types_and_widening_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    rows = ["i,f,w,b,d,t,s,empty"]
    rows += ["1,1.5,1,true,2024-01-01,2024-01-01 10:00:00,a,"] * 1500
    rows.append("2,2,2.5,false,2024-01-02,2024-01-02T00:00:00Z,b,")  # line 1502: w -> float
    rows.append("3,3,x,TRUE,2024-01-03,2024-01-03,c,")  # line 1503: w -> string
    path.write_text("\n".join(rows) + "\n")
    inferred = wn.infer_schema(path)
    assert inferred.rows_read == 1502
    assert inferred.complete
    assert [(f.name, f.type) for f in inferred.schema] == [
        ("i", "int64"), ("f", "float64"), ("w", "string"), ("b", "bool"),
        ("d", "date"), ("t", "timestamp"), ("s", "string"), ("empty", "string"),
    ]
    assert inferred.widened == (Widening("w", "int64", "string", 1502, "2.5"),)
    assert str(inferred.widened[0]) == (
        "column 'w' widened from int64 to string at position 1502 (value '2.5')"
    )


def test_inferred_schema_reads_the_file_without_quarantine(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2.5,\n3,2024-01-01\n")
    inferred = wn.infer_schema(path)
    result = wn.read(path, schema=inferred.schema)
    assert result.quarantined == 0
    assert result.table.column("a").to_pylist() == [1.0, 2.5, 3.0]


def test_sampling_says_how_much_it_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a\n" + "\n".join(["1"] * 100 + ["x"]) + "\n")
    sampled = wn.infer_schema(path, sample_rows=10)
    assert (sampled.rows_read, sampled.complete) == (10, False)
    assert sampled.schema["a"].type == "int64"
    full = wn.infer_schema(path)
    assert (full.rows_read, full.complete, full.schema["a"].type) == (101, True, "string")
    with pytest.raises(SchemaError, match="positive"):
        wn.infer_schema(path, sample_rows=0)


def test_jsonl_keys_in_order_of_first_appearance_and_widening(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"b": 1, "a": "2024-01-01T00:00:00Z"}\n'
        "not json\n"
        '{"a": "2024-01-02T00:00:00Z", "c": [1, 2]}\n'
        '{"b": 2.5, "d": true}\n'
    )
    inferred = wn.infer_schema(path)
    assert [(f.name, f.type) for f in inferred.schema] == [
        ("b", "float64"), ("a", "timestamp"), ("c", "string"), ("d", "bool"),
    ]
    assert inferred.rows_read == 3
    assert inferred.widened == (Widening("b", "int64", "float64", 4, "2.5"),)
    sampled = wn.infer_schema(path, sample_rows=1)
    assert (sampled.rows_read, sampled.complete) == (1, False)
    assert sampled.schema.names == ["b", "a"]


def test_self_describing_formats_take_the_file_schema(tmp_path: Path) -> None:
    table = pa.table(
        {"x": pa.array([1, None], pa.int16()), "t": pa.array([0, 1], pa.timestamp("ms"))}
    )
    for ext in ("parquet", "arrow", "avro"):
        inferred = wn.infer_schema(wn.write_table(table, tmp_path / f"t.{ext}"))
        assert [(f.name, f.type) for f in inferred.schema] == [("x", "int16"), ("t", "timestamp")]
        assert (inferred.rows_read, inferred.complete, inferred.widened) == (2, True, ())
