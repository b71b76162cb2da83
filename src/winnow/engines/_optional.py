"""Optional engine dependencies: the error raised when one is not installed.

Engines whose dependencies are optional (Spark) import them only inside their own module, so
``import winnow`` never pays for them; when the dependency is missing, the engine module raises
:class:`MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

from winnow.errors import WinnowError

__all__ = ["MissingDependencyError"]


class MissingDependencyError(WinnowError, ImportError):
    """An optional dependency an engine needs is not installed; the message names the extra."""

    def __init__(self, package: str, *, extra: str, feature: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the {package!r} package, which is not installed; install it with "
            f"`pip install winnow[{extra}]` (or `pip install {package}`)"
        )
