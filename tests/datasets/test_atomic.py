"""A build killed with SIGKILL while writing leaves no directory that looks complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.datasets.synthetic import write_project
from winnow.datasets import build, verify
from winnow.errors import SourceError

# Runs a real build in a child process, slowed down after its first output file is written so
# that the parent can kill it mid-write.
CHILD = """
import sys, time
from pathlib import Path
import winnow.datasets

b = sys.modules["winnow.datasets.build"]  # the module (winnow.datasets.build is the function)

original = b.write_parquet

def slow_write(table, path):
    original(table, path)
    Path(sys.argv[3]).write_text(str(path))
    time.sleep(120)

b.write_parquet = slow_write
b.build(sys.argv[1], out=sys.argv[2], seed=1)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killed_build_leaves_no_complete_looking_directory(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    out = tmp_path / "out" / "ds"
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(project), str(out), str(marker)],
                            cwd=Path(__file__).resolve().parents[2])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the build process ended before writing"
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.05)
        written = Path(marker.read_text())
        assert written.exists() and written.name == "train.parquet"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the final name does not exist; what is left is a temporary directory without a manifest
    assert not out.exists()
    leftovers = list(out.parent.iterdir())
    assert leftovers and all(p.name.startswith(".winnow-tmp-ds.") for p in leftovers)
    assert not any((p / "manifest.json").exists() for p in leftovers)
    with pytest.raises(SourceError, match="not a built dataset"):
        verify(out)
    # a later build is not disturbed by the leftovers
    build(project, out=out, seed=1)
    assert verify(out).intact
