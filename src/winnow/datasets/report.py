"""The human report of a built dataset: one self-contained HTML file with inline plots.

``report.html`` holds the summary, per-split label distributions and time ranges, feature
distributions per split, the labeling-function summary and label-model accuracy (when labels came
from labeling functions), the sampling method and its caveats, the quarantine summary, the
validation results (when the definition has expectations) and the leakage check. Plots are
drawn with matplotlib's Agg backend and embedded as base64 PNG, so the file opens in any
browser without network access, and it holds no build time, so rebuilding gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.datasets.manifest import split_names

if TYPE_CHECKING:
    from winnow.profiles import Profile

__all__ = ["render_report"]

_MAX_FEATURE_PLOTS = 24
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem;
color:#222;max-width:1200px}
h1{margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;
text-align:left;font-size:.9rem}th{background:#f3f3f3}.ok{color:#1a7f37;font-weight:600}
.bad{color:#c0392b;font-weight:600}.warn{color:#b7791f;font-weight:600}
code{background:#f5f5f5;padding:0 .2rem}img{max-width:100%}.muted{color:#666}
.notes li{color:#8a5a00;font-size:.9rem}
"""


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="plot" class="plot" src="data:image/png;base64,{data}">'


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    head_row = f"<tr>{head}</tr>" if any(str(h) for h in header) else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table>{head_row}{body}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "-"
    return str(value)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _splits_plot(manifest: Mapping[str, Any], parts: Mapping[str, pa.Table]) -> str:
    plt = _pyplot()
    splits = manifest["splits"]
    names = split_names(manifest)
    classes = sorted({c for s in splits.values() for c in s["labels"]}, key=_class_key)
    time = manifest["columns"]["time"]
    if time is None:  # nothing to draw on a time axis: the label plot alone
        fig, ax1 = plt.subplots(1, 1, figsize=(5.5, 3.4))
    else:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
    width = 0.8 / max(len(classes), 1)
    for i, cls in enumerate(classes):
        shares = [
            splits[s]["labels"].get(cls, 0) / max(splits[s]["rows"], 1) for s in names
        ]
        ax1.bar(np.arange(len(names)) + i * width, shares, width,
                label=f"label {_class_name(manifest, cls)}", color=_COLORS[i % len(_COLORS)])
    ax1.set_xticks(np.arange(len(names)) + width * (len(classes) - 1) / 2, names)
    ax1.set_ylabel("share of rows")
    ax1.set_title("Label distribution per split")
    # headroom above the tallest bar for a one-line legend
    top = max((s["labels"].get(c, 0) / max(s["rows"], 1) for s in splits.values()
               for c in classes), default=1.0)
    ax1.set_ylim(0, min(max(top, 0.05) * 1.3, 1.3))
    ax1.legend(fontsize=8, loc="upper center", ncol=max(len(classes), 1), frameon=False)
    if time is None:
        fig.tight_layout()
        return _png(fig)
    for i, name in enumerate(names):
        table = parts[name]
        if table.num_rows == 0:
            continue
        micros = pc.cast(table[time], pa.int64()).to_numpy()
        days = micros.astype(np.float64) / 86_400e6
        lo, hi = float(days.min()), float(days.max())
        ax2.barh(i, max(hi - lo, 0.5), left=lo, color=_COLORS[i % len(_COLORS)])
    ax2.set_yticks(range(len(names)), names)
    import matplotlib.dates as mdates

    # matplotlib's date numbers are days since 1970-01-01, as computed above
    ax2.xaxis.set_major_formatter(
        mdates.DateFormatter("%Y-%m-%d")  # type: ignore[no-untyped-call]
    )
    ax2.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax2.set_xlabel("UTC")
    ax2.set_title(f"Time range per split ({time})")
    fig.tight_layout()
    return _png(fig)


def _class_key(value: str) -> tuple[int, str]:
    try:
        return (int(value), "")
    except ValueError:
        return (1 << 30, value)


