"""``winnow check-consistency``: replay events online, compare with the batch backfill."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

__all__ = ["register"]

_console = Console()


def check_consistency_command(
    features: Annotated[
        Path, typer.Option("--features", help="Python file defining the FeatureGroups.")
    ],
    spine: Annotated[
        Path, typer.Option("--spine", help="Spine file: key column(s) and a time column.")
    ],
    events: Annotated[
        Path | None,
        typer.Option("--events", help="Event log to replay (default: each group's source)."),
    ] = None,
    time: Annotated[str, typer.Option("--time", help="The spine's time column.")] = "ts",
    group: Annotated[
        list[str] | None, typer.Option("--group", help="Check only these groups (repeatable).")
    ] = None,
    examples: Annotated[int, typer.Option("--examples", help="Mismatching rows to show.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Replay EVENTS through the online engine and compare with wn.backfill on SPINE.

    Prints rows compared, mismatches and max relative error per feature; exits 1 on any
    mismatch.
    """
    from winnow.consistency import check_consistency
    from winnow.errors import DefinitionError
    from winnow.features import load_feature_groups

    groups = load_feature_groups(features)
    if group:
        unknown = sorted(set(group) - {g.name for g in groups})
        if unknown:
            raise DefinitionError(
                f"--group {unknown} not defined in {features}; groups: {[g.name for g in groups]}"
            )
        groups = [g for g in groups if g.name in group]
    if as_json:
        report = check_consistency(events, spine, groups, time=time, examples=examples)
        print(json.dumps(report.to_json(), indent=2, sort_keys=True, default=str))
    else:
        with Progress(
            TextColumn("replaying {task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} spine rows"), console=_console,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done)

            report = check_consistency(
                events, spine, groups, time=time, examples=examples, progress=progress
            )
        table = Table(title=f"online vs batch on {report.spine_rows} spine rows")
        for col in ("feature", "rows", "mismatches", "rate", "max rel. error"):
            table.add_column(col, justify="left" if col == "feature" else "right")
        for f in report.features:
            err = f.max_relative_error
            style = "red" if f.mismatches else ""
            table.add_row(
                f.column, str(f.rows), str(f.mismatches), f"{f.mismatch_rate:.2%}",
                "inf" if math.isinf(err) else f"{err:.3g}", style=style,
            )
        _console.print(table)
        for name, count in report.skipped.items():
            if count:
                _console.print(f"{name}: {count} events with a null key or time skipped")
        for f in report.features:
            for e in f.examples:
                _console.print(
                    f"[red]{f.column}[/red] row {e['row']} key {e['key']!r} at {e['time']}: "
                    f"online {e['online']!r} vs batch {e['batch']!r}"
                )
        verdict = "[green]consistent[/green]" if report.ok else "[red]INCONSISTENT[/red]"
        _console.print(f"{verdict}: {report.mismatches} mismatching values")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``check-consistency`` to ``app``."""
    app.command("check-consistency")(check_consistency_command)
