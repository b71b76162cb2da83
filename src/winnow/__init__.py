"""winnow: turn raw production data into trustworthy, reproducible training data.

Ingest files, databases and streams with schemas and quarantine; define entity-keyed window
features once and compute them point-in-time correctly in batch and incrementally online; sample,
split and label soundly; and build versioned datasets whose every row traces to its sources.
"""

from winnow.backfill import backfill, explain
from winnow.consistency import ConsistencyReport, FeatureConsistency, check_consistency
from winnow.datasets import Dataset, Input, Labels, Sample, Spine, Split, build
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
from winnow.online import (
    DeadLetter,
    DeadLetterSink,
    JsonLinesDeadLetterSink,
    ListDeadLetterSink,
    OnlineEngine,
)
from winnow.labeling import (
    DawidSkene,
    LabelModel,
    MajorityVote,
    VoteStore,
    labeling_function,
    natural_labels,
)

__version__ = "0.1.0"

__all__ = [
    "ColumnNotFoundError",
    "Count",
    "CountDistinct",
    "DefinitionError",
    "EventSource",
    "FeatureGroup",
    "Field",
    "First",
    "FormatError",
    "InferredSchema",
    "IngestResult",
    "Last",
    "LastK",
    "Max",
    "Mean",
    "Min",
    "Schema",
    "SchemaError",
    "ServingError",
    "SinkError",
    "SourceError",
    "Std",
    "StreamError",
    "Sum",
    "UnsafeInputError",
    "WinnowError",
    "__version__",
    "infer_schema",
    "read",
    "backfill",
    "explain",
    "read_postgres",
    "read_table",
    "write_table",
    "DawidSkene",
    "LabelModel",
    "MajorityVote",
    "VoteStore",
    "labeling_function",
    "natural_labels",
    "DeadLetter",
    "DeadLetterSink",
    "JsonLinesDeadLetterSink",
    "ListDeadLetterSink",
    "OnlineEngine",
    "ConsistencyReport",
    "FeatureConsistency",
    "check_consistency",
    "Dataset",
    "Input",
    "Labels",
    "Sample",
    "Spine",
    "Split",
    "build",
]
