"""Turn a caller's explicit seed into a NumPy generator, and record the seed for the manifest.

Every sampler draws from ``numpy.random.Generator(PCG64(SeedSequence(seed)))``: the bit stream of
PCG64 and NumPy's integer and floating point samplers are the same on every platform, so the same
input, parameters and seed give the same sample everywhere. No seed is ever drawn implicitly.
"""

from __future__ import annotations

import numpy as np

from winnow.errors import DefinitionError

__all__ = ["Seed", "make_rng", "seed_record"]

Seed = int | np.random.SeedSequence


def make_rng(seed: Seed, *, where: str) -> np.random.Generator:
    """Return a PCG64 generator for ``seed`` (an int >= 0 or a SeedSequence)."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(seed))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise DefinitionError(
            f"{where}: seed must be a non-negative int or numpy.random.SeedSequence, got "
            f"{seed!r} ({type(seed).__name__}); pass an explicit seed such as seed=7"
        )
    if int(seed) < 0:
        raise DefinitionError(f"{where}: seed must be >= 0, got {seed}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))


def seed_record(seed: Seed) -> int | dict[str, object]:
    """Return a JSON-able record of ``seed`` from which the same generator can be rebuilt.

    An int is recorded as itself; a SeedSequence as ``{"entropy": ..., "spawn_key": [...]}``
    (``numpy.random.SeedSequence(entropy, spawn_key=spawn_key)`` rebuilds it).
    """
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        ent: object = (
            int(entropy)
            if isinstance(entropy, int | np.integer)
            else [int(e) for e in np.atleast_1d(np.asarray(entropy))]
        )
        return {"entropy": ent, "spawn_key": [int(k) for k in seed.spawn_key]}
    return int(seed)
