"""An ETL pipeline: extract from one source, run transform steps in DuckDB, load atomically.

Every step runs as one DuckDB query over the previous step's Arrow table (registered, not
copied), so no transform loops over rows in Python. The run records, per step, the rows in and
out and the wall time; errors name the step (index and kind), the column and the fix. Nothing
is written unless every step succeeded, and the load itself is atomic, so a failing pipeline
leaves no partial output.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from winnow.errors import ColumnNotFoundError, DefinitionError, WinnowError
from winnow.etl._sql import quote_ident, to_arrow, translate_error
from winnow.etl.report import ExtractReport, LoadReport, PipelineReport, StepReport
from winnow.etl.sinks import Sink
from winnow.etl.sources import Source, as_source
from winnow.etl.steps import SEQ, Step
from winnow.timestamps import to_utc

__all__ = ["Pipeline", "ProgressCallback"]

ProgressCallback = Callable[[int, int, str], None]
"""Called as ``progress(stages_done, stages_total, label_of_the_next_stage)``."""


def _with_seq(table: pa.Table, *, where: str) -> pa.Table:
    if SEQ in table.column_names:
        raise DefinitionError(
            f"{where}: column {SEQ!r} is reserved for winnow's row sequence; rename it"
        )
    return table.append_column(SEQ, pa.array(np.arange(table.num_rows, dtype=np.int64)))


def _utc_times(table: pa.Table) -> pa.Table:
    """Make naive timestamps (e.g. from a cast to TIMESTAMP) ``timestamp[us, tz=UTC]``.

    DESIGN.md: a naive timestamp is read as UTC, and times are UTC microseconds everywhere;
    nanosecond timestamps are truncated to the microsecond.
    """
    for i, field in enumerate(table.schema):
        typ = field.type
        if pa.types.is_timestamp(typ) and (typ.tz is None or typ.tz != "UTC" or typ.unit != "us"):
            table = table.set_column(i, field.name, to_utc(table.column(i), name=field.name))
    return table


class _Run:
    """One execution: a DuckDB connection and the relations registered for the current step."""

    def __init__(self) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.where = ""
        self.quarantined = 0
        self.validation_quarantine: list[pa.Table] = []
        self._registered: list[str] = []

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, _with_seq(table, where=self.where))
        self._registered.append(name)

    def release(self) -> None:
        for name in self._registered:
            self.con.unregister(name)
        self._registered.clear()

    def relation(self, source: Source) -> tuple[str, list[str]]:
        """Extract a step's extra source (the right side of a join) and register it."""
        try:
            extracted = source.extract()
        except ColumnNotFoundError as exc:
            where = f"{self.where}, source {source.describe()}"
            raise ColumnNotFoundError(exc.column, exc.available, where=where) from exc
        except WinnowError as exc:
            raise type(exc)(f"{self.where}: cannot read {source.describe()}: {exc}") from exc
        self.quarantined += extracted.rows_quarantined
        raw = f"__winnow_source_{len(self._registered)}"
        self.register(raw, extracted.table)
        return quote_ident(raw), extracted.table.column_names

    def close(self) -> None:
        self.release()
        self.con.close()


