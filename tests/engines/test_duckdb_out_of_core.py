"""Out-of-core DuckDB: a backfill under a memory limit completes by spilling to ``spill_dir``."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import winnow as wn

TS = pa.timestamp("us", tz="UTC")
DAY = 86_400_000_000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    """1.2M events over 50k keys and 60 days (Parquet), a 240k-row spine.

    Unlimited, DuckDB holds a few hundred MB for this backfill; at 200MB it spills about as
    much again to disk (and at 80MB it runs out of memory: it cannot spill everything).
    """
    rng = np.random.default_rng(7)
    n = 1_200_000
    path = tmp_path_factory.mktemp("ooc") / "events.parquet"
    pq.write_table(
        pa.table({
            "card": rng.integers(0, 50_000, n),
            "ts": pa.array(np.sort(rng.integers(0, 60 * DAY, n)), TS),
            "amount": rng.gamma(2.0, 50.0, n).round(2),
            "merchant": pa.array(rng.integers(0, 2_000, n)).cast(pa.string()),
        }),
        path,
    )
    spine = pa.table({"card": rng.integers(0, 50_000, n // 5),
                      "ts": pa.array(rng.integers(0, 60 * DAY, n // 5), TS)})
    return path, spine


def _group(path: Path) -> wn.FeatureGroup:
    return wn.FeatureGroup(
        "card", source=wn.EventSource(str(path), time="ts"), key="card",
        features=[wn.Count(window="7d"), wn.Sum("amount", window="7d"),
                  wn.CountDistinct("merchant", window="30d"), wn.Last("merchant")],
    )


@pytest.fixture(scope="module")
def unlimited(data: tuple[Path, pa.Table], tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    path, spine = data
    directory = tmp_path_factory.mktemp("unlimited")
    with _watch(directory) as peak:
        table = wn.backfill(spine, [_group(path)], time="ts", spill_dir=directory)
    assert peak[0] == 0  # the watcher sees nothing when nothing spills
    return table


def _assert_same(actual: pa.Table, expected: pa.Table) -> None:
    """Equal tables, except that floats may differ by summation order (1e-9 relative)."""
    assert actual.schema.equals(expected.schema)
    floats = [f.name for f in expected.schema if pa.types.is_floating(f.type)]
    others = [n for n in expected.column_names if n not in floats]
    assert actual.select(others).equals(expected.select(others))
    for name in floats:
        a = actual[name].to_numpy(zero_copy_only=False)
        b = expected[name].to_numpy(zero_copy_only=False)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=name)


@contextmanager
def _watch(directory: Path) -> Iterator[list[int]]:
    """Record the largest total size of the files under ``directory`` while the block runs."""
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            total = 0
            for root, _, files in os.walk(directory):
                for name in files:
                    with suppress(OSError):  # removed while we looked
                        total += os.path.getsize(os.path.join(root, name))
            peak[0] = max(peak[0], total)
            time.sleep(0.002)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def test_low_memory_limit_spills_and_gives_the_unlimited_result(
    data: tuple[Path, pa.Table], unlimited: pa.Table, tmp_path: Path
) -> None:
    path, spine = data
    spill_dir = tmp_path / "spill"
    with _watch(spill_dir) as spilled:
        limited = wn.backfill(spine, [_group(path)], time="ts", memory_limit="200MB",
                              spill_dir=spill_dir)
    assert spilled[0] > 10_000_000, f"DuckDB spilled only {spilled[0]} bytes"
    _assert_same(limited, unlimited)


def test_cli_memory_limit_and_spill_dir(
    data: tuple[Path, pa.Table], unlimited: pa.Table, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from winnow.cli.app import app

    path, spine = data
    pq.write_table(spine, tmp_path / "spine.parquet")
    (tmp_path / "defs.py").write_text(
        "import winnow as wn\n"
        f"card = wn.FeatureGroup('card', source=wn.EventSource({str(path)!r}, time='ts'),\n"
        "    key='card', features=[wn.Count(window='7d'), wn.Sum('amount', window='7d'),\n"
        "    wn.CountDistinct('merchant', window='30d'), wn.Last('merchant')])\n"
    )
    monkeypatch.chdir(tmp_path)
    with _watch(tmp_path / "spill") as spilled:
        result = CliRunner().invoke(app, [
            "backfill", "--features", "defs.py", "--spine", "spine.parquet", "--out",
            "out.parquet", "--memory-limit", "200MB", "--spill-dir", "spill", "--json",
        ])
    assert result.exit_code == 0, result.output
    assert spilled[0] > 10_000_000
    _assert_same(pq.read_table(tmp_path / "out.parquet"), unlimited)


def test_too_low_a_limit_is_a_winnow_error_with_the_fix(
    data: tuple[Path, pa.Table], tmp_path: Path
) -> None:
    from winnow.engines._errors import EngineMemoryError
    from winnow.errors import WinnowError

    path, spine = data
    with pytest.raises(EngineMemoryError, match="raise memory_limit") as info:
        wn.backfill(spine, [_group(path)], time="ts", memory_limit="16MB",
                    spill_dir=tmp_path / "spill")
    assert isinstance(info.value, WinnowError) and isinstance(info.value, MemoryError)
    assert "'card'" in str(info.value) and "16MB" in str(info.value)
