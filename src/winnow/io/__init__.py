"""Reading and writing data: file formats, schemas, inference, quarantine, atomic writes.

:func:`read` is the ingest entry point (schema check + quarantine, counts always reported);
:func:`read_table` / :func:`write_table` read and write any supported format through Arrow;
:class:`Schema` declares columns and :func:`infer_schema` derives one from data.
"""

from winnow.io.atomic import atomic_dir, atomic_path
from winnow.io.formats import FORMATS, detect_format, read_table, write_table
from winnow.io.inference import InferredSchema, Widening, infer_schema
from winnow.io.ingest import IngestResult, read
from winnow.io.quarantine import QUARANTINE_SCHEMA
from winnow.io.schema import Field, Schema

__all__ = [
    "FORMATS",
    "QUARANTINE_SCHEMA",
    "Field",
    "InferredSchema",
    "IngestResult",
    "Schema",
    "Widening",
    "atomic_dir",
    "atomic_path",
    "detect_format",
    "infer_schema",
    "read",
    "read_table",
    "write_table",
]