class Pipeline:
    """Extract -> transform steps -> load.

    Parameters
    ----------
    extract
        The source: a :class:`~winnow.etl.FileSource`, :class:`~winnow.etl.PostgresSource`,
        :class:`~winnow.etl.ArrowSource`, a ``pyarrow.Table`` or a file path.
    steps
        Transform steps, run in order (:class:`~winnow.etl.Select`, ``Rename``, ``Cast``,
        ``Filter``, ``Dedupe``, ``Derive``, ``Join``, ``Aggregate``).
    load
        Where to write the output (:class:`~winnow.etl.ParquetSink` or
        :class:`~winnow.etl.DuckDBSink`); ``None`` to only return it in the report.
    name
        A name for reports.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from winnow.etl import Pipeline, Filter, Aggregate
    >>> orders = pa.table({"customer": ["a", "b", "a"], "amount": [5.0, -1.0, 7.0]})
    >>> report = Pipeline(
    ...     extract=orders,
    ...     steps=[Filter("amount > 0"), Aggregate(["customer"], {"total": "sum(amount)"})],
    ... ).run()
    >>> report.table.to_pylist()
    [{'customer': 'a', 'total': 12.0}]
    >>> [(s.kind, s.rows_in, s.rows_out) for s in report.steps]
    [('filter', 3, 2), ('aggregate', 2, 1)]
    """

    def __init__(
        self,
        *,
        extract: Source | pa.Table | str | os.PathLike[str],
        steps: Sequence[Step] = (),
        load: Sink | None = None,
        name: str = "pipeline",
    ) -> None:
        self.extract = as_source(extract, where="pipeline extract")
        for i, step in enumerate(steps, 1):
            if not isinstance(step, Step):
                raise DefinitionError(
                    f"step {i}: expected a Step (Select, Rename, Cast, Filter, Dedupe, Derive, "
                    f"Join, Aggregate, Validate), found {type(step).__name__}"
                )
        self.steps: tuple[Step, ...] = tuple(steps)
        self.load = load
        self.name = name

    @classmethod
    def from_dict(
        cls, spec: Mapping[str, Any], *, base_dir: str | os.PathLike[str] = "."
    ) -> Pipeline:
        """Build a pipeline from its YAML/JSON mapping (see :mod:`winnow.etl.config`)."""
        from winnow.etl.config import pipeline_from_dict

        return pipeline_from_dict(spec, base_dir=Path(base_dir))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Pipeline:
        """Read a pipeline file; relative paths in it are relative to the file's directory."""
        from winnow.etl.config import load_pipeline

        return load_pipeline(path)

    def transform(self, table: pa.Table) -> tuple[pa.Table, tuple[StepReport, ...]]:
        """Run the steps on ``table`` and return the output and a report per step."""
        run = _Run()
        try:
            return self._transform(run, table, progress=None, offset=0, total=0)
        finally:
            run.close()

    def _transform(
        self,
        run: _Run,
        table: pa.Table,
        *,
        progress: ProgressCallback | None,
        offset: int,
        total: int,
    ) -> tuple[pa.Table, tuple[StepReport, ...]]:
        import duckdb

        reports = []
        current = table
        for index, step in enumerate(self.steps, 1):
            where = f"step {index} ({step.kind})"
            if progress is not None:
                progress(offset + index - 1, total, f"{where}: {step.describe()}")
            run.where = where
            run.quarantined = 0
            columns = current.column_names
            start = time.perf_counter()
            name = f"__winnow_step_{index}"
            validation = None
            arrow = step.run_arrow(current, where=where)
            if arrow is not None:
                result = arrow.table
                if arrow.quarantine is not None:
                    run.quarantined += arrow.quarantine.num_rows
                    run.validation_quarantine.append(arrow.quarantine)
                if arrow.validation is not None:
                    validation = arrow.validation.summary()
            else:
                try:
                    run.register(name, current)
                    sql = step.sql(quote_ident(name), columns, where=where, context=run)
                    result = to_arrow(run.con.sql(sql))
                except duckdb.Error as exc:
                    raise translate_error(exc, where=where, available=columns) from exc
                finally:
                    run.release()
            reports.append(
                StepReport(
                    index=index,
                    kind=step.kind,
                    description=step.describe(),
                    rows_in=current.num_rows,
                    rows_out=result.num_rows,
                    seconds=time.perf_counter() - start,
                    rows_quarantined=run.quarantined,
                    validation=validation,
                )
            )
            current = result
        return _utc_times(current), tuple(reports)

    def run(self, *, progress: ProgressCallback | None = None) -> PipelineReport:
        """Extract, transform and load; return the run report.

        Parameters
        ----------
        progress
            Called before each stage with (stages done, total stages, label).
        """
        total = len(self.steps) + 1 + (self.load is not None)
        started = time.perf_counter()
        if progress is not None:
            progress(0, total, f"extract: {self.extract.describe()}")
        start = time.perf_counter()
        extracted = self.extract.extract()
        extract_report = ExtractReport(
            source=self.extract.describe(),
            rows_read=extracted.rows_read,
            rows_quarantined=extracted.rows_quarantined,
            rows_out=extracted.table.num_rows,
            seconds=time.perf_counter() - start,
        )
        run = _Run()
        try:
            output, step_reports = self._transform(
                run, extracted.table, progress=progress, offset=1, total=total
            )
        finally:
            run.close()
        quarantines = [extracted.quarantine] if extracted.quarantine is not None else []
        quarantines += run.validation_quarantine
        quarantine = pa.concat_tables(quarantines) if quarantines else None
        load_report = None
        if self.load is not None:
            if progress is not None:
                progress(total - 1, total, f"load: {self.load.describe()}")
            start = time.perf_counter()
            written = self.load.write(output)
            load_report = LoadReport(
                destination=self.load.describe(),
                rows=output.num_rows,
                files=written.files,
                bytes=written.bytes,
                seconds=time.perf_counter() - start,
            )
        if progress is not None:
            progress(total, total, "done")
        return PipelineReport(
            extract=extract_report,
            steps=step_reports,
            load=load_report,
            seconds=time.perf_counter() - started,
            table=output,
            quarantine=quarantine,
        )

    def __repr__(self) -> str:
        steps = ", ".join(s.describe() for s in self.steps)
        load = self.load.describe() if self.load is not None else None
        return f"Pipeline(extract={self.extract.describe()!r}, steps=[{steps}], load={load!r})"