def _numeric(table: pa.Table, name: str) -> np.ndarray:
    column = table[name]
    typ = column.type
    if pa.types.is_boolean(typ):
        column = pc.cast(column, pa.int8())
    values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    arr = np.asarray(values, dtype=np.float64)
    return arr[np.isfinite(arr)]


def _features_plot(manifest: Mapping[str, Any], parts: Mapping[str, pa.Table]) -> tuple[str, int]:
    plt = _pyplot()
    first = next((t for t in parts.values() if t.num_rows), None)
    if first is None:
        return "", 0
    numeric = [
        f for f in manifest["columns"]["features"]
        if f in first.column_names
        and (pa.types.is_integer(first.schema.field(f).type)
             or pa.types.is_floating(first.schema.field(f).type)
             or pa.types.is_boolean(first.schema.field(f).type))
    ][:_MAX_FEATURE_PLOTS]
    if not numeric:
        return "", 0
    cols = 3
    rows = (len(numeric) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.6 * rows), squeeze=False)
    for ax in axes.ravel()[len(numeric):]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), numeric, strict=False):
        every = np.concatenate([_numeric(t, name) for t in parts.values() if t.num_rows])
        if every.size == 0:
            ax.set_title(f"{name} (all null)", fontsize=8)
            continue
        lo, hi = np.quantile(every, [0.005, 0.995])
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        bins = np.linspace(lo, hi, 31)
        for i, (split, table) in enumerate(parts.items()):
            values = _numeric(table, name) if table.num_rows else np.empty(0)
            if values.size == 0:
                continue
            ax.hist(np.clip(values, lo, hi), bins=bins, density=True, histtype="step",
                    label=split, color=_COLORS[i % len(_COLORS)])
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    axes.ravel()[0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig), len(numeric)


def _summary(manifest: Mapping[str, Any]) -> str:
    spine = manifest["spine"]
    rows = [
        ("dataset id", manifest["id"]),
        ("name", manifest["name"]),
        ("winnow version", manifest["winnow_version"]),
        ("seed", manifest["seed"]),
        ("definition sha256", manifest["definition"]["sha256"]),
        ("spine rows", spine["rows"]),
    ]
    rows += [(f"excluded: {k}", v) for k, v in spine["excluded"].items()]
    rows += [(f"{k} rows", manifest["splits"][k]["rows"]) for k in split_names(manifest)]
    rows.append(("features", len(manifest["features"]["columns"])))
    inputs = [
        (name, info["rows"], info["quarantined"], info["sha256"][:16], info["reader"])
        for name, info in manifest["inputs"].items()
    ]
    return _table(["", ""], rows) + "<h3>Inputs</h3>" + _table(
        ["input", "rows", "quarantined", "sha256 (prefix)", "reader"], inputs
    )


def _class_name(manifest: Mapping[str, Any], cls: str) -> str:
    """``"1"`` -> ``"1 (fresh)"`` when the labels name their classes."""
    names = (manifest.get("labels") or {}).get("classes")
    try:
        return f"{cls} ({names[int(cls)]})" if names else cls
    except (ValueError, IndexError):
        return cls


def _split_table(manifest: Mapping[str, Any]) -> str:
    timed = manifest["columns"]["time"] is not None
    rows = []
    for name in split_names(manifest):
        s = manifest["splits"][name]
        labels = ", ".join(
            f"{_class_name(manifest, k)}: {v} ({v / max(s['rows'], 1):.1%})"
            for k, v in s["labels"].items()
        )
        rows.append((name, s["rows"], labels, *(s["time_range"] if timed else ())))
    header = ["split", "rows", "labels", *(("from (UTC)", "to (UTC)") if timed else ())]
    return _table(header, rows)


