"""Errors of the batch engines that do not fit a data or definition error."""

from __future__ import annotations

from winnow.errors import WinnowError

__all__ = ["EngineMemoryError"]


class EngineMemoryError(WinnowError, MemoryError):
    """An engine ran out of the memory it was allowed and could not spill the rest to disk."""
