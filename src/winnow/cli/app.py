"""The ``winnow`` command line: a thin layer that parses, calls the library, and prints.

Each command family lives in its own module under :mod:`winnow.cli` and exposes
``register(app)``; this module assembles them into one Typer application.
"""

from __future__ import annotations

import importlib
import sys

import typer

from winnow.errors import WinnowError

__all__ = ["app", "main"]

app = typer.Typer(
    name="winnow",
    help="Turn raw production data into trustworthy, reproducible training data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per command family; each defines register(app: typer.Typer) -> None.
COMMAND_MODULES: tuple[str, ...] = (
    "winnow.cli.files",
    "winnow.cli.datasets",
    "winnow.cli.features",
    "winnow.cli.etl",
    "winnow.cli.sampling",
    "winnow.cli.stream",
    "winnow.cli.serve",
    "winnow.cli.consistency",
    "winnow.cli.labeling",
    "winnow.cli.validation",
    "winnow.cli.drift",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


@app.command("version")
def version() -> None:
    """Print the installed winnow version."""
    from winnow import __version__

    print(__version__)


def main() -> None:
    """Entry point of the ``winnow`` script: run the app; a WinnowError exits 1 with one line."""
    try:
        # without standalone mode, click returns a command's typer.Exit code instead of exiting
        code = app(standalone_mode=False)
    except WinnowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", None)
        if code is None:
            code = getattr(exc, "code", 0)
        sys.exit(code or 0)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
    sys.exit(code if isinstance(code, int) else 0)
