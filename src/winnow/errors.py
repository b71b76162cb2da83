"""The exceptions winnow raises.

Every error derives from :class:`WinnowError`; each subclass also derives from the builtin a
caller would naturally catch (``ValueError``, ``LookupError``, ...). Messages name the file,
column, row or definition involved, what was expected and what was found, and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winnow.validation.result import ValidationReport

__all__ = [
    "ColumnNotFoundError",
    "DefinitionError",
    "FormatError",
    "SchemaError",
    "ServingError",
    "SinkError",
    "SourceError",
    "StreamError",
    "UnsafeInputError",
    "ValidationError",
    "WinnowError",
]


class WinnowError(Exception):
    """Root of every error winnow raises on purpose."""


class SchemaError(WinnowError, ValueError):
    """Data does not fit a declared or expected schema."""


class ColumnNotFoundError(WinnowError, LookupError):
    """A column a definition or call refers to is not in the table."""

    def __init__(self, column: str, available: list[str] | tuple[str, ...], *, where: str) -> None:
        self.column = column
        self.available = list(available)
        self.where = where
        shown = ", ".join(self.available[:20]) + (" ..." if len(self.available) > 20 else "")
        super().__init__(
            f"column {column!r} not found in {where}; available columns: {shown}. "
            f"Check the spelling or select/rename the column first."
        )

    def __str__(self) -> str:  # LookupError would otherwise quote the message
        return str(self.args[0])


class FormatError(WinnowError, ValueError):
    """A file's format is unknown, unsupported, or its content is not of that format."""


class UnsafeInputError(WinnowError, PermissionError):
    """Reading the input would run code it contains (pickle) and the caller did not trust it."""


class SourceError(WinnowError, OSError):
    """A source (file, database, stream) could not be reached or read."""


class DefinitionError(WinnowError, ValueError):
    """A feature, sampler, labeling function or dataset definition is invalid."""


class StreamError(WinnowError, RuntimeError):
    """A stream or online-engine operation is invalid in the current state."""


class SinkError(WinnowError, OSError):
    """A destination (file, dataset directory, database) could not be written as asked."""


class ServingError(WinnowError, ValueError):
    """The feature server cannot start as configured (an unsafe bind, no source of features)."""


class ValidationError(WinnowError, ValueError):
    """Data broke expectations whose ``on_fail`` is ``"fail"``.

    The message names each such expectation, its column(s), the observed value against the
    expected one and the failing-row count; ``report`` holds the whole validation report.
    """

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        failed = [r for r in report.results if r.action == "failed"]
        lines = "; ".join(f"({i}) {r.describe()}" for i, r in enumerate(failed, 1))
        super().__init__(
            f"{report.source}: {len(failed)} expectation(s) of suite {report.suite!r} failed: "
            f"{lines}. Fix the data, relax the expectation, or give it on_fail='quarantine' "
            f"(move the failing rows aside) or 'warn'."
        )
