"""Checks shared by the declarative specs (ETL pipelines, expectation suites) from YAML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from winnow.errors import DefinitionError

__all__ = ["check_keys"]


def check_keys(spec: Mapping[str, object], allowed: Sequence[str], *, where: str) -> None:
    """Raise a :class:`DefinitionError` naming the keys of ``spec`` not in ``allowed``."""
    unknown = [k for k in spec if k not in allowed]
    if unknown:
        raise DefinitionError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: "
            f"{', '.join(allowed)}"
        )
