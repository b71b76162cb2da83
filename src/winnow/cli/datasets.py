"""``winnow build``, ``winnow lineage``, ``winnow verify`` and ``winnow baseline``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]

_console = Console()


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
    table = Table(title=f"dataset {summary['name']}  id {result.id[:16]}")
    for col in ("split", "rows", "labels", "from", "to"):
        table.add_column(col)
    for name, info in summary["splits"].items():
        labels = ", ".join(f"{k}: {v}" for k, v in info["labels"].items())
        table.add_row(name, str(info["rows"]), labels, str(info["time_range"][0]),
                      str(info["time_range"][1]))
    _console.print(table)
    for reason, count in summary["excluded"].items():
        _console.print(f"excluded ({reason}): {count}")
    _console.print(f"quarantined input records: {summary['quarantined']}")
    verdict = "passed" if summary["leakage_passed"] else "[red]FAILED[/red]"
    _console.print(f"leakage check: {verdict}")
    _console.print(f"report: {summary['report']}")


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
    line = f" (line {src['line']})" if "line" in src else ""
    _console.print(
        f"row {info['row_id']} in split {info['split']} of dataset {info['dataset'][:16]}"
    )
    _console.print(f"source: input {src['input']} = {src['path']}, row {src['position']}{line}")
    _console.print(f"prediction time: {info['time']}; keys: {info['keys']}")
    for group in info["features"]:
        _console.print(
            f"feature group {group['group']} key {group['key']}: events in "
            f"[{group['events_from']}, {group['events_before']}) of {group['source']}"
        )
    label = info["label"]
    _console.print(f"label {label['value']} known at {label['known_at']}")
    for vote in label["votes"]:
        _console.print(f"  vote {vote['source']}: {vote['label']} at {vote['time']}")


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
        f"trained on {result.train_split} ({result.train_rows} rows, "
        f"{len(result.features)} numeric features), classes {result.classes}"
    )
    table = Table(title="baselines (threshold: most probable class)")
    for col in ("split", "model", "accuracy", "ROC AUC", "precision", "recall", "confusion"):
        table.add_column(col)
    for split, models in result.scores.items():
        for model, s in models.items():
            auc = "-" if s["roc_auc"] is None else f"{s['roc_auc']:.3f}"
            table.add_row(split, model, f"{s['accuracy']:.3f}", auc, f"{s['precision']:.3f}",
                          f"{s['recall']:.3f}", str(s["confusion"]))
    _console.print(table)
    _console.print("confusion rows are true classes, columns predicted classes "
                   f"(order {result.classes}); off-diagonal cells are the errors' counts")


def register(app: typer.Typer) -> None:
    """Add the dataset commands to the ``winnow`` application."""
    app.command("build")(build_command)
    app.command("lineage")(lineage_command)
    app.command("verify")(verify_command)
    app.command("baseline")(baseline_command)
