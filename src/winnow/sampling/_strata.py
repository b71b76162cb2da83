"""Strata of a table: integer codes per row, the key of each stratum, and exact allocations.

Strata are numbered in ascending order of their key values (nulls last), so codes, allocations
and tie-breaks depend only on the data, never on row order or hashing. Everything is vectorised
with Arrow and NumPy; no Python loop touches rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, DefinitionError

__all__ = [
    "Strata",
    "largest_remainder",
    "random_rank_within",
    "random_subset_within",
    "rank_within",
    "strata_of",
    "stratum_label",
]


@dataclass(frozen=True)
class Strata:
    """Row-to-stratum codes and the key of each stratum.

    Attributes
    ----------
    codes
        ``int64`` array, one code per row, in ``[0, len(keys))``.
    keys
        The stratum keys in code order: the value for one ``by`` column, a tuple for several.
    sizes
        Rows per stratum, in code order.
    """

    codes: np.ndarray
    keys: list[Any]
    sizes: np.ndarray


def _column_ranks(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[Any]]:
    encoded = pc.dictionary_encode(column, null_encoding="encode")
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        chunks = encoded.chunks
        dictionary = chunks[0].dictionary if chunks else pa.array([], type=column.type)
        indices = (
            np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
            if chunks
            else np.zeros(0, dtype=np.int64)
        )
    else:
        dictionary = encoded.dictionary
        indices = encoded.indices.to_numpy(zero_copy_only=False)
    order = pc.array_sort_indices(dictionary, null_placement="at_end").to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    sorted_values = dictionary.take(pa.array(order)).to_pylist()
    return rank[indices.astype(np.int64)], sorted_values


def strata_of(table: pa.Table, by: str | Sequence[str], *, where: str) -> Strata:
    """Return the strata of ``table`` by the column(s) ``by`` (nulls form their own stratum)."""
    columns = [by] if isinstance(by, str) else list(by)
    if not columns:
        raise DefinitionError(f"{where}: by= must name at least one column")
    for name in columns:
        if name not in table.column_names:
            raise ColumnNotFoundError(name, table.column_names, where=where)
    if table.num_rows == 0:
        return Strata(np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=np.int64))
    if len(columns) == 1:
        codes, keys = _column_ranks(table[columns[0]])
        sizes = np.bincount(codes, minlength=len(keys)).astype(np.int64)
        return Strata(codes, keys, sizes)
    combined = np.zeros(table.num_rows, dtype=np.int64)
    for name in columns:
        ranks, sorted_values = _column_ranks(table[name])
        width = max(len(sorted_values), 1)
        if int(combined.max(initial=0)) > (np.iinfo(np.int64).max - width) // width:
            # too many combinations for one int64: re-densify before combining further
            _, combined = np.unique(combined, return_inverse=True)
            combined = combined.astype(np.int64).reshape(-1)
        combined = combined * width + ranks
    uniques, first, codes = np.unique(combined, return_index=True, return_inverse=True)
    codes = codes.astype(np.int64).reshape(-1)
    sizes = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
    key_rows = table.select(columns).take(pa.array(first)).to_pylist()
    keys = [tuple(row[c] for c in columns) for row in key_rows]
    return Strata(codes, keys, sizes)


def stratum_label(key: Any) -> str:
    """Return the text used for a stratum key in reports and JSON (``None`` -> ``"null"``)."""
    if key is None:
        return "null"
    if isinstance(key, tuple):
        return "|".join(stratum_label(k) for k in key)
    return str(key)


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` units in proportion to ``weights`` exactly (Hamilton's method).

    Each part gets the floor of its quota; the units left over go to the largest fractional
    remainders, ties broken by the larger weight and then by the lower index.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if total < 0:
        raise DefinitionError(f"cannot allocate a negative total ({total})")
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    wsum = float(weights.sum())
    if wsum <= 0:
        raise DefinitionError("cannot allocate in proportion to weights that sum to zero")
    # exact rational arithmetic on integer weights avoids float ties drifting across machines
    if np.all(weights == np.floor(weights)) and wsum * max(total, 1) < 2.0**62:
        scaled = weights.astype(np.int64) * total
        floor = scaled // int(wsum)
        remainder: np.ndarray = (scaled - floor * int(wsum)).astype(np.float64)
    else:
        quota = weights * total / wsum
        floor = np.floor(quota).astype(np.int64)
        remainder = quota - floor
    left = int(total - floor.sum())
    if left > 0:
        order = np.lexsort((np.arange(len(weights)), -weights, -np.asarray(remainder)))
        floor[order[:left]] += 1
    return floor


def rank_within(codes: np.ndarray, n_strata: int, order: np.ndarray | None = None) -> np.ndarray:
    """Return, for each row, its 0-based position among the rows of its stratum.

    Positions follow ``order`` (a permutation of the rows) if given, otherwise row order.
    """
    n = len(codes)
    perm = np.arange(n, dtype=np.int64) if order is None else order
    permuted = codes[perm]
    small = n_strata <= np.iinfo(np.uint16).max
    sort_keys = permuted.astype(np.uint16) if small else permuted
    grouped = np.argsort(sort_keys, kind="stable")
    sizes = np.bincount(codes, minlength=n_strata)
    starts = np.zeros(n_strata, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    rank_sorted = np.arange(n, dtype=np.int64) - starts[permuted[grouped]]
    ranks = np.empty(n, dtype=np.int64)
    ranks[perm[grouped]] = rank_sorted
    return ranks


def random_rank_within(
    codes: np.ndarray, n_strata: int, rng: np.random.Generator
) -> np.ndarray:
    """Return a uniformly random order of the rows within each stratum, as per-row ranks.

    One random permutation of all rows, then a stable grouping by stratum: the rows of each
    stratum appear in uniformly random order, so "rank < k" picks a simple random sample of k.
    """
    perm = rng.permutation(len(codes)).astype(np.int64)
    return rank_within(codes, n_strata, perm)


def random_subset_within(
    codes: np.ndarray, wanted: np.ndarray, sizes: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Return the sorted row indices of a simple random sample of ``wanted[h]`` rows per stratum.

    Every row gets a uniform 64-bit key; each stratum keeps its ``wanted[h]`` smallest keys,
    which is a uniformly random subset. To avoid sorting all rows, only rows whose key is at most
    a per-stratum threshold (the quantile ``(wanted[h] + 5 sqrt(wanted[h]) + 10) / sizes[h]``,
    about five standard deviations above the expected need) are sorted; a stratum that gets
    fewer candidates than it needs is redone with every row as a candidate, so the result is
    always exactly the ``wanted[h]`` smallest keys. Keys are drawn independently of the data, so
    the redo is rare (its cost is only time). Candidates are sorted once on ``(stratum, key)``
    packed into one unsigned 64-bit integer (the key keeps its top ``64 - bits(strata)`` bits;
    equal truncated keys, a coincidence of probability about ``m**2 / 2**(65 - bits)`` among
    ``m`` candidates of one stratum, fall back to row order). The sort is a plain value sort
    that yields each stratum's cut-off key; rows at or below it are then picked in row order,
    and only if truncated keys tie at a cut-off does a stable index sort settle which rows win.
    """
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keys = rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
    w = wanted.astype(np.float64)
    q = (w + 5.0 * np.sqrt(w) + 10.0) / np.maximum(sizes, 1).astype(np.float64)
    take_all = q >= 1.0
    limit = np.where(take_all, 0.0, q * 2.0**64).astype(np.uint64)
    limit[take_all] = np.iinfo(np.uint64).max
    limit[wanted == 0] = 0
    while True:
        candidates = np.flatnonzero(keys <= limit[codes])  # the all-ones limit takes every row
        cand_codes = codes[candidates]
        counts = np.bincount(cand_codes, minlength=len(wanted))
        short = (counts < wanted) & (limit < np.iinfo(np.uint64).max)
        if not short.any():
            break
        limit[short] = np.iinfo(np.uint64).max
    bits = max(1, int(len(wanted) - 1).bit_length())
    packed = (cand_codes.astype(np.uint64) << np.uint64(64 - bits)) | (
        keys[candidates] >> np.uint64(bits)
    )
    starts = np.zeros(len(wanted), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    has = wanted > 0
    cutoff = np.zeros(len(wanted), dtype=np.uint64)
    cutoff[has] = np.sort(packed)[starts[has] + wanted[has] - 1]
    picked = (packed <= cutoff[cand_codes]) & has[cand_codes]
    if int(np.count_nonzero(picked)) == int(wanted.sum()):
        fast: np.ndarray = candidates[picked].astype(np.int64)
        return fast
    # equal truncated keys at a cut-off: rank candidates, ties in row order
    order = np.argsort(packed, kind="stable")
    sorted_codes = cand_codes[order]
    rank = np.arange(len(order), dtype=np.int64) - starts[sorted_codes]
    chosen = candidates[order[rank < wanted[sorted_codes]]]
    return np.sort(chosen).astype(np.int64)


def match_mapping(
    mapping: Mapping[Any, int], strata: Strata, *, where: str, what: str
) -> np.ndarray:
    """Return per-stratum integers from a ``{stratum key: n}`` mapping (unnamed strata get 0).

    A key matches a stratum if it equals the stratum's key or its text (:func:`stratum_label`),
    so keys read from the command line as strings match integer strata.
    """
    out = np.zeros(len(strata.keys), dtype=np.int64)
    by_value: dict[Any, int] = {}
    by_label: dict[str, int] = {}
    for code, key in enumerate(strata.keys):
        with contextlib.suppress(TypeError):
            by_value[key] = code
        by_label[stratum_label(key)] = code
    for key, count in mapping.items():
        found = by_value.get(key) if _hashable(key) else None
        if found is None:
            found = by_label.get(stratum_label(key))
        if found is None:
            known = ", ".join(stratum_label(k) for k in strata.keys[:20])
            raise DefinitionError(
                f"{where}: {what} names stratum {key!r}, which is not in the data; "
                f"strata present: {known}"
            )
        value = int(count)
        if value < 0:
            raise DefinitionError(f"{where}: {what} for stratum {key!r} is negative ({count})")
        out[found] = value
    return out


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
