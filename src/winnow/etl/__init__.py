"""ETL pipelines: extract from a file, PostgreSQL or Arrow; transform in DuckDB; load atomically.

A :class:`Pipeline` is an extract source, a list of steps (:class:`Select`, :class:`Rename`,
:class:`Cast`, :class:`Filter`, :class:`Dedupe`, :class:`Derive`, :class:`Join`,
:class:`Aggregate`, and :class:`Validate` for expectation checks) and an optional load
(:class:`ParquetSink`, :class:`DuckDBSink`). It is built in Python or read from YAML
(:func:`load_pipeline`, the format of ``winnow etl``), and its run returns a
:class:`PipelineReport` with rows in/out and time per step.
"""

from winnow.etl.config import load_pipeline
from winnow.etl.pipeline import Pipeline
from winnow.etl.report import ExtractReport, LoadReport, PipelineReport, StepReport
from winnow.etl.sinks import DuckDBSink, ParquetSink, Sink
from winnow.etl.sources import ArrowSource, Extracted, FileSource, PostgresSource, Source
from winnow.etl.steps import (
    Aggregate,
    Cast,
    Dedupe,
    Derive,
    Filter,
    Join,
    Rename,
    Select,
    Step,
    Validate,
)

__all__ = [
    "Aggregate",
    "ArrowSource",
    "Cast",
    "Dedupe",
    "Derive",
    "DuckDBSink",
    "ExtractReport",
    "Extracted",
    "FileSource",
    "Filter",
    "Join",
    "LoadReport",
    "ParquetSink",
    "Pipeline",
    "PipelineReport",
    "PostgresSource",
    "Rename",
    "Select",
    "Sink",
    "Source",
    "Step",
    "StepReport",
    "Validate",
    "load_pipeline",
]
