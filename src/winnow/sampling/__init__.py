"""Sampling of tables and streams, reproducible from an explicit seed and described for lineage.

Probability methods (:func:`simple_random`, :func:`stratified`, :func:`weighted`,
:func:`importance`) and non-probability methods (:func:`convenience`, :func:`snowball`,
:func:`judgment`, :func:`quota`, labelled ``biased``) take an Arrow table and return a
:class:`Sample` ``(table, report)``: the sampled rows as a ``pyarrow.Table`` and a
:class:`SamplingReport` whose ``to_dict()`` (also ``Sample.describe()``) the dataset manifest
records. :class:`Reservoir` (Algorithm L) and :class:`WeightedReservoir` (A-ExpJ) sample
unbounded streams in one pass with bounded memory; both merge exactly.
"""

from winnow.sampling.nonprobability import convenience, judgment, quota, snowball
from winnow.sampling.probability import importance, simple_random, stratified, weighted
from winnow.sampling.report import Sample, SamplingReport
from winnow.sampling.reservoir import Reservoir
from winnow.sampling.weighted_reservoir import WeightedReservoir

__all__ = [
    "Reservoir",
    "Sample",
    "SamplingReport",
    "WeightedReservoir",
    "convenience",
    "importance",
    "judgment",
    "quota",
    "simple_random",
    "snowball",
    "stratified",
    "weighted",
]
