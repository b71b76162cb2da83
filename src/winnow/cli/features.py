"""``winnow backfill``: compute the features of a definitions file for every row of a spine."""

from __future__ import annotations

import json
import time as clock
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from winnow.errors import DefinitionError

__all__ = ["register"]

_console = Console()
_progress_console = Console(stderr=True)


def _keys(pairs: list[str]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for pair in pairs:
        group, sep, columns = pair.partition("=")
        if not sep or not group or not columns:
            raise DefinitionError(
                f"--key {pair!r} is not GROUP=COLUMN[,COLUMN]; e.g. --key merchant=shop_id"
            )
        keys[group] = columns.split(",")
    return keys


def backfill_command(
    features: Annotated[
        Path, typer.Option("--features", help="Python file defining module-level FeatureGroups.")
    ],
    spine: Annotated[Path, typer.Option("--spine", help="Spine file: keys, time, labels...")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (format from its extension).")
    ] = None,
    time: Annotated[str, typer.Option("--time", help="The spine's time column.")] = "ts",
    key: Annotated[
        list[str] | None,
        typer.Option("--key", help="GROUP=COLUMN[,COLUMN]: spine columns of a group's key."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Batch engine: duckdb or spark (a local session).")
    ] = "duckdb",
    memory_limit: Annotated[
        str | None,
        typer.Option("--memory-limit", help="DuckDB memory limit, e.g. 2GB; spills beyond it."),
    ] = None,
    spill_dir: Annotated[
        Path | None, typer.Option("--spill-dir", help="Where DuckDB spills to disk.")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print the SQL instead of running it.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Backfill features point-in-time correctly: spine columns plus one column per feature."""
    import winnow as wn
    from winnow.features import load_feature_groups

    groups = load_feature_groups(features)
    keys = _keys(key or [])
    if explain:
        sql = wn.explain(spine, groups, time=time, keys=keys, engine=engine)
        print(json.dumps({"sql": sql}, indent=2) if as_json else sql)
        return
    if out is None:
        raise DefinitionError("--out is required unless --explain is given; e.g. --out out.parquet")
    started = clock.perf_counter()
    table = wn.read_table(spine)
    n_features = sum(len(g.features) for g in groups)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=_progress_console, transient=True,
        disable=as_json or not _progress_console.is_terminal,
    ) as progress:
        task = progress.add_task(f"backfill {table.num_rows} rows", total=len(groups))
        result = wn.backfill(
            table, groups, time=time, keys=keys, engine=engine, memory_limit=memory_limit,
            spill_dir=spill_dir,
            progress=lambda g: progress.update(
                task, advance=1, description=f"group {g.name} done"
            ),
        )
    wn.write_table(result, out)
    summary = {
        "rows": result.num_rows,
        "groups": [g.name for g in groups],
        "features": n_features,
        "columns": result.column_names,
        "seconds": round(clock.perf_counter() - started, 3),
        "out": str(out),
        "bytes": out.stat().st_size,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    plural = "group" if len(groups) == 1 else "groups"
    lines = [
        f"backfilled {summary['rows']} rows x {n_features} features "
        f"({len(groups)} {plural}: {', '.join(summary['groups'])}) in {summary['seconds']} s"
    ]
    for group in groups:
        spine_key = keys.get(group.name, list(group.key))
        lines.append(
            f"  {group.name}: {len(group.features)} feature"
            f"{'' if len(group.features) == 1 else 's'}, key {', '.join(group.key)}"
            + (f" (spine: {', '.join(spine_key)})" if list(spine_key) != list(group.key) else "")
        )
    lines.append(f"wrote {out} ({summary['bytes']:,} bytes, {len(result.column_names)} columns)")
    _console.print("\n".join(lines), soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``winnow backfill`` to the ``winnow`` application."""
    app.command("backfill")(backfill_command)
