"""Drift: does a current batch or stream window still look like the data a model learned from?

:func:`detect_drift` compares a current table, file or profile with a reference (a profile, a
built dataset's split, or data) column by column: PSI and Kolmogorov–Smirnov for numeric columns,
chi-square and Jensen–Shannon for categorical ones, new and missing categories, null-rate
changes, and the label's distribution. Each statistic has a threshold (:class:`Thresholds`, per
column if needed) and the :class:`DriftReport` renders as an Arrow table, a Rich table, PNG plots
and a standalone HTML page. :class:`DriftMonitor` runs the same comparison over a sliding window
of stream events and sends alerts to a log, a JSON Lines file or a Redis stream.
"""

from winnow.drift.alerts import (
    AlertSink,
    JsonLinesAlertSink,
    ListAlertSink,
    LogAlertSink,
    RedisAlertSink,
    open_alert_sink,
)
from winnow.drift.compare import (
    DriftReport,
    DriftStatistic,
    Thresholds,
    detect_drift,
    load_reference,
)
from winnow.drift.monitor import DriftMonitor
from winnow.drift.report import plot_column, render_html, save_plots

__all__ = [
    "AlertSink",
    "DriftMonitor",
    "DriftReport",
    "DriftStatistic",
    "JsonLinesAlertSink",
    "ListAlertSink",
    "LogAlertSink",
    "RedisAlertSink",
    "Thresholds",
    "detect_drift",
    "load_reference",
    "open_alert_sink",
    "plot_column",
    "render_html",
    "save_plots",
]
