"""``winnow serve``: the HTTP feature server over an engine snapshot or a Redis store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["register"]

_console = Console(stderr=True)


def serve_command(
    features: Annotated[
        Path, typer.Option("--features", help="Python file defining module-level FeatureGroups.")
    ],
    state: Annotated[
        Path | None,
        typer.Option("--state", help="Engine snapshot written by `winnow stream --state`."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Online store written by `winnow stream --store`: "
                     "redis://host:port/db[?prefix=P]."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="WINNOW_SERVE_TOKEN",
                     help="Require 'Authorization: Bearer TOKEN' (needed off loopback)."),
    ] = None,
) -> None:
    """Serve online features over HTTP: GET /features/{group}/{key}, POST /features.

    Binds 127.0.0.1 by default; any other address needs --token (or WINNOW_SERVE_TOKEN).
    """
    import uvicorn

    from winnow.errors import ServingError
    from winnow.features import load_feature_groups
    from winnow.serving import SnapshotReader, check_bind, create_app, open_store

    check_bind(host, token)
    if (state is None) == (store is None):
        raise ServingError(
            "give exactly one of --state PATH (an engine snapshot written by winnow stream "
            "--state) or --store redis://... (the store winnow stream --store writes)"
        )
    groups = load_feature_groups(features)
    reader = SnapshotReader(state, groups) if state is not None else open_store(store)
    app = create_app(reader, groups, token=token)
    _console.print(
        f"serving {', '.join(g.name for g in groups)} on http://{host}:{port} "
        f"({'token required' if token else 'no token'}); OpenAPI at /openapi.json"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    """Add ``winnow serve`` to the ``winnow`` application."""
    app.command("serve")(serve_command)
