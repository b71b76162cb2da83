"""A feature group: an entity key, a source of events, and the aggregations computed per key.

The group is a pure definition. Engines compute it: :func:`winnow.backfill` for a spine of
training rows (batch, point-in-time correct) and :class:`winnow.OnlineEngine` incrementally over
a stream. Output columns are named ``{group}__{feature}``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.features.aggregations import Aggregation
from winnow.features.source import EventSource

__all__ = ["FeatureGroup"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, eq=False, init=False)
class FeatureGroup:
    """Entity-keyed window aggregations over one event source.

    Parameters
    ----------
    name
        The group's name; prefixes its output columns (``card__sum_amount_7d``).
    source
        The :class:`EventSource` holding the events.
    key
        The entity key column, or a list of columns for a composite key.
    features
        The aggregations to compute per key.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from winnow.features.aggregations import Count, Sum
    >>> events = pa.table({"card_id": [1], "ts": [0], "amount": [1.0]})
    >>> g = FeatureGroup("card", source=EventSource(events, time="ts"), key="card_id",
    ...                  features=[Count(window="1h"), Sum("amount", window="7d")])
    >>> g.output_columns
    ['card__count_1h', 'card__sum_amount_7d']
    """

    name: str
    source: EventSource
    key: tuple[str, ...]
    features: tuple[Aggregation, ...]

    def __init__(
        self,
        name: str,
        *,
        source: EventSource,
        key: str | Sequence[str],
        features: Sequence[Aggregation],
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise DefinitionError(
                f"feature group name {name!r} is not a valid identifier; "
                f"use letters, digits and underscores"
            )
        if not isinstance(source, EventSource):
            raise DefinitionError(
                f"feature group {name!r}: source must be an EventSource, got "
                f"{type(source).__name__}; wrap it: EventSource(path_or_table, time='ts')"
            )
        keys = (key,) if isinstance(key, str) else tuple(key)
        if not keys or not all(isinstance(k, str) and k for k in keys):
            raise DefinitionError(f"feature group {name!r}: key must be a column name or a list")
        if len(set(keys)) != len(keys):
            raise DefinitionError(f"feature group {name!r}: key {list(keys)} repeats a column")
        feats = tuple(features)
        if not feats:
            raise DefinitionError(f"feature group {name!r} has no features")
        for feat in feats:
            if not isinstance(feat, Aggregation):
                raise DefinitionError(
                    f"feature group {name!r}: {feat!r} is not an aggregation; use wn.Count, "
                    f"wn.Sum, wn.Mean, ... (did you forget to call it, e.g. wn.Count()?)"
                )
        seen: dict[str, Aggregation] = {}
        for feat in feats:
            if feat.feature_name in seen:
                raise DefinitionError(
                    f"feature group {name!r}: two features are named {feat.feature_name!r} "
                    f"({seen[feat.feature_name]!r} and {feat!r}); give one of them name="
                )
            seen[feat.feature_name] = feat
        for feat in feats:
            if feat.column is not None and feat.column in keys:
                raise DefinitionError(
                    f"feature group {name!r}: feature {feat.feature_name!r} aggregates the key "
                    f"column {feat.column!r}; aggregate another column"
                )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "key", keys)
        object.__setattr__(self, "features", feats)

    @property
    def time(self) -> str:
        """The event-time column of the group's source."""
        return self.source.time

    @property
    def output_columns(self) -> list[str]:
        """The output column names, ``{group}__{feature}``, in definition order."""
        return [self.column_name(f) for f in self.features]

    def column_name(self, feature: Aggregation) -> str:
        """The output column name of one of this group's features."""
        return f"{self.name}__{feature.feature_name}"

    @property
    def needed_columns(self) -> list[str]:
        """Source columns the group reads: keys, time, sequence (if any), aggregated columns."""
        cols: list[str] = [*self.key, self.source.time]
        if self.source.sequence:
            cols.append(self.source.sequence)
        for feat in self.features:
            if feat.column and feat.column not in cols:
                cols.append(feat.column)
        return cols

    @property
    def longest_window_micros(self) -> int | None:
        """The longest window in microseconds; ``None`` when any feature is lifetime."""
        windows = [f.window_micros for f in self.features]
        if any(w is None for w in windows):
            return None
        return max(w for w in windows if w is not None)

    def validate(self, schema: pa.Schema) -> None:
        """Check the definition against the source's schema; raise with the fix on a mismatch."""
        where = f"event source {self.source.describe()} of feature group {self.name!r}"
        names = schema.names
        for col in self.needed_columns:
            if col not in names:
                raise ColumnNotFoundError(col, names, where=where)
        time_type = schema.field(self.source.time).type
        if not (pa.types.is_timestamp(time_type) or pa.types.is_date(time_type)):
            raise SchemaError(
                f"time column {self.source.time!r} of {where} has type {time_type}, not a "
                f"timestamp; cast it (a schema that declares it 'timestamp' does this on read)"
            )
        for feat in self.features:
            if feat.numeric and feat.column is not None:
                typ = schema.field(feat.column).type
                if not (pa.types.is_integer(typ) or pa.types.is_floating(typ)
                        or pa.types.is_decimal(typ)):
                    raise SchemaError(
                        f"feature {self.column_name(feat)!r}: {type(feat).__name__} needs a "
                        f"numeric column, but {feat.column!r} has type {typ}; cast it or use "
                        f"a non-numeric aggregation (Last, CountDistinct, ...)"
                    )

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The Arrow schema of the group's output columns, given the source schema."""
        fields = []
        for feat in self.features:
            input_type = schema.field(feat.column).type if feat.column else None
            fields.append(pa.field(self.column_name(feat), feat.output_type(input_type)))
        return pa.schema(fields)

    def params(self) -> dict[str, Any]:
        """A JSON-able description of the definition (not of the data)."""
        return {
            "name": self.name,
            "source": self.source.describe(),
            "time": self.source.time,
            "sequence": self.source.sequence,
            "key": list(self.key),
            "features": [f.params() for f in self.features],
        }

    def definition_hash(self) -> str:
        """A sha256 of :meth:`params`, stable across runs and machines."""
        text = json.dumps(self.params(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return (
            f"FeatureGroup({self.name!r}, key={list(self.key)}, "
            f"features=[{', '.join(f.feature_name for f in self.features)}])"
        )
