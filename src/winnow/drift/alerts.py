"""Where drift alerts go: a log line, JSON Lines in a file, or entries of a Redis stream.

An alert is a flat JSON object (see :class:`winnow.drift.DriftMonitor`). Sinks are opened from a
spec with :func:`open_alert_sink`: ``log``, ``redis://host:port/db?stream=NAME`` (default stream
``winnow:drift``), or a file path (``.jsonl``) that alerts are appended to.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

from winnow.errors import SinkError

__all__ = [
    "AlertSink",
    "JsonLinesAlertSink",
    "ListAlertSink",
    "LogAlertSink",
    "RedisAlertSink",
    "open_alert_sink",
]

logger = logging.getLogger("winnow.drift")


class AlertSink(Protocol):
    """Receives alerts one at a time."""

    def emit(self, alert: dict[str, Any]) -> None:
        """Deliver one alert."""

    def close(self) -> None:
        """Release the sink's resources."""


class ListAlertSink:
    """Keeps alerts in memory (``alerts``), for tests and notebooks."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    def emit(self, alert: dict[str, Any]) -> None:
        """Append the alert."""
        self.alerts.append(alert)

    def close(self) -> None:
        """Nothing to release."""


class LogAlertSink:
    """Logs each alert as one WARNING line of the ``winnow.drift`` logger."""

    def emit(self, alert: dict[str, Any]) -> None:
        """Log the alert."""
        logger.warning("drift alert %s", json.dumps(alert, sort_keys=True))

    def close(self) -> None:
        """Nothing to release."""


class JsonLinesAlertSink:
    """Appends each alert as one JSON line to a file, flushed and fsynced per alert."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise SinkError(f"cannot open the alert file {self.path}: {exc}") from exc

    def emit(self, alert: dict[str, Any]) -> None:
        """Append one line."""
        self._handle.write(json.dumps(alert, sort_keys=True) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


class RedisAlertSink:
    """Adds each alert to a Redis stream with ``XADD`` (fields are the alert's keys, as text)."""

    def __init__(self, url: str, *, stream: str | None = None,
                 maxlen: int | None = 100_000) -> None:
        import redis

        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        self.stream = stream or query.get("stream", ["winnow:drift"])[0]
        self.maxlen = maxlen
        base = parsed._replace(query="").geturl()
        self._client = redis.Redis.from_url(base)
        try:
            self._client.ping()
        except redis.exceptions.ConnectionError as exc:
            raise SinkError(f"cannot reach Redis at {base} for drift alerts: {exc}") from exc

    def emit(self, alert: dict[str, Any]) -> None:
        """XADD the alert."""
        fields: dict[Any, Any] = {
            k: json.dumps(v) if isinstance(v, (dict, list)) or v is None else v
            for k, v in alert.items()
        }
        self._client.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


def open_alert_sink(spec: str) -> AlertSink:
    """``log``, ``redis://host:port/db?stream=NAME``, or a path to a JSON Lines file."""
    if spec == "log":
        return LogAlertSink()
    if spec.startswith(("redis://", "rediss://")):
        return RedisAlertSink(spec)
    if "://" in spec:
        raise SinkError(
            f"unknown alert destination {spec!r}; use 'log', 'redis://host:port/db?stream=S' or "
            f"a path to a .jsonl file"
        )
    return JsonLinesAlertSink(spec)
