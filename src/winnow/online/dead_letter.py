"""Where the online engine puts events it refuses: late events, with the reason.

A late event (older than its key's newest event minus the allowed lateness) is never merged into
the state and never dropped silently: the engine counts it and hands it to a
:class:`DeadLetterSink`. Two sinks ship: :class:`ListDeadLetterSink` keeps letters in memory (the
default) and :class:`JsonLinesDeadLetterSink` appends them to a JSON Lines file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from winnow.online.values import encode_value

__all__ = ["DeadLetter", "DeadLetterSink", "JsonLinesDeadLetterSink", "ListDeadLetterSink"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DeadLetter:
    """One refused event.

    Parameters
    ----------
    group
        The feature group that refused it.
    key
        The event's entity key (a scalar, or a tuple for a composite key).
    time
        The event time, microseconds since the epoch (UTC).
    sequence
        The event's sequence number (its arrival number, or the source's sequence column).
    reason
        Why it was refused, e.g. ``"late: 2026-01-01T00:00:00+00:00 is older than ..."``.
    event
        The event's columns as received.
    """

    group: str
    key: Any
    time: int
    sequence: int
    reason: str
    event: dict[str, Any] = field(default_factory=dict)

    @property
    def time_iso(self) -> str:
        """The event time as an ISO 8601 string."""
        return (_EPOCH + timedelta(microseconds=self.time)).isoformat()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able description (times and non-JSON values encoded as tagged objects)."""
        key = list(self.key) if isinstance(self.key, tuple) else self.key
        return {
            "group": self.group,
            "key": encode_value(key),
            "time": self.time_iso,
            "sequence": self.sequence,
            "reason": self.reason,
            "event": {name: encode_value(v) for name, v in self.event.items()},
        }


@runtime_checkable
class DeadLetterSink(Protocol):
    """Receives the events the online engine refuses."""

    def write(self, letters: Sequence[DeadLetter]) -> None:
        """Store ``letters``; called once per refused batch (never with an empty sequence)."""
        ...


class ListDeadLetterSink:
    """Keep dead letters in memory, in arrival order (the engine's default sink).

    Examples
    --------
    >>> sink = ListDeadLetterSink()
    >>> sink.write([DeadLetter("card", 7, 0, 3, "late")])
    >>> [d.key for d in sink.letters]
    [7]
    """

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    def write(self, letters: Sequence[DeadLetter]) -> None:
        """Append ``letters`` to :attr:`letters`."""
        self.letters.extend(letters)

    def __len__(self) -> int:
        return len(self.letters)


class JsonLinesDeadLetterSink:
    """Append dead letters to a JSON Lines file, one object per line, flushed and fsynced.

    Parameters
    ----------
    path
        The file to append to; created (with its directory) if missing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, letters: Sequence[DeadLetter]) -> None:
        """Append one line per letter and fsync, so a crash after the call loses none."""
        text = "".join(json.dumps(d.to_json(), sort_keys=True) + "\n" for d in letters)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def read(self) -> list[dict[str, Any]]:
        """Return the letters written so far, as JSON objects."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
