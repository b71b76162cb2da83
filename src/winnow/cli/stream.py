"""``winnow stream``: consume a stream into the online engine, with checkpoints and a store."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

__all__ = ["register"]

_console = Console()
_progress_console = Console(stderr=True)


def stream_command(
    features: Annotated[
        Path, typer.Option("--features", help="Python file defining module-level FeatureGroups.")
    ],
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="redis://host:port/db?stream=S&group=G, kafka://host:port?topic=T&group=G, "
            "or a file to replay in time order.",
        ),
    ],
    state: Annotated[
        Path | None,
        typer.Option("--state", help="Checkpoint file: engine state + stream position."),
    ] = None,
    checkpoint_every: Annotated[
        int, typer.Option("--checkpoint-every", help="Checkpoint after this many events.")
    ] = 10_000,
    checkpoint_seconds: Annotated[
        float, typer.Option("--checkpoint-seconds", help="Checkpoint at least this often.")
    ] = 5.0,
    store: Annotated[
        str, typer.Option("--store", help="Online store: memory or redis://host:port/db.")
    ] = "memory",
    time: Annotated[
        str | None,
        typer.Option("--time", help="Event-time column of a replayed file (default: the "
                     "first group's)."),
    ] = None,
    allowed_lateness: Annotated[
        str, typer.Option("--allowed-lateness", help="How late an event may be, e.g. 5m.")
    ] = "0s",
    dead_letter: Annotated[
        Path | None, typer.Option("--dead-letter", help="JSON Lines file for late events.")
    ] = None,
    idle_timeout: Annotated[
        float | None,
        typer.Option("--idle-timeout", help="Stop after this many seconds without events."),
    ] = None,
    drift_reference: Annotated[
        Path | None,
        typer.Option("--drift-reference", help="Watch the events for drift against this "
                     "reference: a profile .json, a file of reference events, or a dataset."),
    ] = None,
    drift_window: Annotated[
        int, typer.Option("--drift-window", help="Events per drift window (slides by 1/10).")
    ] = 10_000,
    alerts: Annotated[
        str, typer.Option("--alerts", help="Drift alerts to: log, FILE.jsonl, or "
                          "redis://host:port/db?stream=NAME.")
    ] = "log",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Consume a stream: update the online engine, checkpoint, keep the online store current.

    Restarting with the same --state resumes after the last checkpoint; every event counts
    exactly once. SIGINT/SIGTERM stop after a final checkpoint.
    """
    from winnow.features import load_feature_groups
    from winnow.online import OnlineEngine
    from winnow.serving.store import open_store
    from winnow.streams import consume, open_stream

    groups = load_feature_groups(features)
    if state is not None and state.exists():
        engine = OnlineEngine.load(state, groups, dead_letter=dead_letter)
        resumed = True
    else:
        engine = OnlineEngine(groups, allowed_lateness=allowed_lateness, dead_letter=dead_letter)
        resumed = False
    stream = open_stream(source, time=time or groups[0].time, sequence=groups[0].source.sequence)
    online_store = open_store(store)
    monitor = None
    if drift_reference is not None:
        from winnow.drift import DriftMonitor, open_alert_sink

        monitor = DriftMonitor(drift_reference, window=drift_window,
                               time=time or groups[0].time, sink=open_alert_sink(alerts))
    stop = {"now": False}

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
            console=_progress_console, transient=True,
            disable=as_json or not _progress_console.is_terminal,
        ) as progress:
            task = progress.add_task(f"consuming {stream.description}", total=None)
            report = consume(
                engine, stream, state=state, store=online_store,
                checkpoint_every=checkpoint_every, checkpoint_seconds=checkpoint_seconds,
                idle_timeout=idle_timeout, should_stop=lambda: stop["now"],
                on_progress=lambda r: progress.update(
                    task, description=f"{r.events:,} events, {r.checkpoints} checkpoints"
                ),
                on_events=None if monitor is None else monitor.update,
            )
    finally:
        stream.close()
        online_store.close()
        if monitor is not None:
            monitor.sink.close()
    summary = {"source": stream.description, "resumed": resumed, **report.to_json(),
               "state": str(state) if state else None}
    if monitor is not None:
        summary["drift"] = monitor.to_json()
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    late = sum(report.late.values())
    _console.print(
        f"consumed {report.events:,} events from {stream.description} in {report.seconds:.2f} s "
        f"({report.checkpoints} checkpoints, {report.keys_written:,} key rows to the store, "
        f"{late} late); position {report.position!r}"
        + (f"; state {state}" if state else "")
    )
    if monitor is not None:
        _console.print(
            f"drift monitor: {monitor.evaluations} windows of {monitor.window:,} events checked, "
            f"{monitor.alerts_emitted} alerts"
        )


def register(app: typer.Typer) -> None:
    """Add ``winnow stream`` to the ``winnow`` application."""
    app.command("stream")(stream_command)
