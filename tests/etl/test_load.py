"""Loads: Parquet dataset directories and DuckDB files, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from winnow.errors import SinkError
from winnow.etl import Derive, DuckDBSink, Filter, ParquetSink, Pipeline
from winnow.io.atomic import TMP_PREFIX

TABLE = pa.table({"id": [1, 2, 3, 4], "day": ["d1", "d1", "d2", "d2"], "x": [0.5, 1.5, 2.5, 3.5]})


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_parquet_dataset_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = Pipeline(extract=TABLE, steps=[Filter("x > 1")], load=ParquetSink(out)).run()
    assert pq.read_table(out).to_pydict() == {
        "id": [2, 3, 4],
        "day": ["d1", "d2", "d2"],
        "x": [1.5, 2.5, 3.5],
    }
    assert report.load is not None
    assert report.load.rows == 3
    assert report.load.files == ("part-0.parquet",)
    assert report.load.bytes == (out / "part-0.parquet").stat().st_size
    assert pq.ParquetFile(out / "part-0.parquet").metadata.row_group(0).column(0).compression == (
        "ZSTD"
    )
    assert leftovers(tmp_path) == []


def test_parquet_split_and_partitioned(tmp_path: Path) -> None:
    Pipeline(extract=TABLE, load=ParquetSink(tmp_path / "split", max_rows_per_file=3)).run()
    assert sorted(os.listdir(tmp_path / "split")) == ["part-0.parquet", "part-1.parquet"]
    assert pq.read_table(tmp_path / "split").num_rows == 4
    report = Pipeline(extract=TABLE, load=ParquetSink(tmp_path / "parts", partition_by=("day",)))
    assert report.run().load.files == (  # type: ignore[union-attr]
        os.path.join("day=d1", "part-0.parquet"),
        os.path.join("day=d2", "part-0.parquet"),
    )
    back = ds.dataset(tmp_path / "parts", partitioning="hive").to_table()
    assert sorted(back.column("id").to_pylist()) == [1, 2, 3, 4]


def test_parquet_existing_directory_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    Pipeline(extract=TABLE, load=ParquetSink(out)).run()
    with pytest.raises(SinkError, match="already exists; pass overwrite=True"):
        Pipeline(extract=TABLE, steps=[Filter("id = 1")], load=ParquetSink(out)).run()
    assert pq.read_table(out).num_rows == 4
    Pipeline(extract=TABLE, steps=[Filter("id = 1")], load=ParquetSink(out, overwrite=True)).run()
    assert pq.read_table(out).column("id").to_pylist() == [1]
    assert leftovers(tmp_path) == []


def test_duckdb_file_replace_and_append(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    report = Pipeline(extract=TABLE, load=DuckDBSink(db, table="facts")).run()
    assert report.load is not None and report.load.rows == 4
    Pipeline(
        extract=TABLE, steps=[Filter("id > 2")], load=DuckDBSink(db, table="facts", mode="append")
    ).run()
    Pipeline(extract=TABLE, steps=[Filter("id = 1")], load=DuckDBSink(db, table="other")).run()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.sql("SELECT id FROM facts ORDER BY id").fetchall() == [
            (1,),
            (2,),
            (3,),
            (3,),
            (4,),
            (4,),
        ]
        assert con.sql("SELECT count(*) FROM other").fetchall() == [(1,)]
    finally:
        con.close()
    Pipeline(extract=TABLE, steps=[Filter("id = 2")], load=DuckDBSink(db, table="facts")).run()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.sql("SELECT id FROM facts").fetchall() == [(2,)]
        assert con.sql("SELECT count(*) FROM other").fetchall() == [(1,)]
    finally:
        con.close()
    assert leftovers(tmp_path) == []
    assert not Path(f"{db}.wal").exists()


def test_duckdb_append_mismatch_leaves_file_untouched(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    Pipeline(extract=TABLE, load=DuckDBSink(db, table="facts")).run()
    before = db.read_bytes()
    other = pa.table({"nope": [1]})
    with pytest.raises(SinkError, match="cannot load table 'facts'"):
        Pipeline(extract=other, load=DuckDBSink(db, table="facts", mode="append")).run()
    assert db.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_failing_step_leaves_no_output(tmp_path: Path) -> None:
    from winnow import SchemaError

    out, db = tmp_path / "out", tmp_path / "x.duckdb"
    for sink in (ParquetSink(out), DuckDBSink(db, table="t")):
        pipeline = Pipeline(
            extract=TABLE,
            steps=[Filter("id > 1"), Derive({"bad": "CAST(day AS INTEGER)"})],
            load=sink,
        )
        with pytest.raises(SchemaError, match=r"step 2 \(derive\)"):
            pipeline.run()
    assert sorted(os.listdir(tmp_path)) == []


def test_exception_mid_write_leaves_no_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ds.write_dataset

    def write_then_fail(data: pa.Table, base_dir: str | Path, **kwargs: object) -> None:
        real(data, base_dir, **kwargs)  # type: ignore[arg-type]
        assert os.listdir(base_dir)  # a complete part file exists under the temporary name
        raise OSError("disk full")

    monkeypatch.setattr(ds, "write_dataset", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        Pipeline(extract=TABLE, load=ParquetSink(tmp_path / "out")).run()
    assert os.listdir(tmp_path) == []
