"""YAML suites: every kind loads to the same expectation as in Python; errors name the file,
line and key, and say what to write."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from winnow.errors import DefinitionError, SourceError
from winnow.validation import Expect, ExpectationSuite, load_expectations, suite_from_dict, validate

FULL = """\
name: flights
on_fail: quarantine
now: 2014-01-01T00:00:00Z
expectations:
  - column_type: {column: dep_delay, type: float}
  - not_null: dep_delay
  - not_null: {column: tailnum, max_null_rate: 0.01}
  - unique: [year, flight]
  - in_range: {column: distance, min: 17, max: 5000, max_inclusive: false}
  - in_set: {column: origin, values: [EWR, JFK, LGA]}
  - matches_regex: {column: tailnum, pattern: "N[0-9A-Z]+"}
  - length: {column: carrier, min: 2, max: 2}
  - row_count: {min: 1}
  - freshness: {column: time_hour, max_age: 2d, on_fail: warn}
  - references: {column: carrier, file: airlines.csv, table_column: code}
  - in_range: {column: arr_delay, min: -120, name: arr_delay_sane, on_fail: warn}
"""


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_every_kind_loads_like_python(tmp_path: Path) -> None:
    suite = load_expectations(write(tmp_path, FULL))
    expected = ExpectationSuite(
        [
            Expect.column_type("dep_delay", "float"),
            Expect.not_null("dep_delay"),
            Expect.not_null("tailnum", max_null_rate=0.01),
            Expect.unique(["year", "flight"]),
            Expect.in_range("distance", min=17, max=5000, max_inclusive=False),
            Expect.in_set("origin", ["EWR", "JFK", "LGA"]),
            Expect.matches_regex("tailnum", "N[0-9A-Z]+"),
            Expect.length("carrier", min=2, max=2),
            Expect.row_count(min=1),
            Expect.freshness("time_hour", max_age="2d", on_fail="warn"),
            Expect.references("carrier", table=tmp_path / "airlines.csv", table_columns="code"),
            Expect.in_range("arr_delay", min=-120, name="arr_delay_sane", on_fail="warn"),
        ],
        on_fail="quarantine",
        name="flights",
        now=datetime(2014, 1, 1, tzinfo=UTC),
    )
    assert suite == expected
    assert suite.now == datetime(2014, 1, 1, tzinfo=UTC)
    assert [suite.action(e) for e in suite][-3:] == ["warn", "quarantine", "warn"]
    # to_dict is the YAML form again (file paths aside)
    again = suite_from_dict(suite.to_dict(), base_dir=tmp_path)
    assert [e.name for e in again] == [e.name for e in suite]


def test_loaded_suite_runs_with_a_relative_reference_file(tmp_path: Path) -> None:
    pacsv.write_csv(pa.table({"code": ["AA", "UA"]}), tmp_path / "airlines.csv")
    path = write(tmp_path, """\
        expectations:
          - references: {column: carrier, file: airlines.csv, table_column: code}
          - in_set: {column: carrier, values: [AA, UA, DL]}
        """)
    report = validate(pa.table({"carrier": ["AA", "DL", "UA"]}), path, on_fail="warn")
    assert [r.passed for r in report.results] == [False, True]
    assert report.results[0].sample_positions == (1,)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "expectations:\n  - not_null: a\n  - in_range: {column: x, minimum: 0}\n",
            r"suite\.yaml line 3, expectations\[1\] \(in_range\): unknown key\(s\) 'minimum'; "
            r"allowed: column, min, max",
        ),
        (
            "expectations:\n  - not_null: a\n  - in_range:\n      column: x\n      mni: 0\n",
            r"suite\.yaml line 5, expectations\[1\] \(in_range\): unknown key\(s\) 'mni'",
        ),
        (
            "expectations:\n  - not_nul: a\n",
            r"line 2, expectations\[0\]: unknown expectation kind 'not_nul'; use one of "
            r"column_type, not_null",
        ),
        (
            "on_fail: drop\nexpectations:\n  - not_null: a\n",
            r"suite\.yaml line 1: on_fail 'drop' is not one of quarantine, fail, warn",
        ),
        (
            "expectatoins:\n  - not_null: a\n",
            r"suite\.yaml line 1: unknown key 'expectatoins'; allowed: name, on_fail, now",
        ),
        (
            "expectations:\n  - in_set: {column: origin}\n",
            r"line 2, expectations\[0\] \(in_set\): missing key 'values'; write e\.g\. "
            r"\{column: origin, values: \[EWR, JFK, LGA\]\}",
        ),
        (
            "expectations:\n  - in_range: {column: x, min: 5, max: 1}\n",
            r"line 2, expectations\[0\] \(in_range\): in_range\(x\): min 5 is greater than max 1",
        ),
        (
            "expectations:\n  - references: {column: c}\n",
            r"give exactly one of file: .* or table:",
        ),
        (
            "expectations:\n  - not_null: a\n    unique: b\n",
            r"line 2, expectations\[0\]: each expectation is a mapping with one key",
        ),
        (
            "expectations:\n  - not_null: a\n  - not_null: a\n",
            r"not_null\(a\) appear twice; give one of them name=",
        ),
        (
            "expectations: []\n",
            r"line 1: needs a non-empty expectations: list",
        ),
        (
            "expectations:\n  - in_range: {column: x, min: 0\n",
            r"suite\.yaml line \d+ column \d+: not valid YAML",
        ),
    ],
)
def test_errors_name_line_key_and_fix(tmp_path: Path, text: str, pattern: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError, match=pattern):
        load_expectations(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such expectations file"):
        load_expectations(tmp_path / "nope.yaml")


def test_bare_list_and_short_forms() -> None:
    suite = suite_from_dict([{"unique": "id"}, {"not_null": "id"}, {"unique": ["a", "b"]}])
    assert [e.name for e in suite] == ["unique(id)", "not_null(id)", "unique(a, b)"]
    assert suite.on_fail == "fail"
