"""Declared schemas: the columns a source must have, their types, and how to read their text.

A :class:`Schema` is a list of :class:`Field` objects. It is declared in Python, loaded from a
small JSON or YAML file (:meth:`Schema.from_file`), or inferred from data
(:func:`winnow.infer_schema`). Times are ``timestamp[us, tz=UTC]``; a naive time is read in the
field's ``timezone`` (UTC unless the schema says otherwise) and converted to UTC.

A schema file looks like this (YAML; the same keys work in JSON)::

    name: weather
    null_values: ["", "NA"]
    fields:
      - {name: origin, type: string, required: true}
      - {name: temp, type: float64}
      - {name: time_hour, type: timestamp, required: true}
      - {name: day, type: date, format: "%d/%m/%Y"}

``fields`` may also be a mapping from name to a type string or to the other keys.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from winnow.errors import ColumnNotFoundError, SchemaError, SourceError
from winnow.timestamps import TIMESTAMP

__all__ = ["DEFAULT_NULL_VALUES", "EPOCH_FORMATS", "TYPES", "Field", "Schema", "type_name"]

#: Type names a schema may use, and the Arrow type each one means.
TYPES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int8": pa.int8(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "uint8": pa.uint8(),
    "uint16": pa.uint16(),
    "uint32": pa.uint32(),
    "uint64": pa.uint64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "binary": pa.binary(),
    "date": pa.date32(),
    "timestamp": TIMESTAMP,
}

_ALIASES: dict[str, str] = {
    "boolean": "bool",
    "int": "int64",
    "integer": "int64",
    "long": "int64",
    "float": "float64",
    "double": "float64",
    "str": "string",
    "text": "string",
    "utf8": "string",
    "bytes": "binary",
    "datetime": "timestamp",
    "date32": "date",
}

#: Time formats meaning "the value is a number of seconds/milliseconds/microseconds since 1970".
EPOCH_FORMATS: dict[str, int] = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}

#: Text values read as null in text formats unless a schema says otherwise. "NaN" is not among
#: them: in a float column it is the float NaN.
DEFAULT_NULL_VALUES: tuple[str, ...] = ("", "NA", "N/A", "NULL", "null")


def _canonical(type_text: str, *, column: str) -> str:
    key = type_text.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in TYPES:
        raise SchemaError(
            f"column {column!r} has unknown type {type_text!r}; use one of "
            f"{', '.join(TYPES)} (aliases: {', '.join(sorted(_ALIASES))})"
        )
    return key


def type_name(arrow_type: pa.DataType, *, column: str = "?") -> str:
    """Return the schema type name for an Arrow type (timestamps of any unit/zone -> timestamp)."""
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return "string"
    if pa.types.is_large_binary(arrow_type) or pa.types.is_binary_view(arrow_type):
        return "binary"
    if pa.types.is_dictionary(arrow_type):
        return type_name(arrow_type.value_type, column=column)
    for name, typ in TYPES.items():
        if typ == arrow_type:
            return name
    raise SchemaError(
        f"column {column!r} has Arrow type {arrow_type}, which a winnow schema cannot declare; "
        f"cast it to one of {', '.join(TYPES)} first"
    )


@dataclass(frozen=True)
class Field:
    """One declared column.

    Parameters
    ----------
    name
        The column name in the source (CSV header, JSON key, Parquet column).
    type
        A type name from :data:`TYPES` (aliases such as ``int`` or ``double`` are accepted).
    required
        A null (or missing) value is a bad record that goes to quarantine.
    format
        For ``timestamp`` and ``date``: a ``strftime`` pattern such as ``"%Y-%m-%d %H:%M"``, or
        ``epoch_s`` / ``epoch_ms`` / ``epoch_us`` for numbers since 1970. ``None`` accepts ISO 8601.
    timezone
        For ``timestamp``: the IANA zone a naive time is in (values with an offset keep it). The
        result is always UTC.

    Examples
    --------
    >>> Field("amount", "double", required=True).type
    'float64'
    """

    name: str
    type: str
    required: bool = False
    format: str | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SchemaError(f"a field needs a non-empty string name, got {self.name!r}")
        object.__setattr__(self, "type", _canonical(str(self.type), column=self.name))
        if self.format is not None and self.type not in ("timestamp", "date"):
            raise SchemaError(
                f"column {self.name!r}: format={self.format!r} applies only to timestamp and "
                f"date columns, not {self.type}; remove it"
            )
        if self.format in EPOCH_FORMATS and self.type != "timestamp":
            raise SchemaError(f"column {self.name!r}: {self.format} needs type timestamp")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SchemaError(
                f"column {self.name!r}: unknown time zone {self.timezone!r}; use an IANA name "
                f"such as 'UTC' or 'America/New_York'"
            ) from exc

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type of the column once read."""
        return TYPES[self.type]

    def to_dict(self) -> dict[str, Any]:
        """Return the field as the plain mapping a schema file holds (defaults left out)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.required:
            out["required"] = True
        if self.format is not None:
            out["format"] = self.format
        if self.timezone != "UTC":
            out["timezone"] = self.timezone
        return out


_FIELD_KEYS = {"name", "type", "required", "nullable", "format", "timezone"}


def _field_from(spec: Any, *, name: str | None, where: str) -> Field:
    if isinstance(spec, Field):
        return spec
    if isinstance(spec, str):
        if name is None:
            raise SchemaError(f"{where}: a field given as a string needs a name; use a mapping")
        return Field(name, spec)
    if not isinstance(spec, Mapping):
        raise SchemaError(f"{where}: a field must be a mapping or a type string, got {spec!r}")
    unknown = set(spec) - _FIELD_KEYS
    if unknown:
        raise SchemaError(
            f"{where}: field {spec.get('name', name)!r} has unknown keys {sorted(unknown)}; "
            f"allowed keys are {sorted(_FIELD_KEYS)}"
        )
    fname = spec.get("name", name)
    if "type" not in spec:
        raise SchemaError(
            f"{where}: field {fname!r} has no type; add 'type: <one of {', '.join(TYPES)}>'"
        )
    required = bool(spec.get("required", False))
    if "nullable" in spec:
        if "required" in spec and bool(spec["nullable"]) == required:
            raise SchemaError(f"{where}: field {fname!r} says both required and nullable")
        required = not bool(spec["nullable"])
    return Field(
        str(fname),
        str(spec["type"]),
        required=required,
        format=spec.get("format"),
        timezone=str(spec.get("timezone", "UTC")),
    )


@dataclass(frozen=True)
class Schema:
    """An ordered list of declared fields, plus the text values that mean null.

    Examples
    --------
    >>> s = Schema([Field("id", "int64", required=True), Field("ts", "timestamp")])
    >>> s.names
    ['id', 'ts']
    >>> str(s.to_arrow().field("ts").type)
    'timestamp[us, tz=UTC]'
    """

    fields: tuple[Field, ...]
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    name: str | None = None
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        fields: Iterable[Field | Mapping[str, Any]],
        *,
        null_values: Sequence[str] = DEFAULT_NULL_VALUES,
        name: str | None = None,
    ) -> None:
        parsed = tuple(_field_from(f, name=None, where="schema") for f in fields)
        if not parsed:
            raise SchemaError("a schema needs at least one field")
        seen: dict[str, Field] = {}
        for f in parsed:
            if f.name in seen:
                raise SchemaError(f"column {f.name!r} is declared twice in the schema")
            seen[f.name] = f
        if isinstance(null_values, str):
            raise SchemaError("null_values must be a list of strings, not one string")
        object.__setattr__(self, "fields", parsed)
        object.__setattr__(self, "null_values", tuple(str(v) for v in null_values))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_by_name", seen)

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise ColumnNotFoundError(name, self.names, where="the schema") from None

    @property
    def names(self) -> list[str]:
        """The column names in declared order."""
        return [f.name for f in self.fields]

    def select(self, columns: Sequence[str]) -> Schema:
        """Return the schema restricted to ``columns``, in that order."""
        return Schema(
            [self[c] for c in columns], null_values=self.null_values, name=self.name
        )

    def to_arrow(self) -> pa.Schema:
        """Return the Arrow schema of a table read with this schema."""
        return pa.schema(
            [pa.field(f.name, f.arrow_type, nullable=not f.required) for f in self.fields]
        )

    @classmethod
    def from_arrow(cls, schema: pa.Schema, *, name: str | None = None) -> Schema:
        """Declare every column of an Arrow schema (non-nullable fields become required)."""
        return cls(
            [Field(f.name, type_name(f.type, column=f.name), required=not f.nullable)
             for f in schema],
            name=name,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the schema as the mapping a schema file holds."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.null_values != DEFAULT_NULL_VALUES:
            out["null_values"] = list(self.null_values)
        out["fields"] = [f.to_dict() for f in self.fields]
        return out

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], *, where: str = "schema") -> Schema:
        """Build a schema from a mapping of ``fields`` (optional: ``name``, ``null_values``)."""
        if not isinstance(spec, Mapping):
            raise SchemaError(f"{where}: expected a mapping with a 'fields' key, got {spec!r}")
        unknown = set(spec) - {"name", "fields", "null_values"}
        if unknown:
            raise SchemaError(
                f"{where}: unknown keys {sorted(unknown)}; a schema has name, fields, null_values"
            )
        raw = spec.get("fields")
        if isinstance(raw, Mapping):
            fields = [_field_from(v, name=str(k), where=where) for k, v in raw.items()]
        elif isinstance(raw, list):
            fields = [_field_from(v, name=None, where=where) for v in raw]
        else:
            raise SchemaError(f"{where}: 'fields' must be a list or a mapping of name -> type")
        nulls = spec.get("null_values", DEFAULT_NULL_VALUES)
        if not isinstance(nulls, (list, tuple)):
            raise SchemaError(f"{where}: null_values must be a list of strings")
        name = spec.get("name")
        return cls(fields, null_values=[str(v) for v in nulls],
                   name=None if name is None else str(name))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Schema:
        """Load a schema from a ``.json``, ``.yaml`` or ``.yml`` file."""
        file = Path(path)
        if not file.exists():
            raise SourceError(f"schema file {os.fspath(path)!r} does not exist")
        text = file.read_text(encoding="utf-8")
        suffix = file.suffix.lower()
        try:
            if suffix == ".json":
                spec = json.loads(text)
            elif suffix in (".yaml", ".yml"):
                import yaml

                spec = yaml.safe_load(text)
            else:
                raise SchemaError(
                    f"schema file {os.fspath(path)!r} must end in .json, .yaml or .yml"
                )
        except (json.JSONDecodeError, ValueError) as exc:
            if isinstance(exc, SchemaError):
                raise
            raise SchemaError(f"schema file {os.fspath(path)!r} is not valid: {exc}") from exc
        except Exception as exc:  # yaml.YAMLError does not derive from ValueError
            raise SchemaError(f"schema file {os.fspath(path)!r} is not valid: {exc}") from exc
        return cls.from_dict(spec, where=f"schema file {os.fspath(path)!r}")

    def to_file(self, path: str | os.PathLike[str]) -> Path:
        """Write the schema as JSON or YAML (by extension), atomically."""
        from winnow.io.atomic import atomic_path

        dest = Path(path)
        if dest.suffix.lower() == ".json":
            text = json.dumps(self.to_dict(), indent=2) + "\n"
        elif dest.suffix.lower() in (".yaml", ".yml"):
            import yaml

            text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        else:
            raise SchemaError(f"schema file {os.fspath(path)!r} must end in .json, .yaml or .yml")
        with atomic_path(dest) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return dest
