"""Column profiles: counts, null rates, moments, distinct counts, quantiles and top values.

:func:`profile` reads a table or file batch by batch into a :class:`Profile`, one
:class:`ColumnProfile` per column. Every part is a mergeable summary (Chan's moments, a
HyperLogLog distinct-count sketch, a seeded KLL quantile sketch, capped exact category counts),
so profiles of partitions or stream windows combine with :meth:`Profile.merge` without reading
the data again, and :meth:`Profile.save` / :meth:`Profile.load` keep them as JSON.
"""

from winnow.profiles._hll import HyperLogLog
from winnow.profiles._kll import QuantileSketch
from winnow.profiles.column import ColumnKind, ColumnProfile
from winnow.profiles.profile import Profile, profile

__all__ = [
    "ColumnKind",
    "ColumnProfile",
    "HyperLogLog",
    "Profile",
    "QuantileSketch",
    "profile",
]
