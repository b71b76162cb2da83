"""A drift monitor over a sliding window of stream events.

:class:`DriftMonitor` takes events batch by batch (it is the ``on_events`` hook of
:func:`winnow.streams.consume`, and ``winnow stream --drift-reference`` wires it in). Events are
profiled in *panes* of ``window / panes`` events; the window is the last ``panes`` panes, exactly
``window`` events, and it slides by one pane. Each time a pane completes and the window is full,
the merged profile of the window is compared with the reference (:func:`detect_drift`), so no event
is profiled twice and memory holds ``panes`` profiles plus one partial pane.

An alert is emitted when a statistic crosses its threshold (``"type": "drift"``) and again when it
falls back below it (``"type": "recovered"``), not on every window that stays drifted.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from winnow.drift.alerts import AlertSink, LogAlertSink
from winnow.drift.compare import DriftReport, Thresholds, detect_drift, load_reference
from winnow.errors import DefinitionError
from winnow.profiles import Profile

__all__ = ["DriftMonitor"]


def _iso(micros: float | None) -> str | None:
    if micros is None:
        return None
    return datetime.fromtimestamp(micros / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


class DriftMonitor:
    """Compare a sliding window of events with a reference profile and emit alerts.

    Parameters
    ----------
    reference
        A :class:`~winnow.profiles.Profile`, a saved profile ``.json``, a dataset directory, or a
        file of reference events (profiled on load).
    window
        Events per window.
    panes
        The window slides by ``window / panes`` events; ``window`` must be a multiple of it.
    columns
        Columns to watch (default: every numeric and categorical column of the reference that
        the events carry).
    label
        A label column among the events, compared as categories.
    time
        The events' time column: alerts then carry the window's first and last event time.
    thresholds, column_thresholds
        As in :func:`~winnow.drift.detect_drift`.
    sink
        Where alerts go (default: a log line).
    split
        The split of a dataset directory used as reference.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> from winnow.drift import ListAlertSink
    >>> rng = np.random.default_rng(0)
    >>> reference = pa.table({"x": rng.normal(0, 1, 5000)})
    >>> sink = ListAlertSink()
    >>> monitor = DriftMonitor(reference, window=1000, panes=4, sink=sink)
    >>> monitor.update(pa.table({"x": rng.normal(0, 1, 1000)}))
    []
    >>> sorted(a["statistic"] for a in monitor.update(pa.table({"x": rng.normal(1, 1, 1000)})))
    ['ks', 'psi']
    """

    def __init__(
        self,
        reference: Profile | pa.Table | str | os.PathLike[str],
        *,
        window: int = 10_000,
        panes: int = 10,
        columns: Sequence[str] | None = None,
        label: str | None = None,
        time: str | None = None,
        thresholds: Thresholds | None = None,
        column_thresholds: Mapping[str, Thresholds | Mapping[str, float]] | None = None,
        sink: AlertSink | None = None,
        split: str = "train",
    ) -> None:
        if window < 1 or panes < 1 or window % panes:
            raise DefinitionError(
                f"the drift window ({window} events) must be a positive multiple of panes "
                f"({panes}); e.g. window=10000, panes=10"
            )
        if isinstance(reference, Profile):
            self.reference = reference
            self.reference_name = "profile"
        elif isinstance(reference, pa.Table):
            from winnow.profiles import profile

            self.reference = profile(reference, categorical=[label] if label else [])
            self.reference_name = "table"
        else:
            self.reference = load_reference(reference, split=split)
            self.reference_name = os.fspath(reference)
        self.window = window
        self.panes = panes
        self.pane_rows = window // panes
        self.columns = list(columns) if columns is not None else None
        self.label = label
        self.time = time
        self.thresholds = thresholds
        self.column_thresholds = column_thresholds
        self.sink: AlertSink = sink if sink is not None else LogAlertSink()
        self.events = 0
        self.evaluations = 0
        self.alerts_emitted = 0
        self.last_report: DriftReport | None = None
        self._full: deque[Profile] = deque(maxlen=panes)
        self._pane: Profile | None = None
        self._pane_rows = 0
        self._state: dict[tuple[str, str], bool] = {}
        self._watch: list[str] | None = None

    def _new_pane(self) -> Profile:
        assert self._watch is not None
        extra = [self.time] if self.time and self.time not in self._watch else []
        forced = [c.name for c in self.reference if c.kind == "categorical"
                  and c.name in self._watch]
        return Profile(columns=self._watch + extra, categorical=forced, k=self.reference.k,
                       p=self.reference.p, max_categories=self.reference.max_categories,
                       seed=self.reference.seed)

    def _choose_columns(self, names: list[str]) -> list[str]:
        if self.columns is not None:
            watch = list(self.columns)
        else:
            watch = [c.name for c in self.reference if c.name in names
                     and c.kind in ("numeric", "categorical")]
        if self.label and self.label not in watch:
            watch.append(self.label)
        if not watch:
            raise DefinitionError(
                f"no column of the events ({', '.join(names)}) is in the reference profile "
                f"({', '.join(self.reference.names)}); profile reference *events* (winnow "
                f"profile EVENTS --out ref.json) or name the columns to watch"
            )
        return watch

    def update(self, events: pa.Table | pa.RecordBatch) -> list[dict[str, Any]]:
        """Add a batch of events; returns the alerts it caused (also sent to the sink)."""
        table = pa.Table.from_batches([events]) if isinstance(events, pa.RecordBatch) else events
        if self._watch is None:
            self._watch = self._choose_columns(table.column_names)
        alerts: list[dict[str, Any]] = []
        offset = 0
        while offset < table.num_rows:
            if self._pane is None:
                self._pane = self._new_pane()
                self._pane_rows = 0
            take = min(self.pane_rows - self._pane_rows, table.num_rows - offset)
            self._pane.update(table.slice(offset, take))
            self._pane_rows += take
            self.events += take
            offset += take
            if self._pane_rows == self.pane_rows:
                self._full.append(self._pane)
                self._pane = None
                if len(self._full) == self.panes:
                    alerts += self._evaluate()
        return alerts

    def window_profile(self) -> Profile:
        """The merged profile of the current full window."""
        if len(self._full) < self.panes:
            raise DefinitionError(
                f"the window is not full yet ({len(self._full) * self.pane_rows} of "
                f"{self.window} events)"
            )
        merged = self._full[0]
        for pane in list(self._full)[1:]:
            merged = merged.merge(pane)
        return merged

    def _evaluate(self) -> list[dict[str, Any]]:
        assert self._watch is not None
        current = self.window_profile()
        report = detect_drift(
            self.reference, current, columns=self._watch, label=self.label,
            thresholds=self.thresholds, column_thresholds=self.column_thresholds,
        )
        self.last_report = report
        self.evaluations += 1
        window: dict[str, Any] = {
            "window_events": self.window,
            "first_event": self.events - self.window,
            "last_event": self.events - 1,
        }
        if self.time and self.time in current:
            col = current[self.time]
            window["window_start"] = _iso(col.min)
            window["window_end"] = _iso(col.max)
        alerts = []
        for s in report.statistics:
            key = (s.column, s.statistic)
            before = self._state.get(key, False)
            self._state[key] = s.drifted
            if s.drifted == before:
                continue
            alert = {
                "type": "drift" if s.drifted else "recovered",
                "column": s.column,
                "role": s.role,
                "statistic": s.statistic,
                "value": s.value,
                "threshold": s.threshold,
                "p_value": s.p_value,
                "detail": s.detail,
                "reference": self.reference_name,
                **window,
                "emitted_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
            self.sink.emit(alert)
            self.alerts_emitted += 1
            alerts.append(alert)
        return alerts

    def to_json(self) -> dict[str, Any]:
        """Counters for run summaries."""
        return {
            "events": self.events,
            "window": self.window,
            "evaluations": self.evaluations,
            "alerts": self.alerts_emitted,
            "drifted_columns": [] if self.last_report is None
            else self.last_report.drifted_columns,
        }
