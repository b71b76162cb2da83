"""Compare a current batch with a reference: per-column drift statistics against thresholds."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa

from winnow.drift.stats import (
    Distribution,
    aligned_counts,
    chi_square,
    decile_edges,
    jensen_shannon,
    ks_test,
    psi,
    shares_between,
)
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.profiles import ColumnProfile, Profile, profile

__all__ = ["DriftReport", "DriftStatistic", "Thresholds", "detect_drift", "load_reference"]

Source: TypeAlias = Profile | pa.Table | str | os.PathLike[str]


@dataclass(frozen=True)
class Thresholds:
    """When a statistic counts as drift. Defaults follow common practice.

    Attributes
    ----------
    psi
        PSI at or above this is drift (0.1-0.2 is usually read as "moderate", above 0.2 "major").
    ks_pvalue, ks_statistic
        KS drift needs both ``p < ks_pvalue`` and ``D >= ks_statistic``: on large samples a
        negligible difference is significant, so the effect floor keeps it from alerting.
    chi2_pvalue, cramers_v
        Chi-square drift needs ``p < chi2_pvalue`` and Cramér's V at or above ``cramers_v``.
    js
        Jensen–Shannon distance (base 2) at or above this is drift.
    new_categories
        Share of current rows whose category the reference never saw.
    missing_categories
        Share of reference rows whose category the current data never shows.
    null_rate
        Absolute change of the null rate.
    """

    psi: float = 0.2
    ks_pvalue: float = 0.01
    ks_statistic: float = 0.1
    chi2_pvalue: float = 0.01
    cramers_v: float = 0.1
    js: float = 0.1
    new_categories: float = 0.05
    missing_categories: float = 0.05
    null_rate: float = 0.05

    def with_overrides(self, overrides: Mapping[str, float]) -> Thresholds:
        """A copy with some thresholds changed (unknown names are a :class:`DefinitionError`)."""
        known = {f.name for f in dataclasses.fields(self)}
        for name in overrides:
            if name not in known:
                raise DefinitionError(
                    f"unknown drift threshold {name!r}; known: {', '.join(sorted(known))}"
                )
        return dataclasses.replace(self, **{k: float(v) for k, v in overrides.items()})


@dataclass(frozen=True)
class DriftStatistic:
    """One statistic of one column, its threshold, and whether it counts as drift."""

    column: str
    role: str  # "numeric", "categorical" or "label"
    statistic: str
    value: float
    threshold: float
    drifted: bool
    p_value: float | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (NaN becomes None)."""
        out: dict[str, Any] = {}
        for k, v in dataclasses.asdict(self).items():
            if hasattr(v, "item"):  # numpy scalars
                v = v.item()
            out[k] = None if isinstance(v, float) and math.isnan(v) else v
        return out


