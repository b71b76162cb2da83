"""Attach labels to a dataset's spine: from a column, natural outcomes, or labeling functions.

Every labelled row ends with an integer ``label`` column (classes ``0..k-1``) and, where the
source says when the label became known, a ``label_time``. Rows left without a label (an outcome
window still open, no labeling function voted, a null label column) are excluded and counted.
The votes behind each label are kept in the vote-store layout (``item_id`` = ``row_id``,
``source``, ``label``, ``confidence``, ``time``) for lineage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.timestamps import TIMESTAMP, to_utc

if TYPE_CHECKING:
    from winnow.datasets.definition import Dataset

__all__ = ["LabelOutcome", "make_labels"]

_LABEL = "label"
_LABEL_TIME = "label_time"
_ROW_ID = "row_id"


@dataclass
class LabelOutcome:
    """The labelled spine, what was excluded, the manifest record, votes and report extras."""

    table: pa.Table
    excluded: dict[str, int]
    record: dict[str, Any]
    votes: pa.Table | None = None
    report: dict[str, Any] = field(default_factory=dict)


def _drop_unlabelled(table: pa.Table, reason: str) -> tuple[pa.Table, dict[str, int]]:
    missing = table[_LABEL].null_count
    if not missing:
        return table, {}
    return table.filter(pc.is_valid(table[_LABEL])), {reason: missing}


def _votes_table(
    item: pa.Array, source: str, label: pa.Array, time: pa.Array | None
) -> pa.Table:
    n = len(item)
    return pa.table(
        {
            "item_id": item,
            "source": pa.array([source] * n, pa.string()),
            "label": pc.cast(label, pa.int64()),
            "confidence": pa.array(np.ones(n), pa.float64()),
            "time": time if time is not None else pa.nulls(n, TIMESTAMP),
        }
    )


def _column(ds: Dataset, spine: pa.Table) -> LabelOutcome:
    name = ds.labels.params["name"]
    when = ds.labels.params["time"]
    for col in [name] + ([when] if when else []):
        if col not in spine.column_names:
            raise ColumnNotFoundError(col, spine.column_names, where=f"spine table of {ds.name!r}")
    values = spine[name]
    if not (pa.types.is_integer(values.type) or pa.types.is_boolean(values.type)):
        raise SchemaError(
            f"label column {name!r} has type {values.type}; labels are integer classes 0..k-1 "
            f"(map them in prepare(), e.g. CASE WHEN ... THEN 1 ELSE 0 END)"
        )
    table = spine.append_column(_LABEL, pc.cast(values, pa.int64()))
    if when:
        table = table.append_column(_LABEL_TIME, to_utc(spine[when], name=when))
    table, excluded = _drop_unlabelled(table, f"null label in {name!r}")
    votes = _votes_table(
        table[_ROW_ID].combine_chunks(),
        f"column:{name}",
        table[_LABEL].combine_chunks(),
        table[_LABEL_TIME].combine_chunks() if when else None,
    )
    record = {"kind": "column", "column": name, "time": when}
    return LabelOutcome(table, excluded, record, votes)


def _natural(ds: Dataset, spine: pa.Table, tables: Mapping[str, pa.Table]) -> LabelOutcome:
    from winnow.labeling import natural_labels

    p = ds.labels.params
    if ds.spine.time is None:
        raise DefinitionError(f"dataset {ds.name!r}: natural labels need a spine time")
    if p["outcomes"] not in tables:
        raise DefinitionError(
            f"natural labels of {ds.name!r} read outcomes from table {p['outcomes']!r}, which "
            f"is neither an input nor returned by prepare(); tables: {sorted(tables)}"
        )
    outcomes = tables[p["outcomes"]]
    for col in [*p["key"], p["time"]]:
        if col not in outcomes.column_names:
            raise ColumnNotFoundError(
                col, outcomes.column_names, where=f"outcomes table {p['outcomes']!r}"
            )
    # The data ends at the newest spine or outcome time (before `where` selects outcomes).
    end = max(
        (v for v in (pc.max(spine[ds.spine.time]).as_py(),
                     pc.max(to_utc(outcomes[p["time"]], name=p["time"])).as_py())
         if v is not None),
        default=None,
    )
    if p["where"]:
        mask = _outcome_sql(outcomes, f"coalesce(({p['where']}), false)", "where", p)
        outcomes = outcomes.filter(mask)
    if p.get("value"):
        return _natural_value(ds, spine, outcomes, end)
    selected = outcomes.select([*p["key"], p["time"]])
    labelled = natural_labels(
        spine,
        selected,
        key=p["key"],
        within=p["within"],
        label_if_found=p["label_if_found"],
        label_if_missing=p["label_if_missing"],
        time=ds.spine.time,  # checked above
        outcome_time=p["time"],
        label=_LABEL,
        label_time=_LABEL_TIME,
        as_of=end,
    )
    # Keep a row only once its whole outcome window has closed: keeping the early positives of
    # still-open windows and dropping their negatives would over-represent positives at the
    # end of the data.
    excluded: dict[str, int] = {}
    if end is not None and labelled.num_rows:
        closes = pc.add(spine[ds.spine.time], pa.scalar(_window(p["within"]), pa.duration("us")))
        open_rows = pc.greater(closes, pa.scalar(end, TIMESTAMP))
        n_open = int(pc.sum(open_rows).as_py() or 0)
        if n_open:
            excluded["outcome window still open at the end of the data"] = n_open
            labelled = labelled.filter(pc.invert(open_rows))
    table, more = _drop_unlabelled(labelled, "label not known")
    excluded.update(more)
    votes = _votes_table(
        table[_ROW_ID].combine_chunks(),
        f"natural:{p['outcomes']}",
        table[_LABEL].combine_chunks(),
        table[_LABEL_TIME].combine_chunks(),
    )
    record = {"kind": "natural", **{k: v for k, v in p.items()}, "outcome_rows": outcomes.num_rows}
    return LabelOutcome(table, excluded, record, votes)


def _outcome_sql(
    outcomes: pa.Table, expression: str, what: str, p: Mapping[str, Any]
) -> pa.Array:
    """Evaluate a DuckDB SQL expression per outcome row, in row order."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.register("o", outcomes)
        try:
            result: pa.Table = con.sql(f"SELECT ({expression}) AS v FROM o").to_arrow_table()
        except duckdb.Error as exc:
            raise DefinitionError(
                f"natural labels: {what}={p[what]!r} failed on table {p['outcomes']!r}: {exc}; "
                f"columns available: {', '.join(outcomes.column_names)}"
            ) from exc
    finally:
        con.close()
    return result.column("v").combine_chunks()


