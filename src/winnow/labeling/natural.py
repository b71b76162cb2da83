"""Natural labels: label events by whether an outcome followed them within a window.

"Clicked within 30 minutes of the impression" is a label that production data gives for free,
but only once the window has closed. :func:`natural_labels` joins each event to the first later
outcome of the same key (a DuckDB ASOF join, no Python loop) and records when the label became
known, so that nothing downstream mistakes "not yet known" for "negative".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, SchemaError
from winnow.timestamps import TIMESTAMP, parse_duration, to_micros, to_utc

__all__ = ["natural_labels"]


def natural_labels(
    events: pa.Table,
    outcomes: pa.Table,
    *,
    key: str | Sequence[str],
    within: str | int | timedelta,
    label_if_found: int = 1,
    label_if_missing: int = 0,
    time: str = "time",
    outcome_time: str = "time",
    as_of: datetime | str | int | None = None,
    label: str = "label",
    label_time: str = "label_time",
) -> pa.Table:
    """Return ``events`` with a ``label`` and the ``label_time`` at which it became known.

    An event of key ``k`` at time ``t`` is labelled ``label_if_found`` when ``outcomes`` has a
    row of key ``k`` with outcome time ``o`` in ``[t, t + within)`` and ``o <= as_of``; its
    ``label_time`` is the earliest such ``o``. Otherwise, once its window has closed
    (``t + within <= as_of``) it is labelled ``label_if_missing`` with ``label_time = t +
    within``. An event whose window is still open at ``as_of`` and has no outcome yet gets a
    null label and a null ``label_time``: it is unknown, not negative.

    Parameters
    ----------
    events
        The events to label (e.g. impressions); every column is kept, in row order.
    outcomes
        Later events that make the label (e.g. clicks); only the key and time columns are read.
    key
        Entity key column(s), named the same in both tables.
    within
        Window length: ``"30m"``, ``"7d"``, microseconds, or a ``timedelta``.
    label_if_found, label_if_missing
        Class ids for "an outcome followed" and "none did".
    time, outcome_time
        Time columns of ``events`` and ``outcomes``.
    as_of
        The moment the labels are computed: outcomes after it are not yet known. Default: the
        newest time in either table.
    label, label_time
        Names of the two added columns.

    Returns
    -------
    pyarrow.Table
        ``events`` plus ``label`` (``int64``, null while unknown) and ``label_time``
        (``timestamp[us, tz=UTC]``, null while unknown), in the input row order.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from datetime import datetime, UTC
    >>> t = lambda m: datetime(2024, 1, 1, 0, m, tzinfo=UTC)
    >>> imps = pa.table({"user": [1, 1, 2], "time": [t(0), t(50), t(5)]})
    >>> clicks = pa.table({"user": [1], "time": [t(10)]})
    >>> out = natural_labels(imps, clicks, key="user", within="30m", as_of=t(59))
    >>> out.column("label").to_pylist()
    [1, None, 0]
    """
    keys = [key] if isinstance(key, str) else list(key)
    if not keys:
        raise SchemaError("natural_labels needs at least one key column")
    for name, table, cols in (("events", events, [*keys, time]), ("outcomes", outcomes,
                                                                 [*keys, outcome_time])):
        for col in cols:
            if col not in table.column_names:
                raise ColumnNotFoundError(col, table.column_names, where=f"the {name} table")
    for col in (label, label_time):
        if col in events.column_names:
            raise SchemaError(
                f"the events table already has a column {col!r}; pass label=/label_time= "
                f"to name the new columns differently"
            )
    window = parse_duration(within)
    ev_t = to_utc(events.column(time), name=time)
    oc_t = to_utc(outcomes.column(outcome_time), name=outcome_time)
    if ev_t.null_count:
        raise SchemaError(
            f"column {time!r} of the events table has {ev_t.null_count} null times; an event "
            f"without a time cannot be labelled: drop or quarantine those rows first"
        )
    ev_us = ev_t.cast(pa.int64())
    oc_us = pc.drop_null(oc_t.cast(pa.int64()))
    if as_of is None:
        candidates = [pc.max(ev_us).as_py(), pc.max(oc_us).as_py() if len(oc_us) else None]
        present = [c for c in candidates if c is not None]
        cutoff = max(present) if present else 0
    else:
        cutoff = to_micros(as_of) if not isinstance(as_of, int) else as_of
        assert cutoff is not None

    ev = pa.table({**{f"k{i}": events.column(k) for i, k in enumerate(keys)}, "t": ev_us,
                   "rid": pa.array(np.arange(events.num_rows, dtype=np.int64))})
    oc_valid = pc.is_valid(oc_t)
    oc = pa.table({**{f"k{i}": outcomes.column(k).filter(oc_valid) for i, k in enumerate(keys)},
                   "t": oc_us})
    on = " AND ".join(f"e.k{i} = o.k{i}" for i in range(len(keys)))
    con = duckdb.connect()
    try:
        con.register("ev", ev)
        con.register("oc_all", oc)
        # The earliest known outcome at or after each event: an ASOF join on o.t >= e.t.
        found = con.sql(
            f"""
            WITH oc AS (SELECT * FROM oc_all WHERE t <= {int(cutoff)})
            SELECT e.rid, o.t AS ot
            FROM ev e ASOF LEFT JOIN oc o ON {on} AND o.t >= e.t
            ORDER BY e.rid
            """
        ).to_arrow_table()
    finally:
        con.close()
    ot = found.column("ot")
    t = ev_us.to_numpy()
    has_o = pc.is_valid(ot).to_numpy(zero_copy_only=False)
    o_int = pc.fill_null(ot, 0).to_numpy().astype(np.int64)
    hit = has_o & (o_int < t + window)
    closed = (t + window) <= cutoff
    known = hit | closed
    lab = np.where(hit, label_if_found, label_if_missing).astype(np.int64)
    when = np.where(hit, o_int, t + window)
    label_col = pa.array(lab, pa.int64(), mask=~known)
    time_col = pa.array(when, pa.int64(), mask=~known).cast(TIMESTAMP)
    return events.append_column(label, label_col).append_column(label_time, time_col)
