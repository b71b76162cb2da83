"""``winnow drift`` and ``winnow profile``: compare data with a reference; profile a source.

``winnow drift`` exits 0 when no statistic crossed its threshold, 3 when drift was found, and 1
on an error (as every command), so a scheduler can tell "the data moved" from "the check broke".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["DRIFT_EXIT_CODE", "register"]

#: Exit status of ``winnow drift`` when drift was found.
DRIFT_EXIT_CODE = 3

_console = Console()


def _split_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [c.strip() for c in text.split(",") if c.strip()]


def _parse_thresholds(
    specs: list[str] | None,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    from winnow.errors import DefinitionError

    base: dict[str, float] = {}
    per_column: dict[str, dict[str, float]] = {}
    for spec in specs or []:
        name, sep, value = spec.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or number != number:
            raise DefinitionError(
                f"--threshold {spec!r} is not NAME=NUMBER or COLUMN:NAME=NUMBER, "
                f"e.g. --threshold psi=0.3 or --threshold dep_delay:psi=0.5"
            )
        column, colon, stat = name.rpartition(":")
        if colon:
            per_column.setdefault(column, {})[stat] = number
        else:
            base[stat] = number
    return base, per_column


def drift_command(
    reference: Annotated[
        Path,
        typer.Option("--reference", help="Built dataset directory (its split's profile), a "
                     "saved profile .json, or a data file."),
    ],
    current: Annotated[
        Path, typer.Option("--current", help="Data file (or profile .json) to check.")
    ],
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma-separated columns to compare.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="Label column (compared as categories).")
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="Split of a dataset reference.")
    ] = "train",
    threshold: Annotated[
        list[str] | None,
        typer.Option("--threshold", help="Override a threshold: psi=0.3 or COLUMN:psi=0.3 "
                     "(repeatable; names as in winnow.drift.Thresholds)."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a standalone HTML report here.")
    ] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Write one PNG per column to this directory.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Compare CURRENT with REFERENCE: PSI and KS per numeric column, chi-square and
    Jensen-Shannon per categorical one, new/missing categories, null rates, the label.

    Exit status: 0 no drift, 3 drift found, 1 error.
    """
    from winnow.drift import Thresholds, detect_drift, save_plots

    base, per_column = _parse_thresholds(threshold)
    thresholds = Thresholds().with_overrides(base)
    report = detect_drift(
        reference, current, columns=_split_list(columns), label=label, thresholds=thresholds,
        column_thresholds={c: thresholds.with_overrides(o) for c, o in per_column.items()},
        split=split,
    )
    if html is not None:
        report.save_html(html)
    if plots is not None:
        save_plots(report, plots)
    if as_json:
        out = report.to_json()
        if html is not None:
            out["html"] = str(html)
        print(json.dumps(out, indent=2, sort_keys=True))
    else:
        _console.print(report.to_rich())
        if report.drifted:
            _console.print(f"[red]DRIFT[/red] in {', '.join(report.drifted_columns)}")
        else:
            _console.print(f"[green]no drift[/green] in {len(report.columns)} columns")
        if html is not None:
            _console.print(f"report: {html}")
    if report.drifted:
        raise SystemExit(DRIFT_EXIT_CODE)


def profile_command(
    source: Annotated[Path, typer.Argument(help="Data file to profile.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the profile as JSON here.")
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma-separated columns to profile.")
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option("--categorical", help="Comma-separated columns to profile as categories."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Profile SOURCE: null rate, distinct count, moments, quantiles and top values per column."""
    from rich.table import Table

    from winnow.profiles import profile

    result = profile(source, columns=_split_list(columns),
                     categorical=_split_list(categorical) or ())
    if out is not None:
        result.save(out)
    summary = result.summary()
    if as_json:
        print(json.dumps({"rows": result.rows, "columns": summary.to_pylist(),
                          "saved": str(out) if out else None}, indent=2, default=str))
        return
    table = Table(title=f"{source}: {result.rows:,} rows")
    shown = ("column", "kind", "null_rate", "distinct", "mean", "std", "min", "median", "max",
             "top")
    for name in shown:
        table.add_column(name)
    for row in summary.to_pylist():
        table.add_row(*("-" if row[n] is None else f"{row[n]:.4g}" if isinstance(row[n], float)
                        else str(row[n]) for n in shown))
    _console.print(table)
    if out is not None:
        _console.print(f"profile saved to {out}")


def register(app: typer.Typer) -> None:
    """Add ``winnow drift`` and ``winnow profile`` to ``app``."""
    app.command("drift")(drift_command)
    app.command("profile")(profile_command)
