"""Each expectation kind passes on good data and fails on a crafted bad case, observing the
right value and sampling exactly the failing rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, SourceError
from winnow.validation import Expect, Expectation, ExpectationResult, validate

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def one(table: pa.Table, expectation: Expectation, **kwargs: object) -> ExpectationResult:
    report = validate(table, [expectation], on_fail="warn", now=NOW, **kwargs)  # type: ignore[arg-type]
    (result,) = report.results
    return result


def test_column_type_family_and_exact() -> None:
    t = pa.table({"x": pa.array([1, 2], pa.int32()), "ts": pa.array([NOW, NOW])})
    assert one(t, Expect.column_type("x", "integer")).passed
    assert one(t, Expect.column_type("x", "int32")).passed
    assert one(t, Expect.column_type("ts", "timestamp[us, tz=UTC]")).passed
    assert one(t, Expect.column_type("ts", "timestamp")).passed
    bad = one(t, Expect.column_type("x", "float64"))
    assert not bad.passed
    assert bad.observed == {"type": "int32"}
    assert bad.failing_rows is None
    assert bad.expected == "type double"
    assert not one(t, Expect.column_type("x", "string")).passed
    for typo in ("flaot", "flaot!"):
        with pytest.raises(DefinitionError, match="not an Arrow type; use a family"):
            Expect.column_type("x", typo)
    assert one(pa.table({"d": pa.array([1], pa.decimal128(12, 2))}),
               Expect.column_type("d", "decimal128(12, 2)")).passed


def test_not_null_rate() -> None:
    good = pa.table({"x": [1.0, 2.0, 3.0, 4.0]})
    assert one(good, Expect.not_null("x")).observed == {"null_rate": 0.0, "nulls": 0}
    bad = pa.table({"x": [1.0, None, 3.0, None, float("nan")]})
    result = one(bad, Expect.not_null("x"))
    assert not result.passed
    assert result.observed == {"null_rate": 0.4, "nulls": 2}  # NaN is not null
    assert result.failing_rows == 2
    assert result.sample_positions == (1, 3)
    assert result.sample is not None and result.sample.column("x").to_pylist() == [None, None]
    # a tolerated null rate passes, and one just below the observed fails
    assert one(bad, Expect.not_null("x", max_null_rate=0.4)).passed
    assert not one(bad, Expect.not_null("x", max_null_rate=0.39)).passed


def test_unique_single_and_composite() -> None:
    t = pa.table({"a": [1, 1, 2, 2, 2, None, None], "b": ["x", "y", "x", "x", "x", "z", "z"]})
    single = one(t, Expect.unique("a"))
    assert single.observed == {"duplicates": 3}  # nulls are not keys
    assert single.sample_positions == (1, 3, 4)  # every row after the first of its key
    composite = one(t, Expect.unique(["a", "b"]))
    assert composite.observed == {"duplicates": 2}
    assert composite.sample_positions == (3, 4)
    assert one(t.slice(0, 3), Expect.unique(["a", "b"])).passed


def test_in_range_bounds_and_inclusive_flags() -> None:
    t = pa.table({"x": [0.0, 5.0, 10.0, None]})
    assert one(t, Expect.in_range("x", min=0, max=10)).passed
    strict = one(t, Expect.in_range("x", min=0, max=10, min_inclusive=False))
    assert strict.observed == {"min": 0.0, "max": 10.0, "outside": 1}
    assert strict.sample_positions == (0,)
    both = one(t, Expect.in_range("x", min=0, max=10, min_inclusive=False, max_inclusive=False))
    assert both.sample_positions == (0, 2)
    bad = pa.table({"x": [3.0, -5.0, float("nan"), 2.0, 99.0]})
    result = one(bad, Expect.in_range("x", min=0))
    assert result.observed["min"] == -5.0
    assert result.failing_rows == 2  # -5 and NaN; 99 has no upper bound
    assert result.sample_positions == (1, 2)


def test_in_range_on_times_and_dates() -> None:
    t = pa.table({"d": [date(2024, 1, 1), date(2024, 2, 1)], "ts": [NOW, NOW + timedelta(1)]})
    assert one(t, Expect.in_range("d", min=date(2024, 1, 1))).passed
    late = one(t, Expect.in_range("ts", max=NOW))
    assert late.sample_positions == (1,)
    assert late.observed["max"] == (NOW + timedelta(1)).isoformat()


def test_in_set() -> None:
    t = pa.table({"origin": ["EWR", "JFK", None, "LGA"]})
    assert one(t, Expect.in_set("origin", ["EWR", "JFK", "LGA"])).passed
    bad = pa.table({"origin": ["EWR", "XXX", "jfk", "XXX", None]})
    result = one(bad, Expect.in_set("origin", ["EWR", "JFK"]))
    assert result.observed == {"outside": 3, "distinct_outside": 2}
    assert result.sample_positions == (1, 2, 3)
    ints = pa.table({"k": [1, 2, 3]})
    assert one(ints, Expect.in_set("k", [1, 2])).sample_positions == (2,)


def test_matches_regex_is_a_full_match() -> None:
    t = pa.table({"tail": ["N123", "N9AB", None]})
    assert one(t, Expect.matches_regex("tail", "N[0-9A-Z]+")).passed
    bad = pa.table({"tail": ["N123", "XN123", "N12-3", "n1"]})
    result = one(bad, Expect.matches_regex("tail", "N[0-9A-Z]+"))
    assert result.observed == {"not_matching": 3}
    assert result.sample_positions == (1, 2, 3)
    with pytest.raises(SchemaError, match="not a string"):
        one(pa.table({"n": [1]}), Expect.matches_regex("n", "1"))
    with pytest.raises(DefinitionError, match="not a valid regular expression"):
        Expect.matches_regex("tail", "N[")


def test_length_counts_characters() -> None:
    t = pa.table({"c": ["AA", "UA", "é9"]})  # é is one character, two bytes
    assert one(t, Expect.length("c", min=2, max=2)).passed
    bad = pa.table({"c": ["AA", "A", "AAA", None, ""]})
    result = one(bad, Expect.length("c", min=1, max=2))
    assert result.observed == {"min_length": 0, "max_length": 3, "outside": 2}
    assert result.sample_positions == (2, 4)


def test_row_count() -> None:
    t = pa.table({"x": list(range(10))})
    assert one(t, Expect.row_count(min=10, max=10)).passed
    result = one(t, Expect.row_count(min=11))
    assert (result.passed, result.observed, result.failing_rows) == (False, {"rows": 10}, None)
    assert not one(t, Expect.row_count(max=9)).passed
    assert not one(t.slice(0, 0), Expect.row_count(min=1)).passed


def test_freshness_against_given_now() -> None:
    newest = NOW - timedelta(hours=30)
    t = pa.table({"ts": [newest - timedelta(days=3), newest, None]})
    fresh = one(t, Expect.freshness("ts", max_age="2d"))
    assert fresh.passed
    assert fresh.observed["newest"] == newest.isoformat()
    assert fresh.observed["age"] == "1d 6h"
    stale = one(t, Expect.freshness("ts", max_age="1d"))
    assert not stale.passed
    assert stale.observed["age_seconds"] == 30 * 3600
    # exactly at the limit is fresh
    assert one(t, Expect.freshness("ts", max_age="30h")).passed
    # naive timestamps are UTC, dates are their midnight UTC
    naive = pa.table({"ts": pa.array([datetime(2024, 3, 1, 11)], pa.timestamp("us"))})
    assert one(naive, Expect.freshness("ts", max_age="1h")).passed
    days = pa.table({"d": [date(2024, 2, 29)]})
    assert one(days, Expect.freshness("d", max_age="36h")).passed
    assert not one(days, Expect.freshness("d", max_age="35h")).passed
    empty = one(pa.table({"ts": pa.array([None], pa.timestamp("us", tz="UTC"))}),
                Expect.freshness("ts", max_age="1d"))
    assert not empty.passed and empty.observed["newest"] is None
    with pytest.raises(SchemaError, match="not a timestamp"):
        one(pa.table({"ts": ["2024-01-01"]}), Expect.freshness("ts", max_age="1d"))


def test_freshness_defaults_to_the_current_time() -> None:
    t = pa.table({"ts": [datetime.now(UTC) - timedelta(minutes=5)]})
    report = validate(t, [Expect.freshness("ts", max_age="1h")])
    assert report.passed
    old = pa.table({"ts": [datetime(2001, 1, 1, tzinfo=UTC)]})
    assert not validate(old, [Expect.freshness("ts", max_age="1h")], on_fail="warn").passed


def test_references_table_file_and_name(tmp_path: Path) -> None:
    carriers = pa.table({"code": ["AA", "UA", "DL"]})
    flights = pa.table({"carrier": ["AA", "XX", None, "UA", "XX", "ZZ"]})
    result = one(flights, Expect.references("carrier", table=carriers, table_columns="code"))
    assert result.observed == {"missing": 3, "distinct_missing": 2}
    assert result.sample_positions == (1, 4, 5)
    pq.write_table(carriers, tmp_path / "carriers.parquet")
    from_file = one(flights, Expect.references("carrier", table=tmp_path / "carriers.parquet",
                                               table_columns="code"))
    assert from_file.sample_positions == (1, 4, 5)
    by_name = one(flights, Expect.references("carrier", table="carriers", table_columns="code"),
                  tables={"carriers": carriers})
    assert by_name.sample_positions == (1, 4, 5)
    assert one(flights.slice(0, 1), Expect.references("carrier", table=carriers,
                                                      table_columns="code")).passed
    with pytest.raises(SourceError, match="neither a file nor a table"):
        one(flights, Expect.references("carrier", table="nowhere", table_columns="code"))
    with pytest.raises(ColumnNotFoundError, match="'carrier'"):
        one(flights, Expect.references("carrier", table=carriers))


def test_references_composite_key_and_duplicates_on_the_other_side() -> None:
    other = pa.table({"a": [1, 1, 2, 2], "b": ["x", "x", "y", None]})
    t = pa.table({"a": [1, 2, 2, 1], "b": ["x", "y", "x", None]})
    result = one(t, Expect.references(["a", "b"], table=other))
    assert result.observed == {"missing": 1, "distinct_missing": 1}  # (2, x); (1, null) unchecked
    assert result.sample_positions == (2,)
    # duplicated keys on the other side do not multiply rows: row count is still 4
    report = validate(t, [Expect.references(["a", "b"], table=other), Expect.row_count(min=4,
                      max=4)], on_fail="warn")
    assert report.results[1].passed


def test_one_pass_for_many_expectations_and_clear_errors() -> None:
    t = pa.table({"x": [1, 2, 3], "s": ["a", "b", "c"]})
    report = validate(
        t,
        [Expect.not_null("x"), Expect.in_range("x", min=0), Expect.in_set("s", ["a", "b"]),
         Expect.unique("x"), Expect.length("s", max=1)],
        on_fail="warn",
    )
    assert [r.passed for r in report.results] == [True, True, False, True, True]
    with pytest.raises(ColumnNotFoundError, match=r"'nope'.*expectation not_null"):
        validate(t, [Expect.not_null("nope")])
    with pytest.raises(DefinitionError, match=r"in_range\(s\).*s is string"):
        validate(t, [Expect.not_null("x"), Expect.in_range("s", min=0)])


def test_definition_errors_say_the_fix() -> None:
    with pytest.raises(DefinitionError, match="give min=, max= or both"):
        Expect.in_range("x")
    with pytest.raises(DefinitionError, match="greater than max"):
        Expect.in_range("x", min=5, max=1)
    with pytest.raises(DefinitionError, match=r"max_null_rate must be a number in \[0, 1\]"):
        Expect.not_null("x", max_null_rate=2)
    with pytest.raises(DefinitionError, match="on_fail='drop' is not one of"):
        Expect.not_null("x", on_fail="drop")
    with pytest.raises(DefinitionError, match="cannot parse duration"):
        Expect.freshness("ts", max_age="soon")
    with pytest.raises(DefinitionError, match=r"2 column\(s\) but 1 table_columns"):
        Expect.references(["a", "b"], table="t", table_columns=["a"])
    with pytest.raises(AttributeError, match="immutable"):
        Expect.not_null("x").name = "y"  # type: ignore[misc]


def test_empty_tables_and_awkward_column_names() -> None:
    t = pa.table({'a "b"': pa.array([], pa.int64()), "t": pa.array([], pa.string())})
    report = validate(
        t,
        [Expect.not_null('a "b"'), Expect.unique(['a "b"', "t"]), Expect.in_set("t", ["x"]),
         Expect.in_range('a "b"', min=0)],
    )
    assert report.passed and report.rows == 0
    assert report.results[0].observed == {"null_rate": 0.0, "nulls": 0}
    assert report.results[3].observed == {"min": None, "max": None, "outside": 0}
    odd = pa.table({'a "b"': [1, 1, None], "t": ["x", "y", "x"]})
    result = one(odd, Expect.unique('a "b"'))
    assert result.sample_positions == (1,)
    assert one(odd, Expect.in_set("t", ["x"])).sample_positions == (1,)


def test_validate_reads_a_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("id,amount\n1,5.0\n2,-1.0\n")
    report = validate(path, [Expect.in_range("amount", min=0)], on_fail="quarantine")
    assert report.source == str(path)
    assert report.quarantine.column("position").to_pylist() == [1]  # data row, header not counted
    assert report.quarantine.column("source").to_pylist() == [str(path)]
