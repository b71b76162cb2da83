"""Labeling functions: versions from code, every kind of function, failures recorded."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from winnow.errors import DefinitionError, SchemaError
from winnow.labeling import (
    apply,
    column_lf,
    labeling_function,
    lookup_lf,
    regex_lf,
)
from winnow.labeling.lf import LabelingFunction

SPAM, HAM = 1, 0

TABLE = pa.table({
    "id": ["m1", "m2", "m3", "m4"],
    "text": ["FREE money now", "lunch at 12?", "win a free prize", None],
    "sender": ["spam.biz", "alice@corp", "spam.biz", "bob@corp"],
    "length": [14, 12, 16, 0],
    "legacy_filter": [1, 0, None, 0],
})


@labeling_function()
def mentions_free(row):  # a pattern match written by hand
    return SPAM if row.text and "free" in row.text.lower() else -1


@labeling_function(resources={"limit": 13})
def short_message(row, limit):  # a boolean condition with a resource
    return HAM if row["length"] < limit else None


@labeling_function()
def fragile(row):  # raises on the null text
    return SPAM if row.text.endswith("prize") else -1


def model_score(text: str | None) -> float:
    return 0.9 if text and "win" in text else 0.1


@labeling_function(resources={"model": model_score})
def third_party_model(row, model):  # votes of a callable model
    return SPAM if model(row.text) > 0.5 else -1


@labeling_function(vectorized=True, batch_format="pandas")
def long_message(df: pd.DataFrame):  # a vectorised heuristic
    return np.where(df["length"] > 15, SPAM, -1)


def test_every_kind_of_labeling_function_votes() -> None:
    lfs = [
        mentions_free,
        short_message,
        third_party_model,
        long_message,
        regex_lf("regex_money", column="text", pattern=r"money|prize", label=SPAM),
        lookup_lf("known_spammer", column="sender", values={"spam.biz"}, label=SPAM),
        column_lf("legacy", column="legacy_filter"),
    ]
    store = apply(TABLE, lfs, item_id="id", cardinality=2)
    assert store.items.to_pylist() == ["m1", "m2", "m3", "m4"]
    assert store.sources == [lf.name for lf in lfs]
    assert store.to_matrix().tolist() == [
        [1, -1, -1, -1, 1, 1, 1],
        [-1, 0, -1, -1, -1, -1, 0],
        [1, -1, 1, 1, 1, 1, -1],
        [-1, 0, -1, -1, -1, -1, 0],
    ]
    assert store.failures == {}
    assert set(store.versions) == {lf.name for lf in lfs}
    assert all(len(v) == 64 for v in store.versions.values())


def test_a_raising_function_is_recorded_not_fatal() -> None:
    store = apply(TABLE, [mentions_free, fragile])
    failure = store.failures["fragile"]
    assert failure.count == 1 and failure.first_row == 3
    assert "AttributeError" in failure.first_error
    assert store.to_matrix()[:, 1].tolist() == [-1, -1, 1, -1]
    with pytest.raises(AttributeError):
        apply(TABLE, [fragile], strict=True)


def test_bad_labels_are_failures() -> None:
    @labeling_function()
    def says_yes(row):
        return True

    @labeling_function()
    def too_big(row):
        return 5

    store = apply(TABLE, [says_yes, too_big], cardinality=2)
    assert store.failures["says_yes"].count == 4
    assert "non-integer" in store.failures["says_yes"].first_error
    assert store.failures["too_big"].count == 4
    assert (store.to_matrix() == -1).all()
    with pytest.raises(SchemaError, match="too_big"):
        apply(TABLE, [too_big], cardinality=2, strict=True)


def test_vectorised_batches_and_row_wise_agree() -> None:
    n = 1000
    table = pa.table({"x": np.arange(n)})

    @labeling_function()
    def even(row):
        return row.x % 2

    @labeling_function(vectorized=True)
    def even_vec(batch: pa.Table):
        return batch.column("x").to_numpy() % 2

    store = apply(table, [even, even_vec], batch_size=64)
    L = store.to_matrix()
    np.testing.assert_array_equal(L[:, 0], L[:, 1])
    np.testing.assert_array_equal(L[:, 0], np.arange(n) % 2)


def _load(path: Path, body: str) -> LabelingFunction:
    path.write_text(textwrap.dedent(body))
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    lf = namespace["lf"]
    assert isinstance(lf, LabelingFunction)
    return lf


def test_version_changes_with_code_not_with_comments(tmp_path: Path) -> None:
    import linecache

    base = """
        from winnow.labeling import labeling_function
        @labeling_function(name="lf")
        def lf(row):
            return 1 if row["x"] > 3 else -1
    """
    commented = """
        from winnow.labeling import labeling_function
        @labeling_function(name="lf")
        def lf(row):
            # a comment and a blank line do not change the code

            return 1 if row["x"] > 3 else -1
    """
    changed = base.replace("> 3", "> 4")
    versions = []
    for i, body in enumerate([base, commented, changed]):
        path = tmp_path / f"lfs_{i}.py"
        linecache.clearcache()
        versions.append(_load(path, body).version)
    assert versions[0] == versions[1]
    assert versions[0] != versions[2]


def test_decorator_without_parentheses_says_the_fix() -> None:
    with pytest.raises(DefinitionError, match=r"@labeling_function\(\)"):

        @labeling_function  # type: ignore[arg-type]
        def oops(row):
            return 0


def test_duplicate_names_and_plain_functions_are_refused() -> None:
    with pytest.raises(DefinitionError, match="unique"):
        apply(TABLE, [mentions_free, mentions_free])
    with pytest.raises(DefinitionError, match="decorate"):
        apply(TABLE, [lambda row: 0])  # type: ignore[list-item]


def test_helper_versions_depend_on_their_parameters() -> None:
    a = regex_lf("r", column="text", pattern="free", label=1)
    b = regex_lf("r", column="text", pattern="money", label=1)
    c = lookup_lf("l", column="sender", table={"spam.biz": 1})
    d = lookup_lf("l", column="sender", table={"spam.biz": 0})
    assert a.version != b.version and c.version != d.version


def test_db_lookup_from_a_real_duckdb_table(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE verdicts (sender VARCHAR, verdict INTEGER)")
    con.execute("INSERT INTO verdicts VALUES ('spam.biz', 1), ('alice@corp', 0)")
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        # An extract of the table as a lookup ...
        extract = lookup_lf("crm_verdict", column="sender",
                            table=dict(con.execute("SELECT * FROM verdicts").fetchall()))

        # ... or a query per batch against the live database.
        @labeling_function(vectorized=True, resources={"con": con})
        def crm_join(batch: pa.Table, con):
            keys = batch.select(["sender"]).append_column(
                "pos", pa.array(np.arange(batch.num_rows)))
            con.register("batch", keys)
            found = con.execute(
                "SELECT coalesce(v.verdict, -1) AS vote FROM batch b "
                "LEFT JOIN verdicts v USING (sender) ORDER BY b.pos"
            ).fetchnumpy()
            return found["vote"]

        # Batches of 3 rows: the function runs twice and answers per batch.
        store = apply(TABLE, [extract, crm_join], cardinality=2, batch_size=3)
    finally:
        con.close()
    assert store.failures == {}
    assert store.to_matrix().tolist() == [[1, 1], [0, 0], [1, 1], [-1, -1]]


def test_a_raising_vectorised_function_fails_its_batch_only() -> None:
    @labeling_function(vectorized=True)
    def breaks_on_big(batch: pa.Table):
        x = batch.column("x").to_numpy()
        if x.max() >= 8:
            raise ValueError(f"value {x.max()} too big")
        return x % 2

    table = pa.table({"x": np.arange(10)})
    store = apply(table, [breaks_on_big], batch_size=4)
    failure = store.failures["breaks_on_big"]
    # Batches [0..3], [4..7] vote; [8, 9] fails as a whole and abstains.
    assert (failure.count, failure.first_row) == (2, 8)
    assert "too big" in failure.first_error
    assert store.to_matrix()[:, 0].tolist() == [0, 1, 0, 1, 0, 1, 0, 1, -1, -1]
    with pytest.raises(ValueError, match="too big"):
        apply(table, [breaks_on_big], batch_size=4, strict=True)


def test_wrong_length_from_a_vectorised_function_is_a_failure() -> None:
    @labeling_function(vectorized=True)
    def one_label(batch: pa.Table):
        return np.array([1])

    store = apply(pa.table({"x": [1, 2, 3]}), [one_label])
    assert "one label per row" in store.failures["one_label"].first_error
    assert store.failures["one_label"].count == 3
