"""The ``winnow`` command line, built on the public Python API."""

from winnow.cli.app import app, main

__all__ = ["app", "main"]
