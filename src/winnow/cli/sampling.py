"""``winnow sample`` and ``winnow split``: sample or split a table file from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from winnow.errors import DefinitionError, SinkError

__all__ = ["register"]

_console = Console()

METHODS = (
    "simple_random",
    "stratified",
    "weighted",
    "importance",
    "reservoir",
    "weighted_reservoir",
    "convenience",
    "snowball",
    "judgment",
    "quota",
)
_PROBABILITY = {"simple_random", "stratified", "weighted", "importance", "reservoir",
                "weighted_reservoir"}
_BATCH_ROWS = 1_000_000


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def _mapping(text: str, *, option: str) -> dict[str, Any]:
    """Parse ``a=1,b=2`` or a JSON object."""
    text = text.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DefinitionError(f"{option}: not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise DefinitionError(f"{option}: expected a JSON object, got {text!r}")
        return value
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            raise DefinitionError(
                f"{option}: expected name=value pairs such as a=10,b=5; got {part!r}"
            )
        try:
            out[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[name.strip()] = value.strip()
    return out


def _list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _scalar(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _batches(src: Path) -> Iterator[pa.RecordBatch]:
    from winnow.io import read_table
    from winnow.io.formats import detect_format

    if detect_format(src) == "parquet":
        import pyarrow.parquet as pq

        yield from pq.ParquetFile(src).iter_batches(batch_size=_BATCH_ROWS)
        return
    yield from read_table(src).to_batches(max_chunksize=_BATCH_ROWS)


def _stream(src: Path, method: str, k: int, weight: str | None, seed: int, quiet: bool) -> Any:
    from winnow.sampling import Reservoir, WeightedReservoir

    reservoir: Reservoir | WeightedReservoir
    if method == "reservoir":
        reservoir = Reservoir(k, seed=seed)
    else:
        if weight is None:
            raise DefinitionError("--method weighted_reservoir needs --weight COLUMN")
        reservoir = WeightedReservoir(k, seed=seed)
    with Progress(console=_console, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"{method}", total=None)
        for batch in _batches(src):
            if isinstance(reservoir, WeightedReservoir):
                reservoir.update_many(batch, weights=weight)
            else:
                reservoir.update_many(batch)
            progress.update(task, advance=batch.num_rows)
    table = reservoir.sample()
    if not isinstance(table, pa.Table):
        table = pa.table({})
    return table, reservoir.describe()


def sample_command(
    src: Annotated[Path, typer.Argument(help="Input table file (Parquet, CSV, JSONL, ...).")],
    dst: Annotated[Path, typer.Argument(help="Output file; format from its extension.")],
    method: Annotated[str, typer.Option("--method", help=f"One of: {', '.join(METHODS)}.")],
    n: Annotated[int | None, typer.Option("--n", help="Sample size (k for reservoirs).")] = None,
    frac: Annotated[float | None, typer.Option("--frac", help="Fraction of rows.")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Strata column(s), comma-separated.")
    ] = None,
    allocation: Annotated[
        str, typer.Option("--allocation", help="proportional, equal, or a=10,b=5 / JSON.")
    ] = "proportional",
    take_all: Annotated[
        bool, typer.Option("--take-all", help="Take all rows of strata short of their size.")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Draw with replacement.")] = False,
    weight: Annotated[str | None, typer.Option("--weight", help="Weight column.")] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Density-ratio (or target weight) column.")
    ] = None,
    proposal: Annotated[str | None, typer.Option("--proposal", help="Proposal column.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="SQL predicate (judgment).")] = None,
    quotas: Annotated[str | None, typer.Option("--quotas", help="a=10,b=5 or JSON.")] = None,
    seeds: Annotated[str | None, typer.Option("--seeds", help="Snowball seed nodes.")] = None,
    max_depth: Annotated[int, typer.Option("--max-depth", help="Snowball hops.")] = 2,
    source_col: Annotated[str, typer.Option("--source-col", help="Edge source.")] = "src",
    target_col: Annotated[str, typer.Option("--target-col", help="Edge target.")] = "dst",
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (probability methods).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Sample rows of SRC into DST with any winnow sampling method and print its report."""
    from winnow import sampling
    from winnow.io import read_table, write_table

    name = method.replace("-", "_")
    if name not in METHODS:
        raise DefinitionError(f"unknown --method {method!r}; use one of {', '.join(METHODS)}")
    if name in _PROBABILITY and seed is None:
        raise DefinitionError(f"--method {name} draws at random: pass --seed (e.g. --seed 7)")
    rng_seed = 0 if seed is None else seed  # only used by the probability methods
    strata = _list(by)
    by_arg: str | list[str] = strata[0] if len(strata) == 1 else strata
    if name in ("reservoir", "weighted_reservoir"):
        if n is None:
            raise DefinitionError(f"--method {name} needs --n (the reservoir size)")
        table, report = _stream(src, name, n, weight, rng_seed, as_json)
    else:
        data = read_table(src)
        result: Any
        if name == "simple_random":
            result = sampling.simple_random(data, n=n, frac=frac, replace=replace, seed=rng_seed)
        elif name == "stratified":
            alloc: Any = allocation
            if allocation not in ("proportional", "equal"):
                alloc = _mapping(allocation, option="--allocation")
            result = sampling.stratified(
                data, by=by_arg, n=n, frac=frac, allocation=alloc,
                shortfall="take_all" if take_all else "error", seed=rng_seed,
            )
        elif name == "weighted":
            if weight is None or n is None:
                raise DefinitionError("--method weighted needs --weight COLUMN and --n")
            result = sampling.weighted(data, weight=weight, n=n, replace=replace, seed=rng_seed)
        elif name == "importance":
            if target is None or n is None:
                raise DefinitionError("--method importance needs --target COLUMN and --n")
            result = sampling.importance(data, target=target, proposal=proposal, n=n, seed=rng_seed)
        elif name == "convenience":
            if n is None:
                raise DefinitionError("--method convenience needs --n")
            result = sampling.convenience(data, n=n)
        elif name == "judgment":
            if rule is None:
                raise DefinitionError("--method judgment needs --rule 'SQL predicate'")
            result = sampling.judgment(data, rule=rule)
        elif name == "quota":
            if quotas is None or not strata:
                raise DefinitionError("--method quota needs --by COLUMN and --quotas a=10,b=5")
            result = sampling.quota(
                data, by=by_arg, quotas=_mapping(quotas, option="--quotas"),
                shortfall="take_all" if take_all else "error",
            )
        else:
            if n is None or not seeds:
                raise DefinitionError("--method snowball needs --seeds a,b and --n")
            if source_col not in data.column_names:
                from winnow.errors import ColumnNotFoundError

                raise ColumnNotFoundError(source_col, data.column_names, where=str(src))
            nodes = pa.array(_list(seeds)).cast(data[source_col].type).to_pylist()
            result = sampling.snowball(
                data, seeds=nodes, n=n, max_depth=max_depth, source=source_col,
                target=target_col,
            )
        table, report = result.table, result.describe()
    write_table(table, dst)
    if as_json:
        _print_json({"output": str(dst), "report": report})
        return
    grid = Table(title=f"{report['method']} sample -> {dst}")
    grid.add_column("")
    grid.add_column("")
    grid.add_row("rows in", str(report["input_rows"]))
    grid.add_row("rows out", str(report["output_rows"]))
    grid.add_row("seed", str(report["seed"]))
    grid.add_row("biased", "[red]yes[/red]" if report["biased"] else "no")
    if "effective_sample_size" in report:
        grid.add_row("effective sample size", f"{report['effective_sample_size']:.1f}")
    for stratum, count in (report.get("strata") or {}).items():
        grid.add_row(f"stratum {stratum}", str(count))
    _console.print(grid)


