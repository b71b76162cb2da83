"""Splits that do not leak: random (stratified), by time with gaps, by group, and named slices.

Each split function returns a :class:`SplitResult` ``(tables, report)``: ``tables`` is a
``dict[str, pyarrow.Table]`` (split name -> rows in source order) and ``report`` a
:class:`SplitReport` with the rule, the seed and per-split rows, label distribution and time
range, ready for the dataset manifest. :class:`TimeSplit`, :class:`GroupSplit` and
:class:`StratifiedSplit` are scikit-learn cross-validation splitters built on the same rules.
"""

from winnow.splits.by_group import group_split
from winnow.splits.by_random import random_split
from winnow.splits.by_time import time_split
from winnow.splits.cross_validation import GroupSplit, StratifiedSplit, TimeSplit
from winnow.splits.report import SplitReport, SplitResult, SplitStats
from winnow.splits.slicing import slices

__all__ = [
    "GroupSplit",
    "SplitReport",
    "SplitResult",
    "SplitStats",
    "StratifiedSplit",
    "TimeSplit",
    "group_split",
    "random_split",
    "slices",
    "time_split",
]
