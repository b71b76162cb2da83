"""Reading and writing data: file formats, schemas, quarantine, atomic writes, databases."""

from winnow.io.atomic import atomic_dir, atomic_path
from winnow.io.formats import FORMATS, detect_format, read_table, write_table

__all__ = [
    "FORMATS",
    "atomic_dir",
    "atomic_path",
    "detect_format",
    "read_table",
    "write_table",
]
