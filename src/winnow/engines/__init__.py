"""Engines that run feature definitions in batch: DuckDB (embedded, the default) and Spark.

An engine takes pure definitions (:class:`winnow.FeatureGroup`) and a spine and returns Arrow.
Optional engines import their heavy dependencies only inside their own module: the Spark engine
is :mod:`winnow.engines.spark` (``pip install winnow[spark]``), which this package does not
import; ``wn.backfill(..., engine="spark")`` loads it when asked.
"""

from winnow.engines._errors import EngineMemoryError
from winnow.engines._optional import MissingDependencyError
from winnow.engines.duckdb import DuckDBEngine

__all__ = ["DuckDBEngine", "EngineMemoryError", "MissingDependencyError"]
