"""Build a dataset: from raw inputs to split Parquet files, a manifest, lineage and a report.

:func:`build` runs the steps of a :class:`~winnow.datasets.definition.Dataset` in a fixed order
(inputs -> prepare -> spine -> labels -> sample -> features -> split -> leakage check) and writes
the output directory atomically (:func:`winnow.io.atomic.atomic_dir`): a build that fails or is
killed leaves only a ``.winnow-tmp-*`` directory, never one that looks complete.

Rows are written in a deterministic order (spine time, then source position) with pinned Parquet
options, and no file holds the build time, so the same inputs, definition and seed give
byte-identical files and the same dataset id.
"""

from __future__ import annotations

import hashlib
import json
import os
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.datasets.definition import POSITION, Dataset, load_dataset
from winnow.datasets.labels import LabelOutcome, make_labels
from winnow.datasets.leakage import LeakageReport, check_leakage
from winnow.datasets.manifest import (
    MANIFEST,
    canonical_json,
    dataset_id,
    file_sha256,
    schema_description,
    write_parquet,
)
from winnow.datasets.validation import DATASET_SOURCE, as_suite, validate_rows, validation_record
from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError, SinkError
from winnow.features.group import FeatureGroup
from winnow.io.atomic import atomic_dir
from winnow.io.formats import read_table
from winnow.profiles import Profile
from winnow.timestamps import to_utc
from winnow.validation.result import ValidationReport

__all__ = ["LABEL", "LABEL_TIME", "ROW_ID", "BuildResult", "build"]

