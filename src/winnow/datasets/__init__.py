"""Datasets: versioned, reproducible training sets with a manifest, lineage and a report.

A :class:`Dataset` (inputs, spine, features, labels, sampling, split) is defined once in a project
file; :func:`build` turns it into a directory of zstd Parquet files per split, ``manifest.json``
(whose content hash is the dataset id), ``lineage.parquet`` and a self-contained ``report.html``,
written atomically and byte-identical on rebuild. :func:`lineage` traces a row back to its
source, :func:`verify` checks the hashes, and :func:`baseline` trains reference models.
"""

from winnow.datasets.baseline import BaselineResult, baseline
from winnow.datasets.build import BuildResult, build
from winnow.datasets.definition import (
    POSITION,
    Dataset,
    Input,
    Labels,
    Sample,
    Spine,
    Split,
    load_dataset,
)
from winnow.datasets.leakage import LeakageCheck, LeakageReport, check_leakage
from winnow.datasets.lineage import lineage
from winnow.datasets.manifest import dataset_id, read_manifest
from winnow.datasets.verify import VerifyResult, verify

__all__ = [
    "POSITION",
    "BaselineResult",
    "BuildResult",
    "Dataset",
    "Input",
    "Labels",
    "LeakageCheck",
    "LeakageReport",
    "Sample",
    "Spine",
    "Split",
    "VerifyResult",
    "baseline",
    "build",
    "check_leakage",
    "dataset_id",
    "lineage",
    "load_dataset",
    "read_manifest",
    "verify",
]
