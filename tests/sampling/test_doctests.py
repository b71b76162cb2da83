"""The examples in the sampling, splits and imbalance docstrings run and give what they show."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from winnow import imbalance
from winnow.sampling import nonprobability, probability, reservoir, weighted_reservoir
from winnow.splits import by_group, by_random, by_time, cross_validation, slicing

MODULES = [
    probability,
    nonprobability,
    reservoir,
    weighted_reservoir,
    by_random,
    by_time,
    by_group,
    slicing,
    cross_validation,
    imbalance,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
