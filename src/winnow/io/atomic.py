"""Atomic writes: a file or directory appears complete or not at all.

Write to a temporary name in the destination's directory, flush and fsync, then rename over the
destination. A crash or exception mid-write leaves only a temporary name starting with
``.winnow-tmp-``, never a partial file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["TMP_PREFIX", "atomic_dir", "atomic_path", "fsync_dir"]

TMP_PREFIX = ".winnow-tmp-"


def fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk (so a rename inside it survives a crash)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file path; on success fsync it and rename it to ``destination``.

    On any exception the temporary file is removed and ``destination`` is left untouched.
    """
    dest = Path(destination)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX + dest.name + ".", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():
            _fsync_file(tmp)
            os.replace(tmp, dest)
            fsync_dir(dest.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(destination: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory; on success fsync its files and rename it to ``destination``.

    With ``overwrite=True`` an existing destination is replaced (moved aside, then removed, after
    the new directory is in place). On any exception the temporary directory is removed.
    """
    dest = Path(destination)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and not overwrite:
        raise FileExistsError(f"{dest} already exists; pass overwrite=True to replace it")
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX + dest.name + ".", dir=dest.parent))
    try:
        yield tmp
        for root, _dirs, files in os.walk(tmp):
            for name in files:
                _fsync_file(Path(root) / name)
            fsync_dir(Path(root))
        old: Path | None = None
        if dest.exists():
            old = dest.parent / f"{TMP_PREFIX}{dest.name}.old"
            if old.exists():
                shutil.rmtree(old)
            os.replace(dest, old)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
