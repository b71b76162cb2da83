"""Fuzzing the feature server: random methods, paths, headers and bodies never give a 500.

Two servers: one over a real engine snapshot (written by a real ``consume`` run, with an integer
key, a composite string key and a timestamp key) and one over a memory store with a token, where
every matched route but ``/health`` must answer 401 without the right ``Authorization`` header.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import winnow as wn
from winnow.serving import MemoryStore, SnapshotReader, create_app
from winnow.streams import ReplayStream, consume

TS = pa.timestamp("us", tz="UTC")
TOKEN = "s3cret-token"


def _events() -> pa.Table:
    n = 40
    return pa.table({
        "card_id": pa.array([i % 4 for i in range(n)], pa.int64()),
        "origin": [("JFK", "LGA", "EWR")[i % 3] for i in range(n)],
        "dest": [("LAX", "SFO")[i % 2] for i in range(n)],
        "day": pa.array([(i % 2) * 86_400_000_000 for i in range(n)], TS),
        "ts": pa.array([i * 1_000_000 for i in range(n)], TS),
        "amount": [float(i) / 3 for i in range(n)],
        "merchant": [f"m{i % 5}" for i in range(n)],
    })


def _groups(events: pa.Table) -> list[wn.FeatureGroup]:
    source = wn.EventSource(events, time="ts")
    return [
        wn.FeatureGroup("card", source=source, key="card_id",
                        features=[wn.Count(window="10s"), wn.Sum("amount", window="1h"),
                                  wn.LastK("merchant", k=2)]),
        wn.FeatureGroup("route", source=source, key=["origin", "dest"],
                        features=[wn.Mean("amount", window="20s"), wn.Max("amount")]),
        wn.FeatureGroup("day", source=source, key="day",
                        features=[wn.CountDistinct("merchant", window="1d")]),
    ]


@pytest.fixture(scope="module")
def snapshot_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    events = _events()
    groups = _groups(events)
    state = tmp_path_factory.mktemp("snapshot") / "state.json"
    report = consume(wn.OnlineEngine(groups), ReplayStream(events, time="ts"), state=state)
    assert report.events == events.num_rows
    app = create_app(SnapshotReader(state, groups), groups)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def token_client() -> Iterator[TestClient]:
    events = _events()
    groups = _groups(events)
    store = MemoryStore()
    engine = wn.OnlineEngine(groups)
    engine.update_many(events)
    store.write("card", engine.features_many("card", [0, 1]), key=["card_id"], as_of=1)
    app = create_app(store, groups, token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


_METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
_PREFIXES = st.sampled_from(
    ["/", "/features/", "/features/card/", "/features/route/", "/features/day/", "/groups/",
     "/features/card/1/", "/openapi.json", "/health", "/features/ghost/", "/features//",
     "/features"]
)
# no leading "/": "//x" would be read by the client as a host, not sent as a path
_SEGMENT = st.text(max_size=24).map(lambda s: quote(s, safe=",/:+-.%").lstrip("/"))
_JSON_TEXT = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["card", "route", "day", "origin", "dest", "x"]), inner,
                      max_size=3),
    max_leaves=12,
)
_BODY = st.one_of(
    st.binary(max_size=80),
    _JSON_TEXT.map(lambda v: repr(v).replace("'", '"').replace("None", "null")
                   .replace("True", "true").replace("False", "false").encode()),
)
_AUTH = st.one_of(
    st.none(),
    st.just(f"Bearer {TOKEN}"),
    st.sampled_from(["Bearer", "Bearer ", "bearer wrong", "Basic abc", f"Token {TOKEN}",
                     f"Bearer {TOKEN}x", f"Bearer  {TOKEN} "]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
_FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_FUZZ
@given(method=_METHODS, prefix=_PREFIXES, segment=_SEGMENT, body=_BODY)
def test_snapshot_server_never_gives_500(
    snapshot_client: TestClient, method: str, prefix: str, segment: str, body: bytes
) -> None:
    response = snapshot_client.request(method, prefix + segment, content=body)
    assert response.status_code < 500, (method, prefix + segment, body, response.text)
    if method != "HEAD" and response.status_code >= 400:
        problem = response.json()
        assert problem["status"] == response.status_code and problem["error"]


@_FUZZ
@given(body=_BODY)
def test_snapshot_server_post_bodies_never_give_500(
    snapshot_client: TestClient, body: bytes
) -> None:
    response = snapshot_client.post("/features", content=body)
    assert response.status_code in (200, 400, 404, 422), (body, response.text)


@_FUZZ
@given(method=_METHODS, prefix=_PREFIXES, segment=_SEGMENT, body=_BODY, auth=_AUTH)
def test_token_server_never_gives_500_and_needs_the_token(
    token_client: TestClient, method: str, prefix: str, segment: str, body: bytes,
    auth: str | None,
) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    path = prefix + segment
    response = token_client.request(method, path, content=body, headers=headers)
    assert response.status_code < 500, (method, path, auth, response.text)
    authorised = auth is not None and auth.partition(" ")[0].lower() == "bearer" and (
        auth.partition(" ")[2].strip() == TOKEN
    )
    if response.status_code == 200 and not path.startswith("/health"):
        assert authorised, (method, path, auth)


def test_snapshot_server_answers_real_values(snapshot_client: TestClient) -> None:
    card = snapshot_client.get("/features/card/1").json()
    # events of card 1 at 1, 5, ..., 37 s; served just after the newest event (39 s)
    # of 29, 33 and 37 s, the window [29.000001 s, 39.000001 s) holds two
    assert card["features"]["card__count_10s"] == 2
    assert card["features"]["card__last2_merchant"] == ["m2", "m3"]
    route = snapshot_client.post("/features", json={"route": [["JFK", "LAX"]]}).json()
    assert route["route"][0]["features"]["route__max_amount"] == pytest.approx(36 / 3)
    day = snapshot_client.get("/features/day/1970-01-02T00:00:00Z")
    assert day.status_code == 200, day.text
    assert snapshot_client.get("/features/card/1.5").status_code == 404
    assert snapshot_client.get("/features/route/JFK").status_code == 404
