"""``winnow build``, ``winnow lineage``, ``winnow verify`` and ``winnow baseline``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

__all__ = ["register"]

_console = Console()
_MODEL_NAMES = {"logistic_regression": "logistic"}


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def build_command(
    project: Annotated[Path, typer.Argument(help="Python project file defining a wn.Dataset.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (written atomically).")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random step.")] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace OUT.")] = False,
    allow_leakage: Annotated[
        bool, typer.Option("--allow-leakage", help="Write the dataset even if leakage is found.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Build the dataset a project file defines: split Parquet, manifest, lineage, report."""
    from winnow.datasets import build
    from winnow.datasets.manifest import split_names

    if as_json:
        result = build(project, out=out, seed=seed, overwrite=overwrite,
                       allow_leakage=allow_leakage)
        _print_json(result.summary())
        return
    with _console.status("building") as status:
        result = build(
            project, out=out, seed=seed, overwrite=overwrite, allow_leakage=allow_leakage,
            progress=lambda step: status.update(f"building: {step}"),
        )
    summary = result.summary()
    _console.print(f"dataset {summary['name']}\nid {result.id}", soft_wrap=True)
    timed = result.manifest["columns"]["time"] is not None
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), show_edge=False)
    columns = ["split", "rows", "labels", *(("from (UTC)", "to (UTC)") if timed else ())]
    for col in columns:
        table.add_column(col, justify="right" if col == "rows" else "left")
    for name in split_names(result.manifest):
        info = summary["splits"][name]
        labels = ", ".join(f"{k}: {v}" for k, v in info["labels"].items())
        times = [_short_time(t) for t in info["time_range"]] if timed else []
        table.add_row(name, str(info["rows"]), labels, *times)
    _console.print(table)
    gold = result.manifest["labels"].get("gold_accuracy")
    if gold is not None:
        model = result.manifest["labels"]["model"]["name"]
        _console.print(f"labels ({model} over labeling functions) vs gold: accuracy {gold:.3f}")
    for reason, count in summary["excluded"].items():
        _console.print(f"excluded ({reason}): {count}")
    _console.print(f"quarantined input records: {summary['quarantined']}")
    verdict = "passed" if summary["leakage_passed"] else "[red]FAILED[/red]"
    _console.print(f"leakage check: {verdict}")
    for check in result.manifest["leakage"]["checks"]:
        if not check["passed"]:
            level = "warning" if check["severity"] == "warning" else "failed"
            _plain(f"  {level}: {check['name']}: {check['detail']}")
    _console.print(f"report: {summary['report']}")


def _short_time(value: str | None) -> str:
    """``2013-01-01T08:15:00+00:00`` -> ``2013-01-01 08:15`` (seconds shown when not zero)."""
    if value is None:
        return "-"
    text = value.replace("T", " ").removesuffix("+00:00")
    return text.removesuffix(":00") if len(text) == 19 else text


