"""What a sampler did, in the form the dataset manifest records.

Every table sampler returns a :class:`Sample`: the sampled rows as an Arrow table and a
:class:`SamplingReport` describing the draw (method, parameters, seed, sizes per stratum, whether
the method is biased, and the effective sample size of importance sampling). ``report.to_dict()``
is plain JSON (str keys; str, int, float, bool, None, lists and dicts as values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pyarrow as pa

__all__ = ["Sample", "SamplingReport"]


@dataclass(frozen=True)
class SamplingReport:
    """A JSON-ready description of one sampling run.

    Attributes
    ----------
    method
        The sampler's name: ``"simple_random"``, ``"stratified"``, ``"weighted"``,
        ``"importance"``, ``"reservoir"``, ``"weighted_reservoir"``, ``"convenience"``,
        ``"snowball"``, ``"judgment"`` or ``"quota"``.
    parameters
        The sampler's parameters other than the table and the seed (JSON values).
    seed
        The seed (an int, or a dict for a SeedSequence), ``None`` for the deterministic
        non-probability methods.
    input_rows
        Rows (items) offered to the sampler.
    output_rows
        Rows in the sample.
    biased
        ``True`` for the non-probability methods (convenience, snowball, judgment, quota): their
        samples do not represent the population and the manifest must say so.
    strata
        Rows drawn per stratum (stratum text -> count) for stratified and quota sampling.
    population_strata
        Rows available per stratum (stratum text -> count), alongside ``strata``.
    effective_sample_size
        Kish's effective sample size ``(sum w)^2 / sum w^2`` of the importance weights.
    notes
        Anything a reader of the manifest must know to interpret the sample.
    """

    method: str
    parameters: dict[str, Any]
    seed: int | dict[str, object] | None
    input_rows: int
    output_rows: int
    biased: bool
    strata: dict[str, int] | None = None
    population_strata: dict[str, int] | None = None
    effective_sample_size: float | None = None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict (the manifest's ``sampler`` entry)."""
        out: dict[str, Any] = {
            "method": self.method,
            "parameters": dict(self.parameters),
            "seed": self.seed,
            "input_rows": self.input_rows,
            "output_rows": self.output_rows,
            "biased": self.biased,
        }
        if self.strata is not None:
            out["strata"] = dict(self.strata)
        if self.population_strata is not None:
            out["population_strata"] = dict(self.population_strata)
        if self.effective_sample_size is not None:
            out["effective_sample_size"] = self.effective_sample_size
        if self.notes:
            out["notes"] = list(self.notes)
        return out


class Sample(NamedTuple):
    """The result of a table sampler: ``table, report = sampler(...)``.

    Attributes
    ----------
    table
        The sampled rows (``pyarrow.Table``, the input's schema plus any documented extra column).
    report
        The :class:`SamplingReport` to record in the dataset manifest.
    """

    table: pa.Table
    report: SamplingReport

    def describe(self) -> dict[str, Any]:
        """Return ``report.to_dict()``: what the dataset manifest records for this sample."""
        return self.report.to_dict()
