"""Evaluate an expectation suite on an Arrow table in DuckDB, then act on the failures.

Pass 1 is one aggregate query over the table (referenced tables joined in): every expectation
contributes its aggregate expressions, so the table is scanned once whatever the number of
expectations. Only when a row-level expectation fails does pass 2 run: one query that returns
the positions of the failing rows with a flag per failing expectation, from which the samples
and the quarantine are taken.

Then each failure acts as its ``on_fail`` says: ``quarantine`` moves its failing rows to the
quarantine table (a row failing several expectations once, with the first one's reason),
``warn`` logs on the ``winnow.validation`` logger, ``fail`` raises
:class:`~winnow.errors.ValidationError` carrying the whole report.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError, SourceError, ValidationError
from winnow.io.quarantine import empty_quarantine, make_quarantine
from winnow.validation.expectation import Expectation, Judgement, OnFail, SqlContext, quote_ident
from winnow.validation.key_checks import References
from winnow.validation.result import ExpectationResult, ValidationReport
from winnow.validation.suite import ExpectationSuite, parse_now

__all__ = ["POSITION_COLUMN", "logger", "validate"]

logger = logging.getLogger("winnow.validation")

#: The column holding each row's 0-based position in pass 2 (never in user-visible output).
POSITION_COLUMN = "__winnow_pos"
_TABLE = "__winnow_t"
_ALIAS = "t"
_ACTIONS: dict[OnFail, str] = {"quarantine": "quarantined", "fail": "failed", "warn": "warned"}


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    from winnow.etl._sql import to_arrow

    return to_arrow(con.sql(sql))


def _suite_of(
    suite: ExpectationSuite | Sequence[Expectation] | str | os.PathLike[str],
) -> ExpectationSuite:
    if isinstance(suite, ExpectationSuite):
        return suite
    if isinstance(suite, (str, os.PathLike)):
        from winnow.validation.config import load_expectations

        return load_expectations(suite)
    return ExpectationSuite(list(suite))


def _reference_table(
    expectation: References, tables: Mapping[str, pa.Table], *, where: str
) -> pa.Table:
    other = expectation.table
    if isinstance(other, pa.Table):
        table = other
    elif isinstance(other, str) and other in tables:
        table = tables[other]
    else:
        path = Path(other)
        if not path.is_file():
            known = f"; tables given: {', '.join(sorted(tables))}" if tables else ""
            raise SourceError(
                f"{where}, expectation {expectation.name}: the referenced table {other!r} is "
                f"neither a file nor a table passed in tables={known}; fix the path or pass "
                f"tables={{{str(other)!r}: table}}"
            )
        from winnow.io.formats import read_table

        return read_table(path, columns=list(expectation.table_columns))
    for name in expectation.table_columns:
        if name not in table.column_names:
            raise ColumnNotFoundError(
                name,
                table.column_names,
                where=f"{where}, expectation {expectation.name} (referenced table)",
            )
    return table


def _culprit(
    con: duckdb.DuckDBPyConnection,
    expectations: Sequence[Expectation],
    contexts: Sequence[SqlContext],
    *,
    where: str,
    exc: duckdb.Error,
) -> DefinitionError:
    """Name the expectation whose SQL DuckDB rejects (run each alone, on the error path only)."""
    for expectation, ctx in zip(expectations, contexts, strict=True):
        aggs = expectation.aggregates(ctx)
        if not aggs:
            continue
        join = expectation.join_clause(ctx) or ""
        try:
            con.sql(f"SELECT {', '.join(aggs)} FROM {_TABLE} AS {_ALIAS} {join}").fetchall()
        except duckdb.Error as inner:
            types = ", ".join(
                f"{c} is {ctx.schema.field(c).type}" for c in expectation.columns
            )
            first = str(inner).strip().splitlines()[0]
            return DefinitionError(
                f"{where}, expectation {expectation.name}: DuckDB cannot evaluate it: {first}. "
                f"Give bounds and values of the column's type ({types})."
            )
    first = str(exc).strip().splitlines()[0]
    return DefinitionError(f"{where}: DuckDB cannot evaluate the expectations: {first}")


def _raw_json(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> pa.Array:
    """Each row as a JSON object (DuckDB ``to_json``), in row order."""
    if rows.num_rows == 0:
        return pa.array([], pa.string())
    con.register("__winnow_rows", rows)
    try:
        fields = ", ".join(f"{quote_ident(n)} := q.{quote_ident(n)}" for n in rows.column_names)
        out = _fetch(con, f"SELECT to_json(struct_pack({fields}))::VARCHAR AS raw "
                          f"FROM __winnow_rows AS q")
    finally:
        con.unregister("__winnow_rows")
    return out.column("raw").combine_chunks()


def validate(
    data: pa.Table | str | os.PathLike[str],
    suite: ExpectationSuite | Sequence[Expectation] | str | os.PathLike[str],
    *,
    on_fail: OnFail | None = None,
    now: datetime | str | None = None,
    tables: Mapping[str, pa.Table] | None = None,
    source: str | None = None,
    sample_size: int = 5,
) -> ValidationReport:
    """Check a table against an expectation suite and act on the failures.

    Parameters
    ----------
    data
        An Arrow table, or a file winnow reads by extension (:func:`winnow.read_table`).
    suite
        An :class:`ExpectationSuite`, a list of expectations, or a YAML suite file.
    on_fail
        Overrides the suite's default ``on_fail`` (expectations that set their own keep it).
    now
        Reference time of freshness checks; default the suite's ``now``, else the current
        UTC time.
    tables
        Named tables that ``references`` expectations may refer to by name.
    source
        The name written in reports and in the quarantine's ``source`` column (default: the
        file path, or ``"table"``).
    sample_size
        Failing rows kept per failing expectation as a sample.

    Returns
    -------
    ValidationReport
        Per-expectation results, the kept rows and the quarantine.

    Raises
    ------
    ValidationError
        When an expectation whose ``on_fail`` is ``"fail"`` (or a table-level one under
        ``"quarantine"``) fails; the error carries the report as ``.report``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from winnow.validation import Expect, validate
    >>> flights = pa.table({"flight": [1, 2, 3], "dep_delay": [5.0, None, -2.0]})
    >>> report = validate(flights, [Expect.not_null("dep_delay")], on_fail="quarantine")
    >>> report.results[0].observed
    {'null_rate': 0.3333333333333333, 'nulls': 1}
    >>> report.quarantine.select(["position", "reason"]).to_pylist()
    [{'position': 1, 'reason': 'expectation not_null(dep_delay) failed: expected null rate <= 0'}]
    >>> report.table.column("flight").to_pylist()
    [1, 3]
    """
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 0:
        raise DefinitionError(f"sample_size must be an integer >= 0, got {sample_size!r}")
    if isinstance(data, pa.Table):
        table = data
        label = source or "table"
    elif isinstance(data, (str, os.PathLike)):
        from winnow.io.formats import read_table

        table = read_table(data)
        label = source or os.fspath(data)
    else:
        raise DefinitionError(
            f"validate() takes a pyarrow.Table or a file path, got {type(data).__name__}"
        )
    checked = _suite_of(suite)
    if on_fail is not None:
        checked = checked.with_on_fail(on_fail)
    reference_time = parse_now(now, where="validate") or checked.now or datetime.now(UTC)
    if POSITION_COLUMN in table.column_names:
        raise DefinitionError(
            f"{label}: column {POSITION_COLUMN!r} is reserved for winnow's row positions; rename it"
        )
    expectations = checked.expectations
    for expectation in expectations:
        expectation.check_schema(table.schema, where=label)
    contexts = [SqlContext(_ALIAS, i, table.schema) for i in range(len(expectations))]

    con = _connect()
    try:
        for expectation, ctx in zip(expectations, contexts, strict=True):
            if isinstance(expectation, References):
                other = _reference_table(expectation, tables or {}, where=label)
                con.register(expectation.relation(ctx), other)
        judgements = _pass_one(con, table, expectations, contexts, label, reference_time)
        actions = [
            "passed" if j.passed else _ACTIONS[_effective(checked, e)]
            for e, j in zip(expectations, judgements, strict=True)
        ]
        flagged = [
            i for i, (e, j) in enumerate(zip(expectations, judgements, strict=True))
            if e.row_level and not j.passed and (j.failing_rows or 0) > 0
        ]
        positions: dict[int, np.ndarray] = {}
        if flagged:
            positions = _pass_two(con, table, expectations, contexts, flagged, label)
        results = []
        for i, (e, j) in enumerate(zip(expectations, judgements, strict=True)):
            pos = positions.get(i)
            sample = None
            sample_positions: tuple[int, ...] = ()
            if pos is not None and sample_size:
                head = pos[:sample_size]
                sample = table.take(pa.array(head))
                sample_positions = tuple(int(p) for p in head)
            results.append(
                ExpectationResult(
                    expectation=e,
                    passed=j.passed,
                    observed=j.observed,
                    failing_rows=j.failing_rows,
                    action=actions[i],
                    sample=sample,
                    sample_positions=sample_positions,
                )
            )
        kept, quarantine = _quarantine(con, table, expectations, actions, positions, label)
    finally:
        con.close()

    report = ValidationReport(
        source=label,
        suite=checked.name,
        rows=table.num_rows,
        results=tuple(results),
        table=kept,
        quarantine=quarantine,
    )
    for result in report.failures_of("warned"):
        logger.warning("%s: expectation %s", label, result.describe())
    failed = report.failures_of("failed")
    if failed:
        raise ValidationError(report)
    return report


def _effective(suite: ExpectationSuite, expectation: Expectation) -> OnFail:
    action = suite.action(expectation)
    if action == "quarantine" and not expectation.row_level:
        return "fail"  # a table-level failure has no rows to quarantine
    return action


def _pass_one(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    expectations: Sequence[Expectation],
    contexts: Sequence[SqlContext],
    label: str,
    now: datetime,
) -> list[Judgement]:
    """One aggregate query for every expectation; return their judgements."""
    parts = ["count(*)"]
    spans = []
    joins = []
    for expectation, ctx in zip(expectations, contexts, strict=True):
        aggs = expectation.aggregates(ctx)
        spans.append((len(parts), len(parts) + len(aggs)))
        parts.extend(aggs)
        join = expectation.join_clause(ctx)
        if join:
            joins.append(join)
    select = ", ".join(f"{part} AS a{j}" for j, part in enumerate(parts))
    sql = f"SELECT {select} FROM {_TABLE} AS {_ALIAS} {' '.join(joins)}"
    con.register(_TABLE, table)
    try:
        result = _fetch(con, sql)
    except duckdb.Error as exc:
        raise _culprit(con, expectations, contexts, where=label, exc=exc) from exc
    finally:
        con.unregister(_TABLE)
    row = [column[0].as_py() for column in result.columns]  # an aggregate: one row
    rows = int(row[0])
    return [
        e.judge(list(row[lo:hi]), rows=rows, schema=table.schema, now=now)
        for e, (lo, hi) in zip(expectations, spans, strict=True)
    ]


def _pass_two(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    expectations: Sequence[Expectation],
    contexts: Sequence[SqlContext],
    flagged: Sequence[int],
    label: str,
) -> dict[int, np.ndarray]:
    """Positions of the failing rows of each flagged expectation (ascending)."""
    flags = []
    joins = []
    for i in flagged:
        condition = expectations[i].failing_condition(contexts[i])
        assert condition is not None  # row-level expectations have one
        flags.append(f"coalesce({condition}, false) AS f{i}")
        join = expectations[i].join_clause(contexts[i])
        if join:
            joins.append(join)
    inner = (
        f"SELECT {_ALIAS}.{POSITION_COLUMN} AS pos, {', '.join(flags)} "
        f"FROM {_TABLE} AS {_ALIAS} {' '.join(joins)}"
    )
    any_flag = " OR ".join(f"f{i}" for i in flagged)
    numbered = table.append_column(
        POSITION_COLUMN, pa.array(np.arange(table.num_rows, dtype=np.int64))
    )
    con.register(_TABLE, numbered)
    try:
        hits = _fetch(con, f"SELECT * FROM ({inner}) WHERE {any_flag} ORDER BY pos")
    except duckdb.Error as exc:
        raise _culprit(con, expectations, contexts, where=label, exc=exc) from exc
    finally:
        con.unregister(_TABLE)
    pos = hits.column("pos").to_numpy()
    return {
        i: pos[np.asarray(hits.column(f"f{i}").to_numpy(zero_copy_only=False), dtype=bool)]
        for i in flagged
    }


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    expectations: Sequence[Expectation],
    actions: Sequence[str],
    positions: Mapping[int, np.ndarray],
    label: str,
) -> tuple[pa.Table, pa.Table]:
    """Split off the rows of quarantining failures; return (kept rows, quarantine table)."""
    reason_of = np.full(table.num_rows, -1, dtype=np.int64)
    for i in range(len(expectations)):
        if actions[i] != "quarantined" or i not in positions:
            continue
        pos = positions[i]
        fresh = pos[reason_of[pos] < 0]
        reason_of[fresh] = i  # one reason per row: the first failing expectation's
    bad = np.flatnonzero(reason_of >= 0)
    if bad.size == 0:
        return table, empty_quarantine()
    which = pa.array(reason_of[bad])
    columns = pa.array(
        [", ".join(e.columns) or None for e in expectations], pa.string()
    ).take(which)
    reasons = pa.array(
        [f"expectation {e.name} failed: expected {e.expected()}" for e in expectations],
        pa.string(),
    ).take(which)
    raw = _raw_json(con, table.take(pa.array(bad)))
    quarantine = make_quarantine(label, bad, columns, reasons, raw)
    keep = np.ones(table.num_rows, dtype=bool)
    keep[bad] = False
    return table.filter(pa.array(keep)), quarantine
