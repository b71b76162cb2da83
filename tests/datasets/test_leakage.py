"""The leakage check catches deliberately leaky definitions and tampered features."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import winnow as wn
from tests.datasets.synthetic import write_project
from winnow.datasets import build, check_leakage, read_manifest
from winnow.errors import DefinitionError

# A spine column computed from the outcome: whether the user clicked within 30 minutes.
LEAKY_PREPARE = '''
import duckdb


def prepare(tables):
    con = duckdb.connect()
    con.register("imp", tables["impressions"])
    con.register("clk", tables["clicks"])
    spine = con.sql("""
        SELECT imp.*, EXISTS (
            SELECT 1 FROM clk WHERE clk.user_id = imp.user_id AND clk.ts >= imp.ts
              AND clk.ts < imp.ts + INTERVAL 30 MINUTE) AS clicked_soon
        FROM imp ORDER BY _position
    """).to_arrow_table()
    return {"spine": spine}
'''

# A label that was known an hour before the prediction time.
EARLY_LABEL_PREPARE = '''
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc


def prepare(tables):
    t = tables["impressions"]
    ts = pc.cast(t["ts"], pa.timestamp("us", tz="UTC"))
    return {"spine": t.append_column("label_at", pc.subtract(ts, pa.scalar(timedelta(hours=1))))}
'''


def test_label_derived_feature_is_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", prepare=LEAKY_PREPARE, extra_columns=' "clicked_soon"')
    with pytest.raises(DefinitionError, match=r"single-feature AUC.*clicked_soon"):
        build(project, out=tmp_path / "ds", seed=1)
    assert not (tmp_path / "ds").exists()
    result = build(project, out=tmp_path / "ds", seed=1, allow_leakage=True)
    manifest = read_manifest(tmp_path / "ds")
    assert manifest["id"] == result.id and not manifest["leakage"]["passed"]
    failed = [c["name"] for c in manifest["leakage"]["checks"] if not c["passed"]
              and c["severity"] == "error"]
    assert failed == ["single-feature AUC"]
    html = (tmp_path / "ds" / "report.html").read_text()
    assert "Leakage check FAILED" in html and "clicked_soon" in html


def test_the_same_definition_without_the_leaky_column_passes(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", prepare=LEAKY_PREPARE)
    result = build(project, out=tmp_path / "ds", seed=1)
    assert result.manifest["leakage"]["passed"]


def test_label_known_before_prediction_time_is_caught(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", prepare=EARLY_LABEL_PREPARE)
    text = project.read_text().replace(
        'Labels.natural(outcomes="clicks", key="user_id", time="ts", within="30m")',
        'Labels.column("gold", time="label_at")',
    )
    project.write_text(text)
    with pytest.raises(DefinitionError, match="label known at or before their prediction time"):
        build(project, out=tmp_path / "ds", seed=1)


def _rows(count: int, split: list[str], users: list[int], minutes: list[int]) -> pa.Table:
    t0 = datetime(2024, 1, 2, tzinfo=UTC)
    n = len(users)
    return pa.table(
        {
            "row_id": [f"r{i}" for i in range(n)],
            "ts": pa.array([t0 + timedelta(minutes=m) for m in minutes],
                           pa.timestamp("us", tz="UTC")),
            "user_id": users,
            "user__count_1d": [count] * n,
            "label": [i % 2 for i in range(n)],
            "_split": split,
        }
    )


def _group() -> tuple[wn.FeatureGroup, pa.Table]:
    events = pa.table(
        {
            "user_id": [1, 1],
            "ts": pa.array([datetime(2024, 1, 1, 12, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)],
                           pa.timestamp("us", tz="UTC")),
        }
    )
    group = wn.FeatureGroup("user", source=wn.EventSource(events, time="ts"), key="user_id",
                            features=[wn.Count(window="1d")])
    return group, events


def _check(rows: pa.Table, *, kind: str = "random", by: tuple[str, ...] = ()) -> list[str]:
    group, events = _group()
    report = check_leakage(
        rows, time="ts", label="label", label_time=None, feature_columns=["user__count_1d"],
        groups=[group], group_events={"user": events}, split_column="_split",
        split_names=["train", "test"], split_kind=kind, split_by=by, max_feature_auc=1.01,
    )
    return [c.name for c in report.failures]


def test_feature_that_saw_the_event_at_its_own_time_is_caught() -> None:
    # The row is at exactly the second event's time: [t - 1d, t) holds only the first event.
    assert _check(_rows(1, ["train", "test"], [1, 1], [0, 0])) == []
    assert _check(_rows(2, ["train", "test"], [1, 1], [0, 0])) == ["point-in-time features: user"]


def test_entity_in_two_group_splits_is_caught() -> None:
    rows = _rows(1, ["train", "test"], [1, 1], [0, 0])
    assert _check(rows, kind="group", by=("user_id",)) == ["group split"]


def test_time_split_overlap_is_caught() -> None:
    rows = _rows(1, ["train", "test"], [1, 1], [0, 0])
    assert _check(rows, kind="time") == ["time split order"]
    assert _check(_rows(1, ["train", "test"], [1, 1], [-1, 0]), kind="time") == []
