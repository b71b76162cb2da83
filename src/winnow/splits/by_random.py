"""Random splits with exact sizes, optionally stratified so each split keeps the label mix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from winnow.sampling._seeding import Seed, make_rng, seed_record
from winnow.sampling._strata import largest_remainder, random_rank_within, strata_of
from winnow.splits._fractions import DEFAULT_FRACTIONS, assemble, check_fractions
from winnow.splits.report import SplitResult

__all__ = ["random_split"]


def random_split(
    table: pa.Table,
    *,
    fractions: Mapping[str, float] = DEFAULT_FRACTIONS,
    stratify_by: str | Sequence[str] | None = None,
    label: str | None = None,
    time: str | None = None,
    seed: Seed,
) -> SplitResult:
    """Split rows at random into named parts of exact sizes.

    Sizes are ``fractions`` of the row count rounded by the largest-remainder method, so they
    sum to the row count and every row lands in exactly one split. With ``stratify_by`` the
    rounding is done per stratum, so each split keeps the strata's proportions (to within one row
    per stratum); the rows of each stratum are shuffled by one permutation drawn from ``seed``.

    Parameters
    ----------
    table
        The rows to split.
    fractions
        Split name -> fraction, summing to 1 (default train 0.8 / valid 0.1 / test 0.1).
    stratify_by
        Column(s) to stratify by, typically the label.
    label
        Column whose distribution the report gives per split (defaults to ``stratify_by`` when
        that is a single column).
    time
        Column whose range the report gives per split.
    seed
        Seed of the PCG64 generator.

    Returns
    -------
    SplitResult
        ``(tables, report)``: ``dict[str, pyarrow.Table]`` in the order of ``fractions`` (rows
        in source order) and a :class:`~winnow.splits.SplitReport` with ``method="random"``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"y": [0, 1] * 10})
    >>> tables, report = random_split(t, stratify_by="y", seed=1)
    >>> {name: part.num_rows for name, part in tables.items()}
    {'train': 16, 'valid': 2, 'test': 2}
    """
    where = "random_split"
    fr = check_fractions(fractions, where=where)
    names = list(fr)
    weights = np.array([fr[n] for n in names], dtype=np.float64)
    rng = make_rng(seed, where=where)
    n = table.num_rows
    if stratify_by is None:
        codes = np.zeros(n, dtype=np.int64)
        strata_sizes = np.array([n], dtype=np.int64)
    else:
        strata = strata_of(table, stratify_by, where=where)
        codes, strata_sizes = strata.codes, strata.sizes
    if n == 0:
        assignment = np.zeros(0, dtype=np.int64)
    else:
        # bounds[h, j] = rows of stratum h that go to splits 0..j-1
        alloc = np.stack([largest_remainder(int(s), weights) for s in strata_sizes])
        bounds = np.cumsum(alloc, axis=1)
        ranks = random_rank_within(codes, len(strata_sizes), rng)
        row_bounds = bounds[codes]
        assignment = (ranks[:, None] >= row_bounds).sum(axis=1).astype(np.int64)
    if label is None and isinstance(stratify_by, str):
        label = stratify_by
    return assemble(
        table,
        assignment,
        names,
        method="random",
        parameters={
            "fractions": fr,
            "stratify_by": stratify_by if stratify_by is None or isinstance(stratify_by, str)
            else list(stratify_by),
        },
        seed=seed_record(seed),
        label=label,
        time=time,
        where=where,
    )
