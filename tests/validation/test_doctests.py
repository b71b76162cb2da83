"""The examples in the validation docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "winnow.validation.expect",
        "winnow.validation.suite",
        "winnow.validation.evaluate",
        "winnow.validation.config",
        "winnow.etl.steps",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
