"""What a validation found: one result per expectation, the kept rows and the quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from winnow.validation.expectation import Expectation

__all__ = ["ExpectationResult", "ValidationReport", "format_observed"]


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_observed(observed: dict[str, object]) -> str:
    """``null_rate 0.12, nulls 3`` (keys in their order, floats to four digits)."""
    return ", ".join(
        f"{k} {_number(v)}" for k, v in observed.items() if k not in ("age_seconds", "now")
    )


@dataclass(frozen=True)
class ExpectationResult:
    """The verdict on one expectation.

    Attributes
    ----------
    expectation
        The expectation checked.
    passed
        Whether it held.
    observed
        What was measured (JSON-able), e.g. ``{"null_rate": 0.12, "nulls": 3}``.
    failing_rows
        Rows that break it (``None`` for table-level expectations).
    action
        What the failure did: ``"passed"``, ``"quarantined"``, ``"failed"`` or ``"warned"``.
    sample
        Up to ``sample_size`` failing rows, in row order (``None`` when none or table-level).
    sample_positions
        The 0-based positions of those rows in the validated table.
    """

    expectation: Expectation
    passed: bool
    observed: dict[str, object]
    failing_rows: int | None
    action: str
    sample: pa.Table | None = field(default=None, repr=False)
    sample_positions: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        """The expectation's name."""
        return self.expectation.name

    @property
    def kind(self) -> str:
        """The expectation's kind."""
        return self.expectation.kind

    @property
    def columns(self) -> tuple[str, ...]:
        """The checked columns."""
        return self.expectation.columns

    @property
    def expected(self) -> str:
        """What was demanded, in words."""
        return self.expectation.expected()

    def describe(self) -> str:
        """One line: ``not_null(dep_delay) on dep_delay: observed ..., expected ...``."""
        cols = ", ".join(self.columns) or "(table)"
        rows = "" if self.failing_rows is None else f", {self.failing_rows:,} failing row(s)"
        return (
            f"{self.name} on {cols}: observed {format_observed(self.observed)}, expected "
            f"{self.expected}{rows}"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping (the sample as a list of row objects with ``_position``)."""
        sample = None
        if self.sample is not None:
            sample = [
                {"_position": p, **row}
                for p, row in zip(self.sample_positions, self.sample.to_pylist(), strict=True)
            ]
        return {
            "name": self.name,
            "kind": self.kind,
            "columns": list(self.columns),
            "passed": self.passed,
            "observed": self.observed,
            "expected": self.expected,
            "failing_rows": self.failing_rows,
            "action": self.action,
            "sample": sample,
        }


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`~winnow.validation.validate` on one table.

    Attributes
    ----------
    source
        What was validated (a file path, or the name given).
    suite
        The suite's name.
    rows
        Rows in the validated table.
    results
        One result per expectation, in suite order.
    table
        The rows kept: all rows but the quarantined ones, in their order.
    quarantine
        The quarantined rows in winnow's quarantine layout (source, 0-based position, column,
        reason, raw record as JSON), one per row with the first failing expectation's reason.
    """

    source: str
    suite: str
    rows: int
    results: tuple[ExpectationResult, ...]
    table: pa.Table = field(repr=False)
    quarantine: pa.Table = field(repr=False)

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[ExpectationResult, ...]:
        """The results that did not pass."""
        return tuple(r for r in self.results if not r.passed)

    def failures_of(self, action: str) -> tuple[ExpectationResult, ...]:
        """Failures that led to ``action``: ``"failed"``, ``"quarantined"`` or ``"warned"``."""
        return tuple(r for r in self.failures if r.action == action)

    @property
    def quarantined(self) -> int:
        """Rows moved to quarantine."""
        return int(self.quarantine.num_rows)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping of the whole report (without the kept table)."""
        return {
            "source": self.source,
            "suite": self.suite,
            "rows": self.rows,
            "passed": self.passed,
            "rows_kept": int(self.table.num_rows),
            "rows_quarantined": self.quarantined,
            "results": [r.to_dict() for r in self.results],
        }

    def summary(self) -> dict[str, object]:
        """Like :meth:`to_dict` without the failing-row samples (for manifests)."""
        out = self.to_dict()
        results = out["results"]
        assert isinstance(results, list)
        out["results"] = [{k: v for k, v in r.items() if k != "sample"} for r in results]
        return out
