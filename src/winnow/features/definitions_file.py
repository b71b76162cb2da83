"""Load feature groups from a Python definitions file (the ``--features DEFS.py`` of the CLI).

The file is ordinary Python; every module-level :class:`FeatureGroup` it defines is used, in
definition order. Running it executes its code, as importing any Python module does.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from winnow.errors import DefinitionError, SourceError
from winnow.features.group import FeatureGroup

__all__ = ["load_feature_groups"]


def load_feature_groups(path: str | os.PathLike[str]) -> list[FeatureGroup]:
    """Execute ``path`` and return its module-level feature groups, in definition order."""
    file = Path(path)
    if not file.is_file():
        raise SourceError(f"feature definitions file {os.fspath(path)!r} does not exist")
    module_name = f"winnow_definitions_{abs(hash(file.resolve()))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise DefinitionError(f"cannot load {os.fspath(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(file.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
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
