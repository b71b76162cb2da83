"""``winnow etl PIPELINE.yaml``: run a declared ETL pipeline and print its run report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["register"]

_console = Console()
_progress_console = Console(stderr=True)


def _report_table(report_dict: dict[str, object]) -> Table:
    table = Table(title="pipeline run")
    for name, justify in (
        ("#", "right"),
        ("stage", "left"),
        ("detail", "left"),
        ("rows in", "right"),
        ("rows out", "right"),
        ("seconds", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    extract = report_dict["extract"]
    assert isinstance(extract, dict)
    detail = str(extract["source"])
    if extract["rows_quarantined"]:
        detail += f" ({extract['rows_quarantined']:,} quarantined)"
    table.add_row(
        "0",
        "extract",
        detail,
        f"{extract['rows_read']:,}",
        f"{extract['rows_out']:,}",
        f"{extract['seconds']:.3f}",
    )
    steps = report_dict["steps"]
    assert isinstance(steps, list)
    for step in steps:
        note = f" ({step['rows_quarantined']:,} quarantined)" if step["rows_quarantined"] else ""
        table.add_row(
            str(step["index"]),
            step["kind"],
            step["description"] + note,
            f"{step['rows_in']:,}",
            f"{step['rows_out']:,}",
            f"{step['seconds']:.3f}",
        )
    load = report_dict["load"]
    if isinstance(load, dict):
        table.add_row(
            "",
            "load",
            f"{load['destination']} ({len(load['files'])} files, {load['bytes']:,} bytes)",
            f"{load['rows']:,}",
            f"{load['rows']:,}",
            f"{load['seconds']:.3f}",
        )
    return table


def etl_command(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML file (see examples/etl/).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run an ETL pipeline: extract, transform steps in DuckDB, atomic load; print rows per step."""
    from winnow.etl import load_pipeline

    loaded = load_pipeline(pipeline)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=_progress_console,
        transient=True,
        disable=as_json or not _progress_console.is_terminal,
    ) as progress:
        task = progress.add_task(f"pipeline {loaded.name}", total=None)

        def advance(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=label)

        report = loaded.run(progress=advance)
    data = {"pipeline": loaded.name, "file": str(pipeline), **report.to_dict()}
    if as_json:
        print(json.dumps(data, indent=2))
        return
    _console.print(_report_table(data))
    where = f" into {report.load.destination}" if report.load is not None else " (no load)"
    _console.print(
        f"pipeline {loaded.name}: {report.extract.rows_read:,} rows read, "
        f"{report.rows_out:,} rows out{where} in {report.seconds:.3f} s"
    )


def register(app: typer.Typer) -> None:
    """Add ``winnow etl`` to the ``winnow`` application."""
    app.command("etl")(etl_command)
