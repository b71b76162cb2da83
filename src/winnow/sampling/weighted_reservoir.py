"""Weighted reservoir sampling of unbounded streams: Efraimidis–Spirakis A-ExpJ.

Each item of weight ``w`` gets the key ``u ** (1 / w)``; the reservoir keeps the ``k`` largest
keys, which is a weighted sample without replacement drawn by successive sampling (the same
design as :func:`winnow.sampling.weighted`). A-ExpJ avoids a key per item: with ``T`` the
smallest key in the reservoir, the total weight to skip before the next insertion is
``log(r) / log(T)``, and the inserted item's key is drawn uniformly in ``(T ** w, 1)`` raised to
``1 / w``. :meth:`WeightedReservoir.update_many` finds each insertion in a batch by binary search
over the batch's cumulative weights, so only insertions (``O(k log(W_n / W_k))`` of them) cost
Python work, not items. Keys are kept in log space to avoid underflow.

Merging is exact: the union's sample is the ``k`` largest keys of the two reservoirs, and the
next jump is drawn afresh from the merged threshold (keys of future items are independent of
the past).
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np
import pyarrow as pa

from winnow.errors import ColumnNotFoundError, SchemaError, StreamError
from winnow.sampling._seeding import Seed, make_rng, seed_record
from winnow.sampling._store import ItemStore, as_batch, one_item
from winnow.sampling.report import SamplingReport
from winnow.sampling.reservoir import _check_k

__all__ = ["WeightedReservoir"]


def _weights(items: Any, weights: Any, length: int, *, where: str) -> tuple[np.ndarray, float]:
    """Return the batch's weights as float64 and their sum, after checking them."""
    if isinstance(weights, str):
        if not isinstance(items, pa.Table | pa.RecordBatch):
            raise SchemaError(f"{where}: weights={weights!r} names a column, so pass a table")
        if weights not in items.column_names:
            raise ColumnNotFoundError(weights, items.column_names, where=where)
        col = items.column(weights)
        if col.null_count:
            raise SchemaError(f"{where}: weight column {weights!r} has nulls")
        w = np.asarray(col.to_numpy(), dtype=np.float64)
    elif isinstance(weights, pa.Array | pa.ChunkedArray):
        w = np.asarray(weights.to_numpy(zero_copy_only=False), dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (length,):
        raise SchemaError(f"{where}: {w.shape[0]} weights for {length} items; give one per item")
    total = float(w.sum())
    # one comparison pass: NaN fails ">= 0", and an infinite weight makes the sum infinite
    if not (bool((w >= 0).all()) and math.isfinite(total)):
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        if len(bad):
            raise SchemaError(
                f"{where}: weights must be finite and >= 0; item {int(bad[0])} of the batch has "
                f"{float(w[bad[0]])!r}"
            )
    return w, total


class WeightedReservoir:
    """A weighted sample without replacement of ``k`` items of a stream (A-ExpJ).

    Parameters
    ----------
    k
        The sample size.
    seed
        Seed of the PCG64 generator.

    Attributes
    ----------
    count_
        Items seen so far (including weight-0 items, which are never sampled).
    total_weight_
        Sum of the weights seen.

    Examples
    --------
    >>> import numpy as np
    >>> r = WeightedReservoir(2, seed=3)
    >>> r.update_many(np.arange(5), weights=[1.0, 1.0, 1.0, 1.0, 100.0])
    >>> 4 in r.sample()
    True
    """

    def __init__(self, k: int, *, seed: Seed) -> None:
        self.k = _check_k(k, "WeightedReservoir")
        self.seed = seed
        self._rng = make_rng(seed, where="WeightedReservoir")
        self._store = ItemStore(self.k)
        self._heap: list[tuple[float, int]] = []  # (log key, slot), smallest key first
        self.count_ = 0
        self.total_weight_ = 0.0
        self._need = 0.0  # weight still to skip before the next insertion (once full)

    def _next_jump(self) -> None:
        log_t = self._heap[0][0]  # log of the smallest key, <= 0
        r = 1.0 - self._rng.random()
        self._need = math.log(r) / log_t if log_t < 0 else math.inf

    def update_many(self, items: Any, *, weights: Any) -> None:
        """Offer a batch of items with their weights (an array, or a column name of a table)."""
        where = "WeightedReservoir.update_many"
        batch, length, kind = as_batch(items, where=where)
        self._store.check_kind(kind, where=where)
        w, total = _weights(items, weights, length, where=where)
        if length == 0:
            return
        start = self.count_
        offset = 0
        if self._store.size < self.k:
            positive = np.flatnonzero(w > 0)
            take = positive[: self.k - self._store.size]
            if len(take):
                logs = np.log1p(-self._rng.random(len(take))) / w[take]
                base = self._store.size
                self._store.append(batch, take, start + take)
                for j, lk in enumerate(logs):
                    heapq.heappush(self._heap, (float(lk), base + j))
                offset = int(take[-1]) + 1
                if self._store.size == self.k:
                    self._next_jump()
            if self._store.size < self.k:
                offset = length
        if offset < length:
            tail = w[offset:]
            cum = np.cumsum(tail)
            search = cum.searchsorted
            uniform = self._rng.random
            heap = self._heap
            consumed = 0.0  # cumulative weight of the batch tail already passed
            slots: list[int] = []
            offs: list[int] = []
            while True:
                target = consumed + self._need
                if target <= consumed:  # a jump too small to move the sum: the next item
                    target = math.nextafter(consumed, math.inf)
                i = int(search(target))  # first item whose cumulative weight reaches it
                if i >= len(cum):
                    self._need -= float(cum[-1]) - consumed
                    break
                wi = float(tail[i])
                log_t = heap[0][0]
                # key uniform in (T ** w, 1), raised to 1 / w, in log space
                lo = math.exp(wi * log_t)
                r2 = lo + (1.0 - lo) * uniform()
                lk = math.log(r2) / wi if r2 > 0 else log_t
                _, slot = heapq.heapreplace(heap, (min(lk, 0.0), heap[0][1]))
                slots.append(slot)
                offs.append(offset + i)
                consumed = float(cum[i])
                self._next_jump()
            if slots:
                off = np.asarray(offs, dtype=np.int64)
                self._store.replace(np.asarray(slots, dtype=np.int64), batch, off, start + off)
        self.count_ += length
        self.total_weight_ += total

    def update_one(self, item: Any, weight: float) -> None:
        """Offer one item with its weight."""
        self.update_many(one_item(item, self._store.kind, self._store), weights=[weight])

    def sample(self) -> Any:
        """Return the sampled items (NumPy array, ``pyarrow.Array`` or ``pyarrow.Table``, as fed),
        in slot order; an empty NumPy array before any positive-weight item."""
        if self._store.kind is None:
            return np.zeros(0)
        return self._store.get()

    def sample_positions(self) -> np.ndarray:
        """Return the stream positions (0-based) of the sampled items, in :meth:`sample` order."""
        return self._store.positions.copy()

    def sample_log_keys(self) -> np.ndarray:
        """Return ``log(u ** (1 / w))`` of each sampled item, in :meth:`sample` order."""
        keys = np.empty(self._store.size, dtype=np.float64)
        for lk, slot in self._heap:
            keys[slot] = lk
        return keys

    def describe(self) -> dict[str, Any]:
        """Return the :class:`SamplingReport` dict for the dataset manifest."""
        return SamplingReport(
            method="weighted_reservoir",
            parameters={"k": self.k, "algorithm": "A-ExpJ"},
            seed=seed_record(self.seed),
            input_rows=self.count_,
            output_rows=self._store.size,
            biased=False,
        ).to_dict()

    def merge(self, other: WeightedReservoir, *, seed: Seed) -> WeightedReservoir:
        """Return the reservoir of this stream followed by ``other``'s: the top-k keys of both.

        Exact. Positions of ``other``'s items are shifted by ``self.count_``.
        """
        if not isinstance(other, WeightedReservoir) or other.k != self.k:
            raise StreamError("WeightedReservoir.merge: both must be WeightedReservoirs of one k")
        if self._store.kind and other._store.kind and self._store.kind != other._store.kind:
            raise StreamError(
                f"WeightedReservoir.merge: cannot merge {self._store.kind} items with "
                f"{other._store.kind} items"
            )
        out = WeightedReservoir(self.k, seed=seed)
        keys = np.concatenate([self.sample_log_keys(), other.sample_log_keys()])
        n_self = self._store.size
        order = np.argsort(-keys, kind="stable")[: self.k]
        for store, mask_self, shift in ((self._store, True, 0), (other._store, False, 0)):
            chosen = order[order < n_self] if mask_self else order[order >= n_self] - n_self
            if len(chosen):
                chosen = np.sort(chosen)
                items, positions = store.subset(chosen)
                base = out._store.size
                out._store.append(
                    items, np.arange(len(chosen)), positions + (shift if mask_self else self.count_)
                )
                src = chosen if mask_self else chosen + n_self
                for j, idx in enumerate(src):
                    heapq.heappush(out._heap, (float(keys[idx]), base + j))
        out.count_ = self.count_ + other.count_
        out.total_weight_ = self.total_weight_ + other.total_weight_
        if out._store.size == self.k:
            out._next_jump()
        return out
