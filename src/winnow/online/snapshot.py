"""Snapshots of an :class:`~winnow.online.OnlineEngine`: state + stream position, atomically.

A snapshot is one JSON document written with :func:`winnow.io.atomic.atomic_path` (temporary
name, fsync, rename), so a crash leaves either the previous snapshot or the new one, never a
torn file. It holds the stream position, the allowed lateness, each group's
:func:`~winnow.online.online_definition_hash`, the column types, and every key's buffer and
aggregation states (pending events are folded in first). Loading with definitions whose hashes
differ is an error: the saved state means something else.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from winnow.errors import DefinitionError, FormatError, SourceError
from winnow.features.group import FeatureGroup
from winnow.io.atomic import atomic_path
from winnow.online.buffer import KeyState
from winnow.online.values import decode_value, encode_value

if TYPE_CHECKING:
    from winnow.online.dead_letter import DeadLetterSink
    from winnow.online.engine import OnlineEngine

__all__ = ["FORMAT", "load_engine", "save_engine"]

FORMAT = "winnow-online-snapshot/1"


def _schema_text(types: dict[str, pa.DataType]) -> str:
    schema = pa.schema([pa.field(name, typ) for name, typ in types.items()])
    return base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")


def _schema_from(text: str) -> dict[str, pa.DataType]:
    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))
    return {f.name: f.type for f in schema}


def _key_json(key: Any) -> Any:
    return encode_value(list(key) if isinstance(key, tuple) else key)


def _key_from(data: Any, single: bool) -> Any:
    value = decode_value(data)
    return value if single else tuple(value)


def save_engine(engine: OnlineEngine, path: Path) -> Path:
    """Write ``engine`` to ``path`` atomically (see the module docstring) and return the path."""
    from winnow.online.engine import online_definition_hash

    engine.process_all()
    groups: dict[str, Any] = {}
    for name, rt in engine._runtimes.items():
        groups[name] = {
            "definition": online_definition_hash(rt.group),
            "next_seq": rt.next_seq,
            "events": rt.events,
            "late": rt.late,
            "kinds": rt.layout.kinds if rt.layout is not None else None,
            "types": _schema_text(rt.types),
            "keys": [
                [_key_json(k), int(rt.newest[ks.slot_id]), ks.to_json()]
                for k, ks in rt.keys.items()
            ],
        }
    document = {
        "format": FORMAT,
        "position": engine.position,
        "allowed_lateness": engine.allowed_lateness,
        "latest": engine.latest,
        "groups": groups,
    }
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        json.dump(document, handle, separators=(",", ":"))
    return path


def load_engine(
    path: Path,
    groups: FeatureGroup | Sequence[FeatureGroup],
    *,
    dead_letter: DeadLetterSink | str | os.PathLike[str] | None = None,
) -> OnlineEngine:
    """Rebuild an engine written by :func:`save_engine` for ``groups``."""
    from winnow.online.engine import OnlineEngine, online_definition_hash

    if not path.is_file():
        raise SourceError(f"online snapshot {os.fspath(path)!r} does not exist")
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read online snapshot {os.fspath(path)!r}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FormatError(
            f"{os.fspath(path)!r} is not a winnow online snapshot (expected format {FORMAT!r})"
        )
    items = [groups] if isinstance(groups, FeatureGroup) else list(groups)
    saved = document["groups"]
    given = {g.name for g in items}
    if given != set(saved):
        raise DefinitionError(
            f"snapshot {os.fspath(path)!r} holds feature groups {sorted(saved)} but "
            f"{sorted(given)} were given; load it with the definitions it was saved with"
        )
    for g in items:
        if online_definition_hash(g) != saved[g.name]["definition"]:
            raise DefinitionError(
                f"feature group {g.name!r} differs from the one saved in {os.fspath(path)!r} "
                f"(definition hash {online_definition_hash(g)[:12]} vs "
                f"{saved[g.name]['definition'][:12]}): the saved state would mean something "
                f"else. Rebuild the state by replaying the stream, or load the old definitions"
            )
    engine = OnlineEngine(
        items, allowed_lateness=int(document["allowed_lateness"]) or "0s", dead_letter=dead_letter
    )
    engine._latest = document["latest"]
    engine._position = document["position"]
    for name, blob in saved.items():
        rt = engine._runtimes[name]
        rt.next_seq = int(blob["next_seq"])
        rt.events = int(blob["events"])
        rt.late = int(blob["late"])
        rt.types.update(_schema_from(blob["types"]))
        if blob["kinds"] is not None:
            rt._set_layout(list(blob["kinds"]))
        for key_data, newest, state in blob["keys"]:
            assert rt.layout is not None
            ks = rt.key_state(_key_from(key_data, rt.single))
            restored = KeyState.from_json(rt.layout, state)
            restored.slot_id = ks.slot_id
            rt.keys[_key_from(key_data, rt.single)] = restored
            rt.slots[ks.slot_id] = restored
            rt.newest[ks.slot_id] = int(newest)
    return engine
