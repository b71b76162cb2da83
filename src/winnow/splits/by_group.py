"""Group splits: every row of an entity goes to the same split, decided by a hash.

Each group's split comes from ``md5(seed, group value)``: the lower 64 bits of the digest, as a
fraction of ``2**64``, fall into one of the cumulative fraction intervals. The assignment of a
group depends only on its value and the seed, never on row order, partitioning or which other
groups are present, so it is the same in every engine and every rebuild, and new data for an
old entity lands where that entity already was. Split sizes are therefore random (binomial in
the number of groups), not exact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError
from winnow.sampling._seeding import Seed, seed_record
from winnow.splits._fractions import DEFAULT_FRACTIONS, assemble, check_fractions
from winnow.splits.report import SplitResult

__all__ = ["group_hash", "group_split"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def group_hash(table: pa.Table, by: str | Sequence[str], *, seed: Seed, where: str) -> np.ndarray:
    """Return, per row, a uniform number in ``[0, 1)`` that depends only on (group, seed).

    The digest input is the seed's JSON text, then each group column cast to DuckDB ``VARCHAR``
    (timestamps rendered in UTC; null as ``\\N``), joined by the unit separator ``\\x1f``.
    """
    columns = [by] if isinstance(by, str) else list(by)
    if not columns:
        raise DefinitionError(f"{where}: by= must name at least one column")
    for name in columns:
        if name not in table.column_names:
            raise ColumnNotFoundError(name, table.column_names, where=where)
    if table.num_rows == 0:
        return np.zeros(0, dtype=np.float64)
    seed_text = json.dumps(seed_record(seed), sort_keys=True).replace("'", "''")
    parts = ", ".join(f"coalesce(CAST({_quote(c)} AS VARCHAR), '\\N')" for c in columns)
    data = table.select(columns).append_column(
        "__winnow_row", pa.array(np.arange(table.num_rows, dtype=np.int64))
    )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("__winnow_groups", data)
        result = con.sql(
            f"SELECT __winnow_row, md5_number_lower(concat_ws(chr(31), '{seed_text}', {parts})) "
            f"AS h FROM __winnow_groups"
        ).to_arrow_table()
    finally:
        con.close()
    rows = result["__winnow_row"].to_numpy()
    hashes = result["h"].to_numpy().astype(np.uint64)
    out = np.empty(table.num_rows, dtype=np.float64)
    # top 53 bits -> exact double in [0, 1)
    out[rows] = (hashes >> np.uint64(11)).astype(np.float64) / float(2**53)
    return out


def group_split(
    table: pa.Table,
    *,
    by: str | Sequence[str],
    fractions: Mapping[str, float] = DEFAULT_FRACTIONS,
    seed: Seed,
    label: str | None = None,
    time: str | None = None,
) -> SplitResult:
    """Split rows so that no group (entity) appears in two splits.

    Parameters
    ----------
    table
        The rows to split.
    by
        The group column(s), e.g. the entity key ``user_id``.
    fractions
        Split name -> expected fraction of *groups*, summing to 1.
    seed
        Part of the hash input; another seed gives an independent assignment.
    label, time
        Columns summarised per split in the report.

    Returns
    -------
    SplitResult
        ``(tables, report)``: ``dict[str, pyarrow.Table]`` in the order of ``fractions`` (rows
        in source order) and a :class:`~winnow.splits.SplitReport` with ``method="group"``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"user": [1, 1, 2, 3, 3, 3]})
    >>> tables, _ = group_split(t, by="user", fractions={"a": 0.5, "b": 0.5}, seed=0)
    >>> sum(part.num_rows for part in tables.values())
    6
    """
    where = "group_split"
    fr = check_fractions(fractions, where=where)
    names = list(fr)
    u = group_hash(table, by, seed=seed, where=where)
    edges = np.cumsum([fr[n] for n in names])[:-1]
    assignment = np.searchsorted(edges, u, side="right").astype(np.int64)
    return assemble(
        table,
        assignment,
        names,
        method="group",
        parameters={"by": by if isinstance(by, str) else list(by), "fractions": fr},
        seed=seed_record(seed),
        label=label,
        time=time,
        where=where,
        notes=("a group's split = md5(seed, group) mapped onto the cumulative fractions",),
    )
