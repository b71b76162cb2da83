"""Fixed-capacity storage of sampled items for the reservoirs: NumPy or Arrow, plus positions.

Items are stored in the form they arrive in: NumPy arrays (any dtype, rows along axis 0), Arrow
arrays, or Arrow record batches/tables (rows). Each slot also remembers the item's position in
the stream, so a sample can be traced back to its source rows.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pyarrow as pa

from winnow.errors import SchemaError, StreamError

__all__ = ["Batch", "ItemStore", "as_batch"]

Kind = Literal["numpy", "array", "table"]
Batch = np.ndarray | pa.Array | pa.ChunkedArray | pa.RecordBatch | pa.Table


def as_batch(items: Any, *, where: str) -> tuple[Any, int, Kind]:
    """Normalise a batch of items; return ``(batch, length, kind)``."""
    if isinstance(items, pa.RecordBatch):
        return pa.Table.from_batches([items]), items.num_rows, "table"
    if isinstance(items, pa.Table):
        return items, items.num_rows, "table"
    if isinstance(items, pa.ChunkedArray):
        return items.combine_chunks(), len(items), "array"
    if isinstance(items, pa.Array):
        return items, len(items), "array"
    if isinstance(items, np.ndarray):
        if items.ndim == 0:
            raise SchemaError(f"{where}: update_many needs a batch (1-d array), got a scalar")
        return items, items.shape[0], "numpy"
    if isinstance(items, list | tuple):
        arr = np.asarray(items)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        return arr, arr.shape[0], "numpy"
    raise SchemaError(
        f"{where}: update_many takes a NumPy array, an Arrow array/chunked array, record batch "
        f"or table, got {type(items).__name__}; use update_one for a single item"
    )


def one_item(item: Any, kind: Kind | None, store: ItemStore) -> Any:
    """Wrap one item as a batch of length 1 matching the store's kind."""
    if kind == "table":
        if not isinstance(item, dict):
            raise SchemaError("this reservoir holds table rows; pass update_one a dict of columns")
        return pa.Table.from_pylist([item], schema=store.schema)
    if kind == "array":
        return pa.array([item], type=store.arrow_type)
    if isinstance(item, dict):
        return pa.Table.from_pylist([item])
    if isinstance(item, np.ndarray):
        return item.reshape((1, *item.shape))
    if isinstance(item, int | float | bool | str | bytes | np.generic):
        return np.asarray([item])
    out = np.empty(1, dtype=object)
    out[0] = item
    return out


class ItemStore:
    """Up to ``capacity`` items with their stream positions."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.kind: Kind | None = None
        self.items: Any = None
        self.positions = np.zeros(0, dtype=np.int64)

    @property
    def size(self) -> int:
        return len(self.positions)

    @property
    def schema(self) -> pa.Schema:
        assert isinstance(self.items, pa.Table)
        return self.items.schema

    @property
    def arrow_type(self) -> pa.DataType:
        assert isinstance(self.items, pa.Array)
        return self.items.type

    def check_kind(self, kind: Kind, *, where: str) -> None:
        if self.kind is not None and self.kind != kind:
            raise StreamError(
                f"{where}: this reservoir holds {self.kind} items and was given a {kind} batch; "
                f"feed one kind of batch to one reservoir"
            )

    def append(self, batch: Any, offsets: np.ndarray, positions: np.ndarray) -> None:
        """Add the items at ``offsets`` of ``batch`` (fill phase; capacity not exceeded)."""
        idx = offsets.astype(np.int64)
        if self.kind is None:
            _, _, kind = as_batch(batch, where="reservoir")
            self.kind = kind
            self.items = _take(batch, idx, kind)
        else:
            self.items = _concat(self.items, _take(batch, idx, self.kind), self.kind)
        self.positions = np.concatenate([self.positions, positions.astype(np.int64)])

    def replace(
        self, slots: np.ndarray, batch: Any, offsets: np.ndarray, positions: np.ndarray
    ) -> None:
        """Put item ``offsets[i]`` of ``batch`` into slot ``slots[i]`` (the last one wins)."""
        if len(slots) == 0:
            return
        # keep the last replacement of each slot
        rev_slots = slots[::-1]
        _, first_in_rev = np.unique(rev_slots, return_index=True)
        keep = len(slots) - 1 - first_in_rev
        slots, offsets, positions = slots[keep], offsets[keep], positions[keep]
        self.positions[slots] = positions
        assert self.kind is not None
        if self.kind == "numpy":
            self.items[slots] = batch[offsets]
            return
        new = _take(batch, offsets.astype(np.int64), self.kind)
        combined = _concat(self.items, new, self.kind)
        index = np.arange(self.size, dtype=np.int64)
        index[slots] = self.size + np.arange(len(slots), dtype=np.int64)
        self.items = _take(combined, index, self.kind)

    def subset(self, index: np.ndarray) -> tuple[Any, np.ndarray]:
        """Return the items and positions at ``index``."""
        assert self.kind is not None
        return _take(self.items, index.astype(np.int64), self.kind), self.positions[index]

    def get(self) -> Any:
        """Return the stored items (a copy for NumPy)."""
        if self.kind == "numpy":
            return np.array(self.items, copy=True)
        return self.items


def _take(batch: Any, index: np.ndarray, kind: Kind) -> Any:
    if kind == "numpy":
        return np.array(batch[index], copy=True)
    return batch.take(pa.array(index, type=pa.int64()))


def _concat(a: Any, b: Any, kind: Kind) -> Any:
    if kind == "numpy":
        return np.concatenate([a, b])
    if kind == "array":
        return pa.concat_arrays([a, b.cast(a.type) if b.type != a.type else b])
    return pa.concat_tables([a, b]).combine_chunks()
