"""Engines that run feature definitions in batch: DuckDB (embedded, the default).

An engine takes pure definitions (:class:`winnow.FeatureGroup`) and a spine and returns Arrow.
Optional engines import their heavy dependencies only inside their own module.
"""

from winnow.engines.duckdb import DuckDBEngine

__all__ = ["DuckDBEngine"]
