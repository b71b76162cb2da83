"""The vote store: every label vote from every source in one Arrow table, and the L matrix.

A vote is a row ``(item_id, source, label, confidence, time)``. Sources are labeling functions,
annotators, legacy systems, model predictions and natural feedback; all of them meet here. The
store keeps only real votes (abstains are not rows) plus the ordered list of items and sources,
so that it converts to the dense ``n x m`` label matrix ``L`` (``ABSTAIN = -1``, classes
``0..k-1``) and back without loss, including items no source voted on and sources that never
voted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, SchemaError
from winnow.timestamps import TIMESTAMP, to_utc

__all__ = ["ABSTAIN", "VOTE_SCHEMA_FIELDS", "LFFailure", "VoteStore", "check_label_matrix"]

ABSTAIN = -1
"""The label meaning "this source has no opinion on this item"."""

VOTE_SCHEMA_FIELDS = ("item_id", "source", "label", "confidence", "time")
"""Column names of :attr:`VoteStore.table`, in order."""

IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LFFailure:
    """What went wrong when a labeling function raised (or returned a bad label) on some rows.

    Attributes
    ----------
    source
        Name of the labeling function.
    count
        Number of rows on which it failed; those rows count as abstains.
    first_row
        Position of the first failing row in the input table.
    first_error
        ``repr`` of the first exception (or a description of the bad return value).
    """

    source: str
    count: int
    first_row: int
    first_error: str


def check_label_matrix(L: Any, *, cardinality: int | None = None, name: str = "L") -> IntMatrix:
    """Return ``L`` as a 2-D ``int64`` array after checking the label encoding.

    Parameters
    ----------
    L
        Array-like of shape ``(n_items, n_sources)`` with ``-1`` for abstain and classes
        ``0..k-1``.
    cardinality
        Number of classes ``k``; when given, every vote must be below it.
    name
        Name of the argument, used in error messages.
    """
    arr = np.asarray(L)
    if arr.ndim != 2:
        raise SchemaError(
            f"{name} must be a 2-D label matrix (items x sources), got shape {arr.shape}; "
            f"reshape a single source's votes with .reshape(-1, 1)"
        )
    integral = np.issubdtype(arr.dtype, np.integer)
    if arr.size and not integral and not np.all(np.equal(np.mod(arr, 1), 0)):
        raise SchemaError(
            f"{name} holds non-integer votes (dtype {arr.dtype}); labels are integers "
            f"0..k-1 and -1 for abstain"
        )
    out = arr.astype(np.int64, copy=False)
    if out.size:
        low = int(out.min())
        if low < ABSTAIN:
            row, col = np.argwhere(out < ABSTAIN)[0]
            raise SchemaError(
                f"{name}[{row}, {col}] = {out[row, col]}: labels are 0..k-1 and -1 (ABSTAIN); "
                f"re-encode the votes (for example +1/-1/0 votes as 1/0/-1)"
            )
        if cardinality is not None and int(out.max()) >= cardinality:
            row, col = np.argwhere(out >= cardinality)[0]
            raise SchemaError(
                f"{name}[{row}, {col}] = {out[row, col]} but cardinality is {cardinality} "
                f"(classes 0..{cardinality - 1}); pass the right cardinality or re-encode"
            )
    return out


@dataclass
class VoteStore:
    """Votes of every source on every item, as an Arrow table plus the item and source order.

    Parameters
    ----------
    table
        Arrow table with columns ``item_id`` (any type), ``source`` (string), ``label``
        (int64, never ``-1``), ``confidence`` (float64, nullable) and ``time``
        (``timestamp[us, tz=UTC]``, nullable).
    items
        Every item id, in matrix row order (items without votes included). Defaults to the
        item ids of ``table`` in order of first appearance.
    sources
        Every source name, in matrix column order. Defaults to the sources of ``table`` in
        order of first appearance.
    versions
        Version of each source that has one (labeling functions: the hash of their code).
    failures
        Per labeling function, what failed while applying it (see :func:`winnow.labeling.apply`).

    Notes
    -----
    When a source voted more than once on an item, :meth:`to_matrix` keeps its latest vote:
    the one with the newest ``time`` (null times are oldest), ties broken by row order.

    Examples
    --------
    >>> import numpy as np
    >>> store = VoteStore.from_matrix(np.array([[0, -1], [1, 1]]), sources=["a", "b"])
    >>> store.table.num_rows
    3
    >>> store.to_matrix().tolist()
    [[0, -1], [1, 1]]
    """

    table: pa.Table
    items: pa.Array = field(default_factory=lambda: pa.array([], pa.int64()))
    sources: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    failures: dict[str, LFFailure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.table = _normalise_votes(self.table)
        if self.items is None or len(self.items) == 0:
            self.items = pc.unique(self.table.column("item_id")) if (
                self.table.num_rows
            ) else pa.array([], self.table.schema.field("item_id").type)
        elif not isinstance(self.items, pa.Array):
            self.items = pa.array(self.items)
        if not self.sources:
            self.sources = [str(s) for s in pc.unique(self.table.column("source")).to_pylist()]
        missing = set(pc.unique(self.table.column("source")).to_pylist()) - set(self.sources)
        if missing:
            raise SchemaError(
                f"votes come from sources {sorted(missing)} that are not in sources="
                f"{self.sources}; add them to the source list"
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_matrix(
        cls,
        L: Any,
        *,
        sources: Sequence[str] | None = None,
        items: Sequence[Any] | pa.Array | None = None,
        confidence: Any = None,
        time: Any = None,
        versions: Mapping[str, str] | None = None,
    ) -> VoteStore:
        """Build a store from a dense label matrix (abstains become no rows).

        Parameters
        ----------
        L
            ``(n_items, n_sources)`` votes, ``-1`` for abstain.
        sources
            Source names; default ``"source_0"``, ``"source_1"``, ...
        items
            Item ids; default ``0..n-1``.
        confidence
            Optional ``(n_items, n_sources)`` float array of vote confidences.
        time
            Optional time of the votes: one value, one per item, or ``(n_items, n_sources)``.
        versions
            Optional version of each source.
        """
        mat = check_label_matrix(L)
        n, m = mat.shape
        names = list(sources) if sources is not None else [f"source_{j}" for j in range(m)]
        if len(names) != m:
            raise SchemaError(f"L has {m} sources (columns) but {len(names)} names were given")
        item_arr = pa.array(np.arange(n, dtype=np.int64)) if items is None else (
            items if isinstance(items, pa.Array) else pa.array(list(items))
        )
        if len(item_arr) != n:
            raise SchemaError(f"L has {n} items (rows) but {len(item_arr)} item ids were given")
        rows, cols = np.nonzero(mat != ABSTAIN)
        conf: pa.Array
        if confidence is None:
            conf = pa.nulls(len(rows), pa.float64())
        else:
            conf_mat = np.broadcast_to(np.asarray(confidence, dtype=np.float64), mat.shape)
            conf = pa.array(conf_mat[rows, cols])
        times: pa.Array
        if time is None:
            times = pa.nulls(len(rows), TIMESTAMP)
        else:
            raw = np.asarray(time)
            if raw.ndim == 1 and raw.shape[0] == n:
                raw = raw[:, None]
            t_mat = np.broadcast_to(raw, mat.shape)
            times = to_utc(pa.array(t_mat[rows, cols]), name="time").combine_chunks()
        table = pa.table(
            {
                "item_id": item_arr.take(pa.array(rows)),
                "source": pa.array(np.asarray(names, dtype=object)[cols], pa.string()),
                "label": pa.array(mat[rows, cols], pa.int64()),
                "confidence": conf,
                "time": times,
            }
        )
        return cls(table, items=item_arr, sources=names, versions=dict(versions or {}))

    @classmethod
    def from_table(
        cls,
        table: pa.Table,
        *,
        item_id: str = "item_id",
        source: str = "source",
        label: str = "label",
        confidence: str | None = None,
        time: str | None = None,
        label_map: Mapping[Any, int] | None = None,
    ) -> VoteStore:
        """Build a store from a long table of votes (for example annotations from a tool).

        Parameters
        ----------
        table
            One row per vote.
        item_id, source, label
            Names of the item id, source (annotator) and label columns.
        confidence, time
            Optional names of the confidence and time columns.
        label_map
            Optional mapping from the table's label values (e.g. strings) to class ids; values
            mapped to ``-1`` and null labels are abstains and dropped.
        """
        for col in (item_id, source, label, confidence, time):
            if col is not None and col not in table.column_names:
                raise ColumnNotFoundError(col, table.column_names, where="the votes table")
        labels = table.column(label)
        if label_map is not None:
            keys = list(label_map)
            idx = pc.index_in(labels, value_set=pa.array(keys))
            unknown = pc.and_(pc.is_null(idx), pc.is_valid(labels))
            if pc.any(unknown).as_py():
                bad = labels.filter(unknown)[0].as_py()
                raise SchemaError(
                    f"label {bad!r} in column {label!r} is not in label_map {keys}; add it"
                )
            # Position -1 (a null label) maps to ABSTAIN via the appended last entry.
            codes = np.asarray([*(label_map[k] for k in keys), ABSTAIN], dtype=np.int64)
            mapped = codes[pc.fill_null(idx, -1).to_numpy()]
            labels = pa.chunked_array([pa.array(mapped)])
        elif not pa.types.is_integer(labels.type):
            raise SchemaError(
                f"column {label!r} has type {labels.type}, not integer class ids; pass "
                f"label_map={{value: class_id, ...}} to encode it"
            )
        labels = pc.fill_null(labels.cast(pa.int64()), ABSTAIN)
        out = pa.table(
            {
                "item_id": table.column(item_id),
                "source": table.column(source).cast(pa.string()),
                "label": labels,
                "confidence": table.column(confidence).cast(pa.float64())
                if confidence
                else pa.nulls(table.num_rows, pa.float64()),
                "time": to_utc(table.column(time), name=time)
                if time
                else pa.nulls(table.num_rows, TIMESTAMP),
            }
        )
        items = pc.unique(out.column("item_id"))
        sources = [str(s) for s in pc.unique(out.column("source")).to_pylist()]
        out = out.filter(pc.not_equal(out.column("label"), ABSTAIN))
        return cls(out, items=items, sources=sources)

    # ------------------------------------------------------------------ views
    @property
    def n_items(self) -> int:
        """Number of items (rows of ``L``)."""
        return len(self.items)

    @property
    def n_sources(self) -> int:
        """Number of sources (columns of ``L``)."""
        return len(self.sources)

    def to_matrix(self) -> IntMatrix:
        """Return the dense ``(n_items, n_sources)`` label matrix, ``-1`` where no vote."""
        L = np.full((self.n_items, self.n_sources), ABSTAIN, dtype=np.int64)
        if self.table.num_rows == 0:
            return L
        row = pc.index_in(self.table.column("item_id"), value_set=self.items)
        if row.null_count:
            bad = self.table.column("item_id").filter(pc.is_null(row))[0].as_py()
            raise SchemaError(f"vote for item {bad!r} which is not in the store's items")
        col = pc.index_in(self.table.column("source"), value_set=pa.array(self.sources))
        r = row.to_numpy().astype(np.int64)
        c = col.to_numpy().astype(np.int64)
        labels = self.table.column("label").to_numpy()
        # Latest vote wins: order by (time, row) so the last write of each cell is the newest.
        t = pc.fill_null(self.table.column("time").cast(pa.int64()), np.iinfo(np.int64).min)
        order = np.lexsort((np.arange(len(r)), t.to_numpy()))
        cell = r[order] * self.n_sources + c[order]
        _, last = np.unique(cell[::-1], return_index=True)
        keep = order[len(order) - 1 - last]
        L[r[keep], c[keep]] = labels[keep]
        return L

    def concat(self, other: VoteStore) -> VoteStore:
        """Return a store with the votes of both stores (items and sources unioned in order)."""
        table = pa.concat_tables([self.table, other.table.cast(self.table.schema)])
        items = pc.unique(pa.concat_arrays([self.items, other.items.cast(self.items.type)]))
        sources = list(dict.fromkeys([*self.sources, *other.sources]))
        return VoteStore(
            table,
            items=items,
            sources=sources,
            versions={**self.versions, **other.versions},
            failures={**self.failures, **other.failures},
        )


def _normalise_votes(table: pa.Table) -> pa.Table:
    missing = [c for c in ("item_id", "source", "label") if c not in table.column_names]
    if missing:
        raise ColumnNotFoundError(missing[0], table.column_names, where="the vote table")
    n = table.num_rows
    cols: dict[str, pa.ChunkedArray | pa.Array] = {
        "item_id": table.column("item_id"),
        "source": table.column("source").cast(pa.string()),
        "label": table.column("label").cast(pa.int64()),
        "confidence": table.column("confidence").cast(pa.float64())
        if "confidence" in table.column_names
        else pa.nulls(n, pa.float64()),
        "time": to_utc(table.column("time"), name="time")
        if "time" in table.column_names
        else pa.nulls(n, TIMESTAMP),
    }
    out = pa.table(cols)
    labels = out.column("label")
    if labels.null_count or (n and pc.min(labels).as_py() < 0):
        raise SchemaError(
            "the vote table holds null or negative labels; a store keeps real votes only "
            "(classes 0..k-1): drop abstains (-1) before building it"
        )
    return out
