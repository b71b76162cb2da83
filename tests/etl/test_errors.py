"""Failing steps: errors name the step (index and kind), the column and the fix."""

from __future__ import annotations

import pyarrow as pa
import pytest

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, SourceError
from winnow.etl import (
    Aggregate,
    ArrowSource,
    Cast,
    Dedupe,
    Derive,
    FileSource,
    Filter,
    Join,
    Pipeline,
    Rename,
    Select,
    Step,
)

TABLE = pa.table({"id": [1, 2], "name": ["a", "x1"], "t": [1, 2]})


def run(*steps: Step) -> pa.Table:
    return Pipeline(extract=TABLE, steps=list(steps)).run().table


@pytest.mark.parametrize(
    ("steps", "column", "where"),
    [
        ([Select(["id", "nope"])], "nope", "step 1 (select)"),
        ([Filter("id > 0"), Rename({"nope": "x"})], "nope", "step 2 (rename)"),
        ([Cast({"nope": "INTEGER"})], "nope", "step 1 (cast)"),
        ([Dedupe(["id"], latest_by="nope")], "nope", "step 1 (dedupe)"),
        ([Aggregate(["nope"], {"n": "count(*)"})], "nope", "step 1 (aggregate)"),
        ([Filter("nope > 1")], "nope", "step 1 (filter)"),
        ([Derive({"x": "id + nope"})], "nope", "step 1 (derive)"),
        ([Join(ArrowSource(pa.table({"k": [1]})), on=["id"])], "id", "step 1 (join), right side"),
        (
            [Join(ArrowSource(pa.table({"id": [1]})), on={"nope": "id"})],
            "nope",
            "step 1 (join), left",
        ),
    ],
)
def test_missing_column_names_step_and_column(steps: list[Step], column: str, where: str) -> None:
    with pytest.raises(ColumnNotFoundError) as err:
        run(*steps)
    assert err.value.column == column
    assert where in str(err.value)
    assert "Check the spelling" in str(err.value)


def test_bad_cast_value_is_a_schema_error_naming_step_and_column() -> None:
    with pytest.raises(SchemaError, match=r"step 2 \(cast\).*'a'.*column name.*TRY_CAST"):
        run(Filter("id > 0"), Cast({"name": "INTEGER"}))


def test_sql_syntax_error_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match=r"step 1 \(filter\): DuckDB rejected"):
        run(Filter("id >"))


def test_duplicate_output_names() -> None:
    with pytest.raises(DefinitionError, match=r"step 1 \(rename\): output column 'name'"):
        run(Rename({"id": "name"}))
    with pytest.raises(DefinitionError, match=r"step 2 \(join\): right column 'name'"):
        right = ArrowSource(pa.table({"id": [1], "name": ["b"]}))
        run(Derive({"name_right": "name"}), Join(right, on="id", suffix="_right"))


def test_join_source_errors_name_the_step(tmp_path: object) -> None:
    with pytest.raises(SourceError, match=r"step 1 \(join\): cannot read file /nope.csv"):
        run(Join(FileSource("/nope.csv"), on="id"))


def test_reserved_sequence_column() -> None:
    table = pa.table({"__winnow_seq": [1]})
    with pytest.raises(DefinitionError, match="reserved"):
        Pipeline(extract=table, steps=[Filter("true")]).run()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Select([]),
        lambda: Filter("  "),
        lambda: Dedupe([]),
        lambda: Derive({}),
        lambda: Join(TABLE, on=[], how="inner"),
        lambda: Aggregate([], {}),
    ],
)
def test_empty_definitions_are_refused(build: object) -> None:
    with pytest.raises(DefinitionError):
        build()  # type: ignore[operator]


def test_step_not_a_step() -> None:
    with pytest.raises(DefinitionError, match="step 2: expected a Step"):
        Pipeline(extract=TABLE, steps=[Filter("true"), "filter id > 1"])  # type: ignore[list-item]
