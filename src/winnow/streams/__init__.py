"""Streams of events: in-process file replay, Redis Streams and Kafka, behind one protocol.

A :class:`Stream` hands out Arrow tables of events with a JSON-able position, and takes commits
of positions. :func:`open_stream` opens one from a URL or file path; :func:`publish_redis` and
:func:`publish_kafka` put events on a stream. :func:`consume` drives an online engine from a
stream with checkpoints that make every event count exactly once across crashes. The Redis and
Kafka client libraries are imported only when those backends are used.
"""

from winnow.streams.base import Position, Stream, StreamBatch
from winnow.streams.codec import decode_events, encode_events
from winnow.streams.consumer import ConsumeReport, consume
from winnow.streams.kafka_stream import KafkaStream, publish_kafka
from winnow.streams.redis_stream import RedisStream, publish_redis
from winnow.streams.replay import ReplayStream
from winnow.streams.url import open_stream

__all__ = [
    "ConsumeReport",
    "KafkaStream",
    "Position",
    "RedisStream",
    "ReplayStream",
    "Stream",
    "StreamBatch",
    "consume",
    "decode_events",
    "encode_events",
    "open_stream",
    "publish_kafka",
    "publish_redis",
]
