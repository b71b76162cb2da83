"""The examples in the io modules' docstrings run and give the values they show."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from winnow.io import inference, ingest, schema

MODULES = [inference, ingest, schema]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
