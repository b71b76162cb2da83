"""The ``winnow`` console entry point turns a command's exit code into the process exit code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer

from winnow.cli.app import app, main


@pytest.fixture
def exit_with() -> Iterator[typer.Typer]:
    @app.command("__exit-with", hidden=True)
    def exit_with(code: int) -> None:
        raise typer.Exit(code)

    yield app
    app.registered_commands.pop()


@pytest.mark.parametrize("code", [0, 1, 3])
def test_typer_exit_code_reaches_the_process(
    exit_with: typer.Typer, code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["winnow", "__exit-with", str(code)])
    with pytest.raises(SystemExit) as raised:
        main()
    assert raised.value.code == code


def test_version_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["winnow", "version"])
    with pytest.raises(SystemExit) as raised:
        main()
    assert raised.value.code == 0
    assert capsys.readouterr().out.strip()
