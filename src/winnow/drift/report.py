"""Plots of reference vs current distributions and the standalone HTML drift report.

Numeric columns are drawn as the share of rows per bin (30 bins over the 0.5-99.5% range of both
sides, read from their CDFs, so sketched profiles plot as well as data); categorical ones as
side-by-side bars of the most frequent categories. The HTML embeds each plot as a base64 PNG and
uses the dataset report's style, so it opens offline in any browser.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from winnow.datasets.report import _CSS, _png, _pyplot, _table

if TYPE_CHECKING:
    from winnow.drift.compare import DriftReport

__all__ = ["plot_column", "render_html", "save_plots"]

_MAX_PLOTS = 40
_TOP = 12
_REF, _CUR = "#1f77b4", "#ff7f0e"


def plot_column(report: DriftReport, column: str) -> Any:
    """A matplotlib figure of ``column`` in the reference and the current data."""
    plt = _pyplot()
    ref, cur = report.reference[column], report.current[column]
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    if ref.quantiles is not None and cur.quantiles is not None and ref.count and cur.count:
        lo = min(ref.quantiles.quantiles([0.005])[0], cur.quantiles.quantiles([0.005])[0])
        hi = max(ref.quantiles.quantiles([0.995])[0], cur.quantiles.quantiles([0.995])[0])
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, 31)
        edges[0] = np.nextafter(lo, -np.inf)  # the first bin holds values equal to lo
        for prof, colour, name in ((ref, _REF, "reference"), (cur, _CUR, "current")):
            assert prof.quantiles is not None
            shares = np.diff(prof.quantiles.cdf(edges))
            ax.stairs(shares, edges, color=colour, label=f"{name} (n={prof.count:,})",
                      linewidth=1.6)
        ax.set_ylabel("share of rows")
    elif ref.categories is not None and cur.categories is not None:
        seen_r = max(ref.rows - ref.nulls, 1)
        seen_c = max(cur.rows - cur.nulls, 1)
        names = [k for k, _ in ref.top(_TOP)]
        names += [k for k, _ in cur.top(_TOP) if k not in names][: max(0, _TOP - len(names))]
        x = np.arange(len(names))
        ax.bar(x - 0.2, [ref.categories.get(k, 0) / seen_r for k in names], 0.4,
               color=_REF, label=f"reference (n={seen_r:,})")
        ax.bar(x + 0.2, [cur.categories.get(k, 0) / seen_c for k in names], 0.4,
               color=_CUR, label=f"current (n={seen_c:,})")
        ax.set_xticks(x, [n[:14] for n in names], rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("share of rows")
    else:
        ax.text(0.5, 0.5, "no values to plot", ha="center", va="center")
        ax.set_axis_off()
    drifted = column in report.drifted_columns
    ax.set_title(f"{column}" + (" - DRIFT" if drifted else ""), fontsize=9,
                 color="#c0392b" if drifted else "#222")
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def save_plots(report: DriftReport, directory: str | os.PathLike[str]) -> list[Path]:
    """Write one PNG per compared column to ``directory``; returns the paths."""
    plt = _pyplot()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for column in report.columns:
        fig = plot_column(report, column)
        path = out / f"{column}.png"
        fig.savefig(path, dpi=90, metadata={"Software": None})
        plt.close(fig)
        paths.append(path)
    return paths


def render_html(report: DriftReport) -> str:
    """The standalone HTML drift report."""
    drifted = report.drifted_columns
    verdict = (
        f'<p class="bad">Drift in {len(drifted)} of {len(report.columns)} columns: '
        f"{html.escape(', '.join(drifted))}.</p>"
        if drifted else
        f'<p class="ok">No drift in {len(report.columns)} columns.</p>'
    )
    rows = [
        (s.column + (" (label)" if s.role == "label" else ""), s.statistic, s.value,
         s.threshold, s.p_value, "DRIFT" if s.drifted else "ok", s.detail)
        for s in report.statistics
    ]
    ordered = drifted + [c for c in report.columns if c not in drifted]
    plots = "".join(_png(plot_column(report, c)) for c in ordered[:_MAX_PLOTS])
    body = [
        f"<h1>Drift: {html.escape(report.current_name)}</h1>",
        f'<p class="muted">reference {html.escape(report.reference_name)} '
        f"({report.reference.rows:,} rows) vs current ({report.current.rows:,} rows)</p>",
        verdict,
        "<h2>Statistics</h2>",
        _table(["column", "statistic", "value", "threshold", "p-value", "result", "detail"],
               rows),
        "<h2>Reference vs current</h2>",
        f"<p>{min(len(ordered), _MAX_PLOTS)} of {len(ordered)} columns, drifted ones first.</p>",
        plots,
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>winnow drift report</title><style>{_CSS}</style></head><body>"
        + "\n".join(body) + "</body></html>\n"
    )
