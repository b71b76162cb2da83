"""A KLL quantile sketch with seeded compactions, updated from whole NumPy arrays.

The sketch keeps levels of items; an item at level ``h`` stands for ``2**h`` values. When the
sketch holds more than its capacity, the lowest full level is sorted and *compacted*: one item of
each adjacent pair (the even or the odd ones, by a random bit) moves up a level with twice the
weight (Karnin, Lang and Liberty, "Optimal quantile approximation in streams", 2016). A whole
array is appended to level 0 and compacted at once, so updating costs one sort per batch and no
Python work per value.

Why not ``datasketches.kll_doubles_sketch``: its compactions draw bits from a process-wide
generator seeded by the clock, so two profiles of the same data have different bytes, and a
rebuilt dataset would not be byte-identical (DESIGN.md sections 4 and 7). Here the bits come from
a ``numpy.random.Generator`` whose seed and state are part of the sketch.

Error: one compaction at weight ``w`` moves the rank of any value by 0 or ``±w``, with a zero-mean
random sign. The sketch sums ``w**2`` over its compactions (merges add the other side's sum), so
Hoeffding's inequality gives the rank error a query exceeds with probability at most ``delta``:
``sqrt(2 * sum(w**2) * ln(2 / delta))``; :meth:`QuantileSketch.rank_error` states it, normalised
by ``n``.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from winnow.errors import DefinitionError

__all__ = ["QuantileSketch"]

_C = 2.0 / 3.0
_MIN_CAPACITY = 8

Floats = npt.NDArray[np.float64]


def _encode(values: Floats) -> str:
    return base64.b64encode(values.astype("<f8").tobytes()).decode()


def _decode(text: str) -> Floats:
    return np.frombuffer(base64.b64decode(text), dtype="<f8").astype(np.float64)


class QuantileSketch:
    """Mergeable quantiles of a stream of finite float64 values.

    Parameters
    ----------
    k
        Size of the top level; memory is about ``3 * k`` values, error shrinks as ``1 / k``.
    seed
        Seed of the generator that picks each compaction's survivors.

    Examples
    --------
    >>> import numpy as np
    >>> s = QuantileSketch(k=200, seed=0)
    >>> s.update(np.random.default_rng(1).normal(size=100_000))
    >>> abs(float(s.quantiles([0.5])[0])) < 0.05
    True
    """

    def __init__(self, *, k: int = 200, seed: int = 0) -> None:
        if k < _MIN_CAPACITY:
            raise DefinitionError(
                f"the quantile sketch's k must be at least {_MIN_CAPACITY}, got {k}"
            )
        self.k = k
        self.seed = seed
        self.n = 0
        self.min = math.inf
        self.max = -math.inf
        self.levels: list[Floats] = [np.empty(0, dtype=np.float64)]
        self.variance = 0.0  # sum of w**2 over compactions
        self._rng = np.random.default_rng(seed)

    # ------------------------------------------------------------------ updates
    def update(self, values: Floats) -> None:
        """Add finite values (the caller drops nulls, NaN and infinities)."""
        if values.size == 0:
            return
        values = np.asarray(values, dtype=np.float64)
        self.n += int(values.size)
        self.min = min(self.min, float(values.min()))
        self.max = max(self.max, float(values.max()))
        self.levels[0] = np.concatenate([self.levels[0], values])
        self._compress()

    def merge(self, other: QuantileSketch) -> None:
        """Fold ``other`` into this sketch."""
        if other.n == 0:
            return
        self.n += other.n
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.variance += other.variance
        while len(self.levels) < len(other.levels):
            self.levels.append(np.empty(0, dtype=np.float64))
        for h, items in enumerate(other.levels):
            if items.size:
                joined = np.concatenate([self.levels[h], items])
                self.levels[h] = joined if h == 0 else np.sort(joined, kind="stable")
        self._compress()

    def _capacity(self, h: int) -> int:
        depth = len(self.levels) - 1 - h
        return max(_MIN_CAPACITY, math.ceil(self.k * _C**depth))

    def _compress(self) -> None:
        while True:
            sizes = [lv.size for lv in self.levels]
            if sum(sizes) <= sum(self._capacity(h) for h in range(len(self.levels))):
                return
            h = next(
                (i for i, s in enumerate(sizes) if s >= self._capacity(i)), len(sizes) - 1
            )
            items = self.levels[h]
            if h == 0:
                items = np.sort(items)
            keep = items[:1] if items.size % 2 else items[:0]
            pairs = items[items.size % 2:]
            offset = int(self._rng.integers(2))
            up = pairs[offset::2]
            self.levels[h] = keep.copy()
            if h + 1 == len(self.levels):
                self.levels.append(up.copy())
            else:
                self.levels[h + 1] = np.sort(np.concatenate([self.levels[h + 1], up]),
                                             kind="stable")
            self.variance += float(4**h)

    # ------------------------------------------------------------------ queries
    def _weighted(self) -> tuple[Floats, Floats]:
        items = np.concatenate(self.levels)
        weights = np.concatenate(
            [np.full(lv.size, float(2**h)) for h, lv in enumerate(self.levels)]
        )
        order = np.argsort(items, kind="stable")
        return items[order], np.cumsum(weights[order])

    def cdf(self, points: Floats) -> Floats:
        """Estimated share of values ``<= x`` for each point."""
        points = np.asarray(points, dtype=np.float64)
        if self.n == 0:
            return np.full(points.shape, np.nan)
        items, cumulative = self._weighted()
        at = np.searchsorted(items, points, side="right")
        ranks = np.where(at > 0, cumulative[np.maximum(at - 1, 0)], 0.0)
        out: Floats = ranks / cumulative[-1]
        return out

    def quantiles(self, fractions: Floats | list[float]) -> Floats:
        """Estimated quantiles: the smallest kept value whose rank reaches ``q * n``."""
        q = np.asarray(fractions, dtype=np.float64)
        if self.n == 0:
            return np.full(q.shape, np.nan)
        items, cumulative = self._weighted()
        at = np.searchsorted(cumulative, q * cumulative[-1], side="left")
        out: Floats = items[np.clip(at, 0, items.size - 1)]
        out = np.where(q <= 0.0, self.min, np.where(q >= 1.0, self.max, out))
        return out

    def support(self) -> Floats:
        """The distinct values the sketch keeps, sorted (where its CDF can step)."""
        return np.unique(np.concatenate(self.levels))

    def rank_error(self, *, confidence: float = 0.99) -> float:
        """Normalised rank error a single query stays within with probability ``confidence``."""
        if self.n == 0 or self.variance == 0.0:
            return 0.0
        return math.sqrt(2.0 * self.variance * math.log(2.0 / (1.0 - confidence))) / self.n

    @property
    def retained(self) -> int:
        """Number of values the sketch keeps."""
        return sum(lv.size for lv in self.levels)

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        """The sketch as JSON (levels as base64 little-endian float64)."""
        state = self._rng.bit_generator.state
        return {
            "k": self.k,
            "seed": self.seed,
            "n": self.n,
            "min": self.min if self.n else None,
            "max": self.max if self.n else None,
            "variance": self.variance,
            "levels": [_encode(lv) for lv in self.levels],
            "rng": {"state": str(state["state"]["state"]), "inc": str(state["state"]["inc"]),
                    "has_uint32": state["has_uint32"], "uinteger": state["uinteger"]},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuantileSketch:
        """Rebuild a sketch written by :meth:`to_json`."""
        sketch = cls(k=int(data["k"]), seed=int(data["seed"]))
        sketch.n = int(data["n"])
        sketch.min = math.inf if data["min"] is None else float(data["min"])
        sketch.max = -math.inf if data["max"] is None else float(data["max"])
        sketch.variance = float(data["variance"])
        sketch.levels = [_decode(t) for t in data["levels"]] or [np.empty(0, dtype=np.float64)]
        rng = data["rng"]
        sketch._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(rng["state"]), "inc": int(rng["inc"])},
            "has_uint32": int(rng["has_uint32"]),
            "uinteger": int(rng["uinteger"]),
        }
        return sketch
