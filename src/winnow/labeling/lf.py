"""Labeling functions: plain Python functions turned into versioned vote sources.

``@labeling_function()`` wraps ``f(row) -> label`` (or, with ``vectorized=True``,
``f(batch) -> labels``) in a :class:`LabelingFunction` whose ``version`` is the sha256 of its
normalised source code, so editing the function changes the version that datasets record.
:func:`apply` runs a list of them over a table and returns a :class:`~winnow.labeling.VoteStore`;
a function that raises on a row is recorded (count and first example) instead of crashing the run.
The helpers :func:`regex_lf`, :func:`lookup_lf` and :func:`column_lf` build vectorised functions
for the common kinds: pattern match, lookup in a set or table, and votes of a legacy system or
another model stored in a column.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import marshal
import os
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from winnow._pyfile import run_python_file
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.labeling.votes import ABSTAIN, LFFailure, VoteStore

__all__ = [
    "LabelingFunction",
    "apply",
    "column_lf",
    "labeling_function",
    "load_lfs",
    "lookup_lf",
    "regex_lf",
    "source_version",
]

BatchFormat = Literal["arrow", "pandas"]


class Row(dict[str, Any]):
    """One input row handed to a row-wise labeling function: a dict with attribute access."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"row has no column {name!r}; columns: {', '.join(self)}"
            ) from None


