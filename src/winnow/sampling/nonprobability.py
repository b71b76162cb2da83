"""Non-probability sampling: convenience, snowball, judgment and quota.

These methods pick rows by availability, by network reach, by a rule or by filling quotas, not
by chance. Selection probabilities are unknown, so estimates from these samples are **biased**
toward how the rows were chosen; each report says ``biased=True`` and the dataset manifest
carries that flag. They are deterministic (no seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from winnow.errors import ColumnNotFoundError, DefinitionError, SchemaError
from winnow.sampling._strata import match_mapping, rank_within, strata_of, stratum_label
from winnow.sampling.probability import sample_size
from winnow.sampling.report import Sample, SamplingReport
from winnow.splits.slicing import Predicate, predicate_mask

__all__ = ["convenience", "judgment", "quota", "snowball"]

_BIASED = "non-probability sample: selection chances are unknown, estimates are biased"


def convenience(table: pa.Table, *, n: int) -> Sample:
    """Take the first ``n`` rows available (all rows if fewer). **Biased.**

    Returns
    -------
    Sample
        ``(table, report)``: the first ``n`` rows and a report with ``method="convenience"``,
        ``biased=True``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> convenience(pa.table({"x": [3, 1, 2]}), n=2).table["x"].to_pylist()
    [3, 1]
    """
    k = min(sample_size(table.num_rows, n=n, frac=None, where="convenience"), table.num_rows)
    report = SamplingReport(
        method="convenience",
        parameters={"n": int(n)},
        seed=None,
        input_rows=table.num_rows,
        output_rows=k,
        biased=True,
        notes=(_BIASED, "the first n rows in source order"),
    )
    return Sample(table.slice(0, k), report)


def judgment(table: pa.Table, *, rule: Predicate) -> Sample:
    """Keep the rows an expert's rule selects. **Biased.**

    Parameters
    ----------
    table
        The population.
    rule
        A SQL boolean expression run by DuckDB over the table (``"amount > 1000 AND
        country = 'FR'"``) or a function ``table -> boolean mask``; null counts as false.

    Returns
    -------
    Sample
        ``(table, report)``: the selected rows in source order and a report with
        ``method="judgment"``, ``biased=True``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> judgment(pa.table({"x": [3, 1, 2]}), rule="x >= 2").table["x"].to_pylist()
    [3, 2]
    """
    mask = predicate_mask(table, rule, where="judgment")
    rule_text = (
        rule
        if isinstance(rule, str)
        else f"<function {getattr(rule, '__qualname__', repr(rule))}>"
    )
    out = table.filter(pa.array(mask))
    report = SamplingReport(
        method="judgment",
        parameters={"rule": rule_text},
        seed=None,
        input_rows=table.num_rows,
        output_rows=out.num_rows,
        biased=True,
        notes=(_BIASED,),
    )
    return Sample(out, report)


def quota(
    table: pa.Table,
    *,
    by: str | Sequence[str],
    quotas: Mapping[Any, int],
    shortfall: Literal["error", "take_all"] = "error",
) -> Sample:
    """Take rows in source order until each stratum's quota is met. **Biased.**

    Unlike :func:`~winnow.sampling.stratified`, rows within a stratum are the *first* ones, not
    a random subset. Strata not named in ``quotas`` get no rows.

    Parameters
    ----------
    table
        The population, in the order rows became available.
    by
        The column(s) defining the strata.
    quotas
        ``{stratum key: rows}`` (keys may also be the stratum's text; tuples for several columns).
    shortfall
        ``"error"`` (default) if a stratum has fewer rows than its quota, naming it;
        ``"take_all"`` to take what there is.

    Returns
    -------
    Sample
        ``(table, report)``: the rows in source order and a report with ``method="quota"``,
        ``biased=True`` and rows taken per stratum.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"g": ["a", "b", "a", "a", "b"], "x": [0, 1, 2, 3, 4]})
    >>> quota(t, by="g", quotas={"a": 2, "b": 1}).table["x"].to_pylist()
    [0, 1, 2]
    """
    where = "quota"
    if shortfall not in ("error", "take_all"):
        raise DefinitionError(f"{where}: shortfall must be 'error' or 'take_all'")
    strata = strata_of(table, by, where=where)
    wanted = match_mapping(quotas, strata, where=where, what="quotas")
    short = np.flatnonzero(wanted > strata.sizes)
    if len(short) and shortfall == "error":
        h = int(short[0])
        raise DefinitionError(
            f"{where}: stratum {stratum_label(strata.keys[h])!r} of {by!r} has "
            f"{strata.sizes[h]} rows, fewer than its quota {wanted[h]}; lower the quota or pass "
            f"shortfall='take_all'"
        )
    taken = np.minimum(wanted, strata.sizes)
    if table.num_rows:
        ranks = rank_within(strata.codes, len(strata.sizes))
        chosen = np.flatnonzero(ranks < taken[strata.codes])
    else:
        chosen = np.zeros(0, dtype=np.int64)
    labels = [stratum_label(k) for k in strata.keys]
    report = SamplingReport(
        method="quota",
        parameters={
            "by": by if isinstance(by, str) else list(by),
            "quotas": {stratum_label(k): int(v) for k, v in quotas.items()},
            "shortfall": shortfall,
        },
        seed=None,
        input_rows=table.num_rows,
        output_rows=len(chosen),
        biased=True,
        strata={lab: int(t) for lab, t in zip(labels, taken, strict=True) if t or lab in
                {stratum_label(k) for k in quotas}},
        population_strata={lab: int(s) for lab, s in zip(labels, strata.sizes, strict=True)},
        notes=(_BIASED, "the first rows of each stratum in source order"),
    )
    return Sample(table.take(pa.array(chosen.astype(np.int64))), report)


def snowball(
    edges: pa.Table,
    *,
    seeds: Sequence[Any],
    n: int,
    max_depth: int,
    source: str = "src",
    target: str = "dst",
    directed: bool = False,
) -> Sample:
    """Sample nodes of a graph by following edges outward from seed nodes. **Biased.**

    Breadth-first: depth 0 is the seed nodes, depth d + 1 the not-yet-reached neighbours of
    depth d, until ``n`` nodes are reached or ``max_depth`` is exhausted. When the last level
    would exceed ``n``, its nodes are taken in ascending node order (deterministic). Each level
    is one vectorised Arrow membership test over the edge table.

    Parameters
    ----------
    edges
        One row per edge, with node ids in ``source`` and ``target``.
    seeds
        The starting nodes (``seeds`` here are graph nodes, not random seeds).
    n
        Maximum number of nodes in the sample.
    max_depth
        Maximum number of hops from the seeds.
    source, target
        Edge columns.
    directed
        Follow edges only from ``source`` to ``target`` (default: both ways).

    Returns
    -------
    Sample
        ``(table, report)``: a table with columns ``node`` (the ids, in depth then id order) and
        ``depth`` (int32 hops from the nearest seed), and a report with ``method="snowball"``,
        ``biased=True`` and nodes per depth in ``strata``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> e = pa.table({"src": [1, 2, 3, 4], "dst": [2, 3, 4, 5]})
    >>> snowball(e, seeds=[1], n=10, max_depth=2).table.to_pydict()
    {'node': [1, 2, 3], 'depth': [0, 1, 2]}
    """
    where = "snowball"
    for name in (source, target):
        if name not in edges.column_names:
            raise ColumnNotFoundError(name, edges.column_names, where=f"{where} edge table")
    if max_depth < 0:
        raise DefinitionError(f"{where}: max_depth must be >= 0, got {max_depth}")
    limit = sample_size(0, n=n, frac=None, where=where)
    src, dst = edges[source], edges[target]
    if src.type != dst.type:
        raise SchemaError(
            f"{where}: edge columns {source!r} ({src.type}) and {target!r} ({dst.type}) must "
            f"have one type"
        )
    node_type = src.type
    try:
        frontier = pc.unique(pa.array(list(seeds), type=node_type))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise SchemaError(
            f"{where}: seed nodes {list(seeds)!r} are not of the edge columns' type {node_type}"
        ) from exc
    frontier = frontier.filter(pc.invert(pc.is_null(frontier)))
    frontier = frontier.take(pc.array_sort_indices(frontier))
    levels: list[pa.Array] = []
    reached = frontier
    depth = 0
    total = 0
    while len(frontier) and total < limit:
        room = limit - total
        level = frontier if len(frontier) <= room else frontier.slice(0, room)
        levels.append(level)
        total += len(level)
        if depth == max_depth or total >= limit:
            break
        hits = [pc.filter(dst, pc.is_in(src, value_set=frontier))]
        if not directed:
            hits.append(pc.filter(src, pc.is_in(dst, value_set=frontier)))
        neighbours = pc.unique(pa.chunked_array(hits, type=node_type).combine_chunks())
        neighbours = neighbours.filter(pc.invert(pc.is_in(neighbours, value_set=reached)))
        neighbours = neighbours.filter(pc.invert(pc.is_null(neighbours)))
        frontier = neighbours.take(pc.array_sort_indices(neighbours))
        reached = pa.concat_arrays([reached, frontier])
        depth += 1
    nodes = pa.concat_arrays(levels) if levels else pa.array([], type=node_type)
    depths = np.concatenate(
        [np.full(len(lv), d, dtype=np.int32) for d, lv in enumerate(levels)]
    ) if levels else np.zeros(0, dtype=np.int32)
    out = pa.table({"node": nodes, "depth": pa.array(depths, type=pa.int32())})
    report = SamplingReport(
        method="snowball",
        parameters={
            "seeds": [s if isinstance(s, int | float | str | bool) else str(s) for s in seeds],
            "n": int(n),
            "max_depth": int(max_depth),
            "source": source,
            "target": target,
            "directed": bool(directed),
        },
        seed=None,
        input_rows=edges.num_rows,
        output_rows=out.num_rows,
        biased=True,
        strata={f"depth {d}": len(lv) for d, lv in enumerate(levels)},
        notes=(_BIASED, "input_rows counts edges; the sample is nodes"),
    )
    return Sample(out, report)
