"""The OpenAPI 3.1 description of the feature server, served at ``/openapi.json``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["openapi_spec"]


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_spec(groups: Sequence[str], *, secured: bool) -> dict[str, Any]:
    """Return the OpenAPI document for a server of ``groups`` (with bearer auth if ``secured``)."""
    from winnow import __version__

    item = {
        "type": "object",
        "required": ["key", "found", "as_of", "features"],
        "properties": {
            "key": {"description": "the key; a list for composite keys"},
            "found": {
                "type": ["boolean", "null"],
                "description": "whether the store holds the key (null: an engine snapshot, "
                "which does not say)",
            },
            "as_of": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "the time the values are valid for (events up to it included)",
            },
            "features": {
                "type": "object",
                "description": "feature values by output column name, {group}__{feature}",
                "additionalProperties": True,
            },
        },
    }
    errors = {
        "401": _error("missing or wrong bearer token"),
        "404": _error("unknown group, or a key that does not parse to the key column's type"),
        "503": _error("the online store is unreachable"),
    }
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "winnow feature server",
            "version": __version__,
            "description": "Online feature values computed from the same definitions as "
            "the batch backfill.",
        },
        "paths": {
            "/features/{group}/{key}": {
                "get": {
                    "summary": "Features of one key",
                    "parameters": [
                        {"name": "group", "in": "path", "required": True,
                         "schema": {"type": "string", "enum": list(groups)}},
                        {"name": "key", "in": "path", "required": True,
                         "description": "the key value; composite keys joined by commas in "
                         "key order", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "the key's features",
                            "content": {"application/json": {"schema": {
                                "allOf": [{"$ref": "#/components/schemas/Item"}, {
                                    "type": "object",
                                    "properties": {"group": {"type": "string"}},
                                }],
                            }}},
                        },
                        **errors,
                    },
                }
            },
            "/features": {
                "post": {
                    "summary": "Features of many keys of many groups",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "description": "group -> list of keys; a composite key is a list "
                            "in key order or an object by column",
                            "additionalProperties": {"type": "array"},
                        }}},
                    },
                    "responses": {
                        "200": {
                            "description": "group -> one item per requested key, in order",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Item"},
                                },
                            }}},
                        },
                        "400": _error("the body is not JSON"),
                        "422": _error("the body is JSON of the wrong shape"),
                        **errors,
                    },
                }
            },
            "/groups": {
                "get": {
                    "summary": "Served feature groups, key columns and types, features",
                    "responses": {"200": {"description": "the groups"}, "401": errors["401"]},
                }
            },
            "/health": {
                "get": {
                    "summary": "Liveness",
                    "security": [],
                    "responses": {"200": {"description": "the server is up"}},
                }
            },
        },
        "components": {
            "schemas": {
                "Item": item,
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                },
            }
        },
    }
    if secured:
        spec["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        spec["security"] = [{"bearer": []}]
    return spec
