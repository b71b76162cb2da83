"""The leakage check of a built dataset: nothing a row was trained on came from its future.

Checks, each recorded in the manifest and the report:

* **point-in-time features**: for a seeded sample of rows, every feature is recomputed naively
  (a plain loop over that key's events with time in ``[t - w, t)``) and compared with the built
  value; a feature that saw an event at or after its row's time disagrees;
* **label time**: every label became known strictly after its row's prediction time (a spine time
  at or after the label time means the label was known when predicting);
* **single-feature AUC**: no feature predicts the label almost perfectly on its own (the usual sign
  of a column derived from the label or the outcome);
* **time split order**: each split's rows are strictly before the next split's;
* **group split**: no entity appears in two splits.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.features.aggregations import Aggregation
from winnow.features.group import FeatureGroup

__all__ = ["LeakageCheck", "LeakageReport", "check_leakage", "key_strings"]

_SEP = "\x1f"


@dataclass(frozen=True)
class LeakageCheck:
    """One leakage check: its name, whether it passed, and what it found."""

    name: str
    passed: bool
    detail: str
    severity: Literal["error", "warning"] = "error"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form for the manifest."""
        return {
            "name": self.name,
            "passed": self.passed,
            "severity": self.severity,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class LeakageReport:
    """All leakage checks of a build; :attr:`passed` is false when an error-level check failed."""

    checks: list[LeakageCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether no error-level check failed (warnings do not fail a build)."""
        return all(c.passed or c.severity == "warning" for c in self.checks)

    @property
    def failures(self) -> list[LeakageCheck]:
        """The error-level checks that failed."""
        return [c for c in self.checks if not c.passed and c.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form for the manifest."""
        return {"passed": self.passed, "checks": [c.to_dict() for c in self.checks]}


def key_strings(table: pa.Table, keys: Sequence[str]) -> pa.Array:
    """One string per row joining the key columns (null when any key part is null)."""
    parts = [pc.cast(table[k], pa.string()) for k in keys]
    if len(parts) == 1:
        return parts[0].combine_chunks() if isinstance(parts[0], pa.ChunkedArray) else parts[0]
    joined = pc.binary_join_element_wise(*parts, _SEP)
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _micros(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    ints = pc.cast(arr, pa.int64())
    return np.asarray(ints.fill_null(np.iinfo(np.int64).min).to_numpy(zero_copy_only=False))


def _naive(feature: Aggregation, values: list[Any], count: int) -> Any:
    """The aggregation over the window's values in (time, sequence) order, written plainly."""
    present = [v for v in values if v is not None]
    kind = feature.kind
    if kind == "count":
        return count
    if kind == "count_distinct":
        return len(set(present))
    if kind == "sum":
        return float(sum(present)) if present else 0.0
    if not present:
        return None
    if kind == "mean":
        return float(sum(present)) / len(present)
    if kind == "std":
        if len(present) < 2:
            return None
        mean = float(sum(present)) / len(present)
        return math.sqrt(sum((v - mean) ** 2 for v in present) / (len(present) - 1))
    if kind == "min":
        return min(present)
    if kind == "max":
        return max(present)
    if kind == "first":
        return present[0]
    if kind == "last":
        return present[-1]
    if kind == "last_k":
        return list(reversed(present))[: getattr(feature, "k", 1)]
    raise ValueError(f"no naive reference for aggregation {kind!r}")


def _same(expected: Any, found: Any) -> bool:
    if expected is None or found is None:
        return expected is None and found is None
    if isinstance(expected, list) and isinstance(found, list):
        return len(expected) == len(found) and all(
            _same(a, b) for a, b in zip(expected, found, strict=True)
        )
    if isinstance(expected, float) or isinstance(found, float):
        a, b = float(expected), float(found)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(expected == found)


def _recompute_group(
    group: FeatureGroup,
    events: pa.Table,
    rows: pa.Table,
    *,
    time: str,
    sample: np.ndarray,
) -> tuple[int, list[str]]:
    """Recompute ``group``'s features for the sampled rows; return (values checked, mismatches).

    Events are sorted once by (key, time, sequence); each sampled row's window ``[t - w, t)`` is
    then one slice found by binary search, and the aggregation runs plainly over that slice.
    """
    encoded = key_strings(events, group.key).dictionary_encode()
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    ev_time = _micros(events[group.source.time])
    seq = (
        _micros(events[group.source.sequence])
        if group.source.sequence
        else np.arange(events.num_rows, dtype=np.int64)
    )
    order = np.lexsort((seq, ev_time, codes))
    sorted_codes = codes[order]
    sorted_time = ev_time[order]
    picked = pa.array(sample, pa.int64())
    row_codes = pc.index_in(key_strings(rows, group.key).take(picked), encoded.dictionary)
    row_code = np.asarray(row_codes.fill_null(-2).to_numpy(zero_copy_only=False), np.int64)
    row_time = _micros(rows[time])[sample]
    row_ids = rows["row_id"].take(picked).to_pylist()
    built = {f: rows[group.column_name(f)].take(picked).to_pylist() for f in group.features}
    checked = 0
    problems: list[str] = []
    for j, code in enumerate(row_code.tolist()):
        start = int(np.searchsorted(sorted_codes, code, side="left"))
        stop = int(np.searchsorted(sorted_codes, code, side="right"))
        if code < 0:
            start = stop = 0
        times = sorted_time[start:stop]
        t = int(row_time[j])
        for feat in group.features:
            w = feat.window_micros
            first = 0 if w is None else int(np.searchsorted(times, t - w, side="left"))
            last = int(np.searchsorted(times, t, side="left"))
            window = order[start + first : start + last]
            values = (
                events[feat.column].take(pa.array(window, pa.int64())).to_pylist()
                if feat.column
                else []
            )
            expected = _naive(feat, values, int(window.size))
            found = built[feat][j]
            checked += 1
            if not _same(expected, found):
                problems.append(
                    f"row {row_ids[j]} feature {group.column_name(feat)!r}: recomputed from "
                    f"events in [t - {feat.window_label or 'inf'}, t) gives {expected!r}, the "
                    f"dataset holds {found!r}"
                )
    return checked, problems


def _auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = int(positive.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    auc = (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return float(max(auc, 1.0 - auc))


def _feature_auc(
    rows: pa.Table, features: Sequence[str], label: str, threshold: float
) -> LeakageCheck:
    labels = rows[label]
    flagged: list[str] = []
    best: tuple[str, float] | None = None
    for name in features:
        typ = rows.schema.field(name).type
        if not (pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ)):
            continue
        mask = pc.and_(pc.is_valid(rows[name]), pc.is_valid(labels))
        if pa.types.is_floating(typ):
            mask = pc.and_(mask, pc.invert(pc.is_nan(rows[name])))
        sub = rows.filter(mask)
        if sub.num_rows < 20:
            continue
        x = np.asarray(pc.cast(sub[name], pa.float64()).to_numpy())
        y = np.asarray(sub[label].to_numpy(zero_copy_only=False))
        classes = np.unique(y)
        # with two classes, both one-vs-rest AUCs are the same max(AUC, 1 - AUC)
        scored = classes if len(classes) > 2 else classes[-1:]
        aucs = [a for c in scored if (a := _auc(x, y == c)) is not None]
        if not aucs:
            continue
        top = max(aucs)
        if best is None or top > best[1]:
            best = (name, top)
        if top >= threshold:
            flagged.append(f"{name} (AUC {top:.4f})")
    if flagged:
        return LeakageCheck(
            "single-feature AUC",
            False,
            f"these features predict the label {label!r} almost perfectly on their own: "
            f"{', '.join(flagged)}; they are probably derived from the label or from events "
            f"after the prediction time. Remove them or compute them from earlier events.",
        )
    shown = f"highest: {best[0]} (AUC {best[1]:.4f})" if best else "no numeric feature to score"
    return LeakageCheck(
        "single-feature AUC", True, f"no feature reaches AUC {threshold} alone; {shown}"
    )


def check_leakage(
    rows: pa.Table,
    *,
    time: str | None,
    label: str,
    label_time: str | None,
    feature_columns: Sequence[str],
    groups: Sequence[FeatureGroup],
    group_events: Mapping[str, pa.Table],
    split_column: str,
    split_names: Sequence[str],
    split_kind: str,
    split_by: Sequence[str] = (),
    sample_size: int = 200,
    max_feature_auc: float = 0.99,
    seed: int = 0,
) -> LeakageReport:
    """Run every leakage check over the built rows (all splits, with a split-name column).

    Parameters
    ----------
    rows
        The dataset's rows, with ``row_id``, the time, keys, features, label and split columns.
    group_events
        Each feature group's events as loaded (group name -> table), for the naive recompute.
    sample_size
        Rows recomputed naively per feature group (seeded by ``seed``).
    """
    checks: list[LeakageCheck] = []
    rng = np.random.default_rng(seed)
    n = rows.num_rows
    for group in groups:
        if time is None:
            break
        take = min(sample_size, n)
        sample = np.sort(rng.choice(n, size=take, replace=False)) if take else np.empty(0, int)
        checked, problems = _recompute_group(
            group, group_events[group.name], rows, time=time, sample=sample
        )
        name = f"point-in-time features: {group.name}"
        if problems:
            shown = "; ".join(problems[:3])
            checks.append(
                LeakageCheck(
                    name,
                    False,
                    f"{len(problems)} of {checked} recomputed values differ (features must use "
                    f"only events strictly before the row's time): {shown}",
                )
            )
        else:
            checks.append(
                LeakageCheck(
                    name,
                    True,
                    f"{checked} values on {take} sampled rows recomputed from events in "
                    f"[t - w, t): all equal",
                )
            )
    if label_time is not None and time is not None:
        lt = _micros(rows[label_time])
        known = lt != np.iinfo(np.int64).min
        early = known & (lt <= _micros(rows[time]))
        bad = int(early.sum())
        if bad:
            first = rows["row_id"][int(np.flatnonzero(early)[0])].as_py()
            checks.append(
                LeakageCheck(
                    "label time after prediction time",
                    False,
                    f"{bad} rows have a label known at or before their prediction time "
                    f"{time!r} (first: row {first}); move the spine time earlier than the "
                    f"outcome or drop those rows",
                )
            )
        else:
            checks.append(
                LeakageCheck(
                    "label time after prediction time",
                    True,
                    f"all {int(known.sum())} label times are strictly after {time!r}",
                )
            )
    checks.append(_feature_auc(rows, feature_columns, label, max_feature_auc))
    splits = {s: rows.filter(pc.equal(rows[split_column], s)) for s in split_names}
    if split_kind == "time" and time is not None:
        checks.extend(_time_order(splits, split_names, time, label_time))
    if split_kind == "group":
        checks.append(_group_overlap(splits, split_by))
    return LeakageReport(checks)


def _time_order(
    splits: Mapping[str, pa.Table], names: Sequence[str], time: str, label_time: str | None
) -> list[LeakageCheck]:
    out: list[LeakageCheck] = []
    problems: list[str] = []
    late_labels = 0
    present = [s for s in names if splits[s].num_rows]
    for before, after in itertools.pairwise(present):
        end = pc.max(splits[before][time]).as_py()
        start = pc.min(splits[after][time]).as_py()
        if end >= start:
            problems.append(f"{before} ends at {end}, not before {after} starts at {start}")
        if label_time is not None and before == present[0]:
            late = pc.greater_equal(splits[before][label_time], start)
            late_labels = int(pc.sum(late).as_py() or 0)
    if problems:
        out.append(LeakageCheck("time split order", False, "; ".join(problems)))
    else:
        out.append(
            LeakageCheck(
                "time split order",
                True,
                "each split's rows are strictly before the next split's "
                "(features of earlier splits cannot see later splits' events)",
            )
        )
    if label_time is not None and len(present) > 1:
        out.append(
            LeakageCheck(
                "training labels known before validation",
                late_labels == 0,
                f"{late_labels} {present[0]} rows got their label at or after the "
                f"{present[1]} start; a model trained at that start could not have seen them",
                severity="warning",
            )
        )
    return out


def _group_overlap(splits: Mapping[str, pa.Table], by: Sequence[str]) -> LeakageCheck:
    seen: dict[str, str] = {}
    shared: set[str] = set()
    for name, table in splits.items():
        for key in set(key_strings(table, by).to_pylist()) if table.num_rows else set():
            if key is None:
                continue
            if key in seen and seen[key] != name:
                shared.add(key)
            seen.setdefault(key, name)
    if shared:
        shown = ", ".join(sorted(shared)[:5])
        return LeakageCheck(
            "group split",
            False,
            f"{len(shared)} entities of {list(by)} appear in more than one split "
            f"(e.g. {shown}); assign splits by entity",
        )
    return LeakageCheck(
        "group split", True, f"{len(seen)} entities of {list(by)}, each in exactly one split"
    )
