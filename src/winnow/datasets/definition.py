"""What a dataset is made of: inputs, a spine, features, labels, sampling and splits.

A :class:`Dataset` is a pure description, usually written in a project file
(``examples/flights/project.py``) and built by :func:`winnow.build`. It holds no data; building
reads the inputs, hashes them, and runs the steps in a fixed order:

inputs -> ``prepare`` -> spine (with exclusions) -> labels -> sample -> features -> split.

Every input table gets a :data:`POSITION` column (the row's 0-based index in its file) before
``prepare`` runs; the spine table must keep it, because the stable ``row_id`` of an output row is
derived from its input's content hash and that position.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from winnow._pyfile import run_python_file
from winnow.errors import DefinitionError
from winnow.features.group import FeatureGroup

__all__ = [
    "NON_PROBABILITY_METHODS",
    "POSITION",
    "Dataset",
    "Input",
    "Labels",
    "Sample",
    "Spine",
    "Split",
    "load_dataset",
]

#: The column holding a row's 0-based position in its input file.
POSITION = "_position"

#: Sampling methods that do not give every row a known chance of selection (they bias).
NON_PROBABILITY_METHODS = frozenset({"convenience", "snowball", "judgment", "quota"})

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Reader = Callable[[Path], pa.Table]
Prepare = Callable[[dict[str, pa.Table]], Mapping[str, pa.Table]]
FeatureFactory = Callable[[dict[str, pa.Table]], Sequence[FeatureGroup]]


@dataclass(frozen=True)
class Input:
    """One input file of a dataset; its bytes are hashed (sha256) into the dataset id.

    Parameters
    ----------
    path
        The file.
    read
        A function ``path -> pyarrow.Table`` for files winnow cannot read by extension (a zipped
        CSV, say). Default: :func:`winnow.io.read_table`, or ingest with quarantine when
        ``schema`` is given.
    schema
        A :class:`winnow.Schema` (or what :func:`winnow.read` accepts); records that do not fit
        go to the dataset's ``quarantine.parquet`` instead of the data.
    validate
        An expectation suite (:class:`winnow.ExpectationSuite`, a list of expectations, or a
        YAML suite file) checked on the input as read; see :mod:`winnow.datasets.validation`.
    """

    path: str | os.PathLike[str]
    _: KW_ONLY
    read: Reader | None = None
    schema: Any = None
    validate: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.path, (str, os.PathLike)):
            raise DefinitionError(f"Input path must be a file path, got {type(self.path).__name__}")
        if self.read is not None and self.schema is not None:
            raise DefinitionError(
                f"Input {os.fspath(self.path)!r}: give read= or schema=, not both "
                f"(a custom reader parses the file itself)"
            )


@dataclass(frozen=True)
class Spine:
    """The rows to train on: one per row of a (prepared) input table.

    Parameters
    ----------
    table
        Name of the input (or prepared) table the rows come from.
    time
        The prediction-time column: features see only events strictly before it. ``None``
        for data without time (then no feature groups, natural labels or time split).
    keys
        Entity key columns carried into the output (the feature groups' keys).
    columns
        Further spine columns kept in the output as features (known at prediction time).
    exclude
        Named SQL predicates (DuckDB syntax); rows matching one are excluded and counted per
        name in the manifest, e.g. ``{"cancelled": "dep_time IS NULL"}``.
    input
        The input file whose :data:`POSITION` the spine rows carry (default: ``table``, which
        then must be an input name); it identifies each row's source for its ``row_id``.
    """

    table: str
    _: KW_ONLY
    time: str | None
    keys: Sequence[str] = ()
    columns: Sequence[str] = ()
    exclude: Mapping[str, str] = field(default_factory=dict)
    input: str | None = None

    @property
    def source_input(self) -> str:
        """The input the spine rows come from."""
        return self.input or self.table

    def params(self) -> dict[str, Any]:
        """A JSON-able description for the manifest."""
        return {
            "table": self.table,
            "time": self.time,
            "keys": list(self.keys),
            "columns": list(self.columns),
            "exclude": dict(self.exclude),
            "input": self.source_input,
        }


@dataclass(frozen=True)
class Labels:
    """Where the label of each spine row comes from; build with a classmethod.

    * :meth:`column`: a column of the spine table already holds it;
    * :meth:`natural`: joined from later outcome events (:func:`winnow.labeling.natural_labels`);
    * :meth:`from_lfs`: labeling functions combined by a label model.
    """

    kind: Literal["column", "natural", "lfs"]
    params: Mapping[str, Any]

    @classmethod
    def column(cls, name: str, *, time: str | None = None) -> Labels:
        """The label is spine column ``name``; ``time`` optionally names when it became known."""
        return cls("column", {"name": name, "time": time})

    @classmethod
    def natural(
        cls,
        *,
        outcomes: str,
        key: str | Sequence[str],
        time: str,
        within: str,
        where: str | None = None,
        value: str | None = None,
        label_if_found: int = 1,
        label_if_missing: int = 0,
    ) -> Labels:
        """A natural label from outcome events that follow each spine row.

        Without ``value`` (built with :func:`winnow.labeling.natural_labels`): a spine row of
        key ``k`` at time ``t`` gets ``label_if_found`` when an outcome of ``k`` arrives in
        ``[t, t + within)`` (known at that outcome's time), else ``label_if_missing`` once the
        window has closed (known at ``t + within``). Rows whose window is still open at the
        newest time in the data are unlabelled: excluded and counted, never negative.

        With ``value``, the outcome itself says the class ("arrived more than 15 minutes
        late"): the label is ``value`` evaluated on the first outcome of ``k`` in
        ``[t, t + within)`` and is known at that outcome's time, whichever class it is. A row
        with no such outcome gets ``label_if_missing`` once its window has closed, and is
        excluded and counted while the window is still open.

        Parameters
        ----------
        outcomes
            Name of the (prepared) table of outcome events.
        key
            Column(s) joining an outcome to its spine row, named the same in both tables.
        time
            The outcome's event time: when the label became known.
        within
            How long after the spine time an outcome may arrive (``"30m"``, ``"2d"``).
        where
            Optional SQL predicate (DuckDB) selecting the outcome rows that count, e.g.
            ``"arr_delay > 15"``.
        value
            Optional SQL expression (DuckDB) over an outcome row giving its class as a boolean
            (false 0, true 1) or an integer, e.g. ``"arr_delay > 15"``; outcomes where it is
            null do not count. ``label_if_found`` is then unused.
        label_if_found, label_if_missing
            Class ids for "an outcome followed" and "none did".
        """
        keys = [key] if isinstance(key, str) else list(key)
        params: dict[str, Any] = {
            "outcomes": outcomes,
            "key": keys,
            "time": time,
            "within": within,
            "where": where,
            "label_if_found": label_if_found,
            "label_if_missing": label_if_missing,
        }
        if value is not None:
            # only present when used, so definitions without it keep their dataset id
            params["value"] = value
        return cls("natural", params)

    @classmethod
    def from_lfs(
        cls,
        lfs: Sequence[Any],
        *,
        model: str = "label_model",
        classes: Sequence[str] | None = None,
        gold: str | None = None,
        n_epochs: int | None = None,
        model_options: Mapping[str, Any] | None = None,
    ) -> Labels:
        """Labels from labeling functions combined by a label model.

        Parameters
        ----------
        lfs
            Labeling functions (``@winnow.labeling.labeling_function``).
        model
            ``"majority"``, ``"dawid_skene"`` or ``"label_model"``.
        classes
            Names of the classes 0..k-1, shown in the report.
        gold
            A spine column with gold labels (classes as integers, -1 unknown), used only to
            score the LFs and the label model in the report, never as a feature or label.
        n_epochs
            Iteration cap passed to the label model where it takes one.
        model_options
            Further keyword arguments of the label model, e.g. ``{"class_balance": [.4, .6]}``
            for :class:`~winnow.labeling.LabelModel`; recorded in the manifest.
        """
        if not lfs:
            raise DefinitionError("Labels.from_lfs needs at least one labeling function")
        if model not in ("majority", "dawid_skene", "label_model"):
            raise DefinitionError(
                f"unknown label model {model!r}; use 'majority', 'dawid_skene' or 'label_model'"
            )
        return cls(
            "lfs",
            {
                "lfs": list(lfs),
                "model": model,
                "classes": list(classes) if classes is not None else None,
                "gold": gold,
                "n_epochs": n_epochs,
                "model_options": dict(model_options or {}),
            },
        )


@dataclass(frozen=True)
class Sample:
    """A sampling step: ``winnow.sampling.<method>(table, **params, seed=...)``.

    Non-probability methods (convenience, snowball, judgment, quota) are allowed but flagged as
    biased in the manifest and the report.
    """

    method: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def probability(self) -> bool:
        """Whether every row has a known, non-zero chance of selection."""
        return self.method not in NON_PROBABILITY_METHODS


@dataclass(frozen=True)
class Split:
    """How rows are split; build with :meth:`by_time`, :meth:`random` or :meth:`by_group`."""

    kind: Literal["time", "random", "group"]
    params: Mapping[str, Any]

    @classmethod
    def by_time(
        cls, boundaries: Mapping[str, str | None], *, gap: str | None = None
    ) -> Split:
        """Split on the spine time: ``{"train": None, "valid": "2013-10-01", "test": "..."}``.

        Each split starts at its boundary (the first has ``None``) and ends where the next one
        starts, so train is strictly before valid, which is strictly before test.
        """
        names = list(boundaries)
        if len(names) < 2:
            raise DefinitionError("Split.by_time needs at least two splits")
        return cls("time", {"boundaries": dict(boundaries), "gap": gap})

    @classmethod
    def random(
        cls, fractions: Mapping[str, float], *, stratify_by_label: bool = True
    ) -> Split:
        """Random split with the given fractions, stratified by the label by default."""
        return cls("random", {"fractions": dict(fractions), "stratify": stratify_by_label})

    @classmethod
    def by_group(cls, by: str | Sequence[str], fractions: Mapping[str, float]) -> Split:
        """Group split: every entity of ``by`` lands in exactly one split."""
        cols = [by] if isinstance(by, str) else list(by)
        return cls("group", {"by": cols, "fractions": dict(fractions)})

    @property
    def names(self) -> list[str]:
        """The split names, in order."""
        key = "boundaries" if self.kind == "time" else "fractions"
        return list(self.params[key])


@dataclass(frozen=True, eq=False)
class Dataset:
    """A training set, defined once and built reproducibly by :func:`winnow.build`.

    Parameters
    ----------
    name
        The dataset's name.
    inputs
        Input name -> :class:`Input` (or a path); each file's sha256 enters the dataset id.
    spine
        The rows to train on.
    features
        Feature groups, or a function ``tables -> feature groups`` when their event sources are
        prepared tables.
    labels
        Where labels come from.
    split
        How rows are split.
    prepare
        Optional ``tables -> tables`` function deriving tables (parse times, filter, join); it
        must keep the :data:`POSITION` column on the spine table.
    sample
        Optional sampling step applied to the labelled spine before features are computed.
    leakage_sample
        How many rows the leakage check recomputes naively per feature group.
    max_feature_auc
        A single feature whose ROC AUC against the label reaches this is reported as leakage.
    validate
        An expectation suite checked on the dataset's rows (labelled, with features) before
        the split; see :mod:`winnow.datasets.validation`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> ds = Dataset("tiny", inputs={"t": "t.csv"}, spine=Spine("t", time="ts"),
    ...              labels=Labels.column("y"), split=Split.random({"train": .8, "test": .2}))
    >>> ds.split.names
    ['train', 'test']
    """

    name: str
    inputs: Mapping[str, Input]
    spine: Spine
    labels: Labels
    split: Split
    features: Sequence[FeatureGroup] | FeatureFactory = ()
    prepare: Prepare | None = None
    sample: Sample | None = None
    leakage_sample: int = 200
    max_feature_auc: float = 0.99
    validate: Any = None
    source_file: str | None = None

    def __init__(
        self,
        name: str,
        *,
        inputs: Mapping[str, Input | str | os.PathLike[str]],
        spine: Spine,
        labels: Labels,
        split: Split,
        features: Sequence[FeatureGroup] | FeatureFactory = (),
        prepare: Prepare | None = None,
        sample: Sample | None = None,
        leakage_sample: int = 200,
        max_feature_auc: float = 0.99,
        validate: Any = None,
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise DefinitionError(
                f"dataset name {name!r} is not a valid identifier; use letters, digits and _"
            )
        wrapped: dict[str, Input] = {}
        for key, value in inputs.items():
            if not _NAME.match(key):
                raise DefinitionError(f"input name {key!r} is not a valid identifier")
            wrapped[key] = value if isinstance(value, Input) else Input(value)
        parts: tuple[tuple[str, object, type], ...] = (
            ("spine", spine, Spine),
            ("labels", labels, Labels),
            ("split", split, Split),
        )
        for attr, part, kind in parts:
            if not isinstance(part, kind):
                raise DefinitionError(
                    f"dataset {name!r}: {attr}= must be a winnow {kind.__name__}, got "
                    f"{type(part).__name__}"
                )
        if spine.source_input not in wrapped:
            raise DefinitionError(
                f"dataset {name!r}: the spine's rows come from input {spine.source_input!r}, "
                f"which is not among the inputs {sorted(wrapped)}; name it in inputs= or pass "
                f"Spine(..., input=NAME) for a prepared table"
            )
        if spine.time is None:
            needs = [
                what for what, used in (
                    ("feature groups", callable(features) or bool(features)),
                    ("natural labels", labels.kind == "natural"),
                    ("a time split", split.kind == "time"),
                ) if used
            ]
            if needs:
                raise DefinitionError(
                    f"dataset {name!r}: the spine has no time column, but {', '.join(needs)} "
                    f"need one; give Spine(time=...) the prediction-time column"
                )
        if sample is not None and not isinstance(sample, Sample):
            raise DefinitionError(f"dataset {name!r}: sample= must be a winnow Sample")
        if not callable(features):
            for group in features:
                if not isinstance(group, FeatureGroup):
                    raise DefinitionError(
                        f"dataset {name!r}: features must be FeatureGroup objects, got "
                        f"{type(group).__name__}"
                    )
        if leakage_sample < 1:
            raise DefinitionError("leakage_sample must be at least 1")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "inputs", wrapped)
        object.__setattr__(self, "spine", spine)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "split", split)
        object.__setattr__(self, "features", features)
        object.__setattr__(self, "prepare", prepare)
        object.__setattr__(self, "sample", sample)
        object.__setattr__(self, "leakage_sample", leakage_sample)
        object.__setattr__(self, "max_feature_auc", max_feature_auc)
        object.__setattr__(self, "validate", validate)
        object.__setattr__(self, "source_file", _caller_file())

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, inputs={list(self.inputs)}, split={self.split.names})"


def _caller_file() -> str | None:
    """The file that defined the dataset (its source is hashed into the dataset id)."""
    here = Path(__file__).resolve()
    frame = inspect.currentframe()
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_file() and path.resolve() != here:
            return str(path.resolve())
        frame = frame.f_back
    return None


def load_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Execute a project file and return the :class:`Dataset` it defines at module level.

    Running the file executes its code, as importing any Python module does.
    """
    file = Path(path)
    module = run_python_file(file, what="project file")
    found = [v for v in vars(module).values() if isinstance(v, Dataset)]
    if len(found) != 1:
        raise DefinitionError(
            f"{os.fspath(path)!r} must define exactly one wn.Dataset at module level, found "
            f"{len(found)}; e.g. dataset = wn.Dataset('name', inputs=..., spine=..., ...)"
        )
    dataset = found[0]
    object.__setattr__(dataset, "source_file", str(file.resolve()))
    return dataset
