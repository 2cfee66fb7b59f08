"""How a sharded manifest lays out a share's keys: the part that the writer and the reader of
the shards (`shares._shards`, `shares._sharded_share`) must agree on.

A sharded manifest is fsspec's lazy Parquet reference format (`LazyReferenceMapper`, kerchunk's
``refs.N.parq``), which finds a chunk's reference by arithmetic, not by search: a key
``FIELD/CHUNK`` whose last part is whole numbers joined by dots (``3.7``) is chunk ``(3, 7)`` of
the directory ``FIELD``; its position is that index ravelled over the directory's chunk grid
(from ``FIELD/.zarray`` in ``.zmetadata``), and it is row ``position % RECORD_SIZE`` of
``FIELD/refs.{position // RECORD_SIZE}.parq``. Zarr v2 chunk keys (``temp/3.7``) have a real
``.zarray`` there. Zarr v3 keys (``temp/c/3/7``) are one-dimensional chunks of the directory
``temp/c/3``: the manifest gives each such directory a ``.zarray`` of its own (shape: the
largest index plus one, chunks of 1) that only the lookup reads.

Zarr metadata files (``zarr.json``, ``.zarray``, ``.zattrs``, ``.zgroup``, ``.zmetadata``) are
held inline in ``.zmetadata`` as JSON, as the format wants. Any other key has no place in it:
a share of such files stays one JSON manifest.

Every key sits under one root folder, `ROOT` of the share (the mapper cannot look up a key
with no ``/`` in it, such as a bare array's ``0.0``).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence

RECORD_SIZE = 10_000  # references a shard holds: kerchunk's default; a shard of SigV4 URLs is ~350 kB
METADATA_NAMES = frozenset({"zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"})


def chunk_index(name: str) -> tuple[int, ...] | None:
    """``(3, 7)`` for the chunk name ``3.7``; None for anything else. Only canonical numbers count
    (``07`` is not ``7``), so a key is rebuilt exactly from its index (`chunk_name`)."""
    parts = name.split(".")
    if not all(part.isascii() and part.isdigit() and (part == "0" or part[0] != "0") for part in parts):
        return None
    return tuple(int(part) for part in parts)


def chunk_name(index: Sequence[int]) -> str:
    return ".".join(map(str, index))


def is_metadata(key: str) -> bool:
    return key.rsplit("/", 1)[-1] in METADATA_NAMES


class ChunkDirectory:
    """The chunk keys of one directory (a field): their indices and sizes, kept as machine
    integers (24 bytes a key for 2-D chunks, not a Python string) until the shards are written."""

    def __init__(self, ndim: int) -> None:
        self.ndim = ndim
        self.indices = [array("q") for _ in range(ndim)]  # one array per dimension
        self.sizes = array("q")  # -1: size unknown

    def add(self, index: tuple[int, ...], size: int | None) -> None:
        for axis, value in enumerate(index):
            self.indices[axis].append(value)
        self.sizes.append(-1 if size is None else size)

    def __len__(self) -> int:
        return len(self.sizes)

    def observed_grid(self) -> list[int]:
        """The smallest chunk grid that holds every index seen."""
        return [max(values) + 1 for values in self.indices]


def grid_of(zarray: object) -> list[int] | None:
    """The chunk grid of a v2 ``.zarray`` (chunks along each axis), as the mapper computes it."""
    if not isinstance(zarray, dict):
        return None
    shape, chunks = zarray.get("shape"), zarray.get("chunks")
    if not isinstance(shape, list) or not isinstance(chunks, list) or len(shape) != len(chunks):
        return None
    if not all(isinstance(n, int) for n in shape) or not all(isinstance(n, int) and n > 0 for n in chunks):
        return None
    return [math.ceil(s / c) for s, c in zip(shape, chunks, strict=True)] or [1]


def lookup_zarray(grid: list[int]) -> dict[str, list[int]]:
    """The ``.zarray`` a directory without one gets, for the lookup only: its grid as the shape."""
    return {"shape": grid, "chunks": [1] * len(grid)}


def positions(grid: Sequence[int], indices: Sequence[Sequence[int]]) -> Iterator[int]:
    """Each chunk's position in the grid (row-major, as numpy's ravel_multi_index and the mapper)."""
    for index in zip(*indices, strict=True):
        position = 0
        for extent, value in zip(grid, index, strict=True):
            position = position * extent + value
        yield position


def index_at(grid: Sequence[int], position: int) -> tuple[int, ...]:
    """The chunk index at ``position`` of ``grid`` (the inverse of `positions`)."""
    index = []
    for extent in reversed(grid):
        position, value = divmod(position, extent)
        index.append(value)
    return tuple(reversed(index))


def shard_ref(refs_folder: str, directory: str, record: int) -> str:
    """Where the mapper looks for shard ``record`` of ``directory`` (as the recipient sees it), in
    the top-level manifest."""
    return f"{refs_folder}/{directory}/refs.{record}.parq"
