"""Validate split fractions and turn split assignments into tables and a report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from winnow.errors import DefinitionError
from winnow.splits.report import SplitReport, SplitResult, split_stats

__all__ = ["DEFAULT_FRACTIONS", "assemble", "check_fractions"]

DEFAULT_FRACTIONS: dict[str, float] = {"train": 0.8, "valid": 0.1, "test": 0.1}


def check_fractions(fractions: Mapping[str, float], *, where: str) -> dict[str, float]:
    """Return ``fractions`` as a dict after checking names and that they are >= 0 and sum to 1."""
    if not fractions:
        raise DefinitionError(f"{where}: fractions must name at least one split")
    out: dict[str, float] = {}
    for name, value in fractions.items():
        if not isinstance(name, str) or not name:
            raise DefinitionError(f"{where}: split names must be non-empty strings, got {name!r}")
        f = float(value)
        if not np.isfinite(f) or f < 0:
            raise DefinitionError(f"{where}: fraction of {name!r} must be >= 0, got {value!r}")
        out[name] = f
    total = sum(out.values())
    if abs(total - 1.0) > 1e-9:
        raise DefinitionError(
            f"{where}: fractions must sum to 1, got {total!r} from {out}; rescale them"
        )
    return out


def assemble(
    table: pa.Table,
    assignment: np.ndarray,
    names: list[str],
    *,
    method: str,
    parameters: dict[str, Any],
    seed: int | dict[str, object] | None,
    label: str | None,
    time: str | None,
    where: str,
    notes: tuple[str, ...] = (),
) -> SplitResult:
    """Build the split tables from a per-row split index (-1 = in no split) and the report."""
    tables: dict[str, pa.Table] = {}
    for index, name in enumerate(names):
        rows = np.flatnonzero(assignment == index).astype(np.int64)
        tables[name] = table.take(pa.array(rows))
    stats = {
        name: split_stats(t, label=label, time=time, where=f"{where} split {name!r}")
        for name, t in tables.items()
    }
    report = SplitReport(
        method=method,
        parameters=parameters,
        seed=seed,
        input_rows=table.num_rows,
        splits=stats,
        label=label,
        time=time,
        excluded_rows=int((assignment < 0).sum()),
        notes=notes,
    )
    return SplitResult(tables, report)
