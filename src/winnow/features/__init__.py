"""Features defined once: entity-keyed window aggregations over an event source.

The definitions here are pure objects. :func:`winnow.backfill` computes them point-in-time
correctly for a spine of training rows; :class:`winnow.OnlineEngine` computes the same values
incrementally over a stream.
"""

from winnow.features.aggregations import (
    LIFETIME,
    Aggregation,
    Count,
    CountDistinct,
    First,
    Last,
    LastK,
    Max,
    Mean,
    Min,
    Std,
    Sum,
    parse_window,
)
from winnow.features.definitions_file import load_feature_groups
from winnow.features.group import FeatureGroup
from winnow.features.source import EventSource

__all__ = [
    "LIFETIME",
    "Aggregation",
    "Count",
    "CountDistinct",
    "EventSource",
    "FeatureGroup",
    "First",
    "Last",
    "LastK",
    "Max",
    "Mean",
    "Min",
    "Std",
    "Sum",
    "load_feature_groups",
    "parse_window",
]
