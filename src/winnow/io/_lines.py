"""Physical lines of a text file, located with NumPy so bad records can be reported by line."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import FormatError

__all__ = ["LineIndex"]


class LineIndex:
    """Where each physical line of a file starts and ends (newline and a trailing CR excluded).

    Parameters
    ----------
    path
        The text file. It is memory-mapped, not copied.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._map = pa.memory_map(os.fspath(self.path), "r")
        self.buffer = self._map.read_buffer()
        data = np.frombuffer(self.buffer, dtype=np.uint8)
        newlines = np.flatnonzero(data == 10).astype(np.int64)
        size = len(data)
        if size and (len(newlines) == 0 or newlines[-1] != size - 1):
            newlines = np.append(newlines, size)  # last line without a newline
        self.starts: npt.NDArray[np.int64] = np.concatenate(([0], newlines[:-1] + 1)).astype(
            np.int64
        ) if len(newlines) else np.zeros(0, np.int64)
        ends = newlines.copy()
        has_cr = np.zeros(len(ends), dtype=bool)
        inside = ends > self.starts
        has_cr[inside] = data[ends[inside] - 1] == 13
        ends[has_cr] -= 1
        self.ends: npt.NDArray[np.int64] = ends
        self._data = data

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def nonempty(self) -> npt.NDArray[np.int64]:
        """1-based physical numbers of the lines that are not empty."""
        return np.flatnonzero(self.ends > self.starts).astype(np.int64) + 1

    def text(self, lines: npt.NDArray[np.int64] | list[int]) -> list[str]:
        """Return the text of the given 1-based physical lines (invalid UTF-8 replaced)."""
        out = []
        for line in np.asarray(lines, dtype=np.int64):
            start, end = int(self.starts[line - 1]), int(self.ends[line - 1])
            out.append(bytes(self._data[start:end]).decode("utf-8", errors="replace"))
        return out

    def strings(self) -> pa.LargeStringArray:
        """Every physical line as one Arrow string (line ends stripped), without a Python loop."""
        n = len(self.starts)
        offsets = np.empty(n + 1, dtype=np.int64)
        offsets[:n] = self.starts
        offsets[n] = len(self._data)
        raw = pa.Array.from_buffers(
            pa.large_string(), n, [None, pa.py_buffer(offsets), self.buffer]
        )
        try:
            raw.validate(full=True)
        except pa.ArrowInvalid as exc:
            raise FormatError(
                f"{os.fspath(self.path)!r} is not valid UTF-8 text ({exc}); re-encode it as UTF-8"
            ) from exc
        return pc.utf8_rtrim(raw, characters="\r\n")
