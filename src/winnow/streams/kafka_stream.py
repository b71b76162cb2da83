"""Kafka via confluent-kafka: a producer helper and a consumer with manual commits.

Each message value carries events as Arrow IPC stream bytes (:mod:`winnow.streams.codec`); the
message key is the entity key, so all events of one key land in one partition and keep their
order. The position is the next offset to read per partition, ``{"0": 120, "3": 57}``.

The consumer never commits by itself (``enable.auto.commit=false``): :meth:`KafkaStream.commit`
commits the offsets of a position once the checkpoint covering it is saved. After a restart,
:meth:`KafkaStream.seek` with the checkpointed position makes every partition start at its
checkpointed offset, so the messages after the checkpoint are read again and those before it
are not.

One consumer process owns one engine state, so the stream assigns itself every partition of the
topic (manual assignment, no group rebalancing: a restarted consumer resumes at once instead of
waiting for the group to expire its predecessor). The group id names where offsets are committed.
A partition without a saved position starts at the group's committed offset, or at the earliest
(``auto.offset.reset``) if none. Partitions added to the topic later are picked up on restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from winnow.errors import SourceError, StreamError
from winnow.streams.base import Position, StreamBatch
from winnow.streams.codec import concat_events, decode_events, encode_events, split_rows

__all__ = ["KafkaStream", "publish_kafka"]


def _key_text(table: pa.Table, key: Sequence[str]) -> list[bytes]:
    columns = [table.column(k).to_pylist() for k in key]
    return ["|".join(str(v) for v in row).encode() for row in zip(*columns, strict=True)]


def publish_kafka(
    bootstrap_servers: str,
    topic: str,
    events: pa.Table | pa.RecordBatch,
    *,
    key: str | Sequence[str] | None = None,
    rows_per_message: int = 1,
    config: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
) -> int:
    """Produce events to a Kafka topic and wait until the broker has them; return the count.

    Parameters
    ----------
    bootstrap_servers
        ``host:port[,host:port...]``.
    topic
        The topic.
    events
        The events, already in (time, sequence) order per key.
    key
        The entity key column(s); with ``rows_per_message=1`` it becomes the message key so one
        key's events share a partition and their order. Without it messages are unkeyed.
    rows_per_message
        Events per message; with ``key`` given it must be 1 (one key per message).
    config
        Extra librdkafka producer settings.
    timeout
        Seconds to wait for delivery of all messages.
    """
    from confluent_kafka import Producer

    table = events if isinstance(events, pa.Table) else pa.Table.from_batches([events])
    keys = [key] if isinstance(key, str) else list(key or [])
    if keys and rows_per_message != 1:
        raise StreamError("publish_kafka: with key= give rows_per_message=1 (one key per message)")
    producer = Producer({"bootstrap.servers": bootstrap_servers, **dict(config or {})})
    failures: list[str] = []

    def _delivered(err: Any, msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    key_values = _key_text(table, keys) if keys else None
    count = 0
    for index, part in enumerate(split_rows(table, rows_per_message)):
        msg_key = key_values[index] if key_values is not None else None
        while True:
            try:
                producer.produce(topic, value=encode_events(part), key=msg_key,
                                 on_delivery=_delivered)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
        count += 1
    remaining = producer.flush(timeout)
    if remaining or failures:
        raise SourceError(
            f"publish_kafka: {remaining} of {count} messages to {topic!r} not delivered within "
            f"{timeout} s; errors: {failures[:3]}; check bootstrap servers {bootstrap_servers!r}"
        )
    return count


class KafkaStream:
    """Consume a Kafka topic in a consumer group, committing offsets only on :meth:`commit`.

    Parameters
    ----------
    bootstrap_servers
        ``host:port[,host:port...]``.
    topic
        The topic to consume.
    group
        The consumer group id.
    config
        Extra librdkafka consumer settings (they override the defaults).
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic: str,
        group: str,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        from confluent_kafka import Consumer

        self._topic = topic
        self._group = group
        settings: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": False,
        }
        settings.update(config or {})
        try:
            self._consumer = Consumer(settings)
        except Exception as exc:  # KafkaException on a bad setting
            raise SourceError(f"cannot create a Kafka consumer for {topic!r}: {exc}") from exc
        self._start: dict[str, int] = {}
        self._next: dict[str, int] = {}
        self._committed: dict[str, int] | None = None
        self._latest = str(settings["auto.offset.reset"]) in ("latest", "largest", "end")
        self._assigned = False

    def _assign(self, timeout: float) -> bool:
        """Assign every partition of the topic at its start offset; False if none exist yet."""
        from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaException, TopicPartition

        try:
            meta = self._consumer.list_topics(self._topic, timeout=max(timeout, 1.0))
        except KafkaException as exc:
            raise SourceError(f"{self.description}: cannot read topic metadata: {exc}") from exc
        topic = meta.topics.get(self._topic)
        if topic is None or topic.error is not None or not topic.partitions:
            return False
        parts = sorted(topic.partitions)
        unknown = [p for p in parts if str(p) not in self._start]
        committed: dict[int, int] = {}
        if unknown:
            asked = [TopicPartition(self._topic, p) for p in unknown]
            for tp in self._consumer.committed(asked, timeout=max(timeout, 5.0)):
                if tp.offset >= 0:
                    committed[tp.partition] = tp.offset
        default = OFFSET_END if self._latest else OFFSET_BEGINNING
        assignment = [
            TopicPartition(
                self._topic, p, self._start.get(str(p), committed.get(p, default))
            )
            for p in parts
        ]
        self._consumer.assign(assignment)
        self._assigned = True
        return True

    @property
    def description(self) -> str:
        """Topic and group."""
        return f"kafka topic {self._topic!r} (group {self._group!r})"

    @property
    def committed(self) -> Position:
        """Next offsets per partition committed in this session, or given to :meth:`seek`."""
        return None if self._committed is None else dict(self._committed)

    @property
    def exhausted(self) -> bool:
        """Always False: a Kafka topic is live."""
        return False

    def seek(self, position: Position) -> None:
        """Start each partition named in ``position`` at its offset (others: committed/earliest).

        Call before the first :meth:`read_batch`; partitions are assigned on the first read.
        """
        if position is None:
            position = {}
        if not isinstance(position, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in position.values()
        ):
            raise StreamError(
                f"{self.description}: position must map partitions to offsets like "
                f"{{'0': 120}}, got {position!r}; was the state saved by a different stream?"
            )
        self._start = {str(k): int(v) for k, v in position.items()}
        self._next = dict(self._start)
        self._committed = dict(self._start) if self._start else None
        if self._assigned:
            self._consumer.unassign()
            self._assigned = False

    def read_batch(self, *, max_rows: int = 10_000, timeout: float = 1.0) -> StreamBatch | None:
        """Return up to ``max_rows`` messages' events, or None if none came in ``timeout``."""
        if max_rows < 1:
            raise StreamError(f"max_rows must be at least 1, got {max_rows}")
        from confluent_kafka import KafkaError

        if not self._assigned and not self._assign(timeout):
            return None
        messages = self._consumer.consume(num_messages=max_rows, timeout=timeout)
        tables: list[pa.Table] = []
        for msg in messages:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                raise SourceError(f"{self.description}: {err}")
            part = str(msg.partition())
            offset = int(msg.offset() or 0)
            if offset < self._start.get(part, -1):
                continue  # before the checkpoint: its effect is in the saved state
            where = f"{self.description} partition {part} offset {offset}"
            tables.append(decode_events(msg.value() or b"", where=where))
            self._next[part] = offset + 1
        if not tables:
            return None
        return StreamBatch(concat_events(tables, where=self.description), dict(self._next))

    def commit(self, position: Position) -> None:
        """Commit the next offset of every partition in ``position`` (synchronously)."""
        from confluent_kafka import KafkaException, TopicPartition

        if not position:
            return
        if not isinstance(position, dict):
            raise StreamError(f"{self.description}: cannot commit position {position!r}")
        offsets = [TopicPartition(self._topic, int(p), int(o)) for p, o in position.items()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            raise SourceError(f"{self.description}: commit of {position} failed: {exc}") from exc
        self._committed = {str(k): int(v) for k, v in position.items()}

    def close(self) -> None:
        """Close the consumer (offsets are committed only by :meth:`commit`)."""
        self._consumer.close()