def _sampling(manifest: Mapping[str, Any]) -> str:
    record = manifest.get("sampling")
    if not record:
        return "<p>No sampling step: every labelled spine row is in the dataset.</p>"
    kind = "probability sample" if record["probability"] else "NON-PROBABILITY sample (biased)"
    css = "ok" if record["probability"] else "bad"
    text = (
        f'<p>Method <code>{html.escape(record["method"])}</code> with '
        f"<code>{html.escape(str(record['params']))}</code>: "
        f'<span class="{css}">{kind}</span>; {record["rows_in"]} rows in, '
        f"{record['rows_out']} out.</p>"
    )
    if record.get("caveat"):
        text += f'<p class="bad">{html.escape(record["caveat"])}</p>'
    return text


def _quarantine(manifest: Mapping[str, Any]) -> str:
    q = manifest["quarantine"]
    if not q["rows"]:
        return "<p>No input record was quarantined.</p>"
    rows = [(k, v) for k, v in q["by_input"].items()]
    checked = q.get("by_validation", {})
    rows += [(f"{k} (failed expectations)", v) for k, v in checked.items()]
    what = (
        "did not fit their input's schema or failed an expectation"
        if checked
        else "did not fit their input's schema"
    )
    return (
        f"<p>{q['rows']} records {what}; they are in "
        f"<code>quarantine.parquet</code> with source, position and reason.</p>"
        + _table(["input", "quarantined"], rows)
    )


def _validation(manifest: Mapping[str, Any]) -> str:
    parts = []
    for name, record in manifest["validation"].items():
        verdict = (
            '<span class="ok">all expectations held</span>'
            if record["passed"]
            else '<span class="bad">some expectations failed</span>'
        )
        where = (
            "the dataset's rows" if name == "dataset" else f"input <code>{html.escape(name)}</code>"
        )
        parts.append(
            f"<h3>{where}</h3><p>{verdict}: {record['rows']} rows checked, "
            f"{record['rows_quarantined']} quarantined (in <code>quarantine.parquet</code>).</p>"
        )
        rows = [
            (
                r["name"],
                ", ".join(r["columns"]) or "-",
                ", ".join(f"{k} {_fmt(v)}" for k, v in r["observed"].items()
                          if k not in ("age_seconds", "now")),
                r["expected"],
                "pass" if r["passed"] else r["action"],
                r["failing_rows"],
            )
            for r in record["results"]
        ]
        parts.append(
            _table(["expectation", "column", "observed", "expected", "result", "failing rows"],
                   rows)
        )
    return "".join(parts)


def _leakage(manifest: Mapping[str, Any]) -> str:
    leak = manifest["leakage"]
    body = []
    for check in leak["checks"]:
        if check["passed"]:
            status, css = "pass", "ok"
        elif check["severity"] == "warning":
            status, css = "WARNING", "warn"
        else:
            status, css = "FAIL", "bad"
        body.append(
            f"<tr><td>{html.escape(check['name'])}</td><td class=\"{css}\">{status}</td>"
            f"<td>{html.escape(check['detail'])}</td></tr>"
        )
    verdict = (
        '<p class="ok">Leakage check passed.</p>'
        if leak["passed"]
        else '<p class="bad">Leakage check FAILED: this dataset uses information from the '
        "future.</p>"
    )
    head = "<tr><th>check</th><th>result</th><th>detail</th></tr>"
    return verdict + f"<table>{head}{''.join(body)}</table>"


