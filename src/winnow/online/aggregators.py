"""Per-key aggregation states of the online engine, one class per aggregation family.

Each state covers the key's events in a contiguous range ``[lo, hi)`` of the key's event buffer
(see :mod:`winnow.online.buffer`): ``add`` extends it at the end, ``evict`` drops events from
the front (windowed states only), and ``value`` answers a query over ``[qlo, qhi)`` with
``lo <= qlo`` and ``hi <= qhi`` *without mutating the state*: the head ``[lo, qlo)`` is taken out
and the tail ``[hi, qhi)`` put in on the fly, so a later query at a later time is unaffected.

* ``Count``, ``Sum``, ``Mean``, ``Std``: subtract-on-evict. Integer columns keep exact Python
  integer sums (sum, sum of squares), so their results are exact. Float columns keep
  Neumaier-compensated sums of values shifted by a reference ``K`` that is re-centred on the
  window's mean when the window drifts away from it, which keeps the standard deviation within
  1e-9 relative of a two-pass computation. Lifetime ``Std`` of floats merges chunks with Chan's
  parallel update instead (it never subtracts).
* ``Min``, ``Max``: a monotonic deque of ``(time, value)``; lifetime keeps one value.
* ``CountDistinct``: a counted multiset ``value -> count``; lifetime keeps a set.
* ``First``, ``Last``, ``LastK``: read the window straight from the buffer (which holds every
  event of the longest window); the lifetime versions also carry the values of events already
  compacted out of the buffer (one value, or ``k`` values).

Every state is O(1) amortised per event; memory is bounded by the events of its window (or
O(1) / O(k) / O(distinct values) for lifetime states).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import Counter, deque
from typing import Any

import numpy as np
import numpy.typing as npt

from winnow.features.aggregations import (
    Aggregation,
    Count,
    CountDistinct,
    First,
    Last,
    LastK,
    Max,
    Mean,
    Min,
    Std,
    Sum,
)
from winnow.online.values import Kind, decode_value, encode_value

__all__ = ["AggState", "make_state"]

Arr = npt.NDArray[Any]
Mask = npt.NDArray[Any]

# Below this many events a chunk is handled with plain Python: NumPy's per-call overhead
# (a few microseconds) is larger than the work.
_SMALL = 12


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _nadd(s: float, c: float, x: float) -> tuple[float, float]:
    """Neumaier-compensated ``s + x`` (running sum ``s`` with compensation ``c``)."""
    t = s + x
    if abs(s) >= abs(x):
        c += (s - t) + x
    else:
        c += (x - t) + s
    return t, c


def _selected(v: Arr, m: Mask, a: int, b: int) -> Arr:
    seg = v[a:b]
    mask = m[a:b]
    return seg if mask.all() else seg[mask]


class AggState(ABC):
    """Base of every state; subclasses implement the aggregation's update rules."""

    __slots__ = ()

    @abstractmethod
    def fresh(self) -> AggState:
        """A new, empty state of the same aggregation."""

    @abstractmethod
    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        """Add events ``[a, b)`` (in (time, sequence) order) at the end of the range."""

    def evict(self, t: Arr, v: Arr, m: Mask, a: int, b: int, bound: int) -> None:
        """Drop events ``[a, b)`` (all with time < ``bound``) from the front of the range."""
        return  # by default nothing to do: states that need the hook override it

    @abstractmethod
    def reset(self) -> None:
        """Forget every event (the range becomes empty)."""

    def settle(self, t: Arr, v: Arr, m: Mask, lo: int, hi: int) -> None:
        """Hook called after an update, with the state's range ``[lo, hi)``."""
        return  # by default nothing to do: states that need the hook override it

    def compacted(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        """Events ``[a, b)`` leave the buffer for good (lifetime carries keep what they need)."""
        return  # by default nothing to do: states that need the hook override it

    @abstractmethod
    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        """The aggregation over ``[qlo, qhi)`` (times >= ``qlo_time``), state range ``[lo, hi)``."""

    @abstractmethod
    def to_json(self) -> Any:
        """The state as a JSON-able object."""

    @abstractmethod
    def load_json(self, data: Any) -> None:
        """Restore the state written by :meth:`to_json`."""


class _CountState(AggState):
    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        self.n += b - a

    def evict(self, t: Arr, v: Arr, m: Mask, a: int, b: int, bound: int) -> None:
        self.n -= b - a

    def fresh(self) -> AggState:
        return _CountState()

    def reset(self) -> None:
        self.n = 0

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        return self.n - (qlo - lo) + (qhi - hi)

    def to_json(self) -> Any:
        return self.n

    def load_json(self, data: Any) -> None:
        self.n = int(data)


class _IntMoments(AggState):
    """Exact count, sum and sum of squares of an integer column (Python integers)."""

    __slots__ = ("n", "result", "s1", "s2")

    def __init__(self, result: str) -> None:
        self.result = result
        self.n = 0
        self.s1 = 0
        self.s2 = 0

    @staticmethod
    def _moments(v: Arr, m: Mask, a: int, b: int) -> tuple[int, int, int]:
        if b - a <= _SMALL:
            vals = [x for x, ok in zip(v[a:b].tolist(), m[a:b].tolist(), strict=True) if ok]
            return len(vals), sum(vals), sum(x * x for x in vals)
        sel = _selected(v, m, a, b)
        if sel.size and int(np.abs(sel).max()) >= 2**31:
            vals = sel.tolist()
            return len(vals), sum(vals), sum(x * x for x in vals)
        return int(sel.size), int(sel.sum()), int((sel * sel).sum())

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        n, s1, s2 = self._moments(v, m, a, b)
        self.n += n
        self.s1 += s1
        self.s2 += s2

    def evict(self, t: Arr, v: Arr, m: Mask, a: int, b: int, bound: int) -> None:
        n, s1, s2 = self._moments(v, m, a, b)
        self.n -= n
        self.s1 -= s1
        self.s2 -= s2

    def fresh(self) -> AggState:
        return _IntMoments(self.result)

    def reset(self) -> None:
        self.n = self.s1 = self.s2 = 0

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        n, s1, s2 = self.n, self.s1, self.s2
        if qlo > lo:
            hn, h1, h2 = self._moments(v, m, lo, qlo)
            n, s1, s2 = n - hn, s1 - h1, s2 - h2
        if qhi > hi:
            tn, t1, t2 = self._moments(v, m, hi, qhi)
            n, s1, s2 = n + tn, s1 + t1, s2 + t2
        if self.result == "sum":
            return float(s1)
        if self.result == "mean":
            return s1 / n if n else None
        if n < 2:
            return None
        return math.sqrt((n * s2 - s1 * s1) / (n * (n - 1)))

    def to_json(self) -> Any:
        return [self.n, self.s1, self.s2]

    def load_json(self, data: Any) -> None:
        self.n, self.s1, self.s2 = (int(x) for x in data)


class _FloatMoments(AggState):
    """Count and compensated shifted sums ``sum(x-K)``, ``sum((x-K)^2)`` of a float column."""

    __slots__ = ("c1", "c2", "k", "n", "result", "s1", "s2")

    def __init__(self, result: str) -> None:
        self.result = result
        self.reset()

    def fresh(self) -> AggState:
        return _FloatMoments(self.result)

    def reset(self) -> None:
        self.n = 0
        self.k = 0.0
        self.s1 = self.c1 = self.s2 = self.c2 = 0.0

    def _sums(self, v: Arr, m: Mask, a: int, b: int) -> tuple[int, float, float]:
        if b - a <= _SMALL:
            k = self.k
            d = [x - k for x, ok in zip(v[a:b].tolist(), m[a:b].tolist(), strict=True) if ok]
            return len(d), math.fsum(d), math.fsum(x * x for x in d)
        sel = _selected(v, m, a, b) - self.k
        return int(sel.size), math.fsum(sel.tolist()), math.fsum((sel * sel).tolist())

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        if self.n == 0:
            first = np.flatnonzero(m[a:b])
            if first.size == 0:
                return
            self.reset()
            self.k = float(v[a + int(first[0])])
        n, x1, x2 = self._sums(v, m, a, b)
        self.n += n
        self.s1, self.c1 = _nadd(self.s1, self.c1, x1)
        self.s2, self.c2 = _nadd(self.s2, self.c2, x2)

    def evict(self, t: Arr, v: Arr, m: Mask, a: int, b: int, bound: int) -> None:
        n, x1, x2 = self._sums(v, m, a, b)
        self.n -= n
        if self.n == 0:
            self.reset()
            return
        self.s1, self.c1 = _nadd(self.s1, self.c1, -x1)
        self.s2, self.c2 = _nadd(self.s2, self.c2, -x2)

    def settle(self, t: Arr, v: Arr, m: Mask, lo: int, hi: int) -> None:
        if self.result != "std" or self.n < 2:
            return
        mean = (self.s1 + self.c1) / self.n
        var = (self.s2 + self.c2) / self.n - mean * mean
        if mean * mean > 1e4 * max(var, 0.0) + (1e-12 * abs(self.k)) ** 2:
            # the window drifted away from K: re-centre on the current window's mean
            sel = _selected(v, m, lo, hi)
            self.k = math.fsum(sel.tolist()) / sel.size
            n, x1, x2 = self._sums(v, m, lo, hi)
            self.n, self.s1, self.c1, self.s2, self.c2 = n, x1, 0.0, x2, 0.0

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        n, s1, c1, s2, c2 = self.n, self.s1, self.c1, self.s2, self.c2
        if qlo > lo:
            hn, h1, h2 = self._sums(v, m, lo, qlo)
            n -= hn
            s1, c1 = _nadd(s1, c1, -h1)
            s2, c2 = _nadd(s2, c2, -h2)
        if qhi > hi:
            if n == 0:
                probe = _FloatMoments(self.result)
                probe.add(t, v, m, hi, qhi)
                return probe.value(t, v, m, hi, qhi, hi, qhi, qlo_time)
            tn, x1, x2 = self._sums(v, m, hi, qhi)
            n += tn
            s1, c1 = _nadd(s1, c1, x1)
            s2, c2 = _nadd(s2, c2, x2)
        total1 = s1 + c1
        if self.result == "sum":
            return (n * self.k + total1) if n else 0.0
        if self.result == "mean":
            return self.k + total1 / n if n else None
        if n < 2:
            return None
        var = (s2 + c2 - total1 * total1 / n) / (n - 1)
        return math.sqrt(max(var, 0.0))

    def to_json(self) -> Any:
        return [self.n, self.k, self.s1, self.c1, self.s2, self.c2]

    def load_json(self, data: Any) -> None:
        self.n = int(data[0])
        self.k, self.s1, self.c1, self.s2, self.c2 = (float(x) for x in data[1:])


class _FloatSum(AggState):
    """Compensated sum (and count) of a float column: Sum and Mean, windowed or lifetime."""

    __slots__ = ("c", "n", "result", "s")

    def __init__(self, result: str) -> None:
        self.result = result
        self.reset()

    def fresh(self) -> AggState:
        return _FloatSum(self.result)

    def reset(self) -> None:
        self.n = 0
        self.s = self.c = 0.0

    @staticmethod
    def _sum(v: Arr, m: Mask, a: int, b: int) -> tuple[int, float]:
        if b - a <= _SMALL:
            vals = [x for x, ok in zip(v[a:b].tolist(), m[a:b].tolist(), strict=True) if ok]
            return len(vals), math.fsum(vals)
        sel = _selected(v, m, a, b)
        return int(sel.size), math.fsum(sel.tolist())

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        n, x = self._sum(v, m, a, b)
        self.n += n
        self.s, self.c = _nadd(self.s, self.c, x)

    def evict(self, t: Arr, v: Arr, m: Mask, a: int, b: int, bound: int) -> None:
        n, x = self._sum(v, m, a, b)
        self.n -= n
        if self.n == 0:
            self.reset()
        else:
            self.s, self.c = _nadd(self.s, self.c, -x)

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        n, s, c = self.n, self.s, self.c
        if qlo > lo:
            hn, x = self._sum(v, m, lo, qlo)
            n -= hn
            s, c = (0.0, 0.0) if n == 0 else _nadd(s, c, -x)
        if qhi > hi:
            tn, x = self._sum(v, m, hi, qhi)
            n += tn
            s, c = _nadd(s, c, x)
        if self.result == "sum":
            return s + c if n else 0.0
        return (s + c) / n if n else None

    def to_json(self) -> Any:
        return [self.n, self.s, self.c]

    def load_json(self, data: Any) -> None:
        self.n = int(data[0])
        self.s, self.c = float(data[1]), float(data[2])


class _ChanStd(AggState):
    """Lifetime sample standard deviation of a float column by Chan's parallel merge."""

    __slots__ = ("m2", "mean", "n")

    def __init__(self) -> None:
        self.reset()

    def fresh(self) -> AggState:
        return _ChanStd()

    def reset(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    @staticmethod
    def _chunk(v: Arr, m: Mask, a: int, b: int) -> tuple[int, float, float]:
        vals = _selected(v, m, a, b).tolist()
        if not vals:
            return 0, 0.0, 0.0
        mean = math.fsum(vals) / len(vals)
        return len(vals), mean, math.fsum((x - mean) ** 2 for x in vals)

    @staticmethod
    def _merge(
        a: tuple[int, float, float], b: tuple[int, float, float]
    ) -> tuple[int, float, float]:
        na, ma, qa = a
        nb, mb, qb = b
        if nb == 0:
            return a
        if na == 0:
            return b
        n = na + nb
        delta = mb - ma
        return n, ma + delta * nb / n, qa + qb + delta * delta * na * nb / n

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        self.n, self.mean, self.m2 = self._merge(
            (self.n, self.mean, self.m2), self._chunk(v, m, a, b)
        )

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        n, _mean, m2 = self._merge((self.n, self.mean, self.m2), self._chunk(v, m, hi, qhi))
        return math.sqrt(max(m2 / (n - 1), 0.0)) if n >= 2 else None

    def to_json(self) -> Any:
        return [self.n, self.mean, self.m2]

    def load_json(self, data: Any) -> None:
        self.n, self.mean, self.m2 = int(data[0]), float(data[1]), float(data[2])


class _WindowExtreme(AggState):
    """Windowed Min/Max: a monotonic deque of ``(time, value)``, best value at the front."""

    __slots__ = ("dq", "is_max")

    def __init__(self, *, is_max: bool) -> None:
        self.is_max = is_max
        self.dq: deque[tuple[int, Any]] = deque()

    def fresh(self) -> AggState:
        return _WindowExtreme(is_max=self.is_max)

    def reset(self) -> None:
        self.dq = deque()

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        dq = self.dq
        if b - a <= _SMALL:
            pairs = [
                (ti, x)
                for ti, x, ok in zip(t[a:b].tolist(), v[a:b].tolist(), m[a:b].tolist(), strict=True)
                if ok
            ]
            if self.is_max:
                for pair in pairs:
                    while dq and dq[-1][1] <= pair[1]:
                        dq.pop()
                    dq.append(pair)
            else:
                for pair in pairs:
                    while dq and dq[-1][1] >= pair[1]:
                        dq.pop()
                    dq.append(pair)
            return
        mask = m[a:b]
        vals = v[a:b][mask]
        if vals.size == 0:
            return
        times = t[a:b][mask]
        # a value survives when it beats every later value of the chunk (ties: the later one)
        if self.is_max:
            later = np.maximum.accumulate(vals[::-1])[::-1]
            keep = np.ones(vals.size, dtype=bool)
            keep[:-1] = vals[:-1] > later[1:]
            top = vals.max()
            while dq and dq[-1][1] <= top:
                dq.pop()
        else:
            later = np.minimum.accumulate(vals[::-1])[::-1]
            keep = np.ones(vals.size, dtype=bool)
            keep[:-1] = vals[:-1] < later[1:]
            top = vals.min()
            while dq and dq[-1][1] >= top:
                dq.pop()
        dq.extend(zip(times[keep].tolist(), vals[keep].tolist(), strict=True))

    def evict(self, t: Arr, v: Arr, m: Mask, a: int, b: int, bound: int) -> None:
        dq = self.dq
        while dq and dq[0][0] < bound:
            dq.popleft()

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        best: Any = None
        for when, x in self.dq:
            if when >= qlo_time:
                best = x
                break
        if qhi > hi:
            tail = _selected(v, m, hi, qhi)
            if tail.size:
                edge = _py(tail.max() if self.is_max else tail.min())
                if best is None or (edge > best if self.is_max else edge < best):
                    best = edge
        return best

    def to_json(self) -> Any:
        return [[when, encode_value(x)] for when, x in self.dq]

    def load_json(self, data: Any) -> None:
        self.dq = deque((int(when), decode_value(x)) for when, x in data)


class _LifetimeExtreme(AggState):
    """Lifetime Min/Max: one value."""

    __slots__ = ("best", "is_max")

    def __init__(self, *, is_max: bool) -> None:
        self.is_max = is_max
        self.best: Any = None

    def fresh(self) -> AggState:
        return _LifetimeExtreme(is_max=self.is_max)

    def reset(self) -> None:
        self.best = None

    def _better(self, x: Any) -> None:
        if self.best is None or (x > self.best if self.is_max else x < self.best):
            self.best = x

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        sel = _selected(v, m, a, b)
        if sel.size:
            self._better(_py(sel.max() if self.is_max else sel.min()))

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        best = self.best
        tail = _selected(v, m, hi, qhi)
        if tail.size:
            edge = _py(tail.max() if self.is_max else tail.min())
            if best is None or (edge > best if self.is_max else edge < best):
                best = edge
        return best

    def to_json(self) -> Any:
        return encode_value(self.best)

    def load_json(self, data: Any) -> None:
        self.best = decode_value(data)


class _WindowDistinct(AggState):
    """Windowed CountDistinct: a counted multiset ``value -> count``."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        # a plain dict: a Counter costs several microseconds to create and update, and a key
        # gets a new multiset on every reset
        self.counts: dict[Any, int] = {}

    def fresh(self) -> AggState:
        return _WindowDistinct()

    def reset(self) -> None:
        self.counts = {}

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        counts = self.counts
        get = counts.get
        for x in _selected(v, m, a, b).tolist():
            counts[x] = get(x, 0) + 1

    def evict(self, t: Arr, v: Arr, m: Mask, a: int, b: int, bound: int) -> None:
        counts = self.counts
        for x in _selected(v, m, a, b).tolist():
            left = counts[x] - 1
            if left:
                counts[x] = left
            else:
                del counts[x]

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        counts = self.counts
        distinct = len(counts)
        head: Counter[Any] = Counter()
        if qlo > lo:
            head.update(_selected(v, m, lo, qlo).tolist())
            distinct -= sum(1 for x, c in head.items() if counts.get(x, 0) == c)
        if qhi > hi:
            for x in set(_selected(v, m, hi, qhi).tolist()):
                if counts.get(x, 0) - head.get(x, 0) == 0:
                    distinct += 1
        return distinct

    def to_json(self) -> Any:
        return [[encode_value(x), c] for x, c in self.counts.items()]

    def load_json(self, data: Any) -> None:
        self.counts = {_key(decode_value(x)): int(c) for x, c in data}


def _key(value: Any) -> Any:
    return tuple(_key(v) for v in value) if isinstance(value, list) else value


class _LifetimeDistinct(AggState):
    """Lifetime CountDistinct: the set of values seen."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen: set[Any] = set()

    def fresh(self) -> AggState:
        return _LifetimeDistinct()

    def reset(self) -> None:
        self.seen = set()

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        self.seen.update(_selected(v, m, a, b).tolist())

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        if qhi > hi:
            return len(self.seen) + len(set(_selected(v, m, hi, qhi).tolist()) - self.seen)
        return len(self.seen)

    def to_json(self) -> Any:
        return [encode_value(x) for x in self.seen]

    def load_json(self, data: Any) -> None:
        self.seen = {_key(decode_value(x)) for x in data}


class _Ordered(AggState):
    """First / Last / LastK, read from the buffer; lifetime versions carry compacted values."""

    __slots__ = ("carry", "k", "lifetime", "mode")

    def __init__(self, mode: str, *, k: int, lifetime: bool) -> None:
        self.mode = mode
        self.k = k
        self.lifetime = lifetime
        self.carry: list[Any] = []

    def reset(self) -> None:
        """The window lives in the buffer; a reset only concerns the buffer's ranges."""

    def fresh(self) -> AggState:
        return _Ordered(self.mode, k=self.k, lifetime=self.lifetime)

    def add(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        """Nothing to do: the buffer holds the events."""

    @staticmethod
    def _newest(v: Arr, m: Mask, a: int, b: int, k: int) -> list[Any]:
        out: list[Any] = []
        i = b - 1
        while i >= a and len(out) < k:
            if m[i]:
                out.append(_py(v[i]))
            i -= 1
        return out

    @staticmethod
    def _oldest(v: Arr, m: Mask, a: int, b: int) -> list[Any]:
        if b <= a:
            return []
        seg = m[a:b]
        i = int(seg.argmax())
        return [_py(v[a + i])] if seg[i] else []

    def compacted(self, t: Arr, v: Arr, m: Mask, a: int, b: int) -> None:
        if not self.lifetime or b <= a:
            return
        if self.mode == "first":
            if not self.carry:
                self.carry = self._oldest(v, m, a, b)
        else:
            self.carry = (self._newest(v, m, a, b, self.k) + self.carry)[: self.k]

    def value(
        self, t: Arr, v: Arr, m: Mask, lo: int, hi: int, qlo: int, qhi: int, qlo_time: int
    ) -> Any:
        if self.mode == "first":
            if self.lifetime and self.carry:
                return self.carry[0]
            found = self._oldest(v, m, qlo, qhi)
            return found[0] if found else None
        values = self._newest(v, m, qlo, qhi, self.k)
        if self.lifetime and len(values) < self.k:
            values = (values + self.carry)[: self.k]
        if self.mode == "last":
            return values[0] if values else None
        return values or None

    def to_json(self) -> Any:
        return [encode_value(x) for x in self.carry]

    def load_json(self, data: Any) -> None:
        self.carry = [decode_value(x) for x in data]


def make_state(feature: Aggregation, kind: Kind) -> AggState:
    """Return a fresh state for ``feature`` over a column stored as ``kind``."""
    lifetime = feature.window_micros is None
    if isinstance(feature, Count):
        return _CountState()
    if isinstance(feature, (Sum, Mean, Std)):
        result = feature.kind
        if kind == "i":
            return _IntMoments(result)
        if isinstance(feature, Std):
            return _ChanStd() if lifetime else _FloatMoments("std")
        return _FloatSum(result)
    if isinstance(feature, (Min, Max)):
        is_max = isinstance(feature, Max)
        return _LifetimeExtreme(is_max=is_max) if lifetime else _WindowExtreme(is_max=is_max)
    if isinstance(feature, CountDistinct):
        return _LifetimeDistinct() if lifetime else _WindowDistinct()
    if isinstance(feature, LastK):
        return _Ordered("last_k", k=feature.k, lifetime=lifetime)
    if isinstance(feature, Last):
        return _Ordered("last", k=1, lifetime=lifetime)
    if isinstance(feature, First):
        return _Ordered("first", k=1, lifetime=lifetime)
    raise TypeError(f"the online engine has no state for {type(feature).__name__}")