def split_command(
    src: Annotated[Path, typer.Argument(help="Input table file.")],
    outdir: Annotated[Path, typer.Argument(help="Directory for <split>.parquet and summary.")],
    by: Annotated[str, typer.Option("--by", help="random, time or group.")] = "random",
    fractions: Annotated[
        str, typer.Option("--fractions", help="train=0.8,valid=0.1,test=0.1")
    ] = "train=0.8,valid=0.1,test=0.1",
    stratify_by: Annotated[
        str | None, typer.Option("--stratify-by", help="Stratify a random split by this column.")
    ] = None,
    time: Annotated[str | None, typer.Option("--time", help="Time column.")] = None,
    boundaries: Annotated[
        str | None, typer.Option("--boundaries", help="Comma-separated cut times.")
    ] = None,
    gap: Annotated[str | None, typer.Option("--gap", help="Band left out before each cut.")] = None,
    names: Annotated[str | None, typer.Option("--names", help="Split names, in order.")] = None,
    train_windows: Annotated[
        str | None, typer.Option("--train-windows", help="Extra training windows: 180d,30d,7d.")
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="Group column(s).")] = None,
    label: Annotated[str | None, typer.Option("--label", help="Label column for summary.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (random, group).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace OUTDIR.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Split SRC into OUTDIR/<split>.parquet plus summary.parquet and summary.json."""
    from winnow.io import read_table
    from winnow.io.atomic import atomic_dir
    from winnow.splits import group_split, random_split, time_split

    if outdir.exists() and not overwrite:
        raise SinkError(f"{outdir} already exists; choose another OUTDIR or pass --overwrite")
    data = read_table(src)
    if by == "random":
        if seed is None:
            raise DefinitionError("--by random draws at random: pass --seed (e.g. --seed 7)")
        fr = {k: float(v) for k, v in _mapping(fractions, option="--fractions").items()}
        result = random_split(
            data, fractions=fr, stratify_by=stratify_by, label=label, time=time, seed=seed
        )
    elif by == "time":
        if time is None or not boundaries:
            raise DefinitionError("--by time needs --time COLUMN and --boundaries t1[,t2...]")
        result = time_split(
            data,
            time=time,
            boundaries=[_scalar(b) for b in _list(boundaries)],
            gap=None if gap is None else _scalar(gap),
            names=_list(names) or None,
            train_windows=[_scalar(w) for w in _list(train_windows)],
            label=label,
        )
    elif by == "group":
        cols = _list(group)
        if not cols or seed is None:
            raise DefinitionError("--by group needs --group COLUMN[,COLUMN] and --seed")
        fr = {k: float(v) for k, v in _mapping(fractions, option="--fractions").items()}
        result = group_split(
            data, by=cols[0] if len(cols) == 1 else cols, fractions=fr, seed=seed,
            label=label, time=time,
        )
    else:
        raise DefinitionError(f"unknown --by {by!r}; use random, time or group")
    import pyarrow.parquet as pq

    report = result.report
    with atomic_dir(outdir, overwrite=overwrite) as tmp:
        for split_name, part in result.tables.items():
            pq.write_table(part, tmp / f"{split_name}.parquet", compression="zstd")
        pq.write_table(report.to_table(), tmp / "summary.parquet", compression="zstd")
        (tmp / "summary.json").write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    if as_json:
        _print_json({"output": str(outdir), "report": report.to_dict()})
        return
    grid = Table(title=f"{report.method} split -> {outdir}")
    for col in ("split", "rows", "labels", "from", "to"):
        grid.add_column(col)
    for split_name, stats in report.splits.items():
        labels = ", ".join(f"{k}: {v}" for k, v in (stats.label_counts or {}).items())
        grid.add_row(split_name, str(stats.rows), labels, str(stats.time_min or ""),
                     str(stats.time_max or ""))
    _console.print(grid)
    if report.excluded_rows:
        _console.print(f"rows in gaps (in no split): {report.excluded_rows}")


def register(app: typer.Typer) -> None:
    """Add ``sample`` and ``split`` to the winnow CLI."""
    app.command("sample")(sample_command)
    app.command("split")(split_command)