def lineage_command(
    directory: Annotated[Path, typer.Argument(help="A built dataset directory.")],
    row_id: Annotated[str, typer.Argument(help="The row_id to trace.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Trace a row back to its source row, its feature inputs' time ranges, and its votes."""
    from winnow.datasets import lineage

    info = lineage(directory, row_id)
    if as_json:
        _print_json(info)
        return
    src = info["source"]
    line = f", line {src['line']} of the file" if "line" in src else ""
    say = _plain
    say(f"row {info['row_id']}: split {info['split']} of dataset {info['dataset'][:16]}")
    say(f"source: input {src['input']}, row {src['position']} (0-based){line}")
    say(f"  file {src['path']} (sha256 {src['sha256'][:16]})")
    keys = ", ".join(f"{k}={v}" for k, v in info["keys"].items())
    say(f"prediction time: {_short_time(info['time'])} UTC; keys: {keys or '-'}")
    for group in info["features"]:
        key = ", ".join(f"{k}={v}" for k, v in group["key"].items())
        start = group["events_from"]
        start = start if start == "-inf" else _short_time(start)
        say(
            f"feature group {group['group']} ({key}): events of {group['source']} in "
            f"[{start}, {_short_time(group['events_before'])})"
        )
        values = ", ".join(f"{k}={_value(v)}" for k, v in group["values"].items())
        say(f"  {values}")
    label = info["label"]
    known = _short_time(label["known_at"]) + " UTC" if label["known_at"] else "-"
    say(f"label: {label['value']}, known at {known}")
    for vote in label["votes"]:
        when = f" at {_short_time(vote['time'])} UTC" if vote["time"] else ""
        say(f"  vote of {vote['source']}: {vote['label']}{when}")


def _plain(text: str) -> None:
    """Print without rich markup or wrapping (paths and intervals hold brackets)."""
    _console.print(text, markup=False, highlight=False, soft_wrap=True)


def _value(value: Any) -> str:
    if value is None:
        return "null"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def verify_command(
    directory: Annotated[Path, typer.Argument(help="A built dataset directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Recompute the dataset's hashes; exit 1 unless it is intact."""
    from winnow.datasets import verify

    result = verify(directory)
    if as_json:
        _print_json(result.to_dict())
    else:
        state = "[green]intact[/green]" if result.intact else "[red]DAMAGED[/red]"
        _console.print(f"dataset {result.id[:16]} at {result.path}: {state}")
        for problem in result.problems:
            _console.print(f"  - {problem}")
        for name, status in result.inputs.items():
            _console.print(f"  input {name}: {status}")
    if not result.intact:
        # SystemExit, not typer.Exit: the app runs Click with standalone_mode=False, where an
        # Exit's code would be returned instead of becoming the process status.
        raise SystemExit(1)


def baseline_command(
    directory: Annotated[Path, typer.Argument(help="A built dataset directory.")],
    seed: Annotated[int, typer.Option("--seed", help="Solver seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Train majority-class and logistic-regression baselines; score valid and test."""
    from winnow.datasets import baseline

    with _console.status("training baselines"):
        result = baseline(directory, seed=seed)
    if as_json:
        _print_json(result.to_dict())
        return
    _console.print(
        f"trained on {result.train_split}: {result.train_rows} rows, "
        f"{len(result.features)} numeric features, classes {result.classes}\n"
        f"  majority: always the most frequent training class\n"
        f"  logistic: scikit-learn logistic regression (median-imputed, standardised)\n"
        f"  each predicts its most probable class (probability > 0.5 for two classes)"
    )
    binary = len(result.classes) == 2
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), show_edge=False)
    columns = ["split", "model", "accuracy", "ROC AUC", "precision", "recall"]
    columns += ["TN", "FP", "FN", "TP"] if binary else ["confusion"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("split", "model") else "right")
    for split, models in result.scores.items():
        for model, s in models.items():
            auc = "-" if s["roc_auc"] is None else f"{s['roc_auc']:.3f}"
            cells = [split, _MODEL_NAMES.get(model, model), f"{s['accuracy']:.3f}", auc,
                     f"{s['precision']:.3f}", f"{s['recall']:.3f}"]
            if binary:
                (tn, fp), (fn, tp) = s["confusion"]
                cells += [str(tn), str(fp), str(fn), str(tp)]
            else:
                cells.append(str(s["confusion"]))
            table.add_row(*cells)
    _console.print(table)
    if binary:
        negative, positive = result.classes
        _console.print(
            f"positive class {positive}. TN/TP: rows predicted right; FP: class {negative} "
            f"predicted {positive} (a false alarm); FN: class {positive} predicted {negative} "
            f"(a miss)"
        )
    else:
        _console.print(
            f"precision and recall are macro averages; confusion rows are true classes, "
            f"columns predicted classes, in the order {result.classes}"
        )


def register(app: typer.Typer) -> None:
    """Add the dataset commands to the ``winnow`` application."""
    app.command("build")(build_command)
    app.command("lineage")(lineage_command)
    app.command("verify")(verify_command)
    app.command("baseline")(baseline_command)
