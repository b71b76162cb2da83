"""Probability sampling of Arrow tables: simple random, stratified, weighted and importance.

Each function draws from an explicit ``seed`` and returns a :class:`~winnow.sampling.Sample`
``(table, report)``: the sampled rows in source order, and a :class:`SamplingReport` for the
dataset manifest. Every row's chance of selection is known, so estimates can be corrected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.sampling._seeding import Seed, make_rng, seed_record
from winnow.sampling._strata import (
    largest_remainder,
    match_mapping,
    random_subset_within,
    strata_of,
    stratum_label,
)
from winnow.sampling.report import Sample, SamplingReport

__all__ = ["importance", "simple_random", "stratified", "weighted"]

Allocation = Literal["proportional", "equal"] | Mapping[Any, int]


def sample_size(total: int, *, n: int | None, frac: float | None, where: str) -> int:
    """Return the sample size from exactly one of ``n`` and ``frac`` (``round(frac * total)``).

    ``frac`` rounds half up: ``floor(frac * total + 0.5)``.
    """
    if (n is None) == (frac is None):
        raise DefinitionError(f"{where}: give exactly one of n= or frac= (got n={n}, frac={frac})")
    if n is not None:
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise DefinitionError(f"{where}: n must be a non-negative integer, got {n!r}")
        return int(n)
    assert frac is not None
    if not 0.0 <= float(frac) <= 1.0:
        raise DefinitionError(f"{where}: frac must be within [0, 1], got {frac!r}")
    return int(np.floor(float(frac) * total + 0.5))


def _take_sorted(table: pa.Table, indices: np.ndarray) -> pa.Table:
    return table.take(pa.array(np.sort(indices).astype(np.int64)))


def simple_random(
    table: pa.Table,
    *,
    n: int | None = None,
    frac: float | None = None,
    replace: bool = False,
    seed: Seed,
) -> Sample:
    """Draw a simple random sample of rows: every subset of size ``n`` is equally likely.

    Parameters
    ----------
    table
        The population.
    n, frac
        The sample size, or the fraction of rows (``floor(frac * rows + 0.5)``); give one.
    replace
        Draw with replacement (each draw uniform over all rows; rows may repeat).
    seed
        Seed of the PCG64 generator.

    Returns
    -------
    Sample
        ``(table, report)``: the sampled rows in source order (repeated rows adjacent) and a
        :class:`SamplingReport` with ``method="simple_random"``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"x": list(range(10))})
    >>> s = simple_random(t, n=3, seed=7)
    >>> s.table.num_rows, s.report.method
    (3, 'simple_random')
    """
    where = "simple_random"
    rng = make_rng(seed, where=where)
    total = table.num_rows
    k = sample_size(total, n=n, frac=frac, where=where)
    if not replace and k > total:
        raise DefinitionError(
            f"{where}: cannot draw n={k} rows without replacement from a table of {total} rows; "
            f"lower n or pass replace=True"
        )
    if replace:
        if total == 0 and k > 0:
            raise DefinitionError(f"{where}: cannot draw {k} rows from an empty table")
        indices = rng.integers(0, total, size=k) if k else np.zeros(0, dtype=np.int64)
    else:
        indices = rng.choice(total, size=k, replace=False) if k else np.zeros(0, dtype=np.int64)
    report = SamplingReport(
        method="simple_random",
        parameters={"n": n, "frac": frac, "replace": bool(replace)},
        seed=seed_record(seed),
        input_rows=total,
        output_rows=int(k),
        biased=False,
    )
    return Sample(_take_sorted(table, np.asarray(indices, dtype=np.int64)), report)


def stratified(
    table: pa.Table,
    *,
    by: str | Sequence[str],
    n: int | None = None,
    frac: float | None = None,
    allocation: Allocation = "proportional",
    shortfall: Literal["error", "take_all"] = "error",
    seed: Seed,
) -> Sample:
    """Draw a stratified sample with exact per-stratum sizes, simple random within each stratum.

    Parameters
    ----------
    table
        The population.
    by
        The column (or columns) whose values define the strata; nulls form their own stratum.
    n, frac
        Total sample size, or fraction of rows (``floor(frac * rows + 0.5)``). Not used when
        ``allocation`` is a mapping, which gives the sizes itself.
    allocation
        ``"proportional"``: stratum h gets ``n * N_h / N`` rows, rounded by the largest-remainder
        method (floors, then the leftover rows to the largest fractional parts; ties to the larger
        stratum, then the smaller key), so the sizes sum to exactly ``n``. ``"equal"``: ``n / H``
        rows per stratum, the remainder to the first strata in key order. A mapping
        ``{stratum key: n_h}`` gives each size directly (keys may also be the stratum's text, as
        typed on a command line; unnamed strata get 0 rows; a tuple key for several columns).
    shortfall
        What to do when a stratum has fewer rows than its allocation: ``"error"`` raises a
        :class:`~winnow.errors.DefinitionError` naming the stratum; ``"take_all"`` takes all of
        its rows (the sample is then smaller than asked and the report says by how much).
    seed
        Seed of the PCG64 generator.

    Returns
    -------
    Sample
        ``(table, report)``: the sampled rows in source order and a :class:`SamplingReport` with
        ``method="stratified"``, ``strata`` (rows drawn per stratum) and ``population_strata``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"label": ["a"] * 6 + ["b"] * 4, "x": list(range(10))})
    >>> s = stratified(t, by="label", n=5, seed=7)
    >>> s.report.strata
    {'a': 3, 'b': 2}
    """
    where = "stratified"
    if shortfall not in ("error", "take_all"):
        raise DefinitionError(
            f"{where}: shortfall must be 'error' or 'take_all', got {shortfall!r}"
        )
    rng = make_rng(seed, where=where)
    strata = strata_of(table, by, where=where)
    sizes = strata.sizes
    if isinstance(allocation, Mapping):
        if n is not None or frac is not None:
            raise DefinitionError(
                f"{where}: an allocation mapping gives the sizes; do not also pass n= or frac="
            )
        wanted = match_mapping(allocation, strata, where=where, what="allocation")
        alloc_text: Any = {stratum_label(k): int(v) for k, v in allocation.items()}
    else:
        total = sample_size(table.num_rows, n=n, frac=frac, where=where)
        if total > table.num_rows and shortfall == "error":
            raise DefinitionError(
                f"{where}: n={total} is more than the {table.num_rows} rows of the table"
            )
        if allocation == "proportional":
            wanted = (
                largest_remainder(total, sizes) if len(sizes) else np.zeros(0, dtype=np.int64)
            )
        elif allocation == "equal":
            h = len(sizes)
            wanted = np.full(h, total // h if h else 0, dtype=np.int64)
            wanted[: (total % h if h else 0)] += 1
        else:
            raise DefinitionError(
                f"{where}: allocation must be 'proportional', 'equal' or a mapping "
                f"{{stratum: n}}, got {allocation!r}"
            )
        alloc_text = allocation
    short = np.flatnonzero(wanted > sizes)
    notes: list[str] = []
    if len(short):
        if shortfall == "error":
            h = int(short[0])
            raise DefinitionError(
                f"{where}: stratum {stratum_label(strata.keys[h])!r} of {by!r} has {sizes[h]} "
                f"rows but its allocation is {wanted[h]}"
                + (f" ({len(short)} strata short in all)" if len(short) > 1 else "")
                + "; lower n, choose another allocation, or pass shortfall='take_all'"
            )
        missing = int((wanted[short] - sizes[short]).sum())
        notes.append(
            f"{len(short)} strata had fewer rows than allocated; took all of them "
            f"({missing} rows short of the requested total)"
        )
        wanted = np.minimum(wanted, sizes)
    chosen = random_subset_within(strata.codes, wanted, sizes, rng)
    labels = [stratum_label(k) for k in strata.keys]
    report = SamplingReport(
        method="stratified",
        parameters={
            "by": by if isinstance(by, str) else list(by),
            "n": n,
            "frac": frac,
            "allocation": alloc_text,
            "shortfall": shortfall,
        },
        seed=seed_record(seed),
        input_rows=table.num_rows,
        output_rows=len(chosen),
        biased=False,
        strata={lab: int(w) for lab, w in zip(labels, wanted, strict=True)},
        population_strata={lab: int(s) for lab, s in zip(labels, sizes, strict=True)},
        notes=tuple(notes),
    )
    return Sample(table.take(pa.array(chosen.astype(np.int64))), report)


def _weights(table: pa.Table, column: str, *, where: str) -> np.ndarray:
    if column not in table.column_names:
        raise ColumnNotFoundError(column, table.column_names, where=where)
    col = table[column]
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        raise SchemaError(
            f"{where}: weight column {column!r} has type {col.type}; expected a number"
        )
    if col.null_count:
        raise SchemaError(
            f"{where}: weight column {column!r} has {col.null_count} nulls; fill or filter them"
        )
    values: np.ndarray = np.asarray(col.to_numpy(), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        raise SchemaError(
            f"{where}: weight column {column!r} must be finite and >= 0; row {int(bad[0])} has "
            f"{float(values[bad[0]])!r} ({len(bad)} such rows)"
        )
    return values


def _rosen_inclusion(weights: np.ndarray, n: int) -> np.ndarray:
    """Rosén's approximation of successive-sampling inclusion probabilities.

    ``pi_i = 1 - exp(-w_i * t)`` with ``t`` solving ``sum(pi_i) = n``. The left side is concave
    and increasing in ``t`` and is <= n at ``t0 = n / sum(w)``, so Newton's method from ``t0``
    climbs monotonically to the root.
    """
    positive = weights > 0
    m = int(positive.sum())
    if n >= m:
        return positive.astype(np.float64)
    w = weights[positive] / weights[positive].mean()
    t = n / float(w.sum())
    for _ in range(200):
        e = np.exp(-w * t)
        f = float((-np.expm1(-w * t)).sum()) - n
        slope = float((w * e).sum())
        if slope <= 0:
            break
        step = -f / slope
        t += step
        if abs(step) <= 1e-15 * t:
            break
    pi = np.zeros(len(weights), dtype=np.float64)
    pi[positive] = -np.expm1(-w * t)
    return pi


def weighted(
    table: pa.Table,
    *,
    weight: str,
    n: int,
    replace: bool = False,
    seed: Seed,
) -> Sample:
    """Draw ``n`` rows with probability proportional to a weight column.

    Without replacement this is Efraimidis–Spirakis sampling: each row gets the key
    ``u ** (1 / w)`` (``u`` uniform) and the ``n`` largest keys win. That is exactly
    *successive sampling*: the first row is drawn with probability ``w_i / sum(w)``, the next in
    proportion to the weights of the rows left, and so on. Inclusion probabilities are therefore
    not ``n * w_i / sum(w)``; the returned ``sampling_weight`` is ``1 / pi_i`` with ``pi_i`` from
    Rosén's approximation ``1 - exp(-w_i t)``, ``sum(pi) = n`` (exact for equal weights).
    With replacement each of the ``n`` draws picks row i with probability ``p_i = w_i / sum(w)``
    and ``sampling_weight`` is the Hansen–Hurwitz weight ``1 / (n p_i)`` (unbiased for totals).

    Parameters
    ----------
    table
        The population.
    weight
        A numeric column of non-negative, finite weights; rows of weight 0 are never drawn.
    n
        The sample size.
    replace
        Draw with replacement.
    seed
        Seed of the PCG64 generator.

    Returns
    -------
    Sample
        ``(table, report)``: the sampled rows in source order with an extra float64 column
        ``sampling_weight``, and a :class:`SamplingReport` with ``method="weighted"``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"x": [1, 2, 3, 4], "w": [1.0, 1.0, 1.0, 5.0]})
    >>> weighted(t, weight="w", n=2, seed=3).table.num_rows
    2
    """
    where = "weighted"
    rng = make_rng(seed, where=where)
    k = sample_size(table.num_rows, n=n, frac=None, where=where)
    if "sampling_weight" in table.column_names:
        raise SchemaError(
            f"{where}: the table already has a 'sampling_weight' column; rename it first"
        )
    w = _weights(table, weight, where=where)
    positive = int((w > 0).sum())
    if k and positive == 0:
        raise DefinitionError(f"{where}: every weight in {weight!r} is 0; nothing can be drawn")
    if replace:
        p = w / w.sum() if k else w
        indices = np.sort(rng.choice(len(w), size=k, replace=True, p=p)) if k else np.zeros(0)
        indices = indices.astype(np.int64)
        sw = 1.0 / (k * p[indices]) if k else np.zeros(0)
    else:
        if k > positive:
            raise DefinitionError(
                f"{where}: cannot draw n={k} rows without replacement: only {positive} rows of "
                f"{weight!r} have a positive weight; lower n or pass replace=True"
            )
        # log key = log(u) / w; the n largest keys form the sample (zero weights get -inf)
        u = rng.random(len(w))
        with np.errstate(divide="ignore"):
            keys = np.where(w > 0, np.log(u) / np.where(w > 0, w, 1.0), -np.inf)
        if k:
            top = np.argpartition(-keys, k - 1)[:k]
            indices = np.sort(top).astype(np.int64)
        else:
            indices = np.zeros(0, dtype=np.int64)
        sw = 1.0 / _rosen_inclusion(w, k)[indices] if k else np.zeros(0)
    out = table.take(pa.array(indices)).append_column(
        "sampling_weight", pa.array(np.asarray(sw, dtype=np.float64))
    )
    report = SamplingReport(
        method="weighted",
        parameters={"weight": weight, "n": int(k), "replace": bool(replace)},
        seed=seed_record(seed),
        input_rows=table.num_rows,
        output_rows=int(k),
        biased=False,
        notes=(
            (
                "with replacement: sampling_weight = 1 / (n p_i), Hansen-Hurwitz"
                if replace
                else "without replacement (Efraimidis-Spirakis = successive sampling): "
                "sampling_weight = 1 / pi_i, Rosén's approximation of pi_i"
            ),
        ),
    )
    return Sample(out, report)


def importance(
    table: pa.Table,
    *,
    target: str,
    proposal: str | None = None,
    n: int,
    seed: Seed,
) -> Sample:
    """Resample rows toward a target distribution (sampling-importance-resampling).

    The table is taken as a sample from a proposal distribution q. Each row's density ratio is
    ``r_i = p(x_i) / q(x_i)``: the ``target`` column itself when ``proposal`` is ``None``, else
    ``target / proposal`` (two columns of unnormalised weights). ``n`` rows are then drawn with
    replacement with probability ``r_i / sum(r)``, so the sample follows the target as the table
    grows. The effective sample size ``(sum r)^2 / sum r^2`` (Kish) says how many independent
    target draws the table is worth: a small value warns that a few rows dominate.

    Parameters
    ----------
    table
        Rows drawn from the proposal distribution.
    target
        A column of density ratios, or of target weights when ``proposal`` is given.
    proposal
        A column of proposal weights (positive wherever the target is positive).
    n
        Rows to draw.
    seed
        Seed of the PCG64 generator.

    Returns
    -------
    Sample
        ``(table, report)``: the resampled rows in source order with an extra float64 column
        ``importance_weight`` = ``r_i / mean(r)`` (the row's self-normalised ratio, for weighting
        the *input* rows; the resampled rows already follow the target and need no weight), and
        a :class:`SamplingReport` with ``method="importance"`` and ``effective_sample_size``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"x": [0, 1, 2], "ratio": [0.0, 1.0, 3.0]})
    >>> s = importance(t, target="ratio", n=4, seed=1)
    >>> s.table["x"].to_pylist().count(0), s.report.effective_sample_size
    (0, 1.6)
    """
    where = "importance"
    rng = make_rng(seed, where=where)
    k = sample_size(table.num_rows, n=n, frac=None, where=where)
    if "importance_weight" in table.column_names:
        raise SchemaError(
            f"{where}: the table already has an 'importance_weight' column; rename it first"
        )
    ratio = _weights(table, target, where=where)
    if proposal is not None:
        q = _weights(table, proposal, where=where)
        bad = np.flatnonzero((q == 0) & (ratio > 0))
        if len(bad):
            raise SchemaError(
                f"{where}: proposal {proposal!r} is 0 at row {int(bad[0])} where target "
                f"{target!r} is positive; the proposal must cover the target's support"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(q > 0, ratio / np.where(q > 0, q, 1.0), 0.0)
    total = float(ratio.sum())
    if total <= 0:
        raise DefinitionError(f"{where}: every density ratio is 0; nothing can be drawn")
    ess = total * total / float(np.square(ratio).sum())
    p = ratio / total
    indices = np.sort(rng.choice(len(ratio), size=k, replace=True, p=p)).astype(np.int64)
    iw = ratio[indices] / (total / len(ratio))
    out = table.take(pa.array(indices)).append_column("importance_weight", pa.array(iw))
    report = SamplingReport(
        method="importance",
        parameters={"target": target, "proposal": proposal, "n": int(k)},
        seed=seed_record(seed),
        input_rows=table.num_rows,
        output_rows=int(k),
        biased=False,
        effective_sample_size=round(ess, 12),
        notes=("rows resampled with replacement in proportion to the density ratio",),
    )
    return Sample(out, report)
