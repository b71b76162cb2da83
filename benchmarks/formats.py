"""Benchmark: winnow's readers/writers/convert against the plain libraries, in the same run.

A generated table (default 2,000,000 rows: int64 id, UTC timestamp, float64, a low-cardinality
string and a ~40-character text) is written and read in every format, once through winnow and
once through the library winnow delegates to (pyarrow, DuckDB, fastavro) and, where they have an
equivalent, Polars and DuckDB as outside peers. Each timing is the best of ``--repeats`` runs.

Printed: file sizes, seconds, and the ratio winnow / plain library (1.00 = same speed). winnow's
writes are atomic and durable (temporary name, fsync, rename), so each write is also timed for
the plain library wrapped the same way (``+fsync``), the like-for-like comparison. The
targets from the design: ``convert`` (CSV -> Parquet) within 1.1x of calling pyarrow/DuckDB
directly, and reading 2 of 5 columns from Parquet at least 5x faster than from CSV.

Run: ``.venv/bin/python benchmarks/formats.py [--rows N] [--repeats R] [--json FILE]``;
``--breakdown`` times only the steps of ``convert`` next to the plain calls.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.json as pajson
import pyarrow.parquet as pq

import winnow as wn
from winnow.timestamps import TIMESTAMP

SEED = 20240601


def make_table(rows: int, *, seed: int = SEED) -> pa.Table:
    """The benchmark table: id, timestamp, float, low-cardinality string, ~40-char text."""
    rng = np.random.default_rng(seed)
    start = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
    micros = start + np.sort(rng.integers(0, 365 * 86_400 * 1_000_000, rows))
    letters = rng.integers(97, 123, size=(rows, 40), dtype=np.uint8)
    letters[:, ::6] = 32  # spaces: word-like text
    lengths = rng.integers(34, 41, rows)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
    flat = letters[np.arange(40)[None, :] < lengths[:, None]]  # row by row, each cut short
    text = pa.Array.from_buffers(
        pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(flat.tobytes())]
    )
    categories = np.array(["card", "cash", "transfer", "wallet", "voucher", "crypto"])
    return pa.table(
        {
            "id": pa.array(np.arange(rows, dtype=np.int64)),
            "at": pa.array(micros, pa.int64()).cast(TIMESTAMP),
            "amount": pa.array(np.round(rng.lognormal(3, 1.2, rows), 2)),
            "method": pa.array(categories[rng.integers(0, len(categories), rows)]),
            "note": text,
        }
    )


def best(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _duck(sql: str, **tables: pa.Table) -> pa.Table | None:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            con.register(name, table)
        rel = con.sql(sql)
        return rel.to_arrow_table() if rel is not None else None
    finally:
        con.close()


def durable(write: Callable[[Path], object], path: Path) -> None:
    """Run a plain library's ``write(path)`` with the durability winnow's writes have: write
    under a temporary name, fsync, rename, fsync the directory (like ``winnow.io.atomic``)."""
    tmp = path.with_name(f".tmp-{path.name}")
    write(tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _avro_plain_write(table: pa.Table, path: Path) -> None:
    import fastavro

    schema = fastavro.parse_schema({
        "type": "record", "name": "Row", "fields": [
            {"name": "id", "type": ["null", "long"]},
            {"name": "at", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
            {"name": "amount", "type": ["null", "double"]},
            {"name": "method", "type": ["null", "string"]},
            {"name": "note", "type": ["null", "string"]},
        ]})
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, table.to_pylist(), codec="zstandard")


def _avro_plain_read(path: Path) -> pa.Table:
    import fastavro

    with open(path, "rb") as handle:
        return pa.Table.from_pylist(list(fastavro.reader(handle)))


def run(rows: int, repeats: int, workdir: Path) -> dict[str, Any]:
    import polars as pl

    table = make_table(rows)
    results: dict[str, Any] = {"rows": rows, "repeats": repeats, "formats": {}}
    q = lambda p: str(p).replace("'", "''")  # noqa: E731 - SQL quoting for paths

    plain_write: dict[str, Callable[[Path], object]] = {
        "csv": lambda p: pacsv.write_csv(table, p),
        "jsonl": lambda p: _duck(f"COPY t TO '{q(p)}' (FORMAT json)", t=table),
        "parquet": lambda p: pq.write_table(table, p, compression="zstd"),
        "arrow": lambda p: feather.write_feather(table, p, compression="zstd"),
        "avro": lambda p: _avro_plain_write(table, p),
    }
    plain_read: dict[str, Callable[[Path], object]] = {
        "csv": lambda p: pacsv.read_csv(p),
        "jsonl": lambda p: pajson.read_json(p),
        "parquet": lambda p: pq.read_table(p),
        "arrow": lambda p: feather.read_table(p, memory_map=True),
        "avro": _avro_plain_read,
    }
    peers_read: dict[str, dict[str, Callable[[Path], object]]] = {
        "csv": {"polars": lambda p: pl.read_csv(p).to_arrow(),
                "duckdb": lambda p: _duck(f"SELECT * FROM read_csv('{q(p)}')")},
        "jsonl": {"polars": lambda p: pl.read_ndjson(p).to_arrow()},
        "parquet": {"polars": lambda p: pl.read_parquet(p).to_arrow(),
                    "duckdb": lambda p: _duck(f"SELECT * FROM read_parquet('{q(p)}')")},
        "arrow": {"polars": lambda p: pl.read_ipc(p).to_arrow()},
    }
    peers_write: dict[str, dict[str, Callable[[Path], object]]] = {
        "csv": {"polars": lambda p: pl.from_arrow(table).write_csv(p)},  # type: ignore[union-attr]
        "jsonl": {"polars": lambda p: pl.from_arrow(table).write_ndjson(p)},  # type: ignore[union-attr]
        "parquet": {"polars": lambda p: pl.from_arrow(table).write_parquet(p, compression="zstd"),  # type: ignore[union-attr]
                    "duckdb": lambda p: _duck(
                        f"COPY t TO '{q(p)}' (FORMAT parquet, COMPRESSION zstd)", t=table)},
    }
    for fmt in ("csv", "jsonl", "parquet", "arrow", "avro"):
        reps = 1 if fmt == "avro" else repeats  # fastavro is pure per-record Python on both sides
        ours = workdir / f"winnow.{fmt}"
        plain = workdir / f"plain.{fmt}"
        entry: dict[str, Any] = {}
        entry["write_winnow_s"] = best(lambda ours=ours: wn.write_table(table, ours), reps)
        entry["write_plain_s"] = best(lambda f=plain_write[fmt], p=plain: f(p), reps)
        if fmt != "avro":  # Avro's plain write is per-record Python: fsync is lost in it
            entry["write_plain_fsync_s"] = best(
                lambda f=plain_write[fmt], p=plain: durable(f, p), reps)
        entry["size_winnow_bytes"] = ours.stat().st_size
        entry["size_plain_bytes"] = plain.stat().st_size
        entry["read_winnow_s"] = best(lambda ours=ours: wn.read_table(ours), reps)
        entry["read_plain_s"] = best(lambda f=plain_read[fmt], p=ours: f(p), reps)
        for peer, fn in peers_write.get(fmt, {}).items():
            entry[f"write_{peer}_s"] = best(lambda fn=fn, p=workdir / f"{peer}.{fmt}": fn(p), reps)
        for peer, fn in peers_read.get(fmt, {}).items():
            entry[f"read_{peer}_s"] = best(lambda fn=fn, p=ours: fn(p), reps)
        entry["write_ratio"] = entry["write_winnow_s"] / entry["write_plain_s"]
        if "write_plain_fsync_s" in entry:
            entry["write_ratio_fsync"] = entry["write_winnow_s"] / entry["write_plain_fsync_s"]
        entry["read_ratio"] = entry["read_winnow_s"] / entry["read_plain_s"]
        check = wn.read_table(ours)
        assert check.num_rows == rows and check.column_names == table.column_names, fmt
        results["formats"][fmt] = entry

    csv_path = workdir / "winnow.csv"
    parquet_path = workdir / "winnow.parquet"
    # ingest with quarantine: the declared-schema path (every value checked) vs no schema
    schema = wn.Schema.from_arrow(table.schema)
    results["ingest"] = {
        "csv_read_plain_s": results["formats"]["csv"]["read_plain_s"],
        "csv_read_no_schema_s": best(lambda: wn.read(csv_path), repeats),
        "csv_read_declared_schema_s": best(lambda: wn.read(csv_path, schema=schema), repeats),
        "parquet_read_declared_schema_s": best(
            lambda: wn.read(parquet_path, schema=schema), repeats),
    }
    # convert CSV -> Parquet: the CLI's library path vs pyarrow and DuckDB directly
    out = workdir / "converted.parquet"

    def winnow_convert() -> None:
        result = wn.read(csv_path)
        wn.write_table(result.table, out)

    results["convert_csv_to_parquet"] = {
        "winnow_s": best(winnow_convert, repeats),
        "pyarrow_fsync_s": best(lambda: durable(
            lambda p: pq.write_table(pacsv.read_csv(csv_path), p, compression="zstd"), out),
            repeats),
        "pyarrow_s": best(lambda: pq.write_table(pacsv.read_csv(csv_path), out,
                                                 compression="zstd"), repeats),
        "duckdb_s": best(lambda: _duck(
            f"COPY (SELECT * FROM read_csv('{q(csv_path)}')) TO '{q(out)}' "
            "(FORMAT parquet, COMPRESSION zstd)"), repeats),
    }
    conv = results["convert_csv_to_parquet"]
    conv["ratio_vs_pyarrow"] = conv["winnow_s"] / conv["pyarrow_s"]
    conv["ratio_vs_pyarrow_fsync"] = conv["winnow_s"] / conv["pyarrow_fsync_s"]
    conv["ratio_vs_duckdb"] = conv["winnow_s"] / conv["duckdb_s"]
    # selective read: 2 of 5 columns from Parquet vs the same from CSV
    two = ["id", "amount"]
    sel = {
        "parquet_2_of_5_s": best(lambda: wn.read_table(parquet_path, columns=two), repeats),
        "csv_2_of_5_s": best(lambda: wn.read_table(csv_path, columns=two), repeats),
        "csv_all_s": results["formats"]["csv"]["read_winnow_s"],
    }
    sel["speedup_vs_csv_2_of_5"] = sel["csv_2_of_5_s"] / sel["parquet_2_of_5_s"]
    sel["speedup_vs_csv_all"] = sel["csv_all_s"] / sel["parquet_2_of_5_s"]
    results["selective_read"] = sel
    return results


def breakdown(rows: int, repeats: int, workdir: Path) -> str:
    """Time the steps of ``winnow convert`` (CSV -> Parquet) next to the plain calls."""
    from winnow.io.ingest import _fast_csv

    table = make_table(rows)
    csv_path, out = workdir / "t.csv", workdir / "o.parquet"
    wn.write_table(table, csv_path)
    plain = pacsv.read_csv(csv_path)

    def in_place_fsync() -> None:
        pq.write_table(plain, out, compression="zstd")
        with open(out, "rb+") as handle:
            os.fsync(handle.fileno())

    steps: list[tuple[str, Callable[[], object]]] = [
        ("pyarrow.csv.read_csv", lambda: pacsv.read_csv(csv_path)),
        ("winnow CSV read without schema (Arrow reader + quarantine handler)",
         lambda: _fast_csv(csv_path, None)),
        ("wn.read (the same, through the ingest entry point)", lambda: wn.read(csv_path)),
        ("pyarrow.parquet.write_table (zstd)",
         lambda: pq.write_table(plain, out, compression="zstd")),
        ("the same + fsync, rewritten in place", in_place_fsync),
        ("wn.write_table (temporary name, fsync, rename, fsync dir)",
         lambda: wn.write_table(plain, out)),
        ("convert: pyarrow read + write",
         lambda: pq.write_table(pacsv.read_csv(csv_path), out, compression="zstd")),
        ("convert: winnow (wn.read + wn.write_table)",
         lambda: wn.write_table(wn.read(csv_path).table, out)),
    ]
    lines = [f"convert breakdown, {rows:,} rows, best of {repeats}"]
    lines += [f"{best(fn, repeats):8.3f} s  {name}" for name, fn in steps]
    return "\n".join(lines)


def report(results: dict[str, Any]) -> str:
    lines = [f"{results['rows']:,} rows, best of {results['repeats']} (Avro: 1)", ""]
    head = (f"{'format':<8} {'size MiB':>9} {'write s':>8} {'plain':>7} {'ratio':>6} "
            f"{'+fsync':>7} {'ratio':>6} {'read s':>7} {'plain':>7} {'ratio':>6}  peers")
    lines.append(head)
    for fmt, e in results["formats"].items():
        peers = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in e.items()
                          if k.endswith("_s") and ("polars" in k or "duckdb" in k))
        fsync = (f"{e['write_plain_fsync_s']:>7.2f} {e['write_ratio_fsync']:>6.2f}"
                 if "write_plain_fsync_s" in e else f"{'-':>7} {'-':>6}")
        lines.append(
            f"{fmt:<8} {e['size_winnow_bytes'] / 2**20:>9.1f} {e['write_winnow_s']:>8.2f} "
            f"{e['write_plain_s']:>7.2f} {e['write_ratio']:>6.2f} {fsync} "
            f"{e['read_winnow_s']:>7.2f} {e['read_plain_s']:>7.2f} {e['read_ratio']:>6.2f}  {peers}"
        )
    ing = results["ingest"]
    lines += ["", "ingest (winnow.read) CSV: plain pyarrow {:.2f} s, no schema {:.2f} s, "
              "declared schema (every value checked) {:.2f} s; Parquet with declared schema "
              "{:.2f} s".format(ing["csv_read_plain_s"], ing["csv_read_no_schema_s"],
                                ing["csv_read_declared_schema_s"],
                                ing["parquet_read_declared_schema_s"])]
    c = results["convert_csv_to_parquet"]
    lines.append(
        f"convert CSV -> Parquet: winnow {c['winnow_s']:.2f} s, pyarrow {c['pyarrow_s']:.2f} s "
        f"({c['ratio_vs_pyarrow']:.2f}x), pyarrow with fsync + rename "
        f"{c['pyarrow_fsync_s']:.2f} s ({c['ratio_vs_pyarrow_fsync']:.2f}x), DuckDB "
        f"{c['duckdb_s']:.2f} s ({c['ratio_vs_duckdb']:.2f}x)"
    )
    s = results["selective_read"]
    lines.append(
        f"2 of 5 columns: Parquet {s['parquet_2_of_5_s']:.3f} s, CSV {s['csv_2_of_5_s']:.2f} s "
        f"-> {s['speedup_vs_csv_2_of_5']:.1f}x faster (vs whole CSV: "
        f"{s['speedup_vs_csv_all']:.1f}x)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--breakdown", action="store_true",
                        help="only time the steps of convert (CSV -> Parquet)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="winnow-bench-formats-"))
    if args.breakdown:
        try:
            print(breakdown(args.rows, args.repeats, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    try:
        results = run(args.rows, args.repeats, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "pyarrow": pa.__version__, "duckdb": duckdb.__version__}
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
