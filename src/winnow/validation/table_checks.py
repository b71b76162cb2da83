"""Expectations on the whole table: row-count bounds and freshness of the newest event.

Neither has failing rows, so neither can quarantine: under ``on_fail="quarantine"`` a failure
fails the validation as ``on_fail="fail"`` would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pyarrow as pa

from winnow.errors import DefinitionError, SchemaError
from winnow.timestamps import format_duration, parse_duration
from winnow.validation.expectation import (
    Expectation,
    Judgement,
    SqlContext,
    bounds_params,
    bounds_text,
)

__all__ = ["Freshness", "RowCount", "format_age"]


class RowCount(Expectation):
    """The table has between ``min`` and ``max`` rows (inclusive; each bound optional)."""

    kind: ClassVar[str] = "row_count"
    row_level: ClassVar[bool] = False
    min: int | None
    max: int | None

    def __init__(
        self,
        *,
        min: int | None = None,
        max: int | None = None,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        if min is None and max is None:
            raise DefinitionError("row_count: give min=, max= or both")
        for bound in (min, max):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int) or bound < 0
            ):
                raise DefinitionError(f"row_count: bounds must be integers >= 0, got {bound!r}")
        if min is not None and max is not None and min > max:
            raise DefinitionError(f"row_count: min {min} is greater than max {max}")
        object.__setattr__(self, "min", min)
        object.__setattr__(self, "max", max)
        self._init_common((), on_fail, name)

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """None: the evaluator counts rows once for every expectation."""
        return []

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Compare the row count with the bounds."""
        ok = (self.min is None or rows >= self.min) and (self.max is None or rows <= self.max)
        return Judgement(ok, {"rows": rows}, None)

    def expected(self) -> str:
        """``rows >= 10 and <= 20``."""
        return "rows " + bounds_text(self.min, self.max)

    def params(self) -> dict[str, object]:
        """The bounds given."""
        return bounds_params(self.min, self.max)


def format_age(seconds: float) -> str:
    """``2d 3h 4m 5s`` (whole seconds; a negative age, from a future event, keeps its sign)."""
    sign = "-" if seconds < 0 else ""
    left = int(abs(seconds))
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    if left or not parts:
        parts.append(f"{left}s")
    return sign + " ".join(parts)


def _utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


class Freshness(Expectation):
    """The newest event time of a timestamp (or date) column is no older than ``max_age``
    before ``now`` (given to :func:`~winnow.validation.validate`; default the current UTC
    time). A naive timestamp is read as UTC and a date as its midnight UTC. A column with no
    value fails."""

    kind: ClassVar[str] = "freshness"
    row_level: ClassVar[bool] = False
    max_age_us: int

    def __init__(
        self,
        column: str,
        *,
        max_age: str | timedelta,
        on_fail: str | None = None,
        name: str | None = None,
    ) -> None:
        try:
            micros = parse_duration(max_age)
        except SchemaError as exc:
            raise DefinitionError(f"freshness({column}): max_age: {exc}") from exc
        object.__setattr__(self, "max_age_us", micros)
        self._init_common((column,), on_fail, name)

    def check_schema(self, schema: pa.Schema, *, where: str) -> None:
        """The column exists and holds timestamps or dates."""
        super().check_schema(schema, where=where)
        typ = schema.field(self.columns[0]).type
        if not (pa.types.is_timestamp(typ) or pa.types.is_date(typ)):
            raise SchemaError(
                f"{where}, expectation {self.name}: column {self.columns[0]!r} is {typ}, not a "
                f"timestamp or date; parse it first (a schema declaring it 'timestamp', or a "
                f"cast step to TIMESTAMPTZ)"
            )

    def aggregates(self, ctx: SqlContext) -> list[str]:
        """The newest value."""
        return [f"max({ctx.col(self.columns[0])})"]

    def judge(
        self, values: Sequence[Any], *, rows: int, schema: pa.Schema, now: datetime
    ) -> Judgement:
        """Age = now - newest; passed when age <= max_age."""
        newest = values[0]
        if newest is None:
            return Judgement(False, {"newest": None, "age": None, "now": now.isoformat()}, None)
        age = (now - _utc(newest)).total_seconds()
        observed = {
            "newest": _utc(newest).isoformat(),
            "age": format_age(age),
            "age_seconds": age,
            "now": now.isoformat(),
        }
        return Judgement(age * 1_000_000 <= self.max_age_us, observed, None)

    def expected(self) -> str:
        """``newest within 1d of now``."""
        return f"newest within {format_duration(self.max_age_us)} of now"

    def params(self) -> dict[str, object]:
        """``{"max_age": "1d"}``."""
        return {"max_age": format_duration(self.max_age_us)}