@dataclass
class DriftReport:
    """The result of :func:`detect_drift`: every statistic, and the profiles compared."""

    statistics: list[DriftStatistic]
    reference: Profile
    current: Profile
    columns: list[str]
    label: str | None = None
    reference_name: str = "reference"
    current_name: str = "current"
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def drifted(self) -> bool:
        """True when any statistic crossed its threshold."""
        return any(bool(s.drifted) for s in self.statistics)

    @property
    def drifted_columns(self) -> list[str]:
        """Columns with at least one drifted statistic, in comparison order."""
        hit = {s.column for s in self.statistics if s.drifted}
        return [c for c in self.columns if c in hit]

    def to_arrow(self) -> pa.Table:
        """One row per (column, statistic)."""
        schema = pa.schema([
            ("column", pa.string()), ("role", pa.string()), ("statistic", pa.string()),
            ("value", pa.float64()), ("threshold", pa.float64()), ("p_value", pa.float64()),
            ("drifted", pa.bool_()), ("detail", pa.string()),
        ])
        return pa.Table.from_pylist([s.to_dict() for s in self.statistics], schema=schema)

    def to_json(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {
            "drifted": self.drifted,
            "drifted_columns": self.drifted_columns,
            "reference": {"name": self.reference_name, "rows": self.reference.rows},
            "current": {"name": self.current_name, "rows": self.current.rows},
            "label": self.label,
            "thresholds": dataclasses.asdict(self.thresholds),
            "statistics": [s.to_dict() for s in self.statistics],
        }

    def to_rich(self) -> Any:
        """A :class:`rich.table.Table` of the statistics, drifted rows in red."""
        from rich.table import Table

        table = Table(title=f"drift: {self.current_name} vs {self.reference_name}")
        for name in ("column", "statistic", "value", "threshold", "p-value", "drift"):
            table.add_column(name, justify="right" if name in ("value", "threshold",
                                                               "p-value") else "left")
        for s in self.statistics:
            style = "bold red" if s.drifted else None
            table.add_row(s.column + (" (label)" if s.role == "label" else ""), s.statistic,
                          _fmt(s.value), _fmt(s.threshold),
                          "" if s.p_value is None else f"{s.p_value:.3g}",
                          "DRIFT" if s.drifted else "ok", style=style)
        return table

    def to_html(self) -> str:
        """A standalone HTML report with the table and reference-vs-current plots."""
        from winnow.drift.report import render_html

        return render_html(self)

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_html` to ``path`` atomically."""
        from winnow.io.atomic import atomic_path

        dest = Path(path)
        with atomic_path(dest) as tmp:
            tmp.write_text(self.to_html(), encoding="utf-8")
        return dest


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.4g}"


# ---------------------------------------------------------------------------- sources
@dataclass
class _Side:
    profile: Profile
    table: pa.Table | None
    name: str


def load_reference(path: str | os.PathLike[str], *, split: str = "train") -> Profile:
    """The reference profile at ``path``: a built dataset's split, a profile JSON, or a file.

    A dataset directory gives ``profiles/<split>.json`` (or profiles ``<split>.parquet`` when
    the dataset predates profiles); a ``.json`` file is read as a saved profile; any other file
    is read and profiled.
    """
    return _side(path, split=split, columns=None, categorical=(), keep_table=False).profile


def _side(source: Source, *, split: str, columns: Sequence[str] | None,
          categorical: Sequence[str], keep_table: bool) -> _Side:
    if isinstance(source, Profile):
        return _Side(source, None, "profile")
    if isinstance(source, pa.Table):
        return _Side(profile(source, columns=columns, categorical=categorical),
                     source if keep_table else None, "table")
    path = Path(source)
    if path.is_dir():
        from winnow.datasets.manifest import MANIFEST, read_manifest

        if (path / MANIFEST).is_file():
            saved = path / "profiles" / f"{split}.json"
            if saved.is_file():
                return _Side(Profile.load(saved), None, f"{path} ({split})")
            manifest = read_manifest(path)
            label = manifest.get("columns", {}).get("label")
            names = list(manifest.get("columns", {}).get("features", [])) + (
                [label] if label else [])
            source = path / f"{split}.parquet"
            if not source.is_file():
                raise DefinitionError(
                    f"dataset {path} has no split {split!r}; choose one of "
                    f"{', '.join(manifest.get('split', {}).get('names', []))}"
                )
            categorical = [*categorical, *([label] if label else [])]
            columns = columns or names
    elif path.suffix.lower() == ".json":
        return _Side(Profile.load(path), None, str(path))
    from winnow.io.formats import read_table

    table = read_table(source, columns=list(columns) if columns else None)
    return _Side(profile(table, columns=columns, categorical=categorical),
                 table if keep_table else None, str(source))


def _values(table: pa.Table, column: ColumnProfile) -> np.ndarray:
    from winnow.profiles.column import _as_float

    values = _as_float(table.column(column.name), column.kind)
    return np.sort(values[np.isfinite(values)])


def _distribution(side: _Side, column: ColumnProfile) -> Distribution:
    if side.table is not None and column.name in side.table.column_names:
        values = _values(side.table, column)
        return Distribution(n=int(values.size), values=values)
    return Distribution(n=column.count, sketch=column.quantiles)


# ---------------------------------------------------------------------------- statistics
def _null_rate(ref: ColumnProfile, cur: ColumnProfile, role: str,
               t: Thresholds) -> DriftStatistic:
    if ref.rows == 0 or cur.rows == 0:
        return DriftStatistic(ref.name, role, "null_rate", math.nan, t.null_rate, False)
    delta = abs(cur.null_rate - ref.null_rate)
    return DriftStatistic(
        ref.name, role, "null_rate", delta, t.null_rate, bool(delta >= t.null_rate),
        detail=f"null rate {ref.null_rate:.4g} -> {cur.null_rate:.4g}",
    )


def _numeric(ref: ColumnProfile, cur: ColumnProfile, ref_side: _Side, cur_side: _Side,
             t: Thresholds) -> list[DriftStatistic]:
    a = _distribution(ref_side, ref)
    b = _distribution(cur_side, cur)
    out = [_null_rate(ref, cur, "numeric", t)]
    if a.n == 0 or b.n == 0:
        out.append(DriftStatistic(ref.name, "numeric", "psi", math.nan, t.psi, False,
                                  detail="no finite values on one side"))
        return out
    edges = decile_edges(a)
    value = psi(shares_between(a, edges), shares_between(b, edges))
    out.append(DriftStatistic(ref.name, "numeric", "psi", value, t.psi, bool(value >= t.psi),
                              detail=f"{edges.size + 1} bins at the reference deciles"))
    d, p = ks_test(a, b)
    error = a.error + b.error
    floor = max(t.ks_statistic, error)
    detail = f"n={a.n} vs {b.n}" + (f"; sketch CDF error up to {error:.3g}" if error else "")
    out.append(DriftStatistic(ref.name, "numeric", "ks", d, floor,
                              bool(p < t.ks_pvalue and d >= floor), p_value=p, detail=detail))
    return out


def _categorical(ref: ColumnProfile, cur: ColumnProfile, role: str,
                 t: Thresholds) -> list[DriftStatistic]:
    assert ref.categories is not None and cur.categories is not None
    out = [_null_rate(ref, cur, role, t)]
    ref_counts = dict(ref.categories)
    cur_counts = dict(cur.categories)
    if ref.other or cur.other:
        ref_counts["(other)"] = ref_counts.get("(other)", 0) + ref.other
        cur_counts["(other)"] = cur_counts.get("(other)", 0) + cur.other
    names, r, c = aligned_counts(ref_counts, cur_counts)
    if r.sum() == 0 or c.sum() == 0:
        out.append(DriftStatistic(ref.name, role, "js", math.nan, t.js, False,
                                  detail="no values on one side"))
        return out
    stat, p, v = chi_square(r, c)
    out.append(DriftStatistic(
        ref.name, role, "chi2", v, t.cramers_v, bool(p < t.chi2_pvalue and v >= t.cramers_v),
        p_value=p, detail=f"Cramér's V; chi2={stat:.4g} over {len(names)} categories",
    ))
    js = jensen_shannon(r, c)
    out.append(DriftStatistic(ref.name, role, "js", js, t.js, bool(js >= t.js),
                              detail="Jensen-Shannon distance, base 2"))
    if not ref.truncated:
        new = [k for k in cur.categories if k not in ref.categories]
        share = sum(cur.categories[k] for k in new) / c.sum()
        out.append(DriftStatistic(ref.name, role, "new_categories", share, t.new_categories,
                                  bool(share >= t.new_categories),
                                  detail=_names("unseen in the reference", new)))
    if not cur.truncated:
        missing = [k for k in ref.categories if k not in cur.categories]
        share = sum(ref.categories[k] for k in missing) / r.sum()
        out.append(DriftStatistic(ref.name, role, "missing_categories", share,
                                  t.missing_categories, bool(share >= t.missing_categories),
                                  detail=_names("absent from the current data", missing)))
    return out


def _names(what: str, values: list[str]) -> str:
    if not values:
        return f"none {what}"
    shown = ", ".join(sorted(values)[:8]) + (" ..." if len(values) > 8 else "")
    return f"{len(values)} {what}: {shown}"


def detect_drift(
    reference: Source,
    current: Source,
    *,
    columns: Sequence[str] | None = None,
    label: str | None = None,
    thresholds: Thresholds | None = None,
    column_thresholds: Mapping[str, Thresholds | Mapping[str, float]] | None = None,
    split: str = "train",
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column.

    Parameters
    ----------
    reference
        A :class:`~winnow.profiles.Profile`, an Arrow table, a built dataset directory (its
        ``split`` profile), a saved profile ``.json``, or a data file.
    current
        The same kinds of source: the batch (or stream window) to check.
    columns
        Columns to compare (default: every numeric and categorical column both sides have;
        temporal columns are left out because time moves by design).
    label
        The label column: compared as categories, its shift reported with role ``label``.
    thresholds
        Default thresholds (see :class:`Thresholds`).
    column_thresholds
        Per-column thresholds: a :class:`Thresholds` or overrides such as ``{"psi": 0.3}``.
    split
        Which split of a dataset directory to use as the reference.

    Notes
    -----
    With data on both sides (tables or files), KS runs on the data; with a profile on either
    side it runs on the sketched CDFs, and the effect floor is raised to their stated error.
    """
    base = thresholds or Thresholds()
    ref_side = _side(reference, split=split, columns=None,
                     categorical=[label] if label else [], keep_table=True)
    ref = ref_side.profile
    forced = [c.name for c in ref if c.kind == "categorical"]
    wanted = list(columns) if columns is not None else None
    if wanted is not None and label and label not in wanted:
        wanted.append(label)
    cur_side = _side(current, split=split, columns=wanted, categorical=forced, keep_table=True)
    cur = cur_side.profile
    if wanted is None:
        wanted = [c.name for c in ref if c.name in cur and c.kind in ("numeric", "categorical")]
        if label and label not in wanted:
            wanted.append(label)
    per_column: dict[str, Thresholds] = {}
    for name, spec in (column_thresholds or {}).items():
        per_column[name] = spec if isinstance(spec, Thresholds) else base.with_overrides(spec)
    statistics: list[DriftStatistic] = []
    for name in wanted:
        if name not in ref:
            raise ColumnNotFoundError(name, ref.names, where=f"the reference ({ref_side.name})")
        if name not in cur:
            raise ColumnNotFoundError(name, cur.names, where=f"the current data ({cur_side.name})")
        r, c = ref[name], cur[name]
        t = per_column.get(name, base)
        if name == label:
            if r.kind != "categorical" or c.kind != "categorical":
                raise SchemaError(
                    f"label column {name!r} was profiled as {r.kind} in the reference; "
                    f"profile it with categorical=[{name!r}] (dataset profiles do this)"
                )
            statistics += _categorical(r, c, "label", t)
        elif r.kind in ("numeric", "temporal") and c.kind in ("numeric", "temporal"):
            statistics += _numeric(r, c, ref_side, cur_side, t)
        elif r.kind == "categorical" and c.kind == "categorical":
            statistics += _categorical(r, c, "categorical", t)
        else:
            raise SchemaError(
                f"column {name!r} is {r.kind} ({r.type}) in the reference but {c.kind} "
                f"({c.type}) in the current data; cast one side or leave the column out"
            )
    return DriftReport(statistics, ref, cur, wanted, label=label,
                       reference_name=ref_side.name, current_name=cur_side.name,
                       thresholds=base)


