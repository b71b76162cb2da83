"""read_postgres against a real PostgreSQL server started by the postgres_dsn fixture."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator

import psycopg
import pyarrow as pa
import pytest

from winnow import ColumnNotFoundError, DefinitionError, SourceError, WinnowError
from winnow.io.postgres import quote_ident, read_postgres, redact_dsn

pytestmark = pytest.mark.postgres

UTC = dt.UTC


@pytest.fixture(scope="module")
def typed_dsn(postgres_dsn: str) -> Iterator[str]:
    """A schema ``rt`` holding a table with one row of every mapped type and one row of nulls."""
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS rt CASCADE")
        conn.execute("CREATE SCHEMA rt")
        conn.execute(
            """
            CREATE TABLE rt.typed (
                id bigint, small smallint, medium integer, price numeric(12, 2),
                ratio numeric, score double precision, weight real, name text,
                code varchar(8), active boolean, placed_at timestamptz, local_at timestamp,
                day date, doc jsonb, ref uuid, blob bytea, tags integer[]
            )
            """
        )
        conn.execute(
            """
            INSERT INTO rt.typed VALUES
            (1, 2, 3, 12.34, 1.5, 0.25, 2.5, 'héllo', 'ab', true,
             '2024-01-02 03:04:05.123456+02', '2024-01-02 03:04:05', '2024-01-02',
             '{"a": 1}', '12345678-9abc-def0-1234-56789abcdef0', '\\x0102', '{1,2}'),
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL)
            """
        )
        conn.execute('CREATE TABLE rt."Odd ""Name"" Table" (x integer)')
        conn.execute('INSERT INTO rt."Odd ""Name"" Table" VALUES (7), (8)')
        conn.execute("CREATE TABLE rt.events (id integer, kind text, at timestamptz)")
        conn.execute(
            "INSERT INTO rt.events SELECT g, CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END, "
            "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour' "
            "FROM generate_series(1, 10) AS g"
        )
    yield postgres_dsn


def test_types_map_to_arrow(typed_dsn: str) -> None:
    table = read_postgres(typed_dsn, table="rt.typed")
    assert table.schema == pa.schema(
        [
            ("id", pa.int64()),
            ("small", pa.int16()),
            ("medium", pa.int32()),
            ("price", pa.decimal128(12, 2)),
            ("ratio", pa.float64()),
            ("score", pa.float64()),
            ("weight", pa.float32()),
            ("name", pa.string()),
            ("code", pa.string()),
            ("active", pa.bool_()),
            ("placed_at", pa.timestamp("us", tz="UTC")),
            ("local_at", pa.timestamp("us", tz="UTC")),
            ("day", pa.date32()),
            ("doc", pa.string()),
            ("ref", pa.string()),
            ("blob", pa.binary()),
            ("tags", pa.list_(pa.int32())),
        ]
    )
    first, second = table.to_pylist()
    assert first == {
        "id": 1,
        "small": 2,
        "medium": 3,
        "price": decimal.Decimal("12.34"),
        "ratio": 1.5,
        "score": 0.25,
        "weight": 2.5,
        "name": "héllo",
        "code": "ab",
        "active": True,
        "placed_at": dt.datetime(2024, 1, 2, 1, 4, 5, 123456, tzinfo=UTC),
        "local_at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "day": dt.date(2024, 1, 2),
        "doc": '{"a": 1}',
        "ref": "12345678-9abc-def0-1234-56789abcdef0",
        "blob": b"\x01\x02",
        "tags": [1, 2],
    }
    assert second["id"] == 2
    assert all(value is None for key, value in second.items() if key != "id")
    assert table.column("ref").null_count == 1


def test_selected_columns_in_requested_order(typed_dsn: str) -> None:
    table = read_postgres(typed_dsn, table="rt.typed", columns=["placed_at", "id"])
    assert table.column_names == ["placed_at", "id"]
    assert table.schema.field("placed_at").type == pa.timestamp("us", tz="UTC")
    assert table.column("id").to_pylist() == [1, 2]


def test_query_with_parameters(typed_dsn: str) -> None:
    table = read_postgres(
        typed_dsn,
        query="SELECT id, kind FROM rt.events WHERE kind = $1 AND at >= $2 ORDER BY id",
        params=["even", dt.datetime(2024, 1, 1, 6, tzinfo=UTC)],
    )
    assert table.to_pydict() == {"id": [6, 8, 10], "kind": ["even", "even", "even"]}


def test_parameters_are_bound_not_spliced(typed_dsn: str) -> None:
    table = read_postgres(
        typed_dsn, query="SELECT id FROM rt.events WHERE kind = $1", params=["x' OR '1'='1"]
    )
    assert table.num_rows == 0
    assert table.schema == pa.schema([("id", pa.int32())])


def test_query_with_selected_columns(typed_dsn: str) -> None:
    table = read_postgres(
        typed_dsn,
        query="SELECT id, kind, at FROM rt.events WHERE id <= $1;",
        params=[2],
        columns=["at"],
    )
    assert table.to_pydict() == {"at": [dt.datetime(2024, 1, 1, h, tzinfo=UTC) for h in (1, 2)]}


def test_table_name_is_quoted_literally(typed_dsn: str) -> None:
    table = read_postgres(typed_dsn, table=("rt", 'Odd "Name" Table'))
    assert table.column("x").to_pylist() == [7, 8]


def test_missing_table_names_it(typed_dsn: str) -> None:
    with pytest.raises(SourceError, match=r"table 'rt\.nope' does not exist"):
        read_postgres(typed_dsn, table="rt.nope")


def test_injection_through_table_name_is_just_a_missing_table(typed_dsn: str) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_postgres(typed_dsn, table="rt.typed; DROP TABLE rt.typed")
    assert read_postgres(typed_dsn, table="rt.typed").num_rows == 2


def test_missing_column_lists_available(typed_dsn: str) -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'nope' not found in table 'rt\.typed'") as err:
        read_postgres(typed_dsn, table="rt.typed", columns=["id", "nope"])
    assert "placed_at" in err.value.available


def test_bad_dsn_names_it_without_password(postgres_dsn: str) -> None:
    bad = postgres_dsn.replace("postgresql://winnow@", "postgresql://winnow:s3cret@").rsplit(
        "/", 1
    )[0]
    port = bad.rsplit(":", 1)[1]
    unreachable = bad.replace(f":{port}", ":1") + "/postgres"
    with pytest.raises(SourceError, match="cannot connect to PostgreSQL") as err:
        read_postgres(unreachable, table="rt.typed")
    assert "127.0.0.1:1" in str(err.value)
    assert "s3cret" not in str(err.value)


def test_missing_database(postgres_dsn: str) -> None:
    with pytest.raises(SourceError, match="no_such_db"):
        read_postgres(postgres_dsn.rsplit("/", 1)[0] + "/no_such_db", table="x")


def test_bad_query_is_a_source_error(typed_dsn: str) -> None:
    with pytest.raises(SourceError, match="42601"):
        read_postgres(typed_dsn, query="SELEC 1")


def test_nan_numeric_into_decimal_is_a_schema_error(typed_dsn: str) -> None:
    with pytest.raises(WinnowError, match=r"'n'.*float8"):
        read_postgres(typed_dsn, query="SELECT 'NaN'::numeric(5, 1) AS n")


def test_argument_errors(typed_dsn: str) -> None:
    with pytest.raises(DefinitionError, match="exactly one of"):
        read_postgres(typed_dsn)
    with pytest.raises(DefinitionError, match="exactly one of"):
        read_postgres(typed_dsn, table="t", query="SELECT 1")
    with pytest.raises(DefinitionError, match="params"):
        read_postgres(typed_dsn, table="rt.typed", params=[1])
    with pytest.raises(DefinitionError, match="columns"):
        read_postgres(typed_dsn, table="rt.typed", columns=[])


def test_quote_ident_and_redact() -> None:
    assert quote_ident('a"b') == '"a""b"'
    with pytest.raises(DefinitionError):
        quote_ident("")
    assert redact_dsn("postgresql://u:pw@h:5/d") == "postgresql://u:***@h:5/d"
    assert redact_dsn("host=h password=pw dbname=d") == "host=h password=*** dbname=d"
