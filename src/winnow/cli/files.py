"""``winnow convert`` and ``winnow inspect``: file conversion with quarantine; file summaries."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["QUARANTINE_SUFFIX", "register"]

QUARANTINE_SUFFIX = ".quarantine.parquet"

_out = Console(highlight=False, markup=False, soft_wrap=True)
_err = Console(stderr=True)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


@contextlib.contextmanager
def _steps(enabled: bool) -> Iterator[Any]:
    """A transient spinner on stderr naming the current step (no output with --json)."""
    if not enabled:
        yield lambda _text: None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=_err, transient=True) as progress:
        task = progress.add_task("starting", total=None)
        yield lambda text: progress.update(task, description=text)


def convert_command(
    src: Annotated[Path, typer.Argument(help="Input file; its format comes from the extension.")],
    dst: Annotated[Path, typer.Argument(help="Output file; its format comes from the extension.")],
    schema: Annotated[
        Path | None, typer.Option("--schema", help="JSON/YAML schema file to check records with.")
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma-separated columns to keep.")
    ] = None,
    trusted: Annotated[
        bool, typer.Option("--trusted", help="Allow reading Pickle (unpickling runs code).")
    ] = False,
    compression: Annotated[
        str, typer.Option("--compression", help="Parquet/Arrow/Avro codec, or 'none'.")
    ] = "zstd",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Convert SRC to DST; records that do not fit go to DST.quarantine.parquet."""
    from winnow.io.formats import detect_format, write_table
    from winnow.io.ingest import read

    detect_format(dst)  # an unknown output format fails before any work is done
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    quarantine_path = Path(os.fspath(dst) + QUARANTINE_SUFFIX)
    started = time.perf_counter()
    with _steps(not as_json) as step:
        step(f"reading {src}")
        result = read(src, schema=schema, columns=cols, trusted=trusted)
        step(f"writing {dst} ({result.accepted:,} rows)")
        write_table(result.table, dst, compression=None if compression == "none" else compression)
        if result.quarantined:
            step(f"writing {quarantine_path} ({result.quarantined:,} rows)")
            write_table(result.quarantine, quarantine_path)
        elif quarantine_path.exists():
            quarantine_path.unlink()  # a quarantine file from an earlier run would mislead
    seconds = time.perf_counter() - started
    summary = result.summary() | {
        "destination": os.fspath(dst),
        "quarantine_file": os.fspath(quarantine_path) if result.quarantined else None,
        "input_bytes": src.stat().st_size,
        "output_bytes": dst.stat().st_size,
        "seconds": round(seconds, 3),
    }
    if as_json:
        _print_json(summary)
        return
    _out.print(
        f"{src} -> {dst}: read {result.read:,}, accepted {result.accepted:,}, "
        f"quarantined {result.quarantined:,} rows"
    )
    _out.print(
        f"size {_size(summary['input_bytes'])} -> {_size(summary['output_bytes'])} "
        f"in {seconds:.2f} s"
    )
    if result.quarantined:
        _out.print(f"quarantine: {quarantine_path}")
        for reason, count in sorted(
            summary["quarantine_reasons"].items(), key=lambda kv: -kv[1]
        )[:10]:
            _out.print(f"  {count:>8,}  {reason}")


def inspect_command(
    path: Annotated[Path, typer.Argument(help="File to describe.")],
    trusted: Annotated[
        bool, typer.Option("--trusted", help="Allow reading Pickle (unpickling runs code).")
    ] = False,
    infer: Annotated[
        bool,
        typer.Option("--infer", help="Infer types from every record and report widened columns."),
    ] = False,
    schema_out: Annotated[
        Path | None, typer.Option("--schema-out", help="Write the (inferred) schema to this file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show a file's format, size, row count, schema and per-column null counts."""
    from winnow.io.formats import detect_format
    from winnow.io.inference import infer_schema
    from winnow.io.ingest import read

    fmt = detect_format(path)
    with _steps(not as_json) as step:
        inferred = None
        if infer or schema_out is not None:
            step(f"inferring the schema of {path}")
            inferred = infer_schema(path, trusted=trusted)
        step(f"reading {path}")
        result = read(path, schema=inferred.schema if inferred else None, trusted=trusted)
    table = result.table
    columns = [
        {"name": f.name, "type": str(f.type), "nulls": table.column(i).null_count}
        for i, f in enumerate(table.schema)
    ]
    info: dict[str, Any] = {
        "path": os.fspath(path),
        "format": fmt,
        "bytes": path.stat().st_size,
        "rows": result.accepted,
        "quarantined": result.quarantined,
        "columns": columns,
    }
    if inferred is not None:
        info["inference"] = {
            "rows_read": inferred.rows_read,
            "complete": inferred.complete,
            "widened": [w.__dict__ for w in inferred.widened],
        }
    if schema_out is not None and inferred is not None:
        inferred.schema.to_file(schema_out)
        info["schema_file"] = os.fspath(schema_out)
    if as_json:
        _print_json(info)
        return
    _out.print(f"{path}  format {fmt}, {_size(info['bytes'])}, {result.accepted:,} rows")
    if result.quarantined:
        _out.print(
            f"{result.quarantined:,} records do not parse (see `winnow convert` to quarantine them)"
        )
    grid = Table("column", "type", "nulls")
    for col in columns:
        grid.add_row(col["name"], col["type"], f"{col['nulls']:,}")
    _out.print(grid)
    if inferred is not None:
        for w in inferred.widened:
            _out.print(f"widened: {w}")
    if schema_out is not None:
        _out.print(f"schema written to {schema_out}")


def register(app: typer.Typer) -> None:
    """Add ``convert`` and ``inspect`` to the ``winnow`` application."""
    app.command("convert")(convert_command)
    app.command("inspect")(inspect_command)
