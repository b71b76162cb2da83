"""The run report of an ETL pipeline: what each stage read, kept and took."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

__all__ = ["ExtractReport", "LoadReport", "PipelineReport", "StepReport"]


@dataclass(frozen=True)
class ExtractReport:
    """What the extract stage read.

    Attributes
    ----------
    source
        Description of the source.
    rows_read
        Records read (accepted + quarantined).
    rows_quarantined
        Records that went to quarantine.
    rows_out
        Rows handed to the first step.
    seconds
        Wall time.
    """

    source: str
    rows_read: int
    rows_quarantined: int
    rows_out: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_quarantined": self.rows_quarantined,
            "rows_out": self.rows_out,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class StepReport:
    """Rows in and out, and time, of one transform step (``index`` counts from 1).

    ``rows_quarantined`` counts the records of the step's own source (the right side of a
    join) that did not fit its schema and went to quarantine, or the rows a ``validate`` step
    quarantined; ``validation`` is a validate step's report (its ``summary()``).
    """

    index: int
    kind: str
    description: str
    rows_in: int
    rows_out: int
    seconds: float
    rows_quarantined: int = 0
    validation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        out = {
            "index": self.index,
            "kind": self.kind,
            "description": self.description,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_quarantined": self.rows_quarantined,
            "seconds": self.seconds,
        }
        if self.validation is not None:
            out["validation"] = self.validation
        return out


@dataclass(frozen=True)
class LoadReport:
    """Where the rows were written, how many, the files written and their total size."""

    destination: str
    rows: int
    files: tuple[str, ...]
    bytes: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "destination": self.destination,
            "rows": self.rows,
            "files": list(self.files),
            "bytes": self.bytes,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class PipelineReport:
    """The whole run: extract, every step in order, the load (if any) and the output.

    ``table`` is the transformed output (also when nothing was loaded) and ``quarantine`` the
    extract's quarantined records followed by the rows validate steps quarantined (None if
    there were none); neither is part of :meth:`to_dict`.
    """

    extract: ExtractReport
    steps: tuple[StepReport, ...]
    load: LoadReport | None
    seconds: float
    table: pa.Table = field(repr=False)
    quarantine: pa.Table | None = field(default=None, repr=False)

    @property
    def rows_out(self) -> int:
        """Rows in the pipeline's output."""
        return int(self.table.num_rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the whole report."""
        return {
            "extract": self.extract.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
            "load": None if self.load is None else self.load.to_dict(),
            "rows_out": self.rows_out,
            "seconds": self.seconds,
        }
