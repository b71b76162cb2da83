"""Where a feature group's events come from: a file, a glob of files, or an Arrow table.

An :class:`EventSource` is a pure description (no I/O at construction). Engines load it. Each
event gets a sequence number: the value of ``sequence`` if the source names such a column,
otherwise the event's row position in the source (files of a glob in sorted name order). The
pair (event time, sequence) is the total order of events everywhere in winnow.
"""

from __future__ import annotations

import glob as globlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from winnow.errors import DefinitionError, SourceError

__all__ = ["EventSource"]


@dataclass(frozen=True, eq=False)
class EventSource:
    """A source of timestamped events.

    Parameters
    ----------
    data
        A file path, a glob pattern (``"events/*.parquet"``), an Arrow table, or a Spark
        DataFrame (computed by ``engine="spark"`` only).
    time
        The event-time column (a timestamp; naive values are read as UTC).
    sequence
        Optional column that orders events with equal time (an offset); default: row order.
    name
        A label used in messages and the manifest; defaults to the file name.

    Examples
    --------
    >>> import pyarrow as pa
    >>> src = EventSource(pa.table({"k": [1], "ts": [0]}), time="ts")
    >>> src.describe()
    'table(1 rows)'
    """

    data: str | os.PathLike[str] | pa.Table
    time: str
    sequence: str | None = None
    name: str | None = field(default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.time, str) or not self.time:
            raise DefinitionError("EventSource needs time=, the name of the event-time column")
        if not isinstance(self.data, (str, os.PathLike, pa.Table)) and not self.is_spark:
            raise DefinitionError(
                f"EventSource data must be a path, a glob or a pyarrow.Table, "
                f"got {type(self.data).__name__}; convert it with pyarrow.table(...) first"
            )

    @property
    def is_spark(self) -> bool:
        """Whether the events are a Spark DataFrame (checked without importing pyspark)."""
        kind = type(self.data)
        return kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark.")

    @property
    def is_table(self) -> bool:
        """Whether the events are an in-memory Arrow table."""
        return isinstance(self.data, pa.Table)

    def paths(self) -> list[Path]:
        """The files behind this source, in sequence order (sorted names for a glob)."""
        if isinstance(self.data, pa.Table) or self.is_spark:
            return []
        text = os.fspath(self.data)
        if any(ch in text for ch in "*?["):
            found = sorted(Path(p) for p in globlib.glob(text))
            if not found:
                raise SourceError(f"glob {text!r} matched no files")
            return found
        path = Path(text)
        if not path.exists():
            raise SourceError(f"event source {text!r} does not exist")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.parquet"))
            if not found:
                raise SourceError(f"directory {text!r} holds no .parquet files")
            return found
        return [path]

    def describe(self) -> str:
        """A short human-readable description for messages and manifests."""
        if self.name:
            return self.name
        if isinstance(self.data, pa.Table):
            return f"table({self.data.num_rows} rows)"
        if self.is_spark:
            return "Spark DataFrame"
        return os.fspath(self.data)
