"""scikit-learn cross-validation splitters built on winnow's split rules.

:class:`TimeSplit`, :class:`GroupSplit` and :class:`StratifiedSplit` speak scikit-learn's
splitter protocol (``split(X, y=None, groups=None)`` yielding ``(train_indices, test_indices)``,
and ``get_n_splits``), so they drop into ``cross_val_score(model, X, y, cv=TimeSplit(...))``. ``X``
may be a NumPy array, a pandas or Polars DataFrame, or an Arrow table; columns named by the
splitters are read from it (for a NumPy array, give a column index).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.sampling._seeding import Seed, make_rng
from winnow.sampling._strata import random_rank_within, strata_of
from winnow.splits.by_group import group_hash
from winnow.splits.report import time_values
from winnow.timestamps import parse_duration

__all__ = ["GroupSplit", "StratifiedSplit", "TimeSplit"]

Indices = tuple[np.ndarray, np.ndarray]


def _n_rows(X: Any) -> int:
    if isinstance(X, pa.Table | pa.RecordBatch):
        return int(X.num_rows)
    shape = getattr(X, "shape", None)
    if shape is not None:
        return int(shape[0])
    return len(X)


def _column(X: Any, name: str | int, *, where: str) -> pa.Table:
    """Return column ``name`` of ``X`` as a one-column Arrow table named ``c``."""
    if isinstance(X, pa.RecordBatch):
        X = pa.Table.from_batches([X])
    if isinstance(X, pa.Table):
        if not isinstance(name, str) or name not in X.column_names:
            raise ColumnNotFoundError(str(name), X.column_names, where=where)
        return pa.table({"c": X[name]})
    if isinstance(X, np.ndarray):
        if not isinstance(name, int):
            raise SchemaError(
                f"{where}: X is a NumPy array; name the column by index, not {name!r}"
            )
        return _as_table(X[:, name], where=where)
    columns = list(getattr(X, "columns", []))
    if name not in columns:
        raise ColumnNotFoundError(str(name), [str(c) for c in columns], where=where)
    return _as_table(X[name], where=where)


def _as_table(values: Any, *, where: str) -> pa.Table:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return pa.table({"c": values})
    to_numpy = getattr(values, "to_numpy", None)
    arr = np.asarray(to_numpy() if callable(to_numpy) else values)
    if arr.ndim != 1:
        raise SchemaError(f"{where}: expected one value per row, got shape {arr.shape}")
    if arr.dtype.kind == "M":
        arr = arr.astype("datetime64[us]")
        return pa.table({"c": pa.array(arr).cast(pa.timestamp("us", tz="UTC"))})
    if arr.dtype.kind == "O":
        return pa.table({"c": pa.array(arr.tolist())})
    return pa.table({"c": pa.array(arr)})


class TimeSplit:
    """Forward-chaining time folds: each fold trains on the past and tests on the next period.

    Rows are cut by time into ``n_splits + 1`` consecutive periods of about equal row counts;
    fold i tests on period i + 1 and trains on all rows strictly earlier than the test period's
    start minus ``gap`` (optionally only the last ``max_train_window`` of them). Equal times are
    never separated: a boundary is a time, so ``max(train time) + gap < min(test time)``.

    Parameters
    ----------
    n_splits
        Number of folds.
    time
        The time column of ``X``; ``None`` uses row order as time (rows already sorted).
    gap
        A duration left out before each test period (``"7d"``; a number for numeric times).
    max_train_window
        Only train on rows within this duration before the gap.

    Examples
    --------
    >>> import numpy as np
    >>> cv = TimeSplit(3)
    >>> [(len(tr), len(te)) for tr, te in cv.split(np.zeros((8, 1)))]
    [(2, 2), (4, 2), (6, 2)]
    """

    def __init__(
        self,
        n_splits: int = 5,
        *,
        time: str | int | None = None,
        gap: str | int | float | None = None,
        max_train_window: str | int | float | None = None,
    ) -> None:
        if int(n_splits) != n_splits or n_splits < 1:
            raise DefinitionError(f"TimeSplit: n_splits must be a positive int, got {n_splits!r}")
        self.n_splits = int(n_splits)
        self.time = time
        self.gap = gap
        self.max_train_window = max_train_window

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return the number of folds."""
        return self.n_splits

    def _duration(self, value: str | int | float | None, kind: str, what: str) -> float:
        if value is None:
            return 0.0
        if kind == "timestamp":
            if isinstance(value, float):
                raise DefinitionError(f"TimeSplit: {what} must be a duration such as '7d'")
            return float(parse_duration(value))
        if isinstance(value, str):
            raise DefinitionError(f"TimeSplit: {what} {value!r} must be a number for this time")
        return float(value)

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Indices]:
        """Yield ``(train_indices, test_indices)`` per fold, indices in ascending row order."""
        where = "TimeSplit"
        n = _n_rows(X)
        if self.time is None:
            t: np.ndarray = np.arange(n, dtype=np.int64)
            kind = "number"
        else:
            t, kind = time_values(_column(X, self.time, where=where), "c", where=where)
        gap = self._duration(self.gap, kind, "gap")
        window = self._duration(self.max_train_window, kind, "max_train_window")
        order = np.argsort(t, kind="stable")
        size = n // (self.n_splits + 1)
        if size == 0:
            raise DefinitionError(
                f"{where}: {n} rows cannot make {self.n_splits} folds; lower n_splits"
            )
        starts = [n - size * (self.n_splits - i) for i in range(self.n_splits)]
        bounds = [t[order[s]] for s in starts]
        if len(set(bounds)) != len(bounds) or any(b <= t[order[0]] for b in bounds):
            raise DefinitionError(
                f"{where}: the time column has too few distinct times to cut {self.n_splits} "
                f"folds without splitting equal times; lower n_splits"
            )
        for i, b in enumerate(bounds):
            end = bounds[i + 1] if i + 1 < len(bounds) else None
            test = (t >= b) if end is None else ((t >= b) & (t < end))
            train = t < b - gap
            if window:
                train &= t >= b - gap - window
            yield np.flatnonzero(train), np.flatnonzero(test)