ROW_ID = "row_id"
LABEL = "label"
LABEL_TIME = "label_time"
_SPLIT = "_split"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` wrote: the directory, the dataset id and the manifest."""

    path: Path
    id: str
    manifest: dict[str, Any]

    @property
    def split_rows(self) -> dict[str, int]:
        """Rows per split."""
        return {name: s["rows"] for name, s in self.manifest["splits"].items()}

    def summary(self) -> dict[str, Any]:
        """A short JSON-able summary for the CLI."""
        m = self.manifest
        return {
            "id": self.id,
            "path": str(self.path),
            "name": m["name"],
            "splits": m["splits"],
            "excluded": m["spine"]["excluded"],
            "quarantined": m["quarantine"]["rows"],
            "leakage_passed": m["leakage"]["passed"],
            "report": str(self.path / "report.html"),
        }


@dataclass
class _Input:
    name: str
    path: Path
    sha256: str
    table: pa.Table
    quarantine: pa.Table | None
    reader: str


def _sha_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _callable_name(fn: Any) -> str:
    module = getattr(fn, "__module__", "") or ""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    if module.startswith("winnow_user_"):  # a file run by winnow._pyfile
        module = "<project>"
    return f"{module}.{name}" if module else str(name)


def _load_input(name: str, spec: Any) -> _Input:
    path = Path(spec.path)
    sha = file_sha256(path)
    quarantine: pa.Table | None = None
    if spec.schema is not None:
        import winnow.io as wio

        reader = getattr(wio, "read", None)
        if reader is None:
            raise DefinitionError(
                f"input {name!r} declares a schema, but this winnow has no ingest reader "
                f"(winnow.io.read); pass read= instead"
            )
        result = reader(path, schema=spec.schema)
        table = result.table
        quarantine = result.quarantine if result.quarantine.num_rows else None
        reader_name = "winnow.io.read(schema)"
        if quarantine is not None:
            # accepted rows keep their record index in the file, so row ids and lineage do
            # not move when an earlier record is quarantined
            positions = _accepted_positions(path, result.format, quarantine, table.num_rows)
            table = table.append_column(POSITION, pa.array(positions, pa.int64()))
            return _Input(name, path, sha, table, quarantine, reader_name)
    elif spec.read is not None:
        table = spec.read(path)
        reader_name = _callable_name(spec.read)
    else:
        table = read_table(path)
        reader_name = "winnow.io.read_table"
    if not isinstance(table, pa.Table):
        raise DefinitionError(
            f"the reader of input {name!r} returned {type(table).__name__}, not a pyarrow.Table"
        )
    if POSITION in table.column_names:
        raise SchemaError(
            f"input {name!r} ({path}) already has a column {POSITION!r}, which winnow adds to "
            f"hold each row's position; rename that column in the reader"
        )
    table = table.append_column(POSITION, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    return _Input(name, path, sha, table, quarantine, reader_name)


def _accepted_positions(
    path: Path, fmt: str, quarantine: pa.Table, accepted: int
) -> np.ndarray:
    """0-based record indices of the accepted rows of an ingest that quarantined some.

    Quarantine positions are 0-based record indices for binary formats and 1-based physical
    lines for CSV (header = line 1) and JSON Lines. A text file whose non-empty lines are its
    header and one line per record maps a line to its record by rank among the non-empty
    lines; a file with records spanning several lines cannot be mapped, and says so.
    """
    total = accepted + quarantine.num_rows
    bad = np.asarray(quarantine["position"].to_numpy(), dtype=np.int64)
    if fmt in ("csv", "jsonl"):
        data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
        ends = np.flatnonzero(data == ord("\n"))
        if data.size and data[-1] != ord("\n"):
            ends = np.append(ends, data.size)  # a last line without a newline
        starts = np.concatenate(([0], ends[:-1] + 1)) if ends.size else ends
        length = ends - starts
        carriage = (length == 1) & (data[np.minimum(starts, max(data.size - 1, 0))] == ord("\r"))
        nonempty = np.flatnonzero((length > 0) & ~carriage) + 1  # 1-based line numbers
        header = 1 if fmt == "csv" else 0
        if len(nonempty) - header != total:
            raise SchemaError(
                f"{path}: {total} records on {len(nonempty) - header} non-empty lines; with "
                f"records spanning lines, the quarantined records' positions cannot be mapped "
                f"to record indices. Fix the file's records, or read it with read= and "
                f"validate= (which quarantine by record index)"
            )
        bad = np.searchsorted(nonempty, bad) - header
    keep = np.ones(total, dtype=bool)
    keep[bad] = False
    return np.flatnonzero(keep).astype(np.int64)


def _predicate_mask(table: pa.Table, predicate: str, *, what: str) -> np.ndarray:
    """Evaluate a DuckDB SQL predicate per row (row order kept); null counts as false."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.register("t", table)
        try:
            mask: pa.Table = con.sql(
                f"SELECT coalesce(({predicate}), false) AS m FROM t"
            ).to_arrow_table()
        except duckdb.Error as exc:
            raise DefinitionError(
                f"{what}: the SQL predicate {predicate!r} failed: {exc}; columns available: "
                f"{', '.join(table.column_names)}"
            ) from exc
    finally:
        con.close()
    return np.asarray(mask.column("m").to_numpy(), dtype=bool)


def _row_ids(input_sha: str, positions: pa.ChunkedArray | pa.Array) -> pa.Array:
    """``row_id`` = first 16 hex digits of sha256("<input sha256>:<position>"), vectorised."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.register("p", pa.table({"pos": positions}))
        out: pa.Table = con.sql(
            "SELECT substr(sha256($sha || ':' || CAST(pos AS VARCHAR)), 1, 16) AS rid FROM p",
            params={"sha": input_sha},
        ).to_arrow_table()
    finally:
        con.close()
    return out.column("rid").combine_chunks()


def _spine(ds: Dataset, tables: Mapping[str, pa.Table], inputs: Mapping[str, _Input]) -> tuple[
    pa.Table, dict[str, int]
]:
    spec = ds.spine
    if spec.table not in tables:
        raise DefinitionError(
            f"dataset {ds.name!r}: the spine table {spec.table!r} is neither an input nor "
            f"returned by prepare(); tables available: {sorted(tables)}"
        )
    table = tables[spec.table]
    where = f"spine table {spec.table!r}"
    for col in [c for c in (spec.time, POSITION, *spec.keys, *spec.columns) if c]:
        if col not in table.column_names:
            hint = (
                f" ({POSITION} is added to every input; prepare() must keep it on the spine)"
                if col == POSITION
                else ""
            )
            raise ColumnNotFoundError(col, table.column_names, where=where + hint)
    for reserved in (ROW_ID, LABEL, LABEL_TIME):
        if reserved in table.column_names and reserved not in (spec.time,):
            raise SchemaError(
                f"{where} has a column {reserved!r}, which the dataset adds; rename it in "
                f"prepare() (a label column is named with Labels.column(...))"
            )
    excluded: dict[str, int] = {}
    keep = np.ones(table.num_rows, dtype=bool)
    if spec.time is not None:
        idx = table.schema.get_field_index(spec.time)
        table = table.set_column(idx, spec.time, to_utc(table[spec.time], name=spec.time))
        null_time = np.asarray(pc.is_null(table[spec.time]).to_numpy(zero_copy_only=False), bool)
        if null_time.any():
            excluded["missing prediction time"] = int(null_time.sum())
            keep &= ~null_time
    for reason, predicate in spec.exclude.items():
        hit = _predicate_mask(table, predicate, what=f"spine exclusion {reason!r}") & keep
        excluded[reason] = int(hit.sum())
        keep &= ~hit
    table = table.filter(pa.array(keep))
    row_id = _row_ids(inputs[spec.source_input].sha256, table[POSITION])
    table = table.add_column(0, ROW_ID, row_id)
    return table, excluded


def _features(ds: Dataset, tables: dict[str, pa.Table]) -> list[FeatureGroup]:
    groups = ds.features(tables) if callable(ds.features) else ds.features
    out = list(groups)
    for group in out:
        if not isinstance(group, FeatureGroup):
            raise DefinitionError(
                f"dataset {ds.name!r}: features returned {type(group).__name__}, not FeatureGroup"
            )
    names = [g.name for g in out]
    if len(set(names)) != len(names):
        raise DefinitionError(f"dataset {ds.name!r}: two feature groups share a name: {names}")
    for group in out:
        for key in group.key:
            if key not in ds.spine.keys:
                raise DefinitionError(
                    f"feature group {group.name!r} is keyed on {key!r}, which is not among the "
                    f"spine keys {list(ds.spine.keys)}; add it to Spine(keys=...)"
                )
    return out


def _group_events(group: FeatureGroup) -> pa.Table:
    source = group.source
    if isinstance(source.data, pa.Table):
        table = source.data
    else:
        parts = [read_table(p, columns=group.needed_columns) for p in source.paths()]
        table = pa.concat_tables(parts, promote_options="default") if parts else pa.table({})
    table = table.select(group.needed_columns)
    idx = table.schema.get_field_index(source.time)
    return table.set_column(idx, source.time, to_utc(table[source.time], name=source.time))


def _sample(ds: Dataset, table: pa.Table, seed: int) -> tuple[pa.Table, dict[str, Any] | None]:
    if ds.sample is None:
        return table, None
    import winnow.sampling as sampling

    fn = getattr(sampling, ds.sample.method, None)
    if fn is None or not callable(fn):
        raise DefinitionError(
            f"dataset {ds.name!r}: unknown sampling method {ds.sample.method!r}; use a function "
            f"of winnow.sampling such as simple_random, stratified, weighted, convenience"
        )
    params = dict(ds.sample.params)
    if ds.sample.probability:
        params["seed"] = seed
    result = fn(table, **params)
    sampled = result if isinstance(result, pa.Table) else getattr(result, "table", None)
    if not isinstance(sampled, pa.Table):
        raise DefinitionError(
            f"winnow.sampling.{ds.sample.method} returned {type(result).__name__}, not a table"
        )
    record: dict[str, Any] = {
        "method": ds.sample.method,
        "params": dict(ds.sample.params),
        "probability": ds.sample.probability,
        "rows_in": table.num_rows,
        "rows_out": sampled.num_rows,
        "caveat": None
        if ds.sample.probability
        else "non-probability sample: rows were not drawn with known chances, so statistics "
        "and models trained on it are biased toward how the rows were chosen",
    }
    describe = getattr(result, "describe", None)
    if callable(describe) and not isinstance(result, pa.Table):
        record["report"] = describe()
    return sampled, record


def _split(ds: Dataset, table: pa.Table, seed: int) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """Split with :mod:`winnow.splits`; return the tables (in split order) and its report."""
    from winnow.splits import group_split, random_split, time_split

    spec = ds.split
    p = spec.params
    if spec.kind == "time" and ds.spine.time is not None:
        bounds = dict(p["boundaries"])
        names = list(bounds)
        result = time_split(
            table,
            time=ds.spine.time,
            boundaries=[bounds[n] for n in names[1:]],
            gap=p.get("gap"),
            names=names,
            label=LABEL,
        )
    elif spec.kind == "random":
        result = random_split(
            table,
            fractions=dict(p["fractions"]),
            stratify_by=LABEL if p.get("stratify") else None,
            label=LABEL,
            time=ds.spine.time,
            seed=seed,
        )
    else:
        result = group_split(
            table, by=list(p["by"]), fractions=dict(p["fractions"]), seed=seed, label=LABEL,
            time=ds.spine.time,
        )
    tables, report = result
    out = {name: tables[name] for name in spec.names}
    record = {"method": report.method, "excluded_rows": report.excluded_rows}
    if report.notes:
        record["notes"] = list(report.notes)
    return out, record


def _order(table: pa.Table, time: str | None) -> pa.Table:
    """Deterministic row order: spine time (when there is one), then source position."""
    if table.num_rows == 0:
        return table
    keys = [(time, "ascending")] if time else []
    idx = pc.sort_indices(table, sort_keys=[*keys, (POSITION, "ascending")])
    return table.take(idx)


def _distribution(column: pa.ChunkedArray) -> dict[str, int]:
    counts = pc.value_counts(column.drop_null()) if len(column) else pa.array([])
    pairs = {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
    return dict(sorted(pairs.items()))


def _time_range(column: pa.ChunkedArray) -> list[str | None]:
    if len(column) == 0:
        return [None, None]
    lo, hi = pc.min(column).as_py(), pc.max(column).as_py()
    return [lo.isoformat() if lo else None, hi.isoformat() if hi else None]


def _definition_hash(ds: Dataset) -> dict[str, Any]:
    if ds.source_file and Path(ds.source_file).is_file():
        return {"kind": "source file", "sha256": file_sha256(ds.source_file)}
    return {"kind": "parameters", "sha256": _sha_text(repr(ds))}


def build(
    definition: Dataset | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    seed: int = 0,
    overwrite: bool = False,
    allow_leakage: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build a dataset into directory ``out`` and return its id and manifest.

    Parameters
    ----------
    definition
        A :class:`Dataset`, or the path of a project file that defines one.
    out
        The output directory; written atomically.
    seed
        The seed of every random step (sampling, random/group splits, leakage sample).
    overwrite
        Replace an existing ``out``.
    allow_leakage
        Write the dataset even when the leakage check fails (the report and manifest say so);
        by default such a build raises :class:`~winnow.errors.DefinitionError`.
    progress
        Called with the name of each step as it starts (the CLI shows it).
    """
    ds = load_dataset(definition) if not isinstance(definition, Dataset) else definition
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DefinitionError(f"seed must be an integer, got {seed!r}")
    dest = Path(out)
    if dest.exists() and not overwrite:
        raise SinkError(
            f"{dest} already exists; choose another --out or pass overwrite=True (--overwrite)"
        )
    say = progress or (lambda _step: None)
    started = _time.time()

    say("reading inputs")
    inputs = {name: _load_input(name, spec) for name, spec in ds.inputs.items()}
    validations = _validate_inputs(ds, inputs)
    tables: dict[str, pa.Table] = {name: i.table for name, i in inputs.items()}
    if ds.prepare is not None:
        say("preparing tables")
        prepared = ds.prepare(dict(tables))
        if not isinstance(prepared, Mapping):
            raise DefinitionError(
                f"prepare() of dataset {ds.name!r} must return a dict of name -> table, got "
                f"{type(prepared).__name__}"
            )
        tables.update(prepared)

    say("building the spine")
    spine, excluded = _spine(ds, tables, inputs)
    spine_rows = spine.num_rows

    say("labelling")
    labelled: LabelOutcome = make_labels(ds, spine, tables, seed=seed)
    table = labelled.table
    excluded.update(labelled.excluded)

    table, sample_record = _sample(ds, table, seed)

    say("computing features")
    groups = _features(ds, tables)
    time_col = ds.spine.time
    keep = [c for c in (ROW_ID, time_col, *ds.spine.keys, *ds.spine.columns, POSITION, LABEL) if c]
    if LABEL_TIME in table.column_names:
        keep.append(LABEL_TIME)
    base = table.select(list(dict.fromkeys(keep)))
    group_events: dict[str, pa.Table] = {}
    if groups:
        from winnow.backfill import backfill
        from winnow.engines.duckdb import DuckDBEngine

        if time_col is None:
            raise DefinitionError(f"dataset {ds.name!r}: feature groups need a spine time")
        group_events = {g.name: _group_events(g) for g in groups}
        # One DuckDB thread: parallel float sums add in a run-dependent order, and a dataset
        # must rebuild byte for byte.
        featured = backfill(base, groups, time=time_col, engine=DuckDBEngine(threads=1))
    else:
        featured = base
    if ds.validate is not None:
        say("validating the dataset's rows")
        featured = _validate_dataset(ds, featured, tables, validations, excluded)
    feature_columns = [*ds.spine.columns, *(c for g in groups for c in g.output_columns)]
    ordered = [c for c in (ROW_ID, time_col, *ds.spine.keys, *feature_columns, LABEL) if c]
    if LABEL_TIME in featured.column_names:
        ordered.append(LABEL_TIME)
    ordered = list(dict.fromkeys(ordered))

    say("splitting")
    parts, split_record = _split(ds, featured, seed)
    if split_record["excluded_rows"]:
        excluded["in a time-split gap"] = int(split_record["excluded_rows"])
    parts = {name: _order(t, ds.spine.time) for name, t in parts.items()}

    say("checking for leakage")
    combined = pa.concat_tables(
        [
            t.select([*ordered, POSITION]).append_column(
                _SPLIT, pa.array([name] * t.num_rows, pa.string())
            )
            for name, t in parts.items()
        ]
    )
    leakage: LeakageReport = check_leakage(
        combined,
        time=ds.spine.time,
        label=LABEL,
        label_time=LABEL_TIME if LABEL_TIME in ordered else None,
        feature_columns=feature_columns,
        groups=groups,
        group_events=group_events,
        split_column=_SPLIT,
        split_names=list(parts),
        split_kind=ds.split.kind,
        split_by=list(ds.split.params.get("by", [])),
        sample_size=ds.leakage_sample,
        max_feature_auc=ds.max_feature_auc,
        seed=seed,
    )
    if not leakage.passed and not allow_leakage:
        shown = "; ".join(f"{c.name}: {c.detail}" for c in leakage.failures)
        raise DefinitionError(
            f"dataset {ds.name!r} leaks information from the future: {shown}. Fix the "
            f"definition, or build with allow_leakage=True (--allow-leakage) to inspect it"
        )

    quarantine = [
        i.quarantine.append_column("input", pa.array([i.name] * i.quarantine.num_rows))
        for i in inputs.values()
        if i.quarantine is not None
    ] + validations.quarantine
    manifest: dict[str, Any] = {
        "format": 1,
        "name": ds.name,
        "winnow_version": _winnow_version(),
        "definition": _definition_hash(ds),
        "seed": seed,
        "inputs": {
            name: {
                "sha256": i.sha256,
                "rows": i.table.num_rows,
                "schema": schema_description(i.table.schema.remove(
                    i.table.schema.get_field_index(POSITION))),
                "reader": i.reader,
                "quarantined": 0 if i.quarantine is None else i.quarantine.num_rows,
            }
            for name, i in inputs.items()
        },
        "transforms": {
            "prepare": _callable_name(ds.prepare) if ds.prepare else None,
            "tables": {name: t.num_rows for name, t in sorted(tables.items())},
        },
        "spine": {
            **ds.spine.params(),
            "rows": spine_rows,
            "excluded": excluded,
        },
        "features": {
            "groups": [
                {**g.params(), "columns": g.output_columns,
                 "longest_window_us": g.longest_window_micros}
                for g in groups
            ],
            "columns": feature_columns,
        },
        "labels": labelled.record,
        "sampling": sample_record,
        "split": {
            "kind": ds.split.kind,
            "names": list(parts),
            "params": dict(ds.split.params),
            **split_record,
        },
        "splits": {
            name: {
                "rows": t.num_rows,
                "labels": _distribution(t[LABEL]),
                "time_range": _time_range(t[time_col]) if time_col else [None, None],
            }
            for name, t in parts.items()
        },
        "columns": {
            "row_id": ROW_ID,
            "time": ds.spine.time,
            "keys": list(ds.spine.keys),
            "features": feature_columns,
            "label": LABEL,
            "label_time": LABEL_TIME if LABEL_TIME in ordered else None,
            "schema": schema_description(combined.select(ordered).schema),
        },
        "quarantine": {
            "rows": sum(q.num_rows for q in quarantine),
            "by_input": {i.name: (0 if i.quarantine is None else i.quarantine.num_rows)
                         for i in inputs.values()},
        },
        "leakage": leakage.to_dict(),
    }
    if validations.reports:
        manifest["validation"] = validation_record(validations.reports)
        manifest["quarantine"]["by_validation"] = {
            name: r.quarantined for name, r in validations.reports.items()
        }

    say("writing")
    from winnow.datasets.lineage import lineage_table
    from winnow.datasets.report import render_report

    with atomic_dir(dest, overwrite=overwrite) as tmp:
        for name, t in parts.items():
            write_parquet(t.select(ordered), tmp / f"{name}.parquet")
        if quarantine:
            write_parquet(pa.concat_tables(quarantine, promote_options="default"),
                          tmp / "quarantine.parquet")
        write_parquet(
            lineage_table(
                combined,
                time=ds.spine.time,
                input_name=ds.spine.source_input,
                input_sha256=inputs[ds.spine.source_input].sha256,
                split_column=_SPLIT,
                label_time=LABEL_TIME if LABEL_TIME in ordered else None,
            ),
            tmp / "lineage.parquet",
        )
        if labelled.votes is not None:
            write_parquet(labelled.votes, tmp / "votes.parquet")
        profiles = _split_profiles(parts, [*feature_columns, LABEL])
        (tmp / "profiles").mkdir()
        for name, split_profile in profiles.items():
            split_profile.save(tmp / "profiles" / f"{name}.json")
        manifest["id"] = dataset_id(manifest)
        (tmp / "report.html").write_text(
            render_report(manifest, parts, extra=labelled.report, profiles=profiles),
            encoding="utf-8",
        )
        manifest["files"] = {
            p.relative_to(tmp).as_posix(): file_sha256(p)
            for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        manifest["locations"] = {
            "definition": ds.source_file,
            "inputs": {name: str(i.path.resolve()) for name, i in inputs.items()},
        }
        manifest["build"] = {
            "started": _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(started)),
            "seconds": round(_time.time() - started, 3),
        }
        text = json.dumps(json.loads(canonical_json(manifest)), indent=2, sort_keys=True)
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return BuildResult(dest, manifest["id"], manifest)


@dataclass
class _Validations:
    reports: dict[str, ValidationReport]
    quarantine: list[pa.Table]


def _validate_inputs(ds: Dataset, inputs: Mapping[str, _Input]) -> _Validations:
    """Check each input that has ``validate=``; drop its quarantined rows."""
    done = _Validations({}, [])
    tables = {name: i.table for name, i in inputs.items()}
    for name, spec in ds.inputs.items():
        if spec.validate is None:
            continue
        item = inputs[name]
        suite = as_suite(spec.validate, where=f"input {name!r}")
        kept, quarantine, report = validate_rows(
            item.table, suite, source=os.fspath(item.path), input_name=name, tables=tables
        )
        item.table = kept
        done.reports[name] = report
        if quarantine is not None:
            done.quarantine.append(quarantine)
    return done


def _validate_dataset(
    ds: Dataset,
    table: pa.Table,
    tables: Mapping[str, pa.Table],
    validations: _Validations,
    excluded: dict[str, int],
) -> pa.Table:
    """Check the dataset-level suite on the featured rows; drop and count the quarantined."""
    suite = as_suite(ds.validate, where=f"dataset {ds.name!r}")
    kept, quarantine, report = validate_rows(
        table, suite, source=f"dataset {ds.name}", input_name=DATASET_SOURCE, tables=tables
    )
    validations.reports[DATASET_SOURCE] = report
    if quarantine is not None:
        validations.quarantine.append(quarantine)
        excluded["quarantined by validation"] = quarantine.num_rows
    return kept


def _split_profiles(parts: Mapping[str, pa.Table], columns: Sequence[str]) -> dict[str, Profile]:
    """Profile the features and the label (as categories) of every split, with a fixed seed.

    Saved as ``profiles/<split>.json``: the reference for ``winnow drift`` and the drift monitor.
    """
    from winnow.profiles import profile

    out = {}
    for name, table in parts.items():
        present = [c for c in columns if c in table.column_names]
        out[name] = profile(table.select(present),
                            categorical=[LABEL] if LABEL in present else [], seed=0)
    return out


def _winnow_version() -> str:
    from winnow import __version__

    return __version__


def feature_columns_of(manifest: Mapping[str, Any]) -> Sequence[str]:
    """The feature column names recorded in a manifest."""
    return list(manifest["columns"]["features"])
