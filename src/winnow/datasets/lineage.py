"""Lineage: from an output row's ``row_id`` back to its source row, feature inputs and votes.

A built dataset holds ``lineage.parquet`` (one row per output row: split, input, position, the
row's time and label time) and, when labels came from votes, ``votes.parquet``. :func:`lineage`
joins them with the manifest: the source file and 0-based row position the row came from, the
time range of events each feature group read (``[t - longest window, t)``, or ``(-inf, t)`` for
lifetime features), and every vote behind the label.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from winnow.datasets.manifest import read_manifest
from winnow.errors import SourceError

__all__ = ["LINEAGE", "lineage", "lineage_table"]

LINEAGE = "lineage.parquet"
_POSITION = "_position"


def lineage_table(
    rows: pa.Table,
    *,
    time: str | None,
    input_name: str,
    input_sha256: str,
    split_column: str,
    label_time: str | None,
) -> pa.Table:
    """The lineage table of a build: row_id, split, input, its sha256, position, times."""
    n = rows.num_rows
    data: dict[str, Any] = {
        "row_id": rows["row_id"],
        "split": rows[split_column],
        "input": pa.array([input_name] * n, pa.string()),
        "input_sha256": pa.array([input_sha256] * n, pa.string()),
        "position": rows[_POSITION],
        "time": rows[time] if time else pa.nulls(n, pa.timestamp("us", tz="UTC")),
    }
    if label_time is not None:
        data["label_time"] = rows[label_time]
    table = pa.table(data)
    return table.take(pc.sort_indices(table, sort_keys=[("row_id", "ascending")]))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def lineage(directory: str | os.PathLike[str], row_id: str) -> dict[str, Any]:
    """Resolve ``row_id`` of the dataset in ``directory`` to where it came from.

    Returns
    -------
    dict
        ``row_id``, ``split``, ``source`` (input name, file path, sha256, position, and the
        CSV line number when the input is a CSV file with a header), ``time``, ``keys``,
        ``features`` (per group: key values and the event time range read), and ``label``
        (value, time it became known, and the votes).
    """
    root = Path(directory)
    manifest = read_manifest(root)
    path = root / LINEAGE
    if not path.is_file():
        raise SourceError(f"{root} has no {LINEAGE}; rebuild the dataset with this winnow")
    table = pq.read_table(path, filters=[("row_id", "=", row_id)])
    if table.num_rows == 0:
        raise SourceError(
            f"row_id {row_id!r} is not in the dataset at {root}; row ids are the 'row_id' "
            f"column of its split files (16 hex digits)"
        )
    rec = table.slice(0, 1).to_pylist()[0]
    split = rec["split"]
    data = pq.read_table(root / f"{split}.parquet", filters=[("row_id", "=", row_id)])
    row = data.to_pylist()[0]
    cols = manifest["columns"]
    input_name = rec["input"]
    location = manifest.get("locations", {}).get("inputs", {}).get(input_name)
    source: dict[str, Any] = {
        "input": input_name,
        "path": location,
        "sha256": rec["input_sha256"],
        "position": rec["position"],
    }
    if location and str(location).lower().endswith((".csv", ".tsv")):
        source["line"] = rec["position"] + 2  # 1-based, after the header line
    t = rec["time"]
    features = []
    for group in manifest["features"]["groups"]:
        longest = group.get("longest_window_us")
        start = None if longest is None or t is None else t - _delta(longest)
        features.append(
            {
                "group": group["name"],
                "source": group["source"],
                "key": {k: row.get(k) for k in group["key"]},
                "events_from": _iso(start) if start is not None else "-inf",
                "events_before": _iso(t),
                "values": {c: row.get(c) for c in group["columns"]},
            }
        )
    votes_path = root / "votes.parquet"
    votes: list[dict[str, Any]] = []
    if votes_path.is_file():
        vt = pq.read_table(votes_path, filters=[("item_id", "=", row_id)])
        for vote in vt.to_pylist():
            vote["time"] = _iso(vote["time"])
            votes.append(vote)
    return {
        "row_id": row_id,
        "dataset": manifest["id"],
        "split": split,
        "source": source,
        "time": _iso(t),
        "keys": {k: row.get(k) for k in cols["keys"]},
        "features": features,
        "label": {
            "value": row.get(cols["label"]),
            "known_at": _iso(rec.get("label_time")),
            "votes": votes,
        },
    }


def _delta(micros: int) -> Any:
    from datetime import timedelta

    return timedelta(microseconds=int(micros))
