"""Shared test configuration. Server fixtures live in tests/fixtures/ and are registered here."""

pytest_plugins: list[str] = [
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
]
