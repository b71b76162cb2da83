"""Atomic writes: a file or directory appears complete or not at all, even when a write fails."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import winnow as wn
from winnow.io import atomic_dir, atomic_path
from winnow.io.atomic import TMP_PREFIX


class Boom(RuntimeError):
    pass


def test_exception_mid_write_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    dest = tmp_path / "out.bin"
    with pytest.raises(Boom), atomic_path(dest) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(b"half of the data")
            handle.flush()
        assert tmp.exists() and not dest.exists()
        raise Boom
    assert list(tmp_path.iterdir()) == []


def test_exception_mid_write_keeps_the_previous_version(tmp_path: Path) -> None:
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"old complete content")
    with pytest.raises(Boom), atomic_path(dest) as tmp:
        tmp.write_bytes(b"new partial")
        raise Boom
    assert dest.read_bytes() == b"old complete content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_success_renames_into_place(tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "out.bin"
    with atomic_path(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.name.startswith(TMP_PREFIX)
        tmp.write_bytes(b"data")
    assert dest.read_bytes() == b"data"
    assert [p.name for p in dest.parent.iterdir()] == ["out.bin"]


def test_write_table_failing_mid_write_leaves_no_partial_parquet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "t.parquet"
    table = pa.table({"x": list(range(1000))})
    original = pq.ParquetWriter.write_table
    calls = {"n": 0}

    def failing(self: pq.ParquetWriter, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        raise Boom("disk full after the first row group")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", failing)
    with pytest.raises(Boom):
        wn.write_table(table, dest)
    assert calls["n"] == 1
    assert list(tmp_path.iterdir()) == []


def test_write_table_error_keeps_the_previous_file(tmp_path: Path) -> None:
    # a struct column has no Avro mapping: the write fails inside the atomic block
    table = pa.table({"x": pa.array([[1], [2], [3]])})
    dest = tmp_path / "t.avro"
    wn.write_table(table, dest)
    before = dest.read_bytes()
    bad = pa.table({"x": pa.array([{"a": 1}])})
    with pytest.raises(wn.FormatError):
        wn.write_table(bad, dest)
    assert dest.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.avro"]


def test_atomic_dir_all_or_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "dataset"
    with pytest.raises(Boom), atomic_dir(dest) as tmp:
        (tmp / "part-0.parquet").write_bytes(b"x")
        raise Boom
    assert list(tmp_path.iterdir()) == []
    with atomic_dir(dest) as tmp:
        (tmp / "part-0.parquet").write_bytes(b"first")
    with pytest.raises(FileExistsError), atomic_dir(dest):
        pass
    with pytest.raises(Boom), atomic_dir(dest, overwrite=True) as tmp:
        (tmp / "part-0.parquet").write_bytes(b"second")
        raise Boom
    assert (dest / "part-0.parquet").read_bytes() == b"first"
    with atomic_dir(dest, overwrite=True) as tmp:
        (tmp / "part-0.parquet").write_bytes(b"second")
    assert (dest / "part-0.parquet").read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]
