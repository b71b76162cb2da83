"""Data validation: expectations checked in DuckDB before data enters a training set.

An :class:`ExpectationSuite` holds the expectations of one table (built with :class:`Expect`
or read from YAML with :func:`load_expectations`): column type, not null (or a maximum null
rate), unique keys, value range, allowed set, regex, string length, row-count bounds,
freshness and references to another table. :func:`validate` evaluates them all in one
aggregate query, returns a :class:`ValidationReport` (observed vs expected per expectation,
failing-row counts and samples), and acts on failures as each expectation's ``on_fail`` says:
quarantine the failing rows, raise :class:`~winnow.errors.ValidationError`, or warn.
"""

from winnow.errors import ValidationError
from winnow.validation.column_checks import (
    ColumnType,
    InRange,
    InSet,
    Length,
    MatchesRegex,
    NotNull,
)
from winnow.validation.config import EXPECTATION_KINDS, load_expectations, suite_from_dict
from winnow.validation.evaluate import validate
from winnow.validation.expect import Expect
from winnow.validation.expectation import ON_FAIL, Expectation, OnFail
from winnow.validation.key_checks import References, Unique
from winnow.validation.result import ExpectationResult, ValidationReport
from winnow.validation.suite import ExpectationSuite
from winnow.validation.table_checks import Freshness, RowCount

__all__ = [
    "EXPECTATION_KINDS",
    "ON_FAIL",
    "ColumnType",
    "Expect",
    "Expectation",
    "ExpectationResult",
    "ExpectationSuite",
    "Freshness",
    "InRange",
    "InSet",
    "Length",
    "MatchesRegex",
    "NotNull",
    "OnFail",
    "References",
    "RowCount",
    "Unique",
    "ValidationError",
    "ValidationReport",
    "load_expectations",
    "suite_from_dict",
    "validate",
]
