"""winnow: turn raw production data into trustworthy, reproducible training data.

Ingest files, databases and streams with schemas and quarantine; define entity-keyed window
features once and compute them point-in-time correctly in batch and incrementally online; sample,
split and label soundly; and build versioned datasets whose every row traces to its sources.
"""

from winnow.backfill import backfill, explain
from winnow.consistency import ConsistencyReport, FeatureConsistency, check_consistency
from winnow.datasets import Dataset, Input, Labels, Sample, Spine, Split, build
from winnow.drift import DriftMonitor, DriftReport, Thresholds, detect_drift
from winnow.errors import (
    ColumnNotFoundError,
    DefinitionError,
    FormatError,
    SchemaError,
    ServingError,
    SinkError,
    SourceError,
    StreamError,
    UnsafeInputError,
    ValidationError,
    WinnowError,
)
from winnow.features import (
    Count,
    CountDistinct,
    EventSource,
    FeatureGroup,
    First,
    Last,
    LastK,
    Max,
    Mean,
    Min,
    Std,
    Sum,
)
from winnow.io import (
    Field,
    InferredSchema,
    IngestResult,
    Schema,
    infer_schema,
    read,
    read_table,
    write_table,
)
from winnow.io.postgres import read_postgres
from winnow.labeling import (
    DawidSkene,
    LabelModel,
    MajorityVote,
    VoteStore,
    labeling_function,
    natural_labels,
)
from winnow.online import (
    DeadLetter,
    DeadLetterSink,
    JsonLinesDeadLetterSink,
    ListDeadLetterSink,
    OnlineEngine,
)
from winnow.profiles import ColumnProfile, Profile, profile
from winnow.validation import (
    Expect,
    ExpectationSuite,
    ValidationReport,
    load_expectations,
    validate,
)

__version__ = "0.1.0"

__all__ = [
    "ColumnNotFoundError",
    "ColumnProfile",
    "ConsistencyReport",
    "Count",
    "CountDistinct",
    "Dataset",
    "DawidSkene",
    "DeadLetter",
    "DeadLetterSink",
    "DefinitionError",
    "DriftMonitor",
    "DriftReport",
    "EventSource",
    "Expect",
    "ExpectationSuite",
    "FeatureConsistency",
    "FeatureGroup",
    "Field",
    "First",
    "FormatError",
    "InferredSchema",
    "IngestResult",
    "Input",
    "JsonLinesDeadLetterSink",
    "LabelModel",
    "Labels",
    "Last",
    "LastK",
    "ListDeadLetterSink",
    "MajorityVote",
    "Max",
    "Mean",
    "Min",
    "OnlineEngine",
    "Profile",
    "Sample",
    "Schema",
    "SchemaError",
    "ServingError",
    "SinkError",
    "SourceError",
    "Spine",
    "Split",
    "Std",
    "StreamError",
    "Sum",
    "Thresholds",
    "UnsafeInputError",
    "ValidationError",
    "ValidationReport",
    "VoteStore",
    "WinnowError",
    "__version__",
    "backfill",
    "build",
    "check_consistency",
    "detect_drift",
    "explain",
    "infer_schema",
    "labeling_function",
    "load_expectations",
    "natural_labels",
    "profile",
    "read",
    "read_postgres",
    "read_table",
    "validate",
    "write_table",
]
