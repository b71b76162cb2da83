"""Small synthetic projects for the dataset tests: real CSV files and a real project file.

``write_project(dir, ...)`` writes ``impressions.csv`` (the spine), ``events.csv`` (purchase
events, the feature source), ``clicks.csv`` (outcomes) and ``project.py``. Clicks follow
impressions of users who bought a lot recently, so the features carry signal.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

START = datetime(2024, 1, 1, tzinfo=UTC)

SPLITS = {
    "time": 'Split.by_time({"train": None, "valid": "2024-01-08T00:00:00Z", '
    '"test": "2024-01-09T12:00:00Z"})',
    "random": 'Split.random({"train": 0.6, "valid": 0.2, "test": 0.2})',
    "group": 'Split.by_group("user_id", {"train": 0.6, "valid": 0.2, "test": 0.2})',
}

LABELS = {
    "natural": 'Labels.natural(outcomes="clicks", key="user_id", time="ts", within="30m")',
    "lfs": 'Labels.from_lfs(lfs.LFS, model="majority", classes=["no", "yes"], gold="gold")',
}

LFS_SOURCE = '''
from winnow.labeling import labeling_function


@labeling_function()
def high_score(row):
    return 1 if row["lf_score"] > 0.7 else -1


@labeling_function()
def low_score(row):
    return 0 if row["lf_score"] < 0.3 else -1


LFS = [high_score, low_score]
'''


def _iso(times: list[datetime]) -> pa.Array:
    return pa.array([t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in times])


def write_data(directory: Path, *, seed: int = 1, n_users: int = 12, n_imps: int = 300) -> None:
    """Write the three CSV inputs."""
    rng = np.random.default_rng(seed)
    n_events = 1500
    ev_user = rng.integers(0, n_users, n_events)
    ev_minutes = np.sort(rng.integers(0, 10 * 24 * 60, n_events))
    ev_times = [START + timedelta(minutes=int(m)) for m in ev_minutes]
    amount = np.round(rng.gamma(2.0, 10.0, n_events) * (1 + ev_user % 3), 2)
    events = pa.table({"user_id": ev_user, "ts": _iso(ev_times), "amount": amount})
    imp_user = rng.integers(0, n_users, n_imps)
    imp_minutes = np.sort(rng.integers(24 * 60, 10 * 24 * 60, n_imps))
    imp_times = [START + timedelta(minutes=int(m)) for m in imp_minutes]
    score = np.round(rng.random(n_imps), 3)
    lf_score = np.round(rng.random(n_imps), 3)
    gold = (lf_score > 0.5).astype(np.int64)
    impressions = pa.table(
        {
            "imp_id": np.arange(1000, 1000 + n_imps),
            "user_id": imp_user,
            "ts": _iso(imp_times),
            "device_score": score,
            "lf_score": lf_score,
            "gold": gold,
        }
    )
    # users 2, 5, 8, 11 (big spenders) click within 10 minutes of most impressions
    clicked = (imp_user % 3 == 2) & (rng.random(n_imps) < 0.8)
    click_times = [t + timedelta(minutes=int(rng.integers(1, 10)))
                   for t, c in zip(imp_times, clicked, strict=True) if c]
    clicks = pa.table({"user_id": imp_user[clicked], "ts": _iso(click_times)})
    for name, table in (("events", events), ("impressions", impressions), ("clicks", clicks)):
        pacsv.write_csv(table, directory / f"{name}.csv")


def write_project(
    directory: Path,
    *,
    split: str = "time",
    labels: str = "natural",
    extra_columns: str = "",
    prepare: str = "",
    features: bool = True,
    data: bool = True,
) -> Path:
    """Write the inputs (unless ``data=False``) and ``project.py``; return the project path."""
    directory.mkdir(parents=True, exist_ok=True)
    if data:
        write_data(directory)
    if not (directory / "lfs.py").exists():
        (directory / "lfs.py").write_text(LFS_SOURCE)
    groups = "[user]" if features else "[]"
    prepare_arg = "prepare=prepare," if prepare else ""
    spine_table = '"spine", input="impressions"' if prepare else '"impressions"'
    source = f'''
        from pathlib import Path

        import pyarrow as pa
        import pyarrow.compute as pc

        import lfs
        import winnow as wn
        from winnow.datasets import Dataset, Input, Labels, Spine, Split

        HERE = Path(__file__).parent
        events = wn.EventSource(str(HERE / "events.csv"), time="ts")
        user = wn.FeatureGroup(
            "user", source=events, key="user_id",
            features=[wn.Count(window="1d"), wn.Sum("amount", window="2d"), wn.Last("amount")],
        )

        __PREPARE__

        dataset = Dataset(
            "synthetic",
            inputs={{
                "impressions": Input(HERE / "impressions.csv"),
                "clicks": Input(HERE / "clicks.csv"),
                "events": Input(HERE / "events.csv"),
            }},
            {prepare_arg}
            spine=Spine({spine_table}, time="ts", keys=("user_id",),
                        columns=("device_score",{extra_columns})),
            features={groups},
            labels={LABELS[labels]},
            split={SPLITS[split]},
        )
    '''
    path = directory / "project.py"
    path.write_text(textwrap.dedent(source).replace("__PREPARE__", prepare))
    return path
