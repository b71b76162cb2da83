"""Uniform reservoir sampling of unbounded streams: Algorithm L with geometric skips.

Li's Algorithm L keeps a uniform random sample of ``k`` items in one pass with ``O(k)`` memory.
Instead of drawing a random number per item (Algorithm R), it draws how many items to *skip*
before the next replacement: with ``W`` the largest of ``k`` uniform keys of the current sample,
the skip is geometric with success probability ``W``, and ``W`` shrinks by a factor
``u ** (1 / k)`` at each replacement. It draws ``O(k log(n / k))`` random numbers for ``n``
items. :meth:`Reservoir.update_many` generates replacement positions in blocks (cumulative sums
of log factors and skips, all NumPy) and touches only the items that enter the sample, so a
batch costs ``O(replacements)``, not ``O(batch)``.

The sample depends only on the stream, ``k`` and the seed, not on how the stream is cut into
batches or whether items come one by one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from winnow.errors import DefinitionError, StreamError
from winnow.sampling._seeding import Seed, make_rng, seed_record
from winnow.sampling._store import ItemStore, as_batch, one_item
from winnow.sampling.report import SamplingReport

__all__ = ["Reservoir"]

_MAX_POSITION = float(2**62)


def _check_k(k: int, where: str) -> int:
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise DefinitionError(f"{where}: k must be a positive integer, got {k!r}")
    return int(k)


class Reservoir:
    """A uniform random sample of ``k`` items of a stream (Algorithm L).

    Parameters
    ----------
    k
        The sample size.
    seed
        Seed of the PCG64 generator.

    Attributes
    ----------
    count_
        Items seen so far.
    random_draws_
        Random numbers drawn so far (``O(k log(count_ / k))``, in blocks).

    Notes
    -----
    Merging is exact: :meth:`merge` combines reservoirs of two disjoint streams into a uniform
    sample of their union by choosing how many items come from each side as the number of
    ``k`` uniform positions out of ``n1 + n2`` that fall in the first stream (the
    hypergeometric split), then that many items uniformly from each reservoir. It needs the
    stream counts, which each reservoir keeps.

    Examples
    --------
    >>> import numpy as np
    >>> r = Reservoir(3, seed=7)
    >>> r.update_many(np.arange(1_000_000))
    >>> r.count_, len(r.sample())
    (1000000, 3)
    """

    def __init__(self, k: int, *, seed: Seed) -> None:
        self.k = _check_k(k, "Reservoir")
        self.seed = seed
        self._rng = make_rng(seed, where="Reservoir")
        self._store = ItemStore(self.k)
        self.count_ = 0
        self.random_draws_ = 1
        # blocks of replacement events double from 64 up to max(4096, min(k, 2**20)); their
        # sizes depend only on how many came before, so batching never changes the sample
        self._block = 64
        self._block_cap = max(4096, min(self.k, 1 << 20))
        # W after the fill: the largest of k uniform keys, u ** (1 / k)
        self._log_w = float(np.log1p(-self._rng.random())) / self.k
        self._last = float(self.k - 1)  # position of the latest generated replacement
        self._pos = np.zeros(0, dtype=np.int64)  # pending replacement positions (ascending)
        self._slot = np.zeros(0, dtype=np.int64)

    def _extend(self) -> None:
        m = self._block
        self._block = min(2 * m, self._block_cap)
        u = 1.0 - self._rng.random(m)  # (0, 1]
        v = 1.0 - self._rng.random(m)
        slots = self._rng.integers(0, self.k, size=m, dtype=np.int64)
        self.random_draws_ += 3 * m
        log_u = np.log(u) / self.k
        steps = np.cumsum(log_u)
        log_w = self._log_w + np.concatenate(([0.0], steps[:-1]))  # W in force at each event
        self._log_w = float(self._log_w + steps[-1])
        with np.errstate(all="ignore"):  # late in a stream W underflows: skips saturate
            denom = np.log1p(-np.exp(log_w))
            skips = np.floor(np.log(v) / denom) + 1.0
            skips = np.where(np.isfinite(skips), np.minimum(skips, _MAX_POSITION), _MAX_POSITION)
            positions = np.minimum(self._last + np.cumsum(skips), _MAX_POSITION)
        self._last = float(positions[-1])
        self._pos = np.concatenate([self._pos, positions.astype(np.int64)])
        self._slot = np.concatenate([self._slot, slots])

    def update_many(self, items: Any) -> None:
        """Offer a batch of items: a NumPy array (rows along axis 0), an Arrow array, record
        batch or table. Only the items that enter the sample are copied."""
        batch, length, kind = as_batch(items, where="Reservoir.update_many")
        self._store.check_kind(kind, where="Reservoir.update_many")
        if length == 0:
            return
        start = self.count_
        end = start + length
        filled = self._store.size
        if filled < self.k:
            take = min(self.k - filled, length)
            offsets = np.arange(take, dtype=np.int64)
            self._store.append(batch, offsets, start + offsets)
        if end > self.k:
            while self._last < end - 1 and self._last < _MAX_POSITION:
                self._extend()
            cut = int(np.searchsorted(self._pos, end, side="left"))
            pos, slot = self._pos[:cut], self._slot[:cut]
            self._pos, self._slot = self._pos[cut:], self._slot[cut:]
            self._store.replace(slot, batch, pos - start, pos)
        self.count_ = end

    def update_one(self, item: Any) -> None:
        """Offer one item (a scalar, a NumPy row, or a dict for a reservoir of table rows)."""
        self.update_many(one_item(item, self._store.kind, self._store))

    def sample(self) -> Any:
        """Return the sampled items (``min(k, count_)`` of them).

        A NumPy array (copy) for NumPy input, a ``pyarrow.Array`` for Arrow arrays, a
        ``pyarrow.Table`` for record batches/tables; in slot order (not stream order). An empty
        reservoir returns an empty NumPy array.
        """
        if self._store.kind is None:
            return np.zeros(0)
        return self._store.get()

    def sample_positions(self) -> np.ndarray:
        """Return the stream positions (0-based) of the sampled items, in :meth:`sample` order."""
        return self._store.positions.copy()

    def describe(self) -> dict[str, Any]:
        """Return the :class:`SamplingReport` dict for the dataset manifest."""
        return SamplingReport(
            method="reservoir",
            parameters={"k": self.k, "algorithm": "L"},
            seed=seed_record(self.seed),
            input_rows=self.count_,
            output_rows=self._store.size,
            biased=False,
        ).to_dict()

    def merge(self, other: Reservoir, *, seed: Seed) -> Reservoir:
        """Return a reservoir over this stream followed by ``other``'s, exactly uniform.

        Positions of ``other``'s items are shifted by ``self.count_``. The merged reservoir can
        keep consuming: its ``W`` is drawn afresh as the ``k``-th smallest of ``count_``
        uniforms (Beta(k, count_ - k + 1)), which is independent of which items are sampled.
        """
        if not isinstance(other, Reservoir) or other.k != self.k:
            raise StreamError("Reservoir.merge: both reservoirs must be Reservoirs of the same k")
        if self._store.kind and other._store.kind and self._store.kind != other._store.kind:
            raise StreamError(
                f"Reservoir.merge: cannot merge {self._store.kind} items with "
                f"{other._store.kind} items"
            )
        out = Reservoir(self.k, seed=seed)
        rng = out._rng
        n1, n2 = self.count_, other.count_
        total = n1 + n2
        if total <= self.k:
            take1 = np.arange(self._store.size)
            take2 = np.arange(other._store.size)
        else:
            picks = rng.choice(total, size=self.k, replace=False)
            x = int((picks < n1).sum())
            take1 = np.sort(rng.choice(self._store.size, size=x, replace=False))
            take2 = np.sort(rng.choice(other._store.size, size=self.k - x, replace=False))
            out.random_draws_ += 2 * self.k
            out._log_w = float(np.log(rng.beta(self.k, total - self.k + 1)))
            out._last = float(total - 1)
        for store, take, shift in ((self._store, take1, 0), (other._store, take2, n1)):
            if len(take):
                items, positions = store.subset(np.asarray(take, dtype=np.int64))
                out._store.append(items, np.arange(len(take)), positions + shift)
        out.count_ = total
        return out
