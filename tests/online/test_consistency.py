"""wn.check_consistency and `winnow check-consistency`: online replay equals the batch backfill."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import winnow as wn
from winnow.cli.app import app
from winnow.consistency import values_agree
from winnow.online.engine import OnlineEngine

S = 1_000_000
TS = pa.timestamp("us", tz="UTC")


def _features() -> list[wn.features.Aggregation]:
    return [
        wn.Count(window="5s"),
        wn.Count(),
        wn.Sum("amount", window="7s"),
        wn.Sum("n", window="3s"),
        wn.Mean("amount", window="30s"),
        wn.Mean("n"),
        wn.Std("amount", window="20s"),
        wn.Std("n", window="9s"),
        wn.Std("amount"),
        wn.Min("amount", window="4s"),
        wn.Max("n", window="6s"),
        wn.Max("amount"),
        wn.CountDistinct("merchant", window="10s"),
        wn.CountDistinct("n"),
        wn.First("merchant"),
        wn.First("amount", window="8s"),
        wn.Last("merchant", window="2s"),
        wn.Last("n"),
        wn.LastK("merchant", k=3),
        wn.LastK("amount", k=2, window="12s"),
    ]


def _group(events: pa.Table, key: str | list[str] = "card_id") -> wn.FeatureGroup:
    return wn.FeatureGroup(
        "card", source=wn.EventSource(events, time="ts"), key=key, features=_features()
    )


_event = st.tuples(
    st.integers(0, 12),  # key: many keys, some with one event
    st.integers(0, 60),  # time in half-seconds: ties and gaps
    st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)),
    st.one_of(st.none(), st.integers(-1000, 1000)),
    st.sampled_from(["a", "b", "c", "d", None]),
)


def _table(rows: list[tuple[int, int, float | None, int | None, str | None]]) -> pa.Table:
    return pa.table(
        {
            "card_id": pa.array([r[0] for r in rows], pa.int64()),
            "ts": pa.array([r[1] * S // 2 for r in rows], TS),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
            "n": pa.array([r[3] for r in rows], pa.int64()),
            "merchant": pa.array([r[4] for r in rows], pa.string()),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(_event, min_size=0, max_size=80),
    spine=st.lists(st.tuples(st.integers(0, 13), st.integers(0, 130)), min_size=1, max_size=40),
)
def test_hypothesis_event_logs_have_zero_mismatches(
    events: list[tuple[int, int, float | None, int | None, str | None]],
    spine: list[tuple[int, int]],
) -> None:
    table = _table(events)
    spine_table = pa.table(
        {
            "card_id": pa.array([k for k, _ in spine], pa.int64()),
            # quarter seconds: some spine times fall exactly on event times, some between
            "ts": pa.array([t * S // 4 for _, t in spine], TS),
        }
    )
    for ingest in ("one", "many"):  # event by event and in micro-batches
        report = wn.check_consistency(
            table, spine_table, [_group(table)], time="ts", ingest=ingest
        )
        bad = [f.to_json() for f in report.features if f.mismatches]
        assert report.ok, (ingest, bad)
        assert all(f.rows == len(spine) for f in report.features)
        assert len(report.features) == len(_features())


def test_composite_keys_and_spine_key_mapping() -> None:
    events = pa.table(
        {
            "a": [1, 1, 2, 1], "b": ["x", "x", "x", "y"],
            "ts": pa.array([0, S, S, 2 * S], TS), "v": [1.0, 2.0, 3.0, 4.0],
        }
    )
    group = wn.FeatureGroup("pair", source=wn.EventSource(events, time="ts"), key=["a", "b"],
                            features=[wn.Sum("v", window="10s"), wn.LastK("v", k=2)])
    spine = pa.table({"left": [1, 1, 2], "right": ["x", "y", "x"],
                      "when": pa.array([2 * S, 3 * S, S], TS)})
    report = wn.check_consistency(events, spine, [group], time="when",
                                  keys={"pair": ["left", "right"]})
    assert report.ok
    assert [f.rows for f in report.features] == [3, 3]


def test_events_with_null_keys_are_skipped_on_both_sides() -> None:
    events = pa.table({"card_id": pa.array([1, None, 1], pa.int64()),
                       "ts": pa.array([0, S, 2 * S], TS), "amount": [1.0, 5.0, 2.0]})
    group = wn.FeatureGroup("card", source=wn.EventSource(events, time="ts"), key="card_id",
                            features=[wn.Sum("amount")])
    spine = pa.table({"card_id": [1], "ts": pa.array([3 * S], TS)})
    report = wn.check_consistency(None, spine, [group], time="ts")
    assert report.ok and report.skipped == {"card": 1} and report.events == {"card": 2}


def test_values_agree_rules() -> None:
    assert values_agree(1.0, 1.0 + 1e-12) == (True, pytest.approx(1e-12))
    assert values_agree(1.0, 1.0 + 1e-6)[0] is False
    assert values_agree(5e-17, 0.0)[0] is True  # cancellation to about zero
    assert values_agree(None, None) == (True, 0.0)
    assert values_agree(None, 0.0) == (False, math.inf)
    assert values_agree(3, 3.0)[0] is True
    assert values_agree("a", "a")[0] and not values_agree("a", "b")[0]
    assert values_agree(["a", "b"], ["a", "b"])[0] and not values_agree(["a"], ["a", "b"])[0]
    assert values_agree(2, 3) == (False, 0.0)


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    events = _table([(1, 0, 2.5, 3, "a"), (1, 1, 1.0, None, "b"), (2, 1, None, 4, "a"),
                     (1, 4, 7.0, 5, None), (2, 9, 3.0, 1, "c")])
    ev_path = tmp_path / "events.parquet"
    pq.write_table(events, ev_path)
    spine_path = tmp_path / "spine.parquet"
    pq.write_table(pa.table({"card_id": [1, 1, 2, 3], "ts": pa.array([S, 3 * S, 5 * S, S], TS)}),
                   spine_path)
    defs = tmp_path / "defs.py"
    features = ", ".join(
        ["wn.Count(window='5s')", "wn.Sum('amount', window='7s')", "wn.Max('n')",
         "wn.LastK('merchant', k=2)"]
    )
    defs.write_text(
        "import winnow as wn\n"
        f"card = wn.FeatureGroup('card', source=wn.EventSource({str(ev_path)!r}, time='ts'),\n"
        f"                       key='card_id', features=[{features}])\n"
    )
    return defs, ev_path, spine_path


def test_cli_reports_per_feature_and_exits_zero(tmp_path: Path) -> None:
    defs, ev_path, spine_path = _files(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["check-consistency", "--features", str(defs), "--events",
                                 str(ev_path), "--spine", str(spine_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["spine_rows"] == 4
    assert [f["column"] for f in data["features"]] == [
        "card__count_5s", "card__sum_amount_7s", "card__max_n", "card__last2_merchant"]
    text = runner.invoke(app, ["check-consistency", "--features", str(defs),
                               "--spine", str(spine_path)])
    assert text.exit_code == 0, text.output
    assert "card__sum_amount_7s" in text.output and "consistent" in text.output


def test_cli_exits_non_zero_on_a_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    defs, ev_path, spine_path = _files(tmp_path)
    real = OnlineEngine._value_rows

    def skewed(
        self: OnlineEngine, rt: Any, keys: list[Any], ats: list[int | None]
    ) -> list[list[Any]]:
        rows = real(self, rt, keys, ats)
        col = rt.outputs.index("card__sum_amount_7s")
        for row in rows:
            row[col] += 1e-6
        return rows

    monkeypatch.setattr(OnlineEngine, "_value_rows", skewed)
    runner = CliRunner()
    result = runner.invoke(app, ["check-consistency", "--features", str(defs), "--events",
                                 str(ev_path), "--spine", str(spine_path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    bad = {f["column"]: f for f in data["features"] if f["mismatches"]}
    assert list(bad) == ["card__sum_amount_7s"]
    assert bad["card__sum_amount_7s"]["mismatches"] == 4
    assert len(bad["card__sum_amount_7s"]["examples"]) == 4
    text = runner.invoke(app, ["check-consistency", "--features", str(defs),
                               "--spine", str(spine_path)])
    assert text.exit_code == 1 and "INCONSISTENT" in text.output
