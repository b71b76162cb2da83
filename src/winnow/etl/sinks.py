"""Where an ETL pipeline writes: a Parquet dataset directory or a table in a DuckDB file.

Both loads are atomic (DESIGN.md section 2): the dataset directory or the database file
appears complete, or the previous state is left untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import pyarrow as pa

from winnow.errors import DefinitionError, SinkError
from winnow.io.atomic import atomic_dir, atomic_path
from winnow.io.postgres import quote_ident

__all__ = ["DuckDBSink", "ParquetSink", "Sink", "Written"]


@dataclass(frozen=True)
class Written:
    """What a sink wrote: the files (relative to the destination) and their total bytes."""

    files: tuple[str, ...]
    bytes: int


@runtime_checkable
class Sink(Protocol):
    """Anything a pipeline can load its output into."""

    def write(self, table: pa.Table) -> Written:
        """Write ``table`` atomically."""
        ...

    def describe(self) -> str:
        """A short human description for run reports."""
        ...


@dataclass(frozen=True)
class ParquetSink:
    """A directory of zstd-compressed Parquet files, optionally hive-partitioned.

    Parameters
    ----------
    path
        The dataset directory. It is built under a temporary name and renamed into place.
    overwrite
        Replace an existing directory (after the new one is complete); otherwise an existing
        directory is an error.
    partition_by
        Columns to partition by (``col=value/`` subdirectories).
    max_rows_per_file
        Split the output into files of at most this many rows.
    """

    path: str | os.PathLike[str]
    overwrite: bool = False
    partition_by: tuple[str, ...] = ()
    max_rows_per_file: int = 1_000_000

    def write(self, table: pa.Table) -> Written:
        """Write the dataset directory atomically."""
        import pyarrow.dataset as ds

        dest = Path(self.path)
        if dest.exists() and not self.overwrite:
            raise SinkError(
                f"Parquet dataset directory {os.fspath(dest)!r} already exists; pass "
                f"overwrite=True (YAML: overwrite: true) to replace it, or choose another path"
            )
        if dest.exists() and not dest.is_dir():
            raise SinkError(f"{os.fspath(dest)!r} exists and is not a directory; remove it first")
        for name in self.partition_by:
            if name not in table.column_names:
                raise DefinitionError(
                    f"load partition_by column {name!r} is not in the output; available "
                    f"columns: {', '.join(table.column_names)}"
                )
        with atomic_dir(dest, overwrite=self.overwrite) as tmp:
            ds.write_dataset(
                table,
                tmp,
                format="parquet",
                basename_template="part-{i}.parquet",
                partitioning=list(self.partition_by) or None,
                partitioning_flavor="hive" if self.partition_by else None,
                file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
                max_rows_per_file=self.max_rows_per_file,
                max_rows_per_group=min(self.max_rows_per_file, 1 << 20),
                existing_data_behavior="overwrite_or_ignore",
                preserve_order=True,
                use_threads=True,
            )
            files = sorted(
                os.path.relpath(os.path.join(root, f), tmp)
                for root, _dirs, names in os.walk(tmp)
                for f in names
            )
            size = sum((tmp / f).stat().st_size for f in files)
        return Written(tuple(files), size)

    def describe(self) -> str:
        """``parquet <dir>``."""
        return f"parquet {os.fspath(self.path)}"


@dataclass(frozen=True)
class DuckDBSink:
    """A table in a DuckDB database file (created if absent).

    The database is changed on a copy that replaces the file only after the load committed
    and checkpointed, so readers never see a half-loaded table.

    Parameters
    ----------
    path
        The ``.duckdb`` file.
    table
        Table name inside it (quoted literally).
    mode
        ``replace`` the table, or ``append`` to it (matching columns by name; the table is
        created if absent).
    """

    path: str | os.PathLike[str]
    table: str
    mode: Literal["replace", "append"] = "replace"

    def __post_init__(self) -> None:
        if self.mode not in ("replace", "append"):
            raise DefinitionError(f"DuckDB load mode {self.mode!r} is not 'replace' or 'append'")
        quote_ident(self.table)

    def write(self, table: pa.Table) -> Written:
        """Load ``table`` into the database file atomically."""
        import duckdb

        dest = Path(self.path)
        if dest.exists() and not dest.is_file():
            raise SinkError(f"{os.fspath(dest)!r} exists and is not a DuckDB database file")
        name = quote_ident(self.table)
        with atomic_path(dest) as tmp:
            wal = tmp.with_name(tmp.name + ".wal")
            try:
                tmp.unlink()
                if dest.exists():
                    shutil.copyfile(dest, tmp)
                    if Path(f"{dest}.wal").exists():
                        shutil.copyfile(f"{dest}.wal", wal)
                con = duckdb.connect(os.fspath(tmp))
                try:
                    con.register("__winnow_load", table)
                    if self.mode == "replace":
                        con.execute(f"CREATE OR REPLACE TABLE {name} AS FROM __winnow_load")
                    else:
                        con.execute(
                            f"CREATE TABLE IF NOT EXISTS {name} AS FROM __winnow_load LIMIT 0"
                        )
                        con.execute(f"INSERT INTO {name} BY NAME FROM __winnow_load")
                    con.execute("CHECKPOINT")
                except duckdb.Error as exc:
                    raise SinkError(
                        f"cannot load table {self.table!r} into DuckDB file "
                        f"{os.fspath(dest)!r}: {str(exc).splitlines()[0]}. With mode='append' "
                        f"the output's columns must match the existing table's; use "
                        f"mode='replace' to redefine it."
                    ) from exc
                finally:
                    con.close()
            finally:
                with contextlib.suppress(FileNotFoundError):
                    wal.unlink()
        # the copy absorbed any write-ahead log of the old file; a stale one must not be
        # replayed against the new file
        with contextlib.suppress(FileNotFoundError):
            Path(f"{dest}.wal").unlink()
        return Written((dest.name,), dest.stat().st_size)

    def describe(self) -> str:
        """``duckdb <file> table <name>``."""
        return f"duckdb {os.fspath(self.path)} table {self.table} ({self.mode})"
