"""Run a user's Python file (feature definitions, a project, labeling functions) as a module.

The CLI takes definitions as ordinary Python files. Running one executes its code, as importing
any Python module does, so load only files you trust. The module is registered in
``sys.modules`` under a name derived from the file's resolved path, so that ``inspect`` finds the
source of the functions it defines (labeling function versions hash that source), and the file's
own directory is importable while it runs, so it can import its sibling modules.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from winnow.errors import DefinitionError, SourceError

__all__ = ["run_python_file"]


def run_python_file(path: str | os.PathLike[str], *, what: str) -> ModuleType:
    """Execute ``path`` as a module and return it; ``what`` names the file in errors.

    Raises :class:`SourceError` when the file does not exist and :class:`DefinitionError` when
    it cannot be loaded as Python.
    """
    file = Path(path)
    if not file.is_file():
        raise SourceError(f"{what} {os.fspath(path)!r} does not exist; check the path")
    resolved = file.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    module_name = f"winnow_user_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise DefinitionError(
            f"cannot load {what} {os.fspath(path)!r} as a Python module; it must be a .py file"
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(resolved.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(resolved.parent))
    return module
