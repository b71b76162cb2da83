"""Declared schemas: fields, types, files (YAML and JSON), and errors that name the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from winnow import Field, Schema
from winnow.errors import ColumnNotFoundError, SchemaError, SourceError
from winnow.timestamps import TIMESTAMP


def test_fields_normalise_type_aliases() -> None:
    assert Field("a", "double").type == "float64"
    assert Field("a", "INT").type == "int64"
    assert Field("a", "datetime").arrow_type == TIMESTAMP


def test_schema_to_arrow_marks_required_columns_not_null() -> None:
    schema = Schema([Field("id", "int32", required=True), Field("t", "timestamp")])
    arrow = schema.to_arrow()
    assert arrow.field("id").type == pa.int32()
    assert not arrow.field("id").nullable
    assert arrow.field("t").type == pa.timestamp("us", tz="UTC")
    assert arrow.field("t").nullable


def test_yaml_schema_file_with_list_and_mapping_forms(tmp_path: Path) -> None:
    listed = tmp_path / "s.yaml"
    listed.write_text(
        "name: weather\n"
        "null_values: ['', 'NA']\n"
        "fields:\n"
        "  - {name: origin, type: string, required: true}\n"
        "  - {name: temp, type: double}\n"
        "  - {name: at, type: timestamp, format: '%Y-%m-%d %H', timezone: America/New_York}\n"
    )
    schema = Schema.from_file(listed)
    assert schema.name == "weather"
    assert schema.names == ["origin", "temp", "at"]
    assert schema["origin"].required
    assert schema["at"].format == "%Y-%m-%d %H"
    assert schema["at"].timezone == "America/New_York"
    assert schema.null_values == ("", "NA")
    mapped = tmp_path / "m.yml"
    mapped.write_text("fields:\n  id: int64\n  ok: {type: bool, nullable: false}\n")
    schema2 = Schema.from_file(mapped)
    assert [f.type for f in schema2] == ["int64", "bool"]
    assert schema2["ok"].required


def test_json_schema_file_and_round_trip_through_files(tmp_path: Path) -> None:
    spec = {"fields": [{"name": "id", "type": "int64", "required": True},
                       {"name": "d", "type": "date", "format": "%d/%m/%Y"}]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(spec))
    schema = Schema.from_file(path)
    assert schema.to_dict() == spec
    for name in ("back.json", "back.yaml"):
        assert Schema.from_file(schema.to_file(tmp_path / name)) == schema


def test_from_arrow_declares_every_column() -> None:
    arrow = pa.schema(
        [pa.field("a", pa.int16(), nullable=False), pa.field("t", pa.timestamp("ns"))]
    )
    schema = Schema.from_arrow(arrow)
    assert [(f.name, f.type, f.required) for f in schema] == [
        ("a", "int16", True),
        ("t", "timestamp", False),
    ]


def test_select_keeps_options_and_names_missing_columns() -> None:
    schema = Schema([Field("a", "int64"), Field("b", "string")], null_values=["-"])
    assert schema.select(["b"]).names == ["b"]
    assert schema.select(["b"]).null_values == ("-",)
    with pytest.raises(ColumnNotFoundError, match="'c' not found in the schema"):
        schema.select(["c"])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Field("a", "decimal"), "unknown type 'decimal'"),
        (lambda: Field("a", "int64", format="%Y"), "applies only to timestamp and date"),
        (lambda: Field("a", "date", format="epoch_s"), "needs type timestamp"),
        (lambda: Field("a", "timestamp", timezone="Mars/Olympus"), "unknown time zone"),
        (lambda: Schema([Field("a", "int64"), Field("a", "string")]), "declared twice"),
        (lambda: Schema([]), "at least one field"),
        (lambda: Schema.from_dict({"fields": [{"name": "a"}]}), "has no type"),
        (lambda: Schema.from_dict({"fields": [{"name": "a", "type": "int", "size": 3}]}),
         "unknown keys"),
        (lambda: Schema.from_dict({"columns": []}), "unknown keys"),
    ],
)
def test_invalid_schemas_say_what_to_fix(make: object, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        make()  # type: ignore[operator]


def test_schema_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        Schema.from_file(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields: [unclosed\n")
    with pytest.raises(SchemaError, match="is not valid"):
        Schema.from_file(bad)
    txt = tmp_path / "s.txt"
    txt.write_text("{}")
    with pytest.raises(SchemaError, match=r"must end in \.json, \.yaml or \.yml"):
        Schema.from_file(txt)
