"""``winnow validate SRC --expect FILE``: check a file against an expectation suite."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register", "report_table"]

_out = Console(highlight=False, soft_wrap=True)

_STYLE = {"passed": "green", "failed": "bold red", "quarantined": "yellow", "warned": "yellow"}
_WORD = {"passed": "pass", "failed": "FAIL", "quarantined": "quarantined", "warned": "warn"}


def report_table(report: Any) -> Table:
    """A Rich table of a :class:`~winnow.validation.ValidationReport`, one row per expectation."""
    from winnow.validation.result import format_observed

    table = Table(title=f"validation of {report.source} ({report.rows:,} rows)")
    for name, justify in (
        ("expectation", "left"),
        ("column", "left"),
        ("observed", "left"),
        ("expected", "left"),
        ("result", "left"),
        ("failing rows", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for result in report.results:
        style = _STYLE[result.action]
        table.add_row(
            result.name,
            ", ".join(result.columns) or "-",
            format_observed(result.observed),
            result.expected,
            f"[{style}]{_WORD[result.action]}[/{style}]",
            "-" if result.failing_rows is None else f"{result.failing_rows:,}",
        )
    return table


def validate_command(
    src: Annotated[Path, typer.Argument(help="Data file; its format comes from the extension.")],
    expect: Annotated[
        Path, typer.Option("--expect", help="Expectation suite YAML file.", show_default=False)
    ],
    on_fail: Annotated[
        str | None,
        typer.Option("--on-fail", help="Override the suite's default: quarantine, fail, warn."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Reference time of freshness checks (ISO 8601; default now)."),
    ] = None,
    quarantine_out: Annotated[
        Path | None,
        typer.Option("--quarantine-out", help="Write quarantined rows to this file."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the rows kept (not quarantined) here.")
    ] = None,
    sample: Annotated[
        int, typer.Option("--sample", help="Failing rows shown per failing expectation.")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check SRC against the expectations in FILE; exit 1 if one with on_fail=fail failed."""
    from winnow.errors import DefinitionError, ValidationError
    from winnow.io.formats import detect_format, write_table
    from winnow.validation import ON_FAIL, load_expectations, validate

    if on_fail is not None and on_fail not in ON_FAIL:
        raise DefinitionError(f"--on-fail {on_fail!r} is not one of {', '.join(ON_FAIL)}")
    for path in (quarantine_out, out):
        if path is not None:
            detect_format(path)  # an unknown output format fails before any work
    suite = load_expectations(expect)
    failed = False
    try:
        report = validate(
            src,
            suite,
            on_fail=on_fail,
            now=now,
            sample_size=sample,
        )
    except ValidationError as exc:
        report = exc.report
        failed = True
    written: dict[str, str | None] = {"quarantine": None, "kept": None}
    if not failed:
        if quarantine_out is not None and report.quarantined:
            write_table(report.quarantine, quarantine_out)
            written["quarantine"] = os.fspath(quarantine_out)
        if out is not None:
            write_table(report.table, out)
            written["kept"] = os.fspath(out)
    if as_json:
        data = {**report.to_dict(), "suite_file": os.fspath(expect), "written": written}
        print(json.dumps(data, indent=2, default=str))
    else:
        _out.print(report_table(report))
        for result in report.failures:
            if result.sample is None:
                continue
            _out.print(f"failing rows of {result.name} (first {len(result.sample_positions)}):")
            for position, row in zip(
                result.sample_positions, result.sample.to_pylist(), strict=True
            ):
                text = json.dumps(row, default=str, ensure_ascii=False)
                _out.print(f"  row {position}: {text}", markup=False)
        verdict = (
            f"[bold red]FAILED[/bold red]: {len(report.failures_of('failed'))} expectation(s) "
            f"with on_fail=fail"
            if failed
            else "[green]passed[/green]"
            if report.passed
            else "[yellow]passed with warnings/quarantine[/yellow]"
        )
        _out.print(
            f"{report.source}: {verdict}; {report.rows:,} rows, "
            f"{report.quarantined:,} quarantined"
        )
        if written["quarantine"]:
            _out.print(f"quarantine: {written['quarantine']}")
        elif report.quarantined and not failed:
            _out.print("(quarantined rows not written; pass --quarantine-out PATH to keep them)")
        if written["kept"]:
            _out.print(f"kept rows: {written['kept']}")
    if failed:
        # SystemExit, not typer.Exit: with Click's standalone_mode=False an Exit's code would be
        # returned instead of becoming the process status
        raise SystemExit(1)


def register(app: typer.Typer) -> None:
    """Add ``winnow validate`` to the ``winnow`` application."""
    app.command("validate")(validate_command)
