"""pyspark is optional: ``import winnow`` never loads it, and its absence gives a clear error."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        check=False, timeout=300,
    )


def test_import_winnow_and_a_duckdb_backfill_do_not_import_pyspark() -> None:
    result = _python(
        """
        import sys
        import pyarrow as pa
        import winnow as wn
        import winnow.backfill, winnow.engines, winnow.cli.features
        ts = pa.timestamp("us", tz="UTC")
        events = pa.table({"k": [1, 1], "ts": pa.array([0, 5], ts), "x": [1.0, 2.0]})
        group = wn.FeatureGroup("g", source=wn.EventSource(events, time="ts"), key="k",
                                features=[wn.Sum("x")])
        out = wn.backfill(pa.table({"k": [1], "ts": pa.array([9], ts)}), [group], time="ts")
        assert out["g__sum_x"].to_pylist() == [3.0], out
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j")))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_spark_engine_without_pyspark_names_the_extra() -> None:
    result = _python(
        """
        import sys
        import importlib.abc

        class HidePyspark(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "pyspark" or name.startswith("pyspark."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, HidePyspark())
        import pyarrow as pa
        import winnow as wn
        from winnow.errors import WinnowError
        ts = pa.timestamp("us", tz="UTC")
        events = pa.table({"k": [1], "ts": pa.array([0], ts)})
        group = wn.FeatureGroup("g", source=wn.EventSource(events, time="ts"), key="k",
                                features=[wn.Count()])
        try:
            wn.backfill(pa.table({"k": [1], "ts": pa.array([9], ts)}), [group], time="ts",
                        engine="spark")
        except WinnowError as exc:
            assert isinstance(exc, ImportError)
            print(exc)
        else:
            raise SystemExit("no error without pyspark")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install winnow[spark]" in result.stdout
    assert "pyspark" in result.stdout
