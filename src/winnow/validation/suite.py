"""An expectation suite: the expectations of one table (a source or a dataset) and its policy."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from winnow.errors import DefinitionError
from winnow.validation.expectation import ON_FAIL, Expectation, OnFail

__all__ = ["ExpectationSuite", "parse_now"]


def parse_now(value: datetime | str | None, *, where: str) -> datetime | None:
    """A reference time as an aware UTC datetime (naive and ``Z`` times are UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise DefinitionError(
                f"{where}: now {value!r} is not an ISO 8601 time; write e.g. "
                f"2024-01-31T00:00:00Z"
            ) from exc
    if not isinstance(value, datetime):
        raise DefinitionError(f"{where}: now must be a datetime or ISO 8601 text, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExpectationSuite:
    """The expectations of one table, evaluated together by :func:`~winnow.validation.validate`.

    Parameters
    ----------
    expectations
        Built with :class:`~winnow.validation.Expect` (or loaded from YAML with
        :func:`~winnow.validation.load_expectations`).
    on_fail
        What a failing expectation without its own ``on_fail`` does: ``"fail"`` (raise
        :class:`~winnow.errors.ValidationError`, the default), ``"quarantine"`` (move its
        failing rows to the quarantine table; table-level expectations cannot, and fail) or
        ``"warn"`` (log a warning on the ``winnow.validation`` logger).
    name
        A label for reports.
    now
        The reference time of freshness checks (default: the current UTC time at
        validation); fix it for reproducible results.

    Examples
    --------
    >>> from winnow.validation import Expect, ExpectationSuite
    >>> suite = ExpectationSuite([Expect.not_null("id"), Expect.row_count(min=1)], name="orders")
    >>> [e.name for e in suite]
    ['not_null(id)', 'row_count']
    """

    def __init__(
        self,
        expectations: Sequence[Expectation],
        *,
        on_fail: OnFail = "fail",
        name: str = "expectations",
        now: datetime | str | None = None,
    ) -> None:
        if on_fail not in ON_FAIL:
            raise DefinitionError(
                f"suite {name!r}: on_fail={on_fail!r} is not one of {', '.join(ON_FAIL)}"
            )
        items = tuple(expectations)
        for i, item in enumerate(items):
            if not isinstance(item, Expectation):
                raise DefinitionError(
                    f"suite {name!r}: item {i} is a {type(item).__name__}, not an expectation; "
                    f"build expectations with winnow.Expect (e.g. Expect.not_null('id'))"
                )
        names = [e.name for e in items]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise DefinitionError(
                f"suite {name!r}: expectation name(s) {', '.join(duplicated)} appear twice; "
                f"give one of them name=..."
            )
        self.expectations = items
        self.on_fail: OnFail = on_fail
        self.name = name
        self.now = parse_now(now, where=f"suite {name!r}")

    def action(self, expectation: Expectation) -> OnFail:
        """What a failure of ``expectation`` does under this suite."""
        return expectation.on_fail or self.on_fail

    def with_on_fail(self, on_fail: OnFail) -> ExpectationSuite:
        """The same suite with another default ``on_fail``."""
        return ExpectationSuite(self.expectations, on_fail=on_fail, name=self.name, now=self.now)

    def to_dict(self) -> dict[str, object]:
        """The suite in its YAML form (JSON-able)."""
        out: dict[str, object] = {"name": self.name, "on_fail": self.on_fail}
        if self.now is not None:
            out["now"] = self.now.isoformat()
        out["expectations"] = [{e.kind: e.to_dict()} for e in self.expectations]
        return out

    def __iter__(self) -> Iterator[Expectation]:
        return iter(self.expectations)

    def __len__(self) -> int:
        return len(self.expectations)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpectationSuite) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ExpectationSuite({self.name!r}, {len(self)} expectations, "
            f"on_fail={self.on_fail!r})"
        )
