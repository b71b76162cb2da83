"""Pipelines extracting from (and joining) a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest

from winnow.etl import Dedupe, DuckDBSink, Join, Pipeline, PostgresSource, load_pipeline
from winnow.etl._sql import to_arrow

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def shop_dsn(postgres_dsn: str) -> Iterator[str]:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS shop CASCADE")
        conn.execute("CREATE SCHEMA shop")
        conn.execute(
            "CREATE TABLE shop.orders (order_id int, customer text, amount numeric(10, 2), "
            "updated_at timestamptz)"
        )
        conn.execute(
            """
            INSERT INTO shop.orders VALUES
              (1, 'alice', 10.50, '2024-01-01 10:00+00'),
              (1, 'alice', 12.00, '2024-01-01 11:00+00'),
              (2, 'bob', 3.00, '2024-01-01 09:00+00'),
              (3, 'carol', 5.00, NULL)
            """
        )
        conn.execute("CREATE TABLE shop.customers (customer text, country text, active bool)")
        conn.execute(
            "INSERT INTO shop.customers VALUES ('alice', 'FR', true), ('bob', 'DE', false), "
            "('carol', 'FR', true)"
        )
    yield postgres_dsn


def test_extract_join_and_load_from_postgres(shop_dsn: str, tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    report = Pipeline(
        extract=PostgresSource(shop_dsn, table="shop.orders"),
        steps=[
            Dedupe("order_id", latest_by="updated_at"),
            Join(
                PostgresSource(
                    shop_dsn,
                    query="SELECT customer, country FROM shop.customers WHERE active = $1",
                    params=(True,),
                ),
                on="customer",
                how="inner",
            ),
        ],
        load=DuckDBSink(db, table="orders"),
    ).run()
    assert report.extract.rows_read == 4
    assert report.extract.source.startswith("postgres table shop.orders at postgresql://")
    assert [(s.rows_in, s.rows_out) for s in report.steps] == [(4, 3), (3, 2)]
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = [
            tuple(r.values())
            for r in to_arrow(
                con.sql(
                    "SELECT order_id, customer, amount::VARCHAR, updated_at, country FROM orders"
                )
            ).to_pylist()
        ]
    finally:
        con.close()
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        (1, "alice", "12.00", "FR"),
        (3, "carol", "5.00", "FR"),
    ]
    assert rows[0][3] == dt.datetime(2024, 1, 1, 11, tzinfo=dt.UTC)


def test_yaml_postgres_source_with_dsn_env(
    shop_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WINNOW_TEST_DSN", shop_dsn)
    path = tmp_path / "p.yaml"
    path.write_text(
        """
extract:
  postgres:
    dsn_env: WINNOW_TEST_DSN
    query: "SELECT * FROM shop.orders WHERE amount > $1"
    params: [4]
    columns: [order_id, amount]
steps:
  - aggregate: {by: [order_id], aggregates: {n: "count(*)"}}
load: {parquet: out}
"""
    )
    report = load_pipeline(path).run()
    assert report.table.to_pydict() == {"order_id": [1, 3], "n": [2, 1]}
    assert (tmp_path / "out" / "part-0.parquet").exists()
    assert "WINNOW_TEST_DSN" not in report.extract.source