def _natural_value(
    ds: Dataset, spine: pa.Table, outcomes: pa.Table, end: Any
) -> LabelOutcome:
    """Natural labels whose class is an expression of the first outcome in the window.

    An ASOF join finds, per spine row of key ``k`` at ``t``, the earliest outcome of ``k`` at
    or after ``t`` (ties in time broken by the outcome's row order); it labels the row when it
    falls in ``[t, t + within)``. Rows without one get ``label_if_missing`` once the window
    has closed at ``end`` and are excluded while it is open.
    """
    p = ds.labels.params
    time = ds.spine.time
    assert time is not None  # checked by the caller
    values = _outcome_sql(outcomes, p["value"], "value", p)
    if pa.types.is_boolean(values.type):
        values = pc.cast(values, pa.int64())
    elif not pa.types.is_integer(values.type):
        raise SchemaError(
            f"natural labels: value={p['value']!r} on table {p['outcomes']!r} gives "
            f"{values.type}; it must give a boolean or integer class (e.g. "
            f"\"CASE WHEN x > 15 THEN 1 ELSE 0 END\")"
        )
    window = _window(p["within"])
    keys = list(p["key"])
    oc_time = to_utc(outcomes[p["time"]], name=p["time"])
    ev = pa.table(
        {
            **{f"k{i}": spine[k] for i, k in enumerate(keys)},
            "t": pc.cast(spine[time], pa.int64()),
            "rid": pa.array(np.arange(spine.num_rows, dtype=np.int64)),
        }
    )
    oc = pa.table(
        {
            **{f"k{i}": outcomes[k] for i, k in enumerate(keys)},
            "t": pc.cast(oc_time, pa.int64()),
            "v": pc.cast(values, pa.int64()),
            "seq": pa.array(np.arange(outcomes.num_rows, dtype=np.int64)),
        }
    )
    parts = ", ".join(f"k{i}" for i in range(len(keys)))
    on = " AND ".join(f"e.k{i} = o.k{i}" for i in range(len(keys)))
    con = duckdb.connect()
    try:
        con.register("ev", ev)
        con.register("oc_all", oc)
        found: pa.Table = con.sql(
            f"""
            WITH oc AS (
                SELECT {parts}, t, v FROM oc_all
                WHERE t IS NOT NULL AND v IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY {parts}, t ORDER BY seq) = 1
            )
            SELECT e.rid, o.t AS ot, o.v AS ov
            FROM ev e ASOF LEFT JOIN oc o ON {on} AND o.t >= e.t
            ORDER BY e.rid
            """
        ).to_arrow_table()
    finally:
        con.close()
    t = np.asarray(ev["t"].to_numpy(), dtype=np.int64)
    ot = np.asarray(pc.fill_null(found["ot"], 0).to_numpy(), dtype=np.int64)
    ov = np.asarray(pc.fill_null(found["ov"], 0).to_numpy(), dtype=np.int64)
    has = np.asarray(pc.is_valid(found["ot"]).to_numpy(zero_copy_only=False), dtype=bool)
    hit = has & (ot < t + window)
    end_us = int(pa.scalar(end, TIMESTAMP).cast(pa.int64()).as_py()) if end is not None else 0
    closed = (t + window) <= end_us
    keep = hit | closed
    label = np.where(hit, ov, p["label_if_missing"]).astype(np.int64)
    when = np.where(hit, ot, t + window).astype(np.int64)
    table = spine.append_column(_LABEL, pa.array(label, pa.int64())).append_column(
        _LABEL_TIME, pa.array(when, pa.int64()).cast(TIMESTAMP)
    )
    excluded: dict[str, int] = {}
    if int((~keep).sum()):
        excluded["outcome window still open at the end of the data"] = int((~keep).sum())
        table = table.filter(pa.array(keep))
    votes = _votes_table(
        table[_ROW_ID].combine_chunks(),
        f"natural:{p['outcomes']}",
        table[_LABEL].combine_chunks(),
        table[_LABEL_TIME].combine_chunks(),
    )
    record = {
        "kind": "natural",
        **dict(p),
        "outcome_rows": outcomes.num_rows,
        "rows_with_outcome": int(hit.sum()),
    }
    return LabelOutcome(table, excluded, record, votes)


def _window(within: str) -> int:
    from winnow.timestamps import parse_duration

    return parse_duration(within)


def _lfs(ds: Dataset, spine: pa.Table, seed: int) -> LabelOutcome:
    from winnow.datasets.weak import label_with_lfs

    return label_with_lfs(ds, spine, seed=seed)


def make_labels(
    ds: Dataset, spine: pa.Table, tables: Mapping[str, pa.Table], *, seed: int
) -> LabelOutcome:
    """Label the spine as the dataset's :class:`~winnow.datasets.definition.Labels` says."""
    kind = ds.labels.kind
    if kind == "column":
        return _column(ds, spine)
    if kind == "natural":
        return _natural(ds, spine, tables)
    return _lfs(ds, spine, seed)
