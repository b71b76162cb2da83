"""The feature server: a small Starlette application over an online store.

Routes (all JSON):

* ``GET /features/{group}/{key}`` — the features of one key (composite keys: values joined by
  commas, see :mod:`winnow.serving.keys`);
* ``POST /features`` — many keys of many groups: ``{"card": [7, 8], "route": [["JFK", "LAX"]]}``;
* ``GET /groups`` — the served groups, their key columns and types, and feature names;
* ``GET /health`` — liveness (never needs a token);
* ``GET /openapi.json`` — the OpenAPI 3.1 description of the above.

A key the store has never seen gets the features' empty values (count 0, sum 0.0, others null)
with ``"found": false``, as DESIGN.md asks of a key with no events. An unknown group or a key
that does not parse to the key column's type is a 404 with a message; a malformed body is a 400
(not JSON) or 422 (JSON of the wrong shape); an unreachable store is a 503. With a token, every
route but ``/health`` requires ``Authorization: Bearer <token>`` (401 otherwise).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import pyarrow as pa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from winnow.errors import SchemaError, ServingError, SourceError, WinnowError
from winnow.features.group import FeatureGroup
from winnow.serving.keys import KeyParser
from winnow.serving.openapi import openapi_spec
from winnow.serving.store import StoredFeatures
from winnow.serving.values import json_value

__all__ = ["FeatureReader", "check_bind", "create_app", "is_loopback"]

MAX_KEYS = 10_000

Handler = Callable[[Request], Awaitable[Response]]


class FeatureReader(Protocol):
    """What the server reads from: an online store or an engine snapshot."""

    def read(self, group: str, keys: Sequence[tuple[Any, ...]]) -> list[StoredFeatures | None]:
        """The stored values of each key (None for a key never seen)."""
        ...

    def key_schema(self, group: str) -> pa.Schema | None:
        """The Arrow schema of the group's key columns, if known."""
        ...


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve on a non-loopback address without a token (anyone could read)."""
    if not is_loopback(host) and not token:
        raise ServingError(
            f"refusing to serve on {host!r} without a token: anyone who can reach it could read "
            f"the features. Pass --token (or set WINNOW_SERVE_TOKEN), or bind 127.0.0.1"
        )


class _Problem(Exception):
    """An HTTP error response with a message (kept out of the core error classes)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _source_key_schema(group: FeatureGroup) -> pa.Schema | None:
    """The key columns' schema from the group's event source, if it can be read."""
    from winnow.io.formats import read_table

    source = group.source
    try:
        if isinstance(source.data, pa.Table):
            schema = source.data.schema
        else:
            paths = source.paths()
            if paths[0].suffix.lower() in (".parquet", ".pq"):
                import pyarrow.parquet as pq

                schema = pq.read_schema(paths[0])
            else:
                schema = read_table(paths[0], columns=list(group.key)).schema
        return pa.schema([schema.field(k) for k in group.key])
    except (WinnowError, OSError, KeyError, pa.ArrowException):
        return None


class _Server:
    def __init__(
        self, reader: FeatureReader, groups: Sequence[FeatureGroup], token: str | None
    ) -> None:
        self.reader = reader
        self.groups = {g.name: g for g in groups}
        self.token = token
        self.parsers: dict[str, KeyParser] = {}

    def parser(self, name: str) -> KeyParser:
        group = self.groups.get(name)
        if group is None:
            raise _Problem(
                404, f"no feature group {name!r}; served groups: {sorted(self.groups)}"
            )
        parser = self.parsers.get(name)
        if parser is None:
            schema = self.reader.key_schema(name) or _source_key_schema(group)
            if schema is None:
                raise _Problem(
                    404,
                    f"feature group {name!r} has no stored features yet and its event source "
                    f"{group.source.describe()!r} cannot be read to learn the key types; run "
                    f"`winnow stream` first",
                )
            parser = KeyParser(name, schema)
            self.parsers[name] = parser
        return parser

    def empty(self, name: str) -> dict[str, Any]:
        group = self.groups[name]
        return {group.column_name(f): json_value(f.empty) for f in group.features}

    def answer(self, name: str, keys: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        parser = self.parser(name)
        try:
            stored = self.reader.read(name, keys)
        except (SourceError, OSError, ConnectionError) as exc:
            raise _Problem(503, f"the online store is unavailable: {exc}") from exc
        out = []
        for key, found in zip(keys, stored, strict=True):
            key_json = json_value(key[0] if len(parser.columns) == 1 else list(key))
            if found is None:
                item = {"key": key_json, "found": False, "as_of": None,
                        "features": self.empty(name)}
            else:
                item = {"key": key_json, "found": found.found,
                        "as_of": _as_of_text(found.as_of), "features": found.features}
            out.append(item)
        return out

    def check_token(self, request: Request) -> None:
        if self.token is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        ):
            raise _Problem(401, "missing or wrong token: send 'Authorization: Bearer <token>'")


