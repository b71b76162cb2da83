"""The online engine: feature groups computed incrementally over a stream, in process.

:class:`OnlineEngine` ingests events one at a time (``update_one``) or in micro-batches
(``update_many``), keeps exact sliding-window state per key, and answers feature queries with the
same meaning as :func:`winnow.backfill`. Late events go to a :class:`DeadLetterSink`; the state
and the stream position are saved and restored atomically.
"""

from winnow.online.dead_letter import (
    DeadLetter,
    DeadLetterSink,
    JsonLinesDeadLetterSink,
    ListDeadLetterSink,
)
from winnow.online.engine import GroupStats, OnlineEngine, online_definition_hash

__all__ = [
    "DeadLetter",
    "DeadLetterSink",
    "GroupStats",
    "JsonLinesDeadLetterSink",
    "ListDeadLetterSink",
    "OnlineEngine",
    "online_definition_hash",
]
