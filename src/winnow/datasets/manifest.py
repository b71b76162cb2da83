"""The manifest of a built dataset, its content hashes, and the dataset id.

``manifest.json`` records what defines the data (DESIGN.md section 7): winnow version, the hash of
the definition's source, every input (path, sha256, rows, schema), transforms, features, labeling
functions with versions and the label model, sampler and seed, split rules and per-split counts,
label distributions and time ranges, and quarantine counts. The **dataset id** is the sha256 of
that content in canonical JSON. Three sections stay outside the id: ``build`` (when and how long the
build ran), ``locations`` (where the inputs and the definition were read from, which does not
change the data) and ``files`` (sha256 of each output file, checked by
:func:`winnow.datasets.verify`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from winnow.errors import FormatError, SourceError

__all__ = [
    "MANIFEST",
    "UNHASHED_SECTIONS",
    "canonical_json",
    "dataset_id",
    "file_sha256",
    "read_manifest",
    "schema_description",
    "split_names",
    "write_parquet",
]

MANIFEST = "manifest.json"

#: Manifest sections that describe the build run or its output bytes, not what defines the data.
UNHASHED_SECTIONS = ("id", "build", "files", "locations")

_CHUNK = 1 << 20


def _normalise(value: Any) -> Any:
    """Turn a value into plain JSON types; non-finite floats become strings."""
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _normalise(value.item())
    return str(value)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the same content always gives the same text."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def dataset_id(manifest: Mapping[str, Any]) -> str:
    """The sha256 of the manifest's defining content (every section but the unhashed ones)."""
    content = {k: v for k, v in manifest.items() if k not in UNHASHED_SECTIONS}
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError as exc:
        raise SourceError(f"no such file: {os.fspath(path)!r}") from exc
    return digest.hexdigest()


def schema_description(schema: pa.Schema) -> list[dict[str, str]]:
    """A schema as ``[{"name": ..., "type": ...}]`` for the manifest."""
    return [{"name": f.name, "type": str(f.type)} for f in schema]


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write Parquet with pinned options so the same table always gives the same bytes.

    zstd level 3, format 2.6, fixed row-group and page sizes, statistics on, and no key-value
    metadata but the Arrow schema (which holds no build time).
    """
    clean = table.replace_schema_metadata(None)
    pq.write_table(
        clean,
        path,
        compression="zstd",
        compression_level=3,
        version="2.6",
        row_group_size=256 * 1024,
        data_page_size=1 << 20,
        use_dictionary=True,
        write_statistics=True,
        store_schema=True,
    )


def split_names(manifest: Mapping[str, Any]) -> list[str]:
    """The split names in their defined order (JSON objects in the file are key-sorted)."""
    names = manifest.get("split", {}).get("names")
    return list(names) if names else list(manifest["splits"])


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``manifest.json`` of a built dataset directory."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise SourceError(
            f"{os.fspath(directory)!r} is not a built dataset: it has no {MANIFEST}; build one "
            f"with `winnow build PROJECT.py --out DIR`"
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path} is not valid JSON ({exc}); rebuild the dataset") from exc
    if not isinstance(data, dict):
        raise FormatError(f"{path} does not hold a JSON object; rebuild the dataset")
    return data
