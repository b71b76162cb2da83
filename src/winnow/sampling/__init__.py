"""Sampling of tables and streams, reproducible from an explicit seed and described for lineage.

Probability methods (:func:`simple_random`, :func:`stratified`, :func:`weighted`,
:func:`importance`) and non-probability methods (:func:`convenience`, :func:`snowball`,
:func:`judgment`, :func:`quota`, labelled ``biased``) take an Arrow table and return a
:class:`Sample` ``(table, report)``: the sampled rows as a ``pyarrow.Table`` and a
:class:`SamplingReport` whose ``to_dict()`` the dataset manifest records. :class:`Reservoir`
(Algorithm L) and :class:`WeightedReservoir` (A-ExpJ) sample unbounded streams in one pass with
bounded memory.
"""

from winnow.sampling.probability import importance, simple_random, stratified, weighted
from winnow.sampling.report import Sample, SamplingReport

__all__ = [
    "Sample",
    "SamplingReport",
    "importance",
    "simple_random",
    "stratified",
    "weighted",
]
