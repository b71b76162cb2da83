"""``winnow label`` (labeling functions -> probabilistic labels) and ``winnow agreement``."""

from __future__ import annotations

import json
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]

# Tables of per-source statistics are wide: use 120 columns when not writing to a terminal.
_console = Console(width=None if sys.stdout.isatty() else 120)


class ModelName(StrEnum):
    """Label models the CLI can fit."""

    majority = "majority"
    dawid_skene = "dawid-skene"
    label_model = "label-model"


class LevelName(StrEnum):
    """Measurement levels for Krippendorff's alpha."""

    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def label_command(
    lfs: Annotated[Path, typer.Option("--lfs", help="Python file defining labeling functions.")],
    data: Annotated[Path, typer.Option("--data", help="Table to label (any winnow format).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the probabilistic labels.")],
    model: Annotated[ModelName, typer.Option("--model", help="Label model.")] = (
        ModelName.label_model
    ),
    item_id: Annotated[
        str | None, typer.Option("--item-id", help="Column of item ids (default: row number).")
    ] = None,
    gold: Annotated[
        str | None,
        typer.Option("--gold", help="Column of gold labels (null = unknown) for LF accuracy."),
    ] = None,
    cardinality: Annotated[
        int | None, typer.Option("--cardinality", help="Number of classes (default: inferred).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random tie-break.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Apply labeling functions, fit a label model, write probabilistic labels, print LF stats."""
    import numpy as np
    import pyarrow as pa

    from winnow.errors import ColumnNotFoundError, SchemaError
    from winnow.io import read_table, write_table
    from winnow.labeling import (
        DawidSkene,
        LabelModel,
        LabelModelWarning,
        MajorityVote,
        apply,
        lf_summary,
        load_lfs,
    )

    functions = load_lfs(lfs)
    table = read_table(data)
    with _console.status(f"applying {len(functions)} labeling functions to "
                         f"{table.num_rows} rows", spinner="dots") if not as_json else _null():
        store = apply(table, functions, item_id=item_id, cardinality=cardinality)
    L = store.to_matrix()
    Y = None
    if gold is not None:
        if gold not in table.column_names:
            raise ColumnNotFoundError(gold, table.column_names, where=f"--data {data}")
        col = table.column(gold)
        if not pa.types.is_integer(col.type):
            raise SchemaError(
                f"--gold column {gold!r} of {data} has type {col.type}; gold labels are "
                f"class ids 0..k-1 (null or -1 for unknown): encode them as integers"
            )
        Y = np.asarray(col.fill_null(-1).to_numpy(), dtype=np.int64)
    models = {
        ModelName.majority: MajorityVote,
        ModelName.dawid_skene: DawidSkene,
        ModelName.label_model: LabelModel,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LabelModelWarning)
        fitted = models[model](cardinality=cardinality).fit(L, source_names=store.sources)
    labels = fitted.label_table(L, items=store.items, seed=seed)
    write_table(labels, out)
    summary = lf_summary(L, Y, names=store.sources, cardinality=fitted.cardinality_)
    rows = summary.to_pylist()
    for row, acc in zip(rows, fitted.accuracies_.tolist(), strict=True):
        row["learned_acc"] = acc
        row["version"] = store.versions[row["source"]][:12]
    notes = [str(w.message) for w in caught if issubclass(w.category, LabelModelWarning)]
    failures = {
        name: {"count": f.count, "first_row": f.first_row, "first_error": f.first_error}
        for name, f in store.failures.items()
    }
    covered = int(np.count_nonzero((L != -1).any(axis=1)))
    if as_json:
        _print_json({
            "out": str(out), "model": model.value, "items": int(L.shape[0]),
            "covered": covered, "cardinality": fitted.cardinality_,
            "class_balance": fitted.class_balance_.tolist(), "sources": rows,
            "failures": failures, "warnings": notes,
        })
        return
    grid = Table(title=f"labeling functions on {data.name} ({L.shape[0]} items)")
    shown = {"source": "source", "polarity": "polarity", "coverage": "cover",
             "overlaps": "overlap", "conflicts": "conflict", "emp_acc": "emp acc",
             "learned_acc": "learned acc", "version": "version"}
    columns = [c for c in shown if rows and c in rows[0]]
    for col in columns:
        left = col in ("source", "polarity", "version")
        grid.add_column(shown[col], justify="left" if left else "right", no_wrap=True)
    for row in rows:
        grid.add_row(*(_fmt(row[c])[:8] if c == "version" else _fmt(row[c]) for c in columns))
    _console.print(grid)
    for name, info in failures.items():
        _console.print(f"[yellow]{name}[/yellow] failed on {info['count']} rows "
                       f"(first: row {info['first_row']}: {info['first_error']})")
    for note in notes:
        _console.print(f"[yellow]warning:[/yellow] {note}")
    balance = ", ".join(f"{p:.3f}" for p in fitted.class_balance_)
    _console.print(f"{model.value}: class balance [{balance}]; {covered} of {L.shape[0]} "
                   f"items covered; labels written to {out}")


def agreement_command(
    annotations: Annotated[
        Path, typer.Argument(help="Table of annotations: one row per (item, annotator, label).")
    ],
    item: Annotated[str, typer.Option("--item", help="Item id column.")] = "item_id",
    annotator: Annotated[str, typer.Option("--annotator", help="Annotator column.")] = (
        "annotator"
    ),
    label: Annotated[str, typer.Option("--label", help="Label column.")] = "label",
    level: Annotated[
        LevelName, typer.Option("--level", help="Measurement level for Krippendorff's alpha.")
    ] = LevelName.nominal,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print Fleiss' kappa, Krippendorff's alpha and pairwise Cohen's kappa of annotators."""
    from winnow.io import read_table
    from winnow.labeling import annotator_agreement

    report = annotator_agreement(read_table(annotations), item=item, annotator=annotator,
                                 label=label, level=level.value)
    if as_json:
        _print_json(report)
        return
    _console.print(f"{report['items']} items, {len(report['annotators'])} annotators, "
                   f"{report['ratings']} ratings")
    _console.print(f"Fleiss' kappa: {_fmt(report['fleiss_kappa'])}")
    _console.print(f"Krippendorff's alpha ({level.value}): "
                   f"{_fmt(report['krippendorff_alpha'])}")
    grid = Table(title="pairwise Cohen's kappa")
    grid.add_column("")
    for name in report["annotators"]:
        grid.add_column(name, justify="right")
    for name, row in zip(report["annotators"], report["cohen_kappa"], strict=True):
        grid.add_row(name, *(_fmt(v) for v in row))
    _console.print(grid)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def register(app: typer.Typer) -> None:
    """Add ``label`` and ``agreement`` to the ``winnow`` application."""
    app.command("label")(label_command)
    app.command("agreement")(agreement_command)
