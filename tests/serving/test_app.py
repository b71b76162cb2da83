"""The feature server over real stores: routes, key types, empty values, errors, auth."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from winnow.features import Count, EventSource, FeatureGroup, Last, Mean, Sum
from winnow.serving import KeyParser, MemoryStore, RedisStore, create_app, open_store
from winnow.serving.store import StoredFeatures

AS_OF = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z

CARD = FeatureGroup(
    "card",
    source=EventSource("unused.parquet", time="ts"),
    key="card_id",
    features=[Count(window="1h"), Sum("amount", window="7d"), Mean("amount"), Last("merchant")],
)
ROUTE = FeatureGroup(
    "route",
    source=EventSource("unused.parquet", time="ts"),
    key=["origin", "dest"],
    features=[Count(window="1d")],
)


def _fill(store: MemoryStore | RedisStore) -> None:
    card_rows = pa.table(
        {
            "card_id": pa.array([7, 8], pa.int64()),
            "card__count_1h": [3, 1],
            "card__sum_amount_7d": [12.5, 4.0],
            "card__mean_amount": [4.1666666667, 4.0],
            "card__last_merchant": ["m1", None],
        }
    )
    store.write("card", card_rows, key=["card_id"], as_of=AS_OF)
    route_rows = pa.table({"origin": ["JFK"], "dest": ["LAX"], "route__count_1d": [42]})
    store.write("route", route_rows, key=["origin", "dest"], as_of=AS_OF)


@pytest.fixture()
def memory_client() -> Iterator[TestClient]:
    store = MemoryStore()
    _fill(store)
    with TestClient(create_app(store, [CARD, ROUTE]), raise_server_exceptions=False) as client:
        yield client


def test_get_one_key(memory_client: TestClient) -> None:
    response = memory_client.get("/features/card/7")
    assert response.status_code == 200
    assert response.json() == {
        "group": "card",
        "key": 7,
        "found": True,
        "as_of": "2023-11-14T22:13:20Z",
        "features": {
            "card__count_1h": 3,
            "card__sum_amount_7d": 12.5,
            "card__mean_amount": 4.1666666667,
            "card__last_merchant": "m1",
        },
    }


def test_unseen_key_gets_the_empty_values(memory_client: TestClient) -> None:
    body = memory_client.get("/features/card/99").json()
    assert body["found"] is False and body["as_of"] is None
    assert body["features"] == {
        "card__count_1h": 0,
        "card__sum_amount_7d": 0.0,
        "card__mean_amount": None,
        "card__last_merchant": None,
    }


def test_composite_key_in_path_and_body(memory_client: TestClient) -> None:
    got = memory_client.get("/features/route/JFK,LAX").json()
    assert got["key"] == ["JFK", "LAX"] and got["features"] == {"route__count_1d": 42}
    many = memory_client.post(
        "/features",
        json={"card": [8, "7", 100], "route": [["JFK", "LAX"], {"dest": "LAX", "origin": "JFK"}]},
    )
    assert many.status_code == 200
    body = many.json()
    assert [i["key"] for i in body["card"]] == [8, 7, 100]
    assert [i["found"] for i in body["card"]] == [True, True, False]
    assert body["card"][0]["features"]["card__last_merchant"] is None
    assert [i["features"]["route__count_1d"] for i in body["route"]] == [42, 42]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/features/nope/7", "no feature group 'nope'"),
        ("/features/card/abc", "column 'card_id' is int64"),
        ("/features/card/7.5", "give an integer"),
        ("/features/card/99999999999999999999", "must lie in"),
        ("/features/route/JFK", "has 1 part(s)"),
        ("/features/route/JFK,LAX,SFO", "has 3 part(s)"),
        ("/nowhere", "no route"),
    ],
)
def test_bad_groups_and_keys_are_404_with_a_message(
    memory_client: TestClient, path: str, fragment: str
) -> None:
    response = memory_client.get(path)
    assert response.status_code == 404
    assert fragment in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "not JSON"),
        (b"", 400, "not JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (b"{}", 422, "JSON object"),
        (b'{"card": 7}', 422, "must be a JSON list"),
        (b'{"card": [true]}', 404, "not a boolean"),
        (b'{"card": [7.5]}', 404, "JSON float"),
        (b'{"card": [[7, 8]]}', 404, "has 2 value(s)"),
        (b'{"route": [{"origin": "JFK"}]}', 404, "missing ['dest']"),
        (b'{"ghost": [1]}', 404, "no feature group 'ghost'"),
    ],
)
def test_malformed_bodies(
    memory_client: TestClient, body: bytes, status: int, fragment: str
) -> None:
    response = memory_client.post("/features", content=body)
    assert response.status_code == status
    assert fragment in response.json()["error"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.text(min_size=1, max_size=30).map(lambda s: quote(s, safe=",")),
    body=st.one_of(
        st.binary(max_size=60),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(["card", "route", "x"]), inner, max_size=3),
            max_leaves=12,
        ).map(lambda v: repr(v).encode()),
    ),
)
def test_fuzzed_requests_never_give_500(
    memory_client: TestClient, path: str, body: bytes
) -> None:
    for response in (
        memory_client.get("/features/card/" + path),
        memory_client.get("/features/route/" + path),
        memory_client.get("/features/" + path),
        memory_client.post("/features", content=body),
        memory_client.post("/features", content=body.replace(b"'", b'"')),
    ):
        assert response.status_code < 500, (response.request.url, response.text)
        assert response.status_code in (200, 400, 404, 405, 422)


def test_token_is_required_when_set() -> None:
    store = MemoryStore()
    _fill(store)
    with TestClient(create_app(store, [CARD], token="s3cret")) as client:
        assert client.get("/features/card/7").status_code == 401
        assert client.get("/openapi.json").status_code == 401
        wrong = client.get("/features/card/7", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        right = client.get("/features/card/7", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200 and right.json()["found"] is True
        assert client.get("/health").status_code == 200
        spec = client.get("/openapi.json", headers={"Authorization": "Bearer s3cret"}).json()
        assert spec["security"] == [{"bearer": []}]


def test_openapi_and_groups(memory_client: TestClient) -> None:
    spec = memory_client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {"/features/{group}/{key}", "/features", "/groups"}
    groups = memory_client.get("/groups").json()["groups"]
    assert groups[1] == {
        "group": "route",
        "key": [{"column": "origin", "type": "string"}, {"column": "dest", "type": "string"}],
        "features": ["route__count_1d"],
    }


def test_key_types_fall_back_to_the_event_source() -> None:
    events = pa.table({"code": pa.array(["007"]), "ts": pa.array([0], pa.timestamp("us"))})
    group = FeatureGroup("agent", source=EventSource(events, time="ts"), key="code",
                         features=[Count()])
    with TestClient(create_app(MemoryStore(), [group])) as client:
        body = client.get("/features/agent/007").json()
        assert body["key"] == "007" and body["features"] == {"agent__count": 0}


def test_key_parser_types() -> None:
    schema = pa.schema([("ts", pa.timestamp("us", "UTC")), ("d", pa.date32()),
                        ("b", pa.bool_()), ("x", pa.float64()), ("n", pa.uint8())])
    parser = KeyParser("g", schema)
    key = parser.from_path("2024-01-02T03:04:05Z,2024-01-02,true,1.5,255")
    assert [str(v) for v in key] == [
        "2024-01-02 03:04:05+00:00", "2024-01-02", "True", "1.5", "255"
    ]
    assert parser.from_json(["2024-01-02T03:04:05", "2024-01-02", False, 2, 0])[3] == 2.0


@pytest.mark.redis
def test_redis_store_serves_the_same(redis_url: str) -> None:
    store = open_store(f"{redis_url}?prefix=t1")
    assert isinstance(store, RedisStore)
    _fill(store)
    assert store.read("card", [(7,), (55,)]) == [
        StoredFeatures(
            {
                "card__count_1h": 3,
                "card__sum_amount_7d": 12.5,
                "card__mean_amount": 4.1666666667,
                "card__last_merchant": "m1",
            },
            AS_OF,
        ),
        None,
    ]
    fresh = RedisStore(redis_url, prefix="t1")  # a server process that never wrote
    assert fresh.key_schema("route") == pa.schema([("origin", pa.string()), ("dest", pa.string())])
    with TestClient(create_app(fresh, [CARD, ROUTE])) as client:
        assert client.get("/features/card/7").json()["features"]["card__count_1h"] == 3
        assert client.get("/features/route/JFK,LAX").json()["features"] == {
            "route__count_1d": 42
        }
