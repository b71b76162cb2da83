"""Verify a built dataset: are its files and manifest exactly what the build wrote?

:func:`verify` recomputes the dataset id from the manifest's content, the sha256 of every output
file listed in the manifest, and (where they can still be read at their recorded locations) the
sha256 of every input. A dataset is intact when the id and every output file match; a changed
input is reported too, because rebuilding from it would give a different dataset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from winnow.datasets.manifest import MANIFEST, dataset_id, file_sha256, read_manifest

__all__ = ["VerifyResult", "verify"]


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`."""

    path: Path
    id: str
    intact: bool
    problems: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form for ``--json``."""
        return {
            "path": str(self.path),
            "id": self.id,
            "intact": self.intact,
            "problems": self.problems,
            "inputs": self.inputs,
        }


def verify(directory: str | os.PathLike[str]) -> VerifyResult:
    """Recompute the hashes of the dataset in ``directory`` and say whether it is intact.

    ``inputs`` maps each input to ``"unchanged"``, ``"changed"`` or ``"not found"`` (inputs are
    checked at the locations recorded at build time; a missing input does not make the dataset
    itself damaged).
    """
    root = Path(directory)
    manifest = read_manifest(root)
    problems: list[str] = []
    recorded = str(manifest.get("id", ""))
    recomputed = dataset_id(manifest)
    if recorded != recomputed:
        problems.append(
            f"{MANIFEST}: recorded id {recorded[:16]} but its content hashes to "
            f"{recomputed[:16]}; the manifest was edited"
        )
    files: dict[str, str] = manifest.get("files", {})
    if not files:
        problems.append(f"{MANIFEST} lists no output files")
    for name, sha in sorted(files.items()):
        path = root / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif file_sha256(path) != sha:
            problems.append(f"{name} changed since the build (sha256 differs)")
    written = root.rglob("*")
    extra = sorted(
        name for name in (p.relative_to(root).as_posix() for p in written if p.is_file())
        if name not in files and name != MANIFEST
    )
    if extra:
        problems.append(f"files not written by the build: {', '.join(extra)}")
    inputs: dict[str, str] = {}
    locations = manifest.get("locations", {}).get("inputs", {})
    for name, info in manifest.get("inputs", {}).items():
        location = locations.get(name)
        if not location or not Path(location).is_file():
            inputs[name] = "not found"
        elif file_sha256(location) == info["sha256"]:
            inputs[name] = "unchanged"
        else:
            inputs[name] = "changed"
    return VerifyResult(root, recorded, not problems, problems, inputs)
