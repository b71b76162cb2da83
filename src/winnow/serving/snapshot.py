"""Serve features straight from an online-engine snapshot (``winnow serve --state``).

The snapshot written by ``winnow stream --state`` (or :meth:`OnlineEngine.save`) is loaded, and
reloaded when the file changes (checked at most once a second; the stream writes it atomically,
so a reload sees a complete checkpoint). Features are computed as of just after the newest event
time in the snapshot, so every ingested event is seen. Between reloads the snapshot and that time
are fixed, so each key's values are computed once and then answered from a cache that a reload
clears. Whether a key was ever
seen is not recorded by the engine's public API, so ``found`` is reported as null in this mode.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from winnow.features.group import FeatureGroup
from winnow.serving.store import StoredFeatures
from winnow.serving.values import json_value, key_token
from winnow.streams.consumer import key_schemas_of

__all__ = ["SnapshotReader"]


class SnapshotReader:
    """Read features from an engine snapshot file, reloading it when it changes.

    Parameters
    ----------
    path
        The snapshot file.
    groups
        The feature groups it was saved with.
    reload_seconds
        How often at most to check the file for a newer checkpoint.
    max_cached
        The most keys whose values are kept between requests (the cache is emptied when full,
        so requests for many unknown keys cannot grow memory without bound).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        groups: Sequence[FeatureGroup],
        *,
        reload_seconds: float = 1.0,
        max_cached: int = 1_000_000,
    ) -> None:
        self._path = Path(path)
        self._groups = list(groups)
        self._reload_seconds = reload_seconds
        self._max_cached = max_cached
        self._lock = threading.Lock()
        self._checked = 0.0
        self._stamp: tuple[int, int] | None = None
        self._load()

    def _load(self) -> None:
        from winnow.online import OnlineEngine

        stat = self._path.stat()
        self._engine = OnlineEngine.load(self._path, self._groups)
        self._stamp = (stat.st_mtime_ns, stat.st_size)
        self._schemas = key_schemas_of(self._engine.position)
        self._cache: dict[tuple[str, str], StoredFeatures] = {}

    def _fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self._reload_seconds:
            return
        with self._lock:
            self._checked = now
            try:
                stat = self._path.stat()
            except OSError:
                return  # keep serving the last good checkpoint
            if (stat.st_mtime_ns, stat.st_size) != self._stamp:
                self._load()

    @property
    def as_of(self) -> int | None:
        """The time the served values are valid for: just after the newest event seen."""
        latest = self._engine.latest
        return None if latest is None else latest + 1

    def read(self, group: str, keys: Sequence[tuple[Any, ...]]) -> list[StoredFeatures | None]:
        """Compute the features of ``keys`` from the snapshot's state."""
        self._fresh()
        cache = self._cache
        tokens = [(group, key_token(k)) for k in keys]
        missing = [i for i, t in enumerate(tokens) if t not in cache]
        if missing:
            if len(cache) + len(missing) > self._max_cached:
                cache.clear()
            as_of = self.as_of
            features = self._engine.features
            for i in missing:  # key by key: cheaper than building an Arrow table per request
                key = keys[i][0] if len(keys[i]) == 1 else keys[i]
                row = features(group, key, at=as_of)
                values = {c: json_value(v) for c, v in row.items()}
                cache[tokens[i]] = StoredFeatures(values, as_of, found=None)
        return [cache[t] for t in tokens]

    def key_schema(self, group: str) -> pa.Schema | None:
        """The key schema the stream consumer recorded in the snapshot, if any."""
        self._fresh()
        return self._schemas.get(group)
