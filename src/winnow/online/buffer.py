"""The state of one entity key: its recent events in (time, sequence) order plus aggregation states.

Events reach a key in two ways: one at a time (appended to small Python lists) or as array runs
cut from a micro-batch. Either way they first sit *unprocessed* at the end of the key's buffer;
:meth:`KeyState.process` folds them into the aggregation states in one step, with array work per
run rather than Python work per event. The engine processes a key when it is queried, when its
unprocessed events pass a threshold, and before a snapshot, so the work per event stays O(1)
amortised and memory per key stays bounded by the events of its longest window (plus the
allowed lateness) and the threshold.

Positions: the buffer's live events are ``[start, n)``; ``[start, proc)`` are processed. Let
``T`` be the newest processed time; events at exactly ``T`` form the *tail* ``[hi, proc)``, which
the states do not include yet because a query at ``T`` must not see them (window ``[t-w, t)``).
A windowed state covers ``[lo, hi)`` with ``lo`` the first event at or after ``T - w``; a lifetime
state covers every processed event before ``hi``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt

from winnow.features.aggregations import Aggregation
from winnow.online.aggregators import AggState, make_state
from winnow.online.values import Kind, decode_value, encode_value

__all__ = ["KeyState", "Layout"]

_DTYPES: dict[str, Any] = {"i": np.int64, "f": np.float64, "o": object}
_FILL: dict[str, Any] = {"i": 0, "f": 0.0, "o": None}


class Layout:
    """How a feature group's features map onto stored columns (shared by all its keys).

    Parameters
    ----------
    features
        The group's aggregations, in definition order.
    columns
        The aggregated columns, each stored once.
    kinds
        The storage kind of each column (``"i"``, ``"f"`` or ``"o"``).
    lateness
        The allowed lateness in microseconds; the buffer keeps at least this much history so
        an accepted out-of-order event always lands inside it.
    """

    def __init__(
        self,
        features: list[Aggregation],
        columns: list[str],
        kinds: list[Kind],
        *,
        lateness: int,
    ) -> None:
        self.features = features
        self.columns = columns
        self.kinds = kinds
        self.feature_column = [
            columns.index(f.column) if f.column is not None else -1 for f in features
        ]
        self.windows = [f.window_micros for f in features]
        finite = [w for w in self.windows if w is not None]
        self.keep = max([*finite, lateness, 0])

        self._templates = [
            make_state(f, kinds[c] if c >= 0 else "i")
            for f, c in zip(features, self.feature_column, strict=True)
        ]
        self.plan = [
            (f, self.feature_column[f], self.windows[f]) for f in range(len(features))
        ]

    def states(self) -> list[AggState]:
        """Fresh aggregation states for a new key."""
        return [t.fresh() for t in self._templates]


class KeyState:
    """Events and aggregation states of one key (see the module docstring for the positions)."""

    __slots__ = (
        "hi", "last", "lo", "n", "p_disordered", "p_nulls", "p_seqs", "p_times", "p_vals",
        "proc", "runs_sorted", "seqs", "slot_id", "start", "states", "times", "valid", "vals",
    )

    def __init__(self, layout: Layout) -> None:
        cap = 64
        self.times: npt.NDArray[np.int64] = np.empty(cap, dtype=np.int64)
        self.seqs: npt.NDArray[np.int64] = np.empty(cap, dtype=np.int64)
        self.vals: list[npt.NDArray[Any]] = [np.empty(cap, dtype=_DTYPES[k]) for k in layout.kinds]
        self.valid: list[npt.NDArray[Any]] = [np.empty(cap, dtype=bool) for _ in layout.kinds]
        self.start = self.n = self.proc = self.hi = 0
        self.lo = [0] * len(layout.features)
        #: newest processed time (T), or None before the first processed event
        self.last: int | None = None
        self.states = layout.states()
        #: index of this key in its group's list of keys (set by the engine)
        self.slot_id = 0
        self.p_times: list[int] = []
        self.p_seqs: list[int] = []
        self.p_vals: list[list[Any]] = [[] for _ in layout.kinds]
        #: whether any value in ``p_vals`` is None (set by the engine's per-event path)
        self.p_nulls = False
        #: whether the events in ``p_times`` may be out of (time, sequence) order (ditto)
        self.p_disordered = False
        #: whether the unprocessed events ``[proc, n)`` are known to be in order among
        #: themselves (their order after the processed ones is checked when processing)
        self.runs_sorted = False

    # -- ingest ------------------------------------------------------------------------------

    def pending(self) -> int:
        """The number of accepted events not folded into the states yet."""
        return self.n - self.proc + len(self.p_times)

    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        cap = self.times.size
        if need <= cap:
            return
        if self.start:
            self._shift()
            need = self.n + extra
        if need <= cap:
            return
        cap = max(need, 2 * cap)
        self.times = _grow(self.times, cap, self.n)
        self.seqs = _grow(self.seqs, cap, self.n)
        self.vals = [_grow(v, cap, self.n) for v in self.vals]
        self.valid = [_grow(v, cap, self.n) for v in self.valid]

    def _shift(self) -> None:
        s, n = self.start, self.n
        size = n - s
        self.times[:size] = self.times[s:n]
        self.seqs[:size] = self.seqs[s:n]
        for arr in (*self.vals, *self.valid):
            arr[:size] = arr[s:n]
        self.n = size
        self.proc -= s
        self.hi -= s
        self.lo = [x - s for x in self.lo]
        self.start = 0

    def append(
        self,
        times: npt.NDArray[np.int64],
        seqs: npt.NDArray[np.int64],
        vals: list[npt.NDArray[Any]],
        valid: list[npt.NDArray[Any]],
        *,
        ordered: bool = False,
    ) -> None:
        """Append a run of accepted events (any order; :meth:`process` sorts if needed).

        ``ordered`` says the run is in (time, sequence) order, which lets :meth:`process`
        skip checking it event by event.
        """
        if self.p_times:
            self._materialize()
        k = times.size
        if k == 0:
            return
        self._reserve(k)
        n = self.n
        if n == self.proc:
            self.runs_sorted = ordered
        elif self.runs_sorted:
            t0, s0 = int(times[0]), int(seqs[0])
            tn, sn = int(self.times[n - 1]), int(self.seqs[n - 1])
            self.runs_sorted = ordered and (t0 > tn or (t0 == tn and s0 > sn))
        self.times[n : n + k] = times
        self.seqs[n : n + k] = seqs
        for dst, src in zip(self.vals, vals, strict=True):
            dst[n : n + k] = src
        for dst, src in zip(self.valid, valid, strict=True):
            dst[n : n + k] = src
        self.n = n + k

    def _materialize(self, kinds: list[Kind] | None = None) -> None:
        """Move events received one at a time from the Python lists into the arrays."""
        k = len(self.p_times)
        times = np.array(self.p_times, dtype=np.int64)
        seqs = np.array(self.p_seqs, dtype=np.int64)
        vals: list[npt.NDArray[Any]] = []
        valid: list[npt.NDArray[Any]] = []
        nulls = self.p_nulls
        for arr, items in zip(self.vals, self.p_vals, strict=True):
            if nulls:
                ok = np.fromiter((x is not None for x in items), dtype=bool, count=k)
                every = bool(ok.all())
            else:
                ok = np.ones(k, dtype=bool)
                every = True
            if arr.dtype == object:
                col = np.empty(k, dtype=object)
                col[:] = items
            elif every:
                col = np.array(items, dtype=arr.dtype)
            else:
                fill = 0 if arr.dtype == np.int64 else 0.0
                col = np.array([fill if x is None else x for x in items], dtype=arr.dtype)
            vals.append(col)
            valid.append(ok)
        ordered = not self.p_disordered
        self.p_times = []
        self.p_seqs = []
        self.p_vals = [[] for _ in self.p_vals]
        self.p_nulls = False
        self.p_disordered = False
        self.append(times, seqs, vals, valid, ordered=ordered)

    # -- processing --------------------------------------------------------------------------

    def process(self, layout: Layout) -> None:
        """Fold every unprocessed event into the states, then drop events no window needs."""
        if self.p_times:
            self._materialize()
        start, proc, n = self.start, self.proc, self.n
        if proc == n:
            return
        times = self.times
        if self._in_order():
            new_last = int(times[n - 1])
            hi_new = start + int(times[start:n].searchsorted(new_last))
            hi = self.hi
            lows = self.lo
            # features of the same window share their range: one search per distinct range
            found: dict[tuple[int, int], int] = {}
            for f, state in enumerate(self.states):
                c = layout.feature_column[f]
                v, m = (self.vals[c], self.valid[c]) if c >= 0 else (times, times)
                w = layout.windows[f]
                if w is None:
                    state.add(times, v, m, hi, hi_new)
                    continue
                bound = new_last - w
                lo = lows[f]
                lo_new = found.get((w, lo), -1)
                if lo_new < 0:
                    lo_new = found[(w, lo)] = lo + int(times[lo:n].searchsorted(bound))
                if lo_new >= hi:
                    state.reset()
                    state.add(times, v, m, lo_new, hi_new)
                else:
                    state.add(times, v, m, hi, hi_new)
                    state.evict(times, v, m, lo, lo_new, bound)
                lows[f] = lo_new
                state.settle(times, v, m, lo_new, hi_new)
            # the buffer keeps the longest window: its start is already known when a feature
            # has that window (every event before a window's old start is older than its bound)
            keep = layout.keep
            hint = next((x for (w, _), x in found.items() if w == keep), None)
        else:
            new_last, hi_new = self._merge_out_of_order(layout)
            hint = None
        self.hi = hi_new
        self.proc = n
        self.last = new_last
        self._compact(layout, new_last, hint)

    def _in_order(self) -> bool:
        start, proc, n = self.start, self.proc, self.n
        rt = self.times[proc:n]
        rs = self.seqs[proc:n]
        if proc > start:
            pt, ps = int(self.times[proc - 1]), int(self.seqs[proc - 1])
            first_t = int(rt[0])
            if first_t < pt or (first_t == pt and int(rs[0]) <= ps):
                return False
        if rt.size < 2 or self.runs_sorted:
            return True
        if rt.size <= 32:
            pairs = list(zip(rt.tolist(), rs.tolist(), strict=True))
            return all(x < y for x, y in itertools.pairwise(pairs))
        dt = np.diff(rt)
        if (dt < 0).any():
            return False
        return not bool(((dt == 0) & (np.diff(rs) <= 0)).any())

    def _merge_out_of_order(self, layout: Layout) -> tuple[int, int]:
        """Sort the live events by (time, sequence) and rebuild the windowed states."""
        start, n = self.start, self.n
        covered = np.zeros(n - start, dtype=bool)
        covered[: self.hi - start] = True
        order = np.lexsort((self.seqs[start:n], self.times[start:n]))
        self.times[start:n] = self.times[start:n][order]
        self.seqs[start:n] = self.seqs[start:n][order]
        for arr in (*self.vals, *self.valid):
            arr[start:n] = arr[start:n][order]
        covered = covered[order]
        times = self.times
        new_last = int(times[n - 1])
        hi_new = start + int(times[start:n].searchsorted(new_last))
        fresh = np.flatnonzero(~covered[: hi_new - start]) + start
        for f, state in enumerate(self.states):
            c = layout.feature_column[f]
            v, m = (self.vals[c], self.valid[c]) if c >= 0 else (times, times)
            w = layout.windows[f]
            if w is None:
                if fresh.size:
                    state.add(times[fresh], v[fresh], m[fresh], 0, fresh.size)
                continue
            lo_new = start + int(times[start:n].searchsorted(new_last - w))
            state.reset()
            state.add(times, v, m, lo_new, hi_new)
            self.lo[f] = lo_new
            state.settle(times, v, m, lo_new, hi_new)
        return new_last, hi_new

    def _compact(self, layout: Layout, last: int, keep_from: int | None = None) -> None:
        start, n = self.start, self.n
        if keep_from is None:
            keep_from = start + int(self.times[start:n].searchsorted(last - layout.keep))
        if keep_from <= start:
            return
        for f, state in enumerate(self.states):
            c = layout.feature_column[f]
            if c >= 0:
                state.compacted(self.times, self.vals[c], self.valid[c], start, keep_from)
        self.start = keep_from
        live = n - keep_from
        if self.times.size > 256 and self.times.size > 8 * live:
            # a burst grew the buffer; give the memory back once the window is small again
            self._shift()
            cap = max(64, 2 * live)
            self.times = self.times[:cap].copy()
            self.seqs = self.seqs[:cap].copy()
            self.vals = [v[:cap].copy() for v in self.vals]
            self.valid = [v[:cap].copy() for v in self.valid]

    # -- queries -----------------------------------------------------------------------------

    def values(self, layout: Layout, at: int) -> list[Any]:
        """Feature values for a query at ``at`` (the caller checked ``at >= newest``)."""
        if self.last is None:
            return [f.empty for f in layout.features]
        start, n, hi = self.start, self.n, self.hi
        times = self.times
        live = times[start:n]
        qhi = n if at > self.last else hi
        out: list[Any] = []
        for f, state in enumerate(self.states):
            c = layout.feature_column[f]
            v, m = (self.vals[c], self.valid[c]) if c >= 0 else (times, times)
            w = layout.windows[f]
            if w is None:
                out.append(state.value(times, v, m, start, hi, start, qhi, -(2**62)))
                continue
            lo = self.lo[f]
            qlo = max(start + int(live.searchsorted(at - w)), lo)
            if qlo > hi:
                # the window starts after every event the state holds: aggregate it afresh
                state = make_state(layout.features[f], layout.kinds[c] if c >= 0 else "i")
                end = max(qhi, qlo)
                state.add(times, v, m, qlo, end)
                out.append(state.value(times, v, m, qlo, end, qlo, end, at - w))
                continue
            out.append(state.value(times, v, m, lo, hi, qlo, qhi, at - w))
        return out

    # -- snapshots ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The key's processed state as a JSON-able object (call :meth:`process` first)."""
        s, n = self.start, self.n
        return {
            "times": self.times[s:n].tolist(),
            "seqs": self.seqs[s:n].tolist(),
            "vals": [[encode_value(x) for x in v[s:n].tolist()] for v in self.vals],
            "valid": [v[s:n].tolist() for v in self.valid],
            "hi": self.hi - s,
            "lo": [x - s for x in self.lo],
            "last": self.last,
            "states": [st.to_json() for st in self.states],
        }

    @classmethod
    def from_json(cls, layout: Layout, data: dict[str, Any]) -> KeyState:
        """Rebuild a key written by :meth:`to_json`."""
        ks = cls(layout)
        size = len(data["times"])
        vals = []
        for kind, items in zip(layout.kinds, data["vals"], strict=True):
            col = np.empty(size, dtype=_DTYPES[kind])
            col[:] = [decode_value(x) for x in items] if kind == "o" else items
            vals.append(col)
        valid = [np.array(v, dtype=bool).reshape(size) for v in data["valid"]]
        ks.append(
            np.array(data["times"], dtype=np.int64).reshape(size),
            np.array(data["seqs"], dtype=np.int64).reshape(size),
            vals,
            valid,
        )
        ks.proc = size
        ks.hi = int(data["hi"])
        ks.lo = [int(x) for x in data["lo"]]
        ks.last = data["last"]
        for state, blob in zip(ks.states, data["states"], strict=True):
            state.load_json(blob)
        return ks


def _grow(arr: npt.NDArray[Any], cap: int, n: int) -> npt.NDArray[Any]:
    out = np.empty(cap, dtype=arr.dtype)
    out[:n] = arr[:n]
    return out