def _as_of_text(micros: int | None) -> str | None:
    if micros is None:
        return None
    from datetime import UTC, datetime, timedelta

    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    text: str = json_value(moment)
    return text


def _problem(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def _guard(server: _Server, handler: Handler, *, public: bool = False) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            if not public:
                server.check_token(request)
            return await handler(request)
        except _Problem as exc:
            return _problem(exc.status, exc.message)
        except SchemaError as exc:
            return _problem(404, str(exc))

    return wrapped


def _parse_body(raw: bytes) -> dict[str, list[Any]]:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _Problem(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict) or not body:
        raise _Problem(
            422, 'the body must be a JSON object of group -> list of keys, e.g. {"card": [7, 8]}'
        )
    total = 0
    for name, keys in body.items():
        if not isinstance(keys, list):
            raise _Problem(422, f"keys of group {name!r} must be a JSON list, e.g. [7, 8]")
        total += len(keys)
    if total > MAX_KEYS:
        raise _Problem(422, f"{total} keys in one request; send at most {MAX_KEYS}")
    return body


def create_app(
    reader: FeatureReader,
    groups: Sequence[FeatureGroup],
    *,
    token: str | None = None,
) -> Starlette:
    """Build the feature server over ``reader`` for the feature ``groups``.

    Parameters
    ----------
    reader
        An online store (:class:`~winnow.serving.store.MemoryStore`,
        :class:`~winnow.serving.store.RedisStore`) or a
        :class:`~winnow.serving.snapshot.SnapshotReader`.
    groups
        The feature definitions being served (names, keys, features, empty values).
    token
        When given, every route but ``/health`` requires ``Authorization: Bearer <token>``.
    """
    server = _Server(reader, groups, token)
    spec = openapi_spec([g.name for g in groups], secured=token is not None)

    async def one(request: Request) -> Response:
        name = request.path_params["group"]
        parser = server.parser(name)
        key = parser.from_path(request.path_params["key"])
        item = server.answer(name, [key])[0]
        return JSONResponse({"group": name, **item})

    async def many(request: Request) -> Response:
        body = _parse_body(await request.body())
        result: dict[str, list[dict[str, Any]]] = {}
        for name, raw_keys in body.items():
            parser = server.parser(name)
            keys = [parser.from_json(k) for k in raw_keys]
            result[name] = server.answer(name, keys) if keys else []
        return JSONResponse(result)

    async def list_groups(request: Request) -> Response:
        out = []
        for name, group in server.groups.items():
            schema = server.reader.key_schema(name) or _source_key_schema(group)
            out.append({
                "group": name,
                "key": [
                    {"column": c, "type": str(schema.field(c).type) if schema else None}
                    for c in group.key
                ],
                "features": group.output_columns,
            })
        return JSONResponse({"groups": out})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    routes = [
        Route("/features/{group}/{key:path}", _guard(server, one), methods=["GET"]),
        Route("/features", _guard(server, many), methods=["POST"]),
        Route("/groups", _guard(server, list_groups), methods=["GET"]),
        Route("/health", _guard(server, health, public=True), methods=["GET"]),
        Route("/openapi.json", _guard(server, openapi), methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return _problem(404, f"no route {request.method} {request.url.path}; see /openapi.json")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _problem(405, f"{request.method} is not allowed on {request.url.path}")

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
