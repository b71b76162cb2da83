"""Open a stream from the ``--source`` text of the CLI: a Redis or Kafka URL, or a file.

* ``redis://host:port/db?stream=NAME&group=G[&consumer=C][&start=0|$]`` — Redis Streams;
  ``rediss://`` for TLS. ``group`` defaults to ``winnow``, ``consumer`` to ``winnow``.
* ``kafka://host:port[,host:port]?topic=T&group=G[&<librdkafka setting>=<value>...]`` — Kafka;
  every other query parameter is passed to the consumer as a librdkafka setting.
* anything else is a file path replayed in (time, sequence) order.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from winnow.errors import SourceError
from winnow.streams.base import Stream

__all__ = ["open_stream"]


def _one(params: dict[str, str], name: str, url: str, default: str | None = None) -> str:
    value = params.pop(name, default)
    if not value:
        raise SourceError(f"stream URL {url!r} needs ?{name}=...; e.g. ?{name}=events")
    return value


def open_stream(
    source: str,
    *,
    time: str | None = None,
    sequence: str | None = None,
) -> Stream:
    """Open the stream named by ``source`` (see the module docs for the forms).

    ``time`` and ``sequence`` order a replayed file; Redis and Kafka streams keep arrival order.
    """
    parts = urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme in ("redis", "rediss", "unix"):
        from winnow.streams.redis_stream import RedisStream

        params = dict(parse_qsl(parts.query))
        stream = _one(params, "stream", source)
        group = _one(params, "group", source, "winnow")
        consumer = _one(params, "consumer", source, "winnow")
        start = _one(params, "start", source, "0")
        server = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
        return RedisStream(server, stream=stream, group=group, consumer=consumer, start=start)
    if scheme == "kafka":
        from winnow.streams.kafka_stream import KafkaStream

        params = dict(parse_qsl(parts.query))
        topic = _one(params, "topic", source)
        group = _one(params, "group", source, "winnow")
        if not parts.netloc:
            raise SourceError(f"stream URL {source!r} names no broker; use kafka://host:9092?...")
        return KafkaStream(parts.netloc, topic=topic, group=group, config=params)
    if scheme and len(scheme) > 1 and "://" in source:
        raise SourceError(
            f"unknown stream scheme {scheme!r} in {source!r}; use redis://, kafka:// or a file"
        )
    from winnow.streams.replay import ReplayStream

    if time is None:
        raise SourceError(f"replaying {source!r} needs the event-time column (time=)")
    return ReplayStream(source, time=time, sequence=sequence)