def _weak(extra: Mapping[str, Any]) -> str:
    if not extra:
        return ""
    parts = ["<h2>Labeling functions and label model</h2>"]
    summary = extra.get("lf_summary")
    if summary:
        header = list(summary[0])
        gold_note = (
            " <code>correct</code>, <code>incorrect</code> and <code>emp_acc</code> score each "
            "function against the gold labels."
            if "emp_acc" in header
            else ""
        )
        parts.append(
            "<p>Per function: coverage (share of rows it voted on), overlaps and conflicts "
            f"with other functions, and the classes it votes (polarity).{gold_note}</p>"
        )
        parts.append(_table(header, [[r[h] for h in header] for r in summary]))
    model = extra.get("model")
    if model:
        parts.append("<h3>Label model</h3>")
        parts.append(_table(["", ""], list(model.items())))
    accuracies = extra.get("accuracies")
    if accuracies:
        parts.append(
            "<p>Learned accuracy of each function (the model's estimate, without gold):</p>"
        )
        parts.append(_table(["function", "learned accuracy"], list(accuracies.items())))
    warnings = extra.get("warnings") or []
    if warnings:
        items = "".join(f"<li>{html.escape(str(w))}</li>" for w in warnings)
        parts.append(f'<p>The label model warned:</p><ul class="notes">{items}</ul>')
    gold = extra.get("gold")
    if gold:
        parts.append("<h3>Label model vs gold labels</h3>")
        skip = ("confusion", "classes", "models")
        parts.append(_table(["", ""], [(k, v) for k, v in gold.items() if k not in skip]))
        confusion = gold.get("confusion")
        if confusion:
            classes = gold.get("classes") or [str(i) for i in range(len(confusion))]
            rows = [[f"gold {classes[i]}", *row] for i, row in enumerate(confusion)]
            parts.append(_table(["", *(f"labelled {c}" for c in classes)], rows))
        models = gold.get("models")
        if models:
            parts.append(
                "<p>Every label model fitted on the same votes, scored on the same rows:</p>"
            )
            parts.append(_table(
                ["label model", "accuracy vs gold", "rows scored"],
                [(m["model"], m["accuracy"], m["rows"]) for m in models],
            ))
    return "".join(parts)


def _profiles(profiles: Mapping[str, Profile]) -> str:
    """Per feature and split: null rate, distinct count, moments, quantiles or top values."""
    first = next(iter(profiles.values()))
    rows = []
    for column in first.names:
        for split, prof in profiles.items():
            if column not in prof:
                continue
            s = prof[column].summary()
            top = ", ".join(f"{t['value']} ({t['share']:.1%})" for t in s.get("top", []))
            rows.append((column, split, s["null_rate"], s["distinct"], s.get("mean"),
                         s.get("std"), s.get("min"), s.get("median"), s.get("max"), top or None))
    note = (
        "<p>From the profiles saved as <code>profiles/&lt;split&gt;.json</code> (the reference "
        "for <code>winnow drift</code>): distinct counts are HyperLogLog estimates (about 1.6% "
        "error) except exact category counts; medians come from a KLL sketch.</p>"
    )
    return note + _table(
        ["feature", "split", "null rate", "distinct", "mean", "std", "min", "median", "max",
         "top values"], rows)


def render_report(
    manifest: Mapping[str, Any],
    parts: Mapping[str, pa.Table],
    *,
    extra: Mapping[str, Any] | None = None,
    profiles: Mapping[str, Profile] | None = None,
) -> str:
    """Render ``report.html`` for a build from its manifest, split tables and split profiles."""
    feature_plot, n_plotted = _features_plot(manifest, parts)
    n_features = len(manifest["features"]["columns"])
    title = html.escape(manifest["name"])
    body = [
        f"<h1>Dataset {title}</h1>",
        f'<p class="muted">id <code>{manifest["id"]}</code></p>',
        "<h2>Summary</h2>",
        _summary(manifest),
        "<h2>Splits</h2>",
        _split_table(manifest),
        _splits_plot(manifest, parts),
        "<h2>Feature distributions per split</h2>",
        (
            f"<p>{n_plotted} of {n_features} features (numeric ones; histograms clipped to the "
            f"0.5-99.5% range, density per split).</p>" + feature_plot
            if feature_plot
            else "<p>No numeric features to plot.</p>"
        ),
        *(["<h2>Feature profiles</h2>", _profiles(profiles)] if profiles else []),
        _weak(extra or {}),
        "<h2>Sampling</h2>",
        _sampling(manifest),
        "<h2>Quarantine</h2>",
        _quarantine(manifest),
        *(["<h2>Validation</h2>", _validation(manifest)] if manifest.get("validation") else []),
        "<h2>Leakage check</h2>",
        _leakage(manifest),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>winnow dataset {title}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
