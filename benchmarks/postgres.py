"""Benchmark: reading a PostgreSQL table into Arrow, winnow against the candidate drivers.

Starts a throwaway PostgreSQL server (the same way the test fixture does) unless ``--dsn`` is
given, fills a table of ``--rows`` rows (bigint id, timestamptz, float8, numeric(12,2),
low-cardinality text, ~40-character text, bool; ~1% nulls), then reads the whole table with:

- ``winnow.read_postgres`` (ADBC underneath, plus type normalisation);
- ADBC ``adbc-driver-postgresql`` ``fetch_arrow_table`` directly;
- psycopg 3 binary ``COPY`` (``copy.rows()`` with binary loaders) then ``pa.table``;
- psycopg 3 text ``COPY ... (FORMAT csv)`` parsed by Arrow's CSV reader with declared types;
- psycopg 3 ``fetchall`` on a binary cursor then ``pa.table`` (the plain DB-API baseline);
- DuckDB's ``postgres`` extension, if it can be installed (it needs a download).

Every candidate's result is checked equal to winnow's (values and, after the documented
normalisation, types) before its time counts. Prints best-of-``--repeat`` seconds, rows/s, and
each time as a ratio to winnow's. Run: ``.venv/bin/python benchmarks/postgres.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from winnow.io.postgres import read_postgres

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("amount", pa.float64()),
        ("price", pa.decimal128(12, 2)),
        ("category", pa.string()),
        ("note", pa.string()),
        ("flag", pa.bool_()),
    ]
)


@contextlib.contextmanager
def _server(dsn: str | None) -> Iterator[str]:
    if dsn is not None:
        yield dsn
        return
    from tests.fixtures.postgres import find_postgres_bin, running_postgres

    bindir = find_postgres_bin()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found; pass --dsn or install 'postgresql'")
    with running_postgres(bindir) as started:
        yield started


def _fill(dsn: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_events")
        conn.execute(
            "CREATE TABLE bench_events (id bigint, at timestamptz, amount double precision, "
            "price numeric(12, 2), category text, note text, flag boolean)"
        )
        conn.execute(
            """
            INSERT INTO bench_events
            SELECT g,
                   timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
                   CASE WHEN g %% 97 = 0 THEN NULL ELSE (g %% 10007) * 0.731 END,
                   ((g %% 100003) * 0.01)::numeric(12, 2),
                   (ARRAY['web', 'ios', 'android', 'pos', 'api'])[1 + g %% 5],
                   CASE WHEN g %% 101 = 0 THEN NULL
                        ELSE 'note ' || md5(g::text) || ' x' END,
                   g %% 3 = 0
            FROM generate_series(1, %s) AS g
            """,
            (rows,),
        )
        conn.execute("VACUUM ANALYZE bench_events")


def _adbc(dsn: str) -> pa.Table:
    import adbc_driver_postgresql.dbapi as adbc

    with adbc.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM bench_events")
        table: pa.Table = cur.fetch_arrow_table()
    return table


def _psycopg_binary_copy(dsn: str) -> pa.Table:
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        columns: list[list[object]] = [[] for _ in SCHEMA]
        with cur.copy("COPY bench_events TO STDOUT (FORMAT binary)") as copy:
            copy.set_types(["int8", "timestamptz", "float8", "numeric", "text", "text", "bool"])
            for row in copy.rows():
                for i, value in enumerate(row):
                    columns[i].append(value)
    return pa.table(columns, schema=SCHEMA)


def _psycopg_csv_copy(dsn: str) -> pa.Table:
    import psycopg

    buffer = io.BytesIO()
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cur,
        cur.copy("COPY bench_events TO STDOUT (FORMAT csv)") as copy,
    ):
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=SCHEMA.names),
        convert_options=pacsv.ConvertOptions(
            column_types=SCHEMA,
            true_values=["t"],
            false_values=["f"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            timestamp_parsers=["%Y-%m-%d %H:%M:%S%z", pacsv.ISO8601],
        ),
    )


def _psycopg_fetchall(dsn: str) -> pa.Table:
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor(binary=True) as cur:
        cur.execute("SELECT * FROM bench_events")
        rows = cur.fetchall()
    return pa.table([list(col) for col in zip(*rows, strict=True)], schema=SCHEMA)


def _duckdb_postgres(dsn: str) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("INSTALL postgres")
        con.execute("LOAD postgres")
        con.execute(f"ATTACH '{dsn}' AS pg (TYPE postgres, READ_ONLY)")
        return con.execute("SELECT * FROM pg.public.bench_events").fetch_arrow_table()
    finally:
        con.close()


def _normalised(table: pa.Table) -> pa.Table:
    """Cast to SCHEMA the way read_postgres does (ADBC's numeric arrives as text)."""
    arrays = []
    for field in SCHEMA:
        column = table.column(field.name)
        if isinstance(column.type, pa.BaseExtensionType):
            column = pa.chunked_array([c.storage for c in column.chunks])
        arrays.append(column.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA).sort_by("id")


def _time(fn: Callable[[], pa.Table], repeat: int) -> tuple[float, pa.Table]:
    times = []
    result = pa.table({})
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", default=None, help="use this server instead of starting one")
    args = parser.parse_args()

    with _server(args.dsn) as dsn:
        start = time.perf_counter()
        _fill(dsn, args.rows)
        print(f"filled bench_events with {args.rows:,} rows in {time.perf_counter() - start:.1f}s")
        candidates: list[tuple[str, Callable[[], pa.Table]]] = [
            ("winnow.read_postgres (ADBC)", lambda: read_postgres(dsn, table="bench_events")),
            ("ADBC fetch_arrow_table", lambda: _adbc(dsn)),
            ("psycopg binary COPY rows", lambda: _psycopg_binary_copy(dsn)),
            ("psycopg CSV COPY + Arrow CSV", lambda: _psycopg_csv_copy(dsn)),
            ("psycopg fetchall (binary)", lambda: _psycopg_fetchall(dsn)),
            ("DuckDB postgres extension", lambda: _duckdb_postgres(dsn)),
        ]
        reference = read_postgres(dsn, table="bench_events")
        assert reference.schema == SCHEMA, reference.schema
        expected = reference.sort_by("id")
        results: list[tuple[str, float | None, str]] = []
        for name, fn in candidates:
            try:
                seconds, table = _time(fn, args.repeat)
            except Exception as exc:
                results.append((name, None, f"unavailable: {str(exc).splitlines()[0][:90]}"))
                continue
            same = _normalised(table).equals(expected)
            results.append((name, seconds, "equal" if same else "DIFFERENT VALUES"))
        base = results[0][1]
        print(f"\nread {args.rows:,} rows x {len(SCHEMA)} columns, best of {args.repeat}")
        print(f"{'reader':32} {'seconds':>8} {'Mrows/s':>8} {'x winnow':>9}  check")
        for name, seconds, note in results:
            if seconds is None or base is None:
                print(f"{name:32} {'-':>8} {'-':>8} {'-':>9}  {note}")
                continue
            rate = args.rows / seconds / 1e6
            print(f"{name:32} {seconds:8.3f} {rate:8.2f} {seconds / base:9.2f}  {note}")
        timed = [s for _, s, n in results[1:] if s is not None and n == "equal"]
        if timed:
            print(f"\nmedian of the correct peers / winnow: {statistics.median(timed) / base:.2f}x")


if __name__ == "__main__":
    main()
