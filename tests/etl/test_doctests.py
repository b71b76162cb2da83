"""The examples in the ETL and PostgreSQL docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module", ["winnow.etl.pipeline", "winnow.etl.steps", "winnow.io.postgres"]
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if module != "winnow.io.postgres":  # its examples need a server and are skipped
        assert result.attempted > 0
