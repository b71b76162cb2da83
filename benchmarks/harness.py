"""What the benchmark scripts share: the machine line they print, and the peers' own venvs.

Peer libraries (Snorkel, Bytewax, whylogs, ...) are never winnow dependencies: each benchmark
installs its peers into a venv of its own under ``benchmarks/data/`` on first use.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def machine_line(versions: dict[str, str]) -> str:
    """Cores, RAM, load average now, and the given libraries' versions, on one line."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libraries = ", ".join(f"{name} {version}" for name, version in versions.items())
    return (
        f"machine: {os.cpu_count()} cores, {ram:.0f} GiB RAM, "
        f"load average {os.getloadavg()[0]:.1f} at start (shared: timings are noisy); {libraries}"
    )


def ensure_peer_venv(venv: Path, requirements: Path, *, without: str) -> Path | None:
    """The Python of ``venv``, created from ``requirements`` on first use.

    Returns None (after printing why, and ``without``: what the run does instead) when the venv
    cannot be made, so that a benchmark still measures winnow alone.
    """
    python = venv / "bin" / "python"
    if python.exists():
        return python
    print(f"creating {venv} from {requirements.name} (first run only) ...", flush=True)
    base = sys.executable if sys.base_prefix == sys.prefix else "python3"
    try:
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
                       check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"could not install the peers ({exc}); {without}", flush=True)
        return None
    return python
