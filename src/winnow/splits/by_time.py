"""Time splits: train strictly before validation strictly before test, with optional gaps.

Boundaries ``b_1 < b_2 < ...`` cut the time line into half-open intervals ``(-inf, b_1)``,
``[b_1, b_2)``, ..., ``[b_last, +inf)``. A ``gap`` removes the band ``[b_i - gap, b_i)`` from the
split *before* each boundary, so ``max(train.time) + gap < b_1 <= min(valid.time)``: a model
trained on ``train`` is validated on data at least ``gap`` later, as in production where labels
mature and features lag.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from winnow.errors import DefinitionError
from winnow.splits._fractions import assemble
from winnow.splits.report import SplitResult, time_values
from winnow.timestamps import format_duration, parse_duration, to_micros

__all__ = ["time_split"]

TimeLike = datetime | str | int | float
DurationLike = str | int | float | timedelta


def _boundary(value: TimeLike, kind: str, *, where: str) -> int | float:
    if kind == "timestamp":
        if isinstance(value, float):
            raise DefinitionError(
                f"{where}: boundary {value!r} is a float but the time column holds timestamps; "
                f"give an ISO 8601 string or a datetime"
            )
        micros = to_micros(value)
        assert micros is not None
        return micros
    if isinstance(value, str | datetime):
        raise DefinitionError(
            f"{where}: boundary {value!r} is a time but the time column holds numbers; "
            f"give numbers in the column's units"
        )
    return value


def _duration(value: DurationLike, kind: str, *, where: str, what: str) -> int | float:
    if kind == "timestamp":
        if isinstance(value, float):
            raise DefinitionError(f"{where}: {what} {value!r}: write a duration such as '7d'")
        return parse_duration(value)
    if isinstance(value, str | timedelta):
        raise DefinitionError(
            f"{where}: {what} {value!r} is a duration but the time column holds numbers; "
            f"give a number in the column's units"
        )
    if value <= 0:
        raise DefinitionError(f"{where}: {what} must be positive, got {value!r}")
    return value


def _default_names(count: int) -> list[str]:
    if count == 2:
        return ["train", "test"]
    if count == 3:
        return ["train", "valid", "test"]
    return ["train", *[f"split{i}" for i in range(1, count)]]


def time_split(
    table: pa.Table,
    *,
    time: str,
    boundaries: Sequence[TimeLike],
    gap: DurationLike | None = None,
    names: Sequence[str] | None = None,
    train_windows: Sequence[DurationLike] = (),
    label: str | None = None,
) -> SplitResult:
    """Split rows by time at the given boundaries, leaving an optional gap before each one.

    Parameters
    ----------
    table
        The rows to split.
    time
        A timestamp/date column (boundaries are ISO 8601 strings, datetimes or int UTC
        microseconds; naive means UTC) or a numeric column (boundaries are numbers).
    boundaries
        Strictly increasing cut points; ``len(boundaries) + 1`` splits.
    gap
        A duration (``"7d"``, a timedelta, int microseconds; a number for numeric time): rows in
        ``[b_i - gap, b_i)`` go to no split and are counted in ``report.excluded_rows``.
    names
        Split names; default ``train, test`` for one boundary, ``train, valid, test`` for two,
        ``train, split1, split2...`` beyond.
    train_windows
        Extra training sets of limited history, to measure how performance decays with data
        age: for each duration ``w`` a split ``train_<w>`` (``train_180d``) holding the rows in
        ``[b_1 - gap - w, b_1 - gap)``. These are subsets of the first split, so unlike the
        others they overlap it.
    label
        Column whose distribution the report gives per split.

    Returns
    -------
    SplitResult
        ``(tables, report)``: ``dict[str, pyarrow.Table]`` (the splits in time order, then the
        training windows), rows in source order, and a :class:`~winnow.splits.SplitReport` with
        ``method="time"`` and the time range of each split.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"day": list(range(10))})
    >>> tables, report = time_split(t, time="day", boundaries=[6, 8], gap=1)
    >>> {name: part["day"].to_pylist() for name, part in tables.items()}
    {'train': [0, 1, 2, 3, 4], 'valid': [6], 'test': [8, 9]}
    """
    where = "time_split"
    values, kind = time_values(table, time, where=where)
    if not boundaries:
        raise DefinitionError(f"{where}: give at least one boundary")
    cuts = [_boundary(b, kind, where=where) for b in boundaries]
    for a, b in itertools.pairwise(cuts):
        if not a < b:
            raise DefinitionError(
                f"{where}: boundaries must be strictly increasing; got {list(boundaries)!r}"
            )
    split_names = list(names) if names is not None else _default_names(len(cuts) + 1)
    if len(split_names) != len(cuts) + 1:
        raise DefinitionError(
            f"{where}: {len(cuts)} boundaries make {len(cuts) + 1} splits but {len(split_names)} "
            f"names were given: {split_names}"
        )
    g = 0 if gap is None else _duration(gap, kind, where=where, what="gap")
    if g:
        for a, b in itertools.pairwise(cuts):
            if b - g < a:
                raise DefinitionError(
                    f"{where}: gap {gap!r} is longer than the interval between boundaries "
                    f"{a!r} and {b!r}, which would leave that split empty by construction"
                )
    cut_array = np.asarray(cuts, dtype=values.dtype if kind == "number" else np.int64)
    assignment = np.searchsorted(cut_array, values, side="right").astype(np.int64)
    if g:
        # rows in [b_i - gap, b_i) belong to the split before b_i: drop them
        nxt = np.minimum(assignment, len(cuts) - 1)
        in_gap = (assignment < len(cuts)) & (values >= cut_array[nxt] - g)
        assignment[in_gap] = -1
    result = assemble(
        table,
        assignment,
        split_names,
        method="time",
        parameters={
            "time": time,
            "boundaries": [str(b) if isinstance(b, datetime) else b for b in boundaries],
            "gap": _gap_text(gap, g, kind),
            "train_windows": [],
        },
        seed=None,
        label=label,
        time=time,
        where=where,
    )
    if not train_windows:
        return result
    tables = dict(result.tables)
    stats = dict(result.report.splits)
    window_texts: list[str | int | float] = []
    end = cuts[0] - g
    for window in train_windows:
        w = _duration(window, kind, where=where, what="training window")
        text = format_duration(int(w)) if kind == "timestamp" else f"{w:g}"
        name = f"train_{text}"
        if name in tables:
            raise DefinitionError(f"{where}: two training windows are both named {name!r}")
        mask = (values >= end - w) & (values < end)
        part = assemble(
            table,
            np.where(mask, 0, -1),
            [name],
            method="time",
            parameters={},
            seed=None,
            label=label,
            time=time,
            where=where,
        )
        tables[name] = part.tables[name]
        stats[name] = part.report.splits[name]
        window_texts.append(text)
    report = result.report
    params = dict(report.parameters)
    params["train_windows"] = window_texts
    return SplitResult(tables, replace(report, parameters=params, splits=stats))


def _gap_text(gap: DurationLike | None, micros: int | float, kind: str) -> str | int | float | None:
    if gap is None:
        return None
    if kind == "timestamp":
        return format_duration(int(micros))
    return micros
