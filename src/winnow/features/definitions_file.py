"""Load feature groups from a Python definitions file (the ``--features DEFS.py`` of the CLI).

The file is ordinary Python; every module-level :class:`FeatureGroup` it defines is used, in
definition order. Running it executes its code, as importing any Python module does.
"""

from __future__ import annotations

import os

from winnow._pyfile import run_python_file
from winnow.errors import DefinitionError
from winnow.features.group import FeatureGroup

__all__ = ["load_feature_groups"]


def load_feature_groups(path: str | os.PathLike[str]) -> list[FeatureGroup]:
    """Execute ``path`` and return its module-level feature groups, in definition order."""
    module = run_python_file(path, what="feature definitions file")
    groups = [v for v in vars(module).values() if isinstance(v, FeatureGroup)]
    if not groups:
        raise DefinitionError(
            f"{os.fspath(path)!r} defines no FeatureGroup at module level; define one, e.g. "
            f"card = wn.FeatureGroup('card', source=..., key='card_id', features=[...])"
        )
    names = [g.name for g in groups]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DefinitionError(f"{os.fspath(path)!r} defines several feature groups named {dupes}")
    return groups
