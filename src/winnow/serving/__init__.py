"""Serving online features: stores the stream consumer writes, and an HTTP feature server.

:class:`MemoryStore` (in-process, the default) and :class:`RedisStore` (a hash per key) hold
current feature values; :func:`create_app` builds a Starlette application that answers
``GET /features/{group}/{key}`` and ``POST /features`` from a store or an engine snapshot.
"""

from winnow.serving.app import FeatureReader, check_bind, create_app, is_loopback
from winnow.serving.keys import KeyParser
from winnow.serving.snapshot import SnapshotReader
from winnow.serving.store import MemoryStore, OnlineStore, RedisStore, StoredFeatures, open_store

__all__ = [
    "FeatureReader",
    "KeyParser",
    "MemoryStore",
    "OnlineStore",
    "RedisStore",
    "SnapshotReader",
    "StoredFeatures",
    "check_bind",
    "create_app",
    "is_loopback",
    "open_store",
]
