"""The terminal front end: the ``msc-notebook`` command (``presign``, ``profiles``, ``demo``)."""

from ._cli import main

__all__ = ["main"]
