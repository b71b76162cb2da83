"""Expectation checks inside a dataset build: on each input, and on the dataset's rows.

An :class:`~winnow.datasets.Input` with ``validate=`` is checked right after it is read, before
``prepare``: its quarantined rows leave the input (the others keep their ``_position``, so row
ids do not move) and join ``quarantine.parquet`` with the input's name. A
:class:`~winnow.datasets.Dataset` with ``validate=`` is checked on the labelled, featured rows
before the split; its quarantined rows are excluded (counted under "quarantined by
validation") and join ``quarantine.parquet`` with input ``"dataset"`` and the position of the
spine row in its input. ``references`` expectations may name any input by its name. Results go
to the manifest's ``validation`` section and the report's Validation section.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.datasets.definition import POSITION

if TYPE_CHECKING:
    from winnow.validation import ExpectationSuite, ValidationReport

__all__ = ["DATASET_SOURCE", "as_suite", "validate_rows", "validation_record"]

#: The ``input`` value of quarantine rows removed by the dataset-level suite.
DATASET_SOURCE = "dataset"


def as_suite(spec: Any, *, where: str) -> ExpectationSuite:
    """An :class:`ExpectationSuite` from a suite, a list of expectations or a YAML path."""
    from winnow.errors import DefinitionError
    from winnow.validation import Expectation, ExpectationSuite, load_expectations

    if isinstance(spec, ExpectationSuite):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        return load_expectations(spec)
    if isinstance(spec, Sequence) and all(isinstance(e, Expectation) for e in spec):
        return ExpectationSuite(list(spec))
    raise DefinitionError(
        f"{where}: validate= must be an ExpectationSuite, a list of expectations (winnow.Expect) "
        f"or the path of a YAML suite, got {type(spec).__name__}"
    )


def validate_rows(
    table: pa.Table,
    suite: ExpectationSuite,
    *,
    source: str,
    input_name: str,
    tables: Mapping[str, pa.Table],
) -> tuple[pa.Table, pa.Table | None, ValidationReport]:
    """Validate ``table`` (which carries :data:`POSITION`); return the kept rows, the
    quarantine rows (with an ``input`` column; positions are the rows' :data:`POSITION`) and
    the report. A failure with ``on_fail="fail"`` raises :class:`ValidationError`."""
    from winnow.validation import validate

    others = {
        name: t.drop_columns([POSITION]) if POSITION in t.column_names else t
        for name, t in tables.items()
    }
    report = validate(
        table.drop_columns([POSITION]), suite, source=source, tables=others
    )
    if not report.quarantined:
        return table, None, report
    index = report.quarantine.column("position")
    keep = np.ones(table.num_rows, dtype=bool)
    keep[index.to_numpy()] = False
    quarantine = report.quarantine.set_column(
        report.quarantine.schema.get_field_index("position"),
        "position",
        pc.take(table[POSITION], index),
    )
    quarantine = quarantine.append_column(
        "input", pa.array([input_name] * quarantine.num_rows, pa.string())
    )
    return table.filter(pa.array(keep)), quarantine, report


def validation_record(reports: Mapping[str, ValidationReport]) -> dict[str, Any]:
    """The manifest's ``validation`` section: per checked input (and ``dataset``), the rows,
    the rows quarantined and each expectation's result (no samples; sources by name, so the
    record does not depend on where the files are)."""
    out: dict[str, Any] = {}
    for name, report in reports.items():
        summary = report.summary()
        summary["source"] = name
        out[name] = summary
    return out
