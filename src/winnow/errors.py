"""The exceptions winnow raises.

Every error derives from :class:`WinnowError`; each subclass also derives from the builtin a
caller would naturally catch (``ValueError``, ``LookupError``, ...). Messages name the file,
column, row or definition involved, what was expected and what was found, and the fix.
"""

from __future__ import annotations

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