class GroupSplit:
    """K folds by group: every row of a group is in the same fold, by hash of (group, seed).

    The fold of a group is ``floor(u * n_splits)`` with ``u`` the group's hash value (as in
    :func:`~winnow.splits.group_split`), so it does not depend on row order or on the other
    groups; fold sizes are therefore random.

    Parameters
    ----------
    n_splits
        Number of folds.
    seed
        Part of the hash input.
    by
        The group column of ``X``; otherwise pass ``groups=`` to :meth:`split`.

    Examples
    --------
    >>> import numpy as np
    >>> cv = GroupSplit(2, seed=0)
    >>> folds = list(cv.split(np.zeros((6, 1)), groups=[1, 1, 2, 2, 3, 4]))
    >>> len(folds)
    2
    """

    def __init__(self, n_splits: int = 5, *, seed: Seed, by: str | int | None = None) -> None:
        if int(n_splits) != n_splits or n_splits < 2:
            raise DefinitionError(f"GroupSplit: n_splits must be an int >= 2, got {n_splits!r}")
        self.n_splits = int(n_splits)
        self.seed = seed
        self.by = by

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return the number of folds."""
        return self.n_splits

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Indices]:
        """Yield ``(train_indices, test_indices)`` per fold; a group never straddles them."""
        where = "GroupSplit"
        if groups is not None:
            table = _as_table(groups, where=where)
        elif self.by is not None:
            table = _column(X, self.by, where=where)
        else:
            raise DefinitionError(f"{where}: pass groups= to split() or by= to GroupSplit")
        if table.num_rows != _n_rows(X):
            raise SchemaError(f"{where}: {table.num_rows} groups for {_n_rows(X)} rows")
        u = group_hash(table, "c", seed=self.seed, where=where)
        fold = np.minimum((u * self.n_splits).astype(np.int64), self.n_splits - 1)
        counts = np.bincount(fold, minlength=self.n_splits)
        if (counts == 0).any():
            raise DefinitionError(
                f"{where}: fold {int(np.flatnonzero(counts == 0)[0])} got no group; with few "
                f"groups lower n_splits or try another seed"
            )
        for i in range(self.n_splits):
            yield np.flatnonzero(fold != i), np.flatnonzero(fold == i)


class StratifiedSplit:
    """K folds that keep the class proportions: each stratum is dealt round-robin into folds.

    Within each stratum the rows are shuffled by one permutation drawn from ``seed`` and dealt
    to folds in turn, continuing where the previous stratum stopped, so every fold has each
    stratum's size divided by ``n_splits`` (to within one row) and fold sizes differ by at most
    one.

    Parameters
    ----------
    n_splits
        Number of folds.
    seed
        Seed of the PCG64 generator.
    by
        The stratum column of ``X``; otherwise the ``y`` passed to :meth:`split`.

    Examples
    --------
    >>> import numpy as np
    >>> cv = StratifiedSplit(2, seed=0)
    >>> y = np.array([0, 0, 0, 0, 1, 1])
    >>> [int(y[te].sum()) for _, te in cv.split(np.zeros((6, 1)), y)]
    [1, 1]
    """

    def __init__(self, n_splits: int = 5, *, seed: Seed, by: str | int | None = None) -> None:
        if int(n_splits) != n_splits or n_splits < 2:
            raise DefinitionError(
                f"StratifiedSplit: n_splits must be an int >= 2, got {n_splits!r}"
            )
        self.n_splits = int(n_splits)
        self.seed = seed
        self.by = by

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return the number of folds."""
        return self.n_splits

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Indices]:
        """Yield ``(train_indices, test_indices)`` per fold."""
        where = "StratifiedSplit"
        if self.by is not None:
            table = _column(X, self.by, where=where)
        elif y is not None:
            table = _as_table(y, where=where)
        else:
            raise DefinitionError(f"{where}: pass y to split() or by= to StratifiedSplit")
        n = _n_rows(X)
        if table.num_rows != n:
            raise SchemaError(f"{where}: {table.num_rows} labels for {n} rows")
        if n < self.n_splits:
            raise DefinitionError(f"{where}: {n} rows cannot make {self.n_splits} folds")
        strata = strata_of(table, "c", where=where)
        rng = make_rng(self.seed, where=where)
        ranks = random_rank_within(strata.codes, len(strata.sizes), rng)
        offsets = np.concatenate(([0], np.cumsum(strata.sizes)[:-1]))
        fold = (ranks + offsets[strata.codes]) % self.n_splits
        for i in range(self.n_splits):
            yield np.flatnonzero(fold != i), np.flatnonzero(fold == i)
