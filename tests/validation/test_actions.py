"""on_fail: quarantine moves exactly the failing rows aside, fail raises naming what failed,
warn logs; per-expectation settings win over the suite's and validate()'s default."""

from __future__ import annotations

import json
import logging

import numpy as np
import pyarrow as pa
import pytest

from winnow.errors import ValidationError, WinnowError
from winnow.io.quarantine import QUARANTINE_SCHEMA
from winnow.validation import Expect, ExpectationSuite, validate


@pytest.fixture
def orders() -> pa.Table:
    rng = np.random.default_rng(7)
    n = 2_000
    amount = np.round(rng.normal(50, 30, n), 2)
    amount[rng.choice(n, 40, replace=False)] = np.nan
    ids = np.arange(n)
    ids[rng.choice(n, 25, replace=False)] = 3  # duplicates of id 3
    country = rng.choice(np.array(["FR", "DE", "IT", "??"]), n, p=[0.4, 0.3, 0.28, 0.02])
    nulls = rng.random(n) < 0.03
    return pa.table(
        {
            "id": ids,
            "amount": pa.array(amount, from_pandas=True),  # NaN -> null
            "country": pa.array(country).to_pylist(),
            "note": pa.array(np.where(nulls, None, "ok").tolist()),
        }
    )


def expected_positions(table: pa.Table) -> dict[str, set[int]]:
    """The failing rows of each expectation, computed in plain Python."""
    rows = table.to_pylist()
    seen: set[int] = set()
    duplicates = set()
    for i, row in enumerate(rows):
        if row["id"] in seen:
            duplicates.add(i)
        seen.add(row["id"])
    return {
        "amount_present": {i for i, r in enumerate(rows) if r["amount"] is None},
        "amount_range": {
            i for i, r in enumerate(rows) if r["amount"] is not None and r["amount"] < 0
        },
        "country": {i for i, r in enumerate(rows) if r["country"] not in ("FR", "DE", "IT")},
        "unique": duplicates,
    }


def test_quarantined_rows_are_exactly_the_failing_ones(orders: pa.Table) -> None:
    suite = ExpectationSuite(
        [
            Expect.not_null("amount", name="amount_present"),
            Expect.in_range("amount", min=0, name="amount_range"),
            Expect.in_set("country", ["FR", "DE", "IT"], name="country"),
            Expect.unique("id", name="unique"),
            Expect.not_null("note", max_null_rate=0.5),  # passes: its nulls stay
        ],
        on_fail="quarantine",
    )
    report = validate(orders, suite, source="orders.parquet")
    want = expected_positions(orders)
    assert all(want.values())  # every crafted fault is present
    union = set().union(*want.values())
    got = report.quarantine.column("position").to_pylist()
    assert got == sorted(union)
    assert report.quarantine.schema == QUARANTINE_SCHEMA
    assert set(report.quarantine.column("source").to_pylist()) == {"orders.parquet"}
    # one reason per row: the first failing expectation in suite order
    first: dict[int, str] = {}
    for name in ("amount_present", "amount_range", "country", "unique"):
        for pos in want[name]:
            first.setdefault(pos, name)
    reasons = dict(zip(got, report.quarantine.column("reason").to_pylist(), strict=True))
    assert all(reasons[p].startswith(f"expectation {first[p]} failed") for p in got)
    # each result counts its own failing rows, overlaps included
    for result in report.results[:4]:
        assert result.failing_rows == len(want[result.name])
        assert result.action == "quarantined"
        assert set(result.sample_positions) <= want[result.name]
    assert report.results[4].action == "passed"
    # the kept rows are all the others, in order; the raw record is the row as JSON
    kept = [i for i in range(orders.num_rows) if i not in union]
    assert report.table.equals(orders.take(pa.array(kept)))
    raw = json.loads(report.quarantine.column("raw")[0].as_py())
    assert raw == orders.slice(got[0], 1).to_pylist()[0]
    # validating the kept rows again passes
    assert validate(report.table, suite.expectations[:4]).passed


def test_fail_raises_with_observed_and_expected() -> None:
    t = pa.table({"dep_delay": [1.0, None, 3.0, None]})
    with pytest.raises(ValidationError) as caught:
        validate(t, [Expect.not_null("dep_delay")], source="flights.csv")
    message = str(caught.value)
    assert "flights.csv" in message
    assert "not_null(dep_delay) on dep_delay" in message
    assert "observed null_rate 0.5, nulls 2" in message
    assert "expected null rate <= 0" in message
    assert "2 failing row(s)" in message
    assert "on_fail='quarantine'" in message  # the fix
    assert isinstance(caught.value, WinnowError) and isinstance(caught.value, ValueError)
    report = caught.value.report
    assert report.results[0].sample_positions == (1, 3)
    assert report.quarantined == 0  # a failing run quarantines nothing
    assert report.table.num_rows == 4


def test_warn_logs_and_keeps_every_row(caplog: pytest.LogCaptureFixture) -> None:
    t = pa.table({"x": [1, -1]})
    with caplog.at_level(logging.WARNING, logger="winnow.validation"):
        report = validate(t, [Expect.in_range("x", min=0)], on_fail="warn", source="t.csv")
    assert report.results[0].action == "warned"
    assert report.table.num_rows == 2 and report.quarantined == 0
    assert any("in_range(x)" in r.getMessage() and "t.csv" in r.getMessage()
               for r in caplog.records)


def test_per_expectation_on_fail_wins_and_table_level_cannot_quarantine() -> None:
    t = pa.table({"x": [1, -1, 2], "s": ["a", "b", "zz"]})
    suite = ExpectationSuite(
        [Expect.in_range("x", min=0), Expect.length("s", max=1, on_fail="warn")],
        on_fail="quarantine",
    )
    report = validate(t, suite)
    assert [r.action for r in report.results] == ["quarantined", "warned"]
    assert report.quarantine.column("position").to_pylist() == [1]
    # validate(on_fail=) replaces the suite default, not an expectation's own setting
    with pytest.raises(ValidationError, match=r"in_range\(x\)") as caught:
        validate(t, suite, on_fail="fail")
    assert [r.action for r in caught.value.report.results] == ["failed", "warned"]
    # a row count has no failing rows to quarantine: it fails
    with pytest.raises(ValidationError, match="row_count"):
        validate(t, [Expect.row_count(min=5)], on_fail="quarantine")


def test_sample_size_limits_the_sample_not_the_quarantine() -> None:
    t = pa.table({"x": list(range(-20, 20))})
    report = validate(t, [Expect.in_range("x", min=0)], on_fail="quarantine", sample_size=3)
    result = report.results[0]
    assert result.sample_positions == (0, 1, 2)
    assert result.sample is not None and result.sample.column("x").to_pylist() == [-20, -19, -18]
    assert report.quarantined == 20
    data = result.to_dict()
    assert data["sample"] == [{"_position": 0, "x": -20}, {"_position": 1, "x": -19},
                              {"_position": 2, "x": -18}]
