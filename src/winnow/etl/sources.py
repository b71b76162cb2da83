"""Where an ETL pipeline's rows come from: files, PostgreSQL, or an Arrow table in memory.

Every source has ``extract() -> Extracted``: the Arrow table plus the counts of rows read,
accepted and quarantined, so the run report can say what ingest did before any step ran.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyarrow as pa

from winnow.errors import DefinitionError

if TYPE_CHECKING:
    from winnow.io.ingest import SchemaLike

__all__ = [
    "ArrowSource",
    "Extracted",
    "FileSource",
    "PostgresSource",
    "Source",
    "as_source",
]


@dataclass(frozen=True)
class Extracted:
    """The rows a source produced and what ingest counted on the way.

    Attributes
    ----------
    table
        The accepted rows.
    rows_read
        Records read from the source (accepted + quarantined).
    rows_quarantined
        Records that did not fit the declared schema and went to quarantine instead.
    quarantine
        Those records (source, position, reason, raw text), when the source has any.
    """

    table: pa.Table
    rows_read: int
    rows_quarantined: int = 0
    quarantine: pa.Table | None = field(default=None, repr=False)


@runtime_checkable
class Source(Protocol):
    """Anything a pipeline can extract rows from."""

    def extract(self) -> Extracted:
        """Read the source into Arrow."""
        ...

    def describe(self) -> str:
        """A short human description for run reports and error messages."""
        ...


@dataclass(frozen=True)
class FileSource:
    """A data file in any format winnow reads (CSV, JSON Lines, Parquet, Avro, Arrow IPC).

    The file is read with :func:`winnow.read`: records that do not fit the schema go to
    quarantine (counted in the run report), never silently into the pipeline.

    Parameters
    ----------
    path
        The file; its format comes from the extension unless ``format`` is given.
    schema
        A :class:`winnow.Schema`, a schema file, or a mapping; ``None`` takes the file's own
        schema (self-describing formats) or infers one from every record (text formats).
    columns
        Read only these columns (selectively where the format allows it).
    format
        Override the format detected from the extension.
    trusted
        Required to read Pickle, because unpickling runs code.
    """

    path: str | os.PathLike[str]
    schema: SchemaLike | None = None
    columns: tuple[str, ...] | None = None
    format: str | None = None
    trusted: bool = False

    def extract(self) -> Extracted:
        """Read the file into Arrow, quarantining records that do not fit the schema."""
        from winnow.io.ingest import read

        result = read(
            self.path,
            schema=self.schema,
            columns=self.columns,
            format=self.format,
            trusted=self.trusted,
        )
        return Extracted(
            result.table,
            rows_read=result.read,
            rows_quarantined=result.quarantined,
            quarantine=result.quarantine if result.quarantined else None,
        )

    def describe(self) -> str:
        """``file <path>``."""
        return f"file {os.fspath(self.path)}"


@dataclass(frozen=True)
class PostgresSource:
    """A PostgreSQL table or parameterised query, read with :func:`winnow.read_postgres`.

    Parameters
    ----------
    dsn
        libpq connection string (``postgresql://user@host:port/dbname``).
    table
        ``"name"`` or ``"schema.name"``; exclusive with ``query``.
    query
        SQL with ``$1, $2, ...`` placeholders bound from ``params``.
    params
        Values for the placeholders.
    columns
        Only these columns.
    """

    dsn: str
    table: str | None = None
    query: str | None = None
    params: tuple[Any, ...] | None = None
    columns: tuple[str, ...] | None = None

    def extract(self) -> Extracted:
        """Run the read against the server."""
        from winnow.io.postgres import read_postgres

        table = read_postgres(
            self.dsn, table=self.table, query=self.query, params=self.params, columns=self.columns
        )
        return Extracted(table, rows_read=table.num_rows)

    def describe(self) -> str:
        """``postgres table <name>`` or ``postgres query``, with the DSN's password hidden."""
        from winnow.io.postgres import redact_dsn

        what = f"table {self.table}" if self.table is not None else "query"
        return f"postgres {what} at {redact_dsn(self.dsn)}"


@dataclass(frozen=True)
class ArrowSource:
    """An Arrow table already in memory."""

    table: pa.Table = field(repr=False)
    name: str = "arrow table"

    def extract(self) -> Extracted:
        """Return the table as is."""
        return Extracted(self.table, rows_read=self.table.num_rows)

    def describe(self) -> str:
        """The name given, ``arrow table`` by default."""
        return self.name


def as_source(value: object, *, where: str) -> Source:
    """Coerce what a user passed as a source: a Source, an Arrow table, or a file path."""
    if isinstance(value, pa.Table):
        return ArrowSource(value)
    if isinstance(value, str | Path):
        return FileSource(value)
    if isinstance(value, Source):
        return value
    raise DefinitionError(
        f"{where}: expected a source (FileSource, PostgresSource, ArrowSource, a pyarrow.Table "
        f"or a file path), found {type(value).__name__}"
    )
