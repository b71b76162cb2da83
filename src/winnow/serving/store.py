"""Online stores: where the stream consumer puts current feature values for serving.

Two backends share the :class:`OnlineStore` protocol:

* :class:`MemoryStore` (in-process, the default): a dict, for a consumer and a server in one
  process and for tests;
* :class:`RedisStore`: one Redis hash per (group, key), ``{prefix}:{group}:k:{key token}``,
  holding one field per feature (its output column name, the value as JSON text) and the field
  ``__as_of`` (the time the values are valid for, microseconds since the epoch). The hash
  ``{prefix}:{group}:meta`` holds the key columns' Arrow schema so a server parses keys to the
  right type.

What is stored: for every key the consumer touched, the values a query at ``as_of`` sees, where
``as_of`` is just after the newest event time the consumer had ingested (so every event so far
is included; see the serving section of docs/semantics.md). A key not touched again keeps its
values as of its ``as_of``; windowed values are not decayed in the store between writes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyarrow as pa

from winnow.errors import SourceError
from winnow.serving.values import json_value, key_token

if TYPE_CHECKING:
    import redis

__all__ = ["MemoryStore", "OnlineStore", "RedisStore", "StoredFeatures", "open_store"]

_AS_OF = "__as_of"


@dataclass(frozen=True)
class StoredFeatures:
    """The feature values of one key, as JSON-ready values, and the time they are valid for.

    ``found`` is True for values a store holds, and None where the reader cannot tell whether
    the key was ever seen (an engine snapshot).
    """

    features: dict[str, Any]
    as_of: int | None
    found: bool | None = True


@runtime_checkable
class OnlineStore(Protocol):
    """Where current feature values live between the consumer and the server."""

    def write(self, group: str, rows: pa.Table, *, key: Sequence[str], as_of: int | None) -> int:
        """Store one row per key: key columns ``key`` plus ``{group}__*`` feature columns."""
        ...

    def read(self, group: str, keys: Sequence[tuple[Any, ...]]) -> list[StoredFeatures | None]:
        """The stored values of each key (None for a key never written)."""
        ...

    def key_schema(self, group: str) -> pa.Schema | None:
        """The Arrow schema of the group's key columns, if the store has seen the group."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _rows(rows: pa.Table, key: Sequence[str], group: str) -> list[tuple[str, dict[str, Any]]]:
    prefix = f"{group}__"
    features = [c for c in rows.column_names if c.startswith(prefix)]
    key_cols = [rows.column(k).to_pylist() for k in key]
    value_cols = {c: rows.column(c).to_pylist() for c in features}
    out = []
    for i in range(rows.num_rows):
        token = key_token([col[i] for col in key_cols])
        out.append((token, {c: json_value(vals[i]) for c, vals in value_cols.items()}))
    return out


class MemoryStore:
    """An in-process store (a dict); thread-safe for one writer and many readers."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], StoredFeatures] = {}
        self._schemas: dict[str, pa.Schema] = {}

    def write(self, group: str, rows: pa.Table, *, key: Sequence[str], as_of: int | None) -> int:
        """Store one row per key (see :class:`OnlineStore`); return the number of keys."""
        self._schemas[group] = rows.select(list(key)).schema
        written = _rows(rows, key, group)
        for token, values in written:
            self._data[(group, token)] = StoredFeatures(values, as_of)
        return len(written)

    def read(self, group: str, keys: Sequence[tuple[Any, ...]]) -> list[StoredFeatures | None]:
        """The stored values of each key (None for a key never written)."""
        return [self._data.get((group, key_token(k))) for k in keys]

    def key_schema(self, group: str) -> pa.Schema | None:
        """The key columns' schema of the last write of ``group``."""
        return self._schemas.get(group)

    def __len__(self) -> int:
        return len(self._data)

    def close(self) -> None:
        """Nothing to release."""


class RedisStore:
    """A Redis hash per (group, key); see the module docs for the layout.

    Parameters
    ----------
    url
        ``redis://host:port/db``.
    prefix
        The prefix of every key this store writes.
    """

    def __init__(self, url: str, *, prefix: str = "winnow") -> None:
        import redis as redis_lib

        self._client: redis.Redis = redis_lib.Redis.from_url(url, socket_connect_timeout=5)
        try:
            self._client.ping()
        except redis_lib.exceptions.ConnectionError as exc:
            raise SourceError(f"cannot reach the Redis online store at {url!r}: {exc}") from exc
        self._prefix = prefix
        self._schemas: dict[str, pa.Schema] = {}

    def _hash(self, group: str, token: str) -> str:
        return f"{self._prefix}:{group}:k:{token}"

    def write(self, group: str, rows: pa.Table, *, key: Sequence[str], as_of: int | None) -> int:
        """Store one row per key in one pipelined round trip; return the number of keys."""
        schema = rows.select(list(key)).schema
        pipe = self._client.pipeline(transaction=False)
        if self._schemas.get(group) != schema:
            pipe.hset(f"{self._prefix}:{group}:meta", "key_schema",
                      schema.serialize().to_pybytes())
            self._schemas[group] = schema
        written = _rows(rows, key, group)
        for token, values in written:
            mapping: dict[Any, Any] = {c: json.dumps(v) for c, v in values.items()}
            mapping[_AS_OF] = json.dumps(as_of)
            pipe.hset(self._hash(group, token), mapping=mapping)
        pipe.execute()
        return len(written)

    def read(self, group: str, keys: Sequence[tuple[Any, ...]]) -> list[StoredFeatures | None]:
        """The stored values of each key, read in one (pipelined) round trip."""
        hashes: list[Any]
        if len(keys) == 1:  # one command: a pipeline only adds overhead
            hashes = [self._client.hgetall(self._hash(group, key_token(keys[0])))]
        else:
            pipe = self._client.pipeline(transaction=False)
            for k in keys:
                pipe.hgetall(self._hash(group, key_token(k)))
            hashes = pipe.execute()
        out: list[StoredFeatures | None] = []
        for found in hashes:
            if not found:
                out.append(None)
                continue
            values = {f.decode(): json.loads(v) for f, v in found.items()}
            as_of = values.pop(_AS_OF, None)
            out.append(StoredFeatures(values, as_of))
        return out

    def key_schema(self, group: str) -> pa.Schema | None:
        """The key columns' schema written by the consumer, or None if it never wrote ``group``."""
        raw = self._client.hget(f"{self._prefix}:{group}:meta", "key_schema")
        if raw is None:
            return None
        schema: pa.Schema = pa.ipc.read_schema(pa.py_buffer(bytes(raw)))  # type: ignore[arg-type]
        return schema

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


def open_store(spec: str | None) -> OnlineStore:
    """Open a store from ``--store`` text: ``memory`` (default) or a ``redis://`` URL.

    A ``prefix=`` query parameter on the URL sets the key prefix (default ``winnow``).
    """
    if spec is None or spec == "memory":
        return MemoryStore()
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        parts = urlsplit(spec)
        params = dict(parse_qsl(parts.query))
        prefix = params.pop("prefix", "winnow")
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
        return RedisStore(url, prefix=prefix)
    raise SourceError(f"unknown online store {spec!r}; use 'memory' or redis://host:port/db")