def source_version(func: Callable[..., Any], *, extra: str = "") -> str:
    """Return the sha256 hex digest of ``func``'s normalised source code (plus ``extra``).

    The source is parsed and unparsed with :mod:`ast`, so comments, blank lines and formatting
    do not change the version but any change to the code does. A function without retrievable
    source (defined in an interactive session) is hashed from its compiled code object instead.
    """
    try:
        text = textwrap.dedent(inspect.getsource(func))
        try:
            text = ast.unparse(ast.parse(text))
        except SyntaxError:  # a lambda inside a larger expression: keep the stripped text
            text = "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
        payload = text.encode()
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        if code is None:
            raise DefinitionError(
                f"cannot read the source or code of {func!r} to version it; define the "
                f"labeling function as a Python function in a module"
            ) from None
        payload = marshal.dumps(code)
    return hashlib.sha256(payload + extra.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class LabelingFunction:
    """A named, versioned vote source built from a Python function.

    Parameters
    ----------
    name
        Source name used in the vote store and in reports.
    func
        ``func(row, **resources) -> label`` for row-wise functions, or
        ``func(batch, **resources) -> labels`` (one per row) when ``vectorized``.
    resources
        Keyword arguments passed to every call (lookup tables, models, thresholds).
    vectorized
        Whether ``func`` takes a whole batch (Arrow table or pandas DataFrame).
    batch_format
        What a vectorised function receives: ``"arrow"`` (``pyarrow.Table``) or ``"pandas"``.
    version
        sha256 of the function's normalised source; computed when not given.

    Labels are ints ``0..k-1``; ``-1`` and ``None`` mean abstain.
    """

    name: str
    func: Callable[..., Any]
    resources: Mapping[str, Any] = field(default_factory=dict)
    vectorized: bool = False
    batch_format: BatchFormat = "arrow"
    version: str = ""

    def __post_init__(self) -> None:
        if not self.version:
            object.__setattr__(self, "version", source_version(self.func))
        if self.batch_format not in ("arrow", "pandas"):
            raise DefinitionError(
                f"labeling function {self.name!r}: batch_format must be 'arrow' or 'pandas', "
                f"got {self.batch_format!r}"
            )

    def __call__(self, x: Any) -> Any:
        """Run the function on one row (or one batch when vectorised)."""
        return self.func(x, **self.resources)

    def __repr__(self) -> str:
        kind = "vectorized" if self.vectorized else "row-wise"
        return f"LabelingFunction({self.name!r}, {kind}, version={self.version[:12]})"


def labeling_function(
    name: str | None = None,
    *,
    resources: Mapping[str, Any] | None = None,
    vectorized: bool = False,
    batch_format: BatchFormat = "arrow",
) -> Callable[[Callable[..., Any]], LabelingFunction]:
    """Turn ``f(row) -> label`` into a :class:`LabelingFunction` (use with parentheses).

    Parameters
    ----------
    name
        Source name; defaults to the function's ``__name__``.
    resources
        Keyword arguments passed to every call, e.g. a set of known spam domains.
    vectorized
        ``True`` when the function takes a batch and returns one label per row.
    batch_format
        ``"arrow"`` or ``"pandas"``: the batch type a vectorised function receives.

    Examples
    --------
    >>> @labeling_function()
    ... def short_text(row):
    ...     return 0 if len(row["text"]) < 5 else -1
    >>> short_text({"text": "hi"}), len(short_text.version)
    (0, 64)
    """
    if callable(name):
        raise DefinitionError(
            f"@labeling_function is missing its parentheses on "
            f"{getattr(name, '__name__', name)!r}: "
            f"write @labeling_function() or @labeling_function(name='...')"
        )

    def wrap(func: Callable[..., Any]) -> LabelingFunction:
        return LabelingFunction(
            name=name or func.__name__,
            func=func,
            resources=dict(resources or {}),
            vectorized=vectorized,
            batch_format=batch_format,
        )

    return wrap


def regex_lf(
    name: str, *, column: str, pattern: str, label: int, flags: int = re.IGNORECASE
) -> LabelingFunction:
    """Vote ``label`` where ``column`` matches the regular expression ``pattern``, else abstain.

    The match runs in Arrow (RE2 syntax, a search anywhere in the string); null values abstain.
    """
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        raise DefinitionError(f"regex_lf {name!r}: invalid pattern {pattern!r}: {exc}") from None
    ignore_case = bool(flags & re.IGNORECASE)

    def regex_match(batch: pa.Table) -> npt.NDArray[np.int64]:
        col = batch.column(column)
        hit = pc.fill_null(pc.match_substring_regex(col, pattern=pattern,
                                                    ignore_case=ignore_case), False)
        return np.where(hit.to_numpy(zero_copy_only=False), label, ABSTAIN).astype(np.int64)

    extra = f"regex|{column}|{pattern}|{label}|{flags}"
    return LabelingFunction(name, regex_match, vectorized=True,
                            version=source_version(regex_lf, extra=extra))


def lookup_lf(
    name: str,
    *,
    column: str,
    table: Mapping[Any, int] | None = None,
    values: Iterable[Any] | None = None,
    label: int | None = None,
) -> LabelingFunction:
    """Vote from a lookup: ``table[value]`` (a dict/DB extract) or ``label`` if value in ``values``.

    Values not found abstain. Give either ``table`` or both ``values`` and ``label``.
    """
    if table is None:
        if values is None or label is None:
            raise DefinitionError(
                f"lookup_lf {name!r}: pass table={{value: label}} or values=[...] and label=k"
            )
        table = {v: label for v in values}
    keys = list(table)
    codes = np.asarray([*(int(table[k]) for k in keys), ABSTAIN], dtype=np.int64)
    key_array = pa.array(keys)

    def lookup(batch: pa.Table) -> npt.NDArray[np.int64]:
        idx = pc.index_in(batch.column(column), value_set=key_array)
        out: npt.NDArray[np.int64] = codes[pc.fill_null(idx, -1).to_numpy()]
        return out

    extra = f"lookup|{column}|" + "|".join(f"{k!r}:{int(table[k])}" for k in sorted(keys, key=repr))
    return LabelingFunction(name, lookup, vectorized=True,
                            version=source_version(lookup_lf, extra=extra))


def column_lf(
    name: str, *, column: str, mapping: Mapping[Any, int] | None = None
) -> LabelingFunction:
    """Take the votes of a legacy system or another model stored in ``column``.

    Without ``mapping`` the column must already hold class ids (``-1``/null abstain); with it,
    values are mapped and unmapped values abstain.
    """
    if mapping is not None:
        return lookup_lf(name, column=column, table=mapping)

    def legacy_votes(batch: pa.Table) -> npt.NDArray[np.int64]:
        col = batch.column(column)
        if not pa.types.is_integer(col.type):
            raise SchemaError(
                f"column {column!r} has type {col.type}, not class ids; pass mapping= to "
                f"column_lf {name!r}"
            )
        return np.asarray(pc.fill_null(col.cast(pa.int64()), ABSTAIN).to_numpy(), np.int64)

    return LabelingFunction(name, legacy_votes, vectorized=True,
                            version=source_version(column_lf, extra=f"column|{column}"))


def load_lfs(path: str | os.PathLike[str]) -> list[LabelingFunction]:
    """Import a Python file and return the labeling functions it defines, in order.

    The file's ``LFS`` list is used when it defines one; otherwise every module-level
    :class:`LabelingFunction`, in definition order. Importing runs the file's code: load only
    files you trust.
    """
    module = run_python_file(path, what="labeling function file")
    declared = getattr(module, "LFS", None)
    lfs = list(declared) if declared is not None else [
        v for v in vars(module).values() if isinstance(v, LabelingFunction)
    ]
    if not lfs:
        raise DefinitionError(
            f"{os.fspath(path)!r} defines no labeling function; decorate functions with "
            f"@labeling_function() or list them in LFS = [...]"
        )
    for lf in lfs:
        if not isinstance(lf, LabelingFunction):
            raise DefinitionError(
                f"LFS in {os.fspath(path)!r} holds {lf!r}, not a LabelingFunction; decorate "
                f"it with @labeling_function()"
            )
    return lfs


def apply(
    data: Any,
    lfs: Sequence[LabelingFunction],
    *,
    item_id: str | None = None,
    cardinality: int | None = None,
    strict: bool = False,
    batch_size: int = 65_536,
) -> VoteStore:
    """Apply labeling functions to every row of ``data`` and return their votes.

    Parameters
    ----------
    data
        A ``pyarrow.Table``, pandas DataFrame or anything ``pyarrow.table()`` accepts.
    lfs
        The labeling functions, one source (column of ``L``) each, in order.
    item_id
        Column holding the item ids; default: the row position ``0..n-1``.
    cardinality
        Number of classes; when given, a label ``>= cardinality`` counts as a failure.
    strict
        Raise the first error instead of recording it per function.
    batch_size
        Rows per batch handed to vectorised functions.

    Returns
    -------
    VoteStore
        Votes of every function; ``store.failures`` maps a function name to a
        :class:`~winnow.labeling.LFFailure` (failed rows count as abstains) and
        ``store.versions`` maps it to its version.
    """
    table = data if isinstance(data, pa.Table) else pa.table(data)
    for lf in lfs:
        if not isinstance(lf, LabelingFunction):
            raise DefinitionError(
                f"{lf!r} is not a LabelingFunction; decorate it with @labeling_function()"
            )
    names = [lf.name for lf in lfs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DefinitionError(f"labeling function names must be unique; repeated: {dupes}")
    if item_id is not None and item_id not in table.column_names:
        raise ColumnNotFoundError(item_id, table.column_names, where="the table to label")
    n = table.num_rows
    L = np.full((n, len(lfs)), ABSTAIN, dtype=np.int64)
    failures: dict[str, LFFailure] = {}
    rows: list[Row] | None = None
    for j, lf in enumerate(lfs):
        if lf.vectorized:
            col, failure = _apply_vectorized(lf, table, batch_size=batch_size, strict=strict)
        else:
            if rows is None:
                rows = [Row(r) for r in table.to_pylist()]
            col, failure = _apply_rowwise(lf, rows, strict=strict)
        col, bad = _validate(lf, col, cardinality=cardinality, strict=strict)
        if bad is not None:
            failure = _merge(lf.name, failure, bad)
        if failure is not None:
            failures[lf.name] = failure
        L[:, j] = col
    items = table.column(item_id).combine_chunks() if item_id else pa.array(
        np.arange(n, dtype=np.int64))
    store = VoteStore.from_matrix(L, sources=names, items=items,
                                  versions={lf.name: lf.version for lf in lfs})
    store.failures = failures
    return store


def _apply_rowwise(
    lf: LabelingFunction, rows: list[Row], *, strict: bool
) -> tuple[npt.NDArray[np.int64], LFFailure | None]:
    func, res = lf.func, lf.resources
    try:  # fast path: one comprehension, no per-row try
        out = [func(r, **res) for r in rows] if res else [func(r) for r in rows]
        return _to_labels(out), None
    except Exception:
        if strict:
            raise
    labels = np.full(len(rows), ABSTAIN, dtype=np.int64)
    count, first_row, first_error = 0, -1, ""
    for i, r in enumerate(rows):
        try:
            v = func(r, **res)
        except Exception as exc:
            if count == 0:
                first_row, first_error = i, repr(exc)
            count += 1
            continue
        labels[i] = _one_label(v)
    return labels, LFFailure(lf.name, count, first_row, first_error)


def _one_label(v: Any) -> int:
    if v is None:
        return ABSTAIN
    if isinstance(v, bool | np.bool_) or not isinstance(v, int | np.integer):
        return -2  # flagged as an invalid label by _validate
    return int(v)


def _to_labels(values: list[Any]) -> npt.NDArray[np.int64]:
    try:
        arr = np.asarray(values)
        if arr.dtype.kind in "iu" and arr.ndim == 1:
            return arr.astype(np.int64)
    except (ValueError, TypeError):
        pass
    return np.fromiter((_one_label(v) for v in values), dtype=np.int64, count=len(values))


def _apply_vectorized(
    lf: LabelingFunction, table: pa.Table, *, batch_size: int, strict: bool
) -> tuple[npt.NDArray[np.int64], LFFailure | None]:
    parts: list[npt.NDArray[np.int64]] = []
    failure: LFFailure | None = None
    for start in range(0, max(table.num_rows, 1), batch_size):
        batch = table.slice(start, batch_size)
        if batch.num_rows == 0:
            break
        arg: Any = batch.to_pandas() if lf.batch_format == "pandas" else batch
        try:
            raw = lf(arg)
            values = _batch_labels(raw)
            if values.shape != (batch.num_rows,):
                raise SchemaError(
                    f"vectorised labeling function {lf.name!r} returned shape {values.shape} "
                    f"for a batch of {batch.num_rows} rows; return one label per row"
                )
            if values.dtype.kind == "f":
                values = np.where(np.isnan(values), ABSTAIN, values)
            if values.dtype.kind not in "iuf" or (values.dtype.kind == "f" and np.any(
                    np.mod(values, 1))):
                raise SchemaError(
                    f"labeling function {lf.name!r} returned {values.dtype} labels; return "
                    f"integer class ids (-1 to abstain)"
                )
            parts.append(values.astype(np.int64))
        except Exception as exc:
            if strict:
                raise
            parts.append(np.full(batch.num_rows, ABSTAIN, dtype=np.int64))
            failure = _merge(lf.name, failure, LFFailure(lf.name, batch.num_rows, start,
                                                         repr(exc)))
    if not parts:
        return np.empty(0, dtype=np.int64), None
    return np.concatenate(parts), failure


def _batch_labels(raw: Any) -> npt.NDArray[Any]:
    """Labels returned by a vectorised function as a NumPy array (nulls become NaN)."""
    if isinstance(raw, pa.Array | pa.ChunkedArray):
        if pa.types.is_integer(raw.type):
            return np.asarray(pc.fill_null(raw.cast(pa.int64()), ABSTAIN).to_numpy())
        return np.asarray(raw.to_numpy(zero_copy_only=False))
    if hasattr(raw, "to_numpy") and hasattr(raw, "dtype") and not isinstance(raw, np.ndarray):
        try:  # pandas Series, including nullable Int64 with <NA>
            return np.asarray(raw.to_numpy(dtype="float64", na_value=np.nan))
        except (TypeError, ValueError):
            return np.asarray(raw.to_numpy())
    return np.asarray(raw)


def _validate(
    lf: LabelingFunction, col: npt.NDArray[np.int64], *, cardinality: int | None, strict: bool
) -> tuple[npt.NDArray[np.int64], LFFailure | None]:
    bad = col < ABSTAIN
    if cardinality is not None:
        bad |= col >= cardinality
    if not bad.any():
        return col, None
    first = int(np.argmax(bad))
    what = (f"returned {col[first]} on row {first}: labels are 0.."
            f"{'k-1' if cardinality is None else cardinality - 1}, -1 or None to abstain")
    if col[first] == -2:
        what = f"returned a non-integer label on row {first}: return an int class id or -1"
    if strict:
        raise SchemaError(f"labeling function {lf.name!r} {what}")
    out = np.where(bad, ABSTAIN, col)
    return out, LFFailure(lf.name, int(bad.sum()), first, what)


def _merge(name: str, a: LFFailure | None, b: LFFailure) -> LFFailure:
    if a is None:
        return b
    first = a if a.first_row <= b.first_row else b
    return LFFailure(name, a.count + b.count, first.first_row, first.first_error)
