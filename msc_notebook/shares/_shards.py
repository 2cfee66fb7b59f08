"""Writing a sharded manifest: a share of more objects than one JSON manifest serves well.

One JSON manifest is read whole by its recipient (fsspec loads a JSON ``fo`` in one piece):
at 1M objects that is 330 MB to fetch and 1.3 GB of memory before the first chunk. Past
`SHARD_THRESHOLD` objects a share of a Zarr store is written in fsspec's lazy Parquet
reference format instead (`shares._shard_layout` says how keys map to shards): shards of
`RECORD_SIZE` presigned URLs each, in a folder beside the manifest, and a small top-level
reference manifest (the link) that holds the Zarr metadata inline and a presigned URL for
each shard. The recipient's fsspec reads the top level, then only the shards it touches.

Memory stays bounded while sharing: the listing keeps chunk indices as machine integers
(`ChunkListing`), and URLs exist one shard at a time, signed as it is written.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..core._errors import PrefixShareError, PresignError
from ..core._fetch import read_url
from ..core._signer import ObjectWriter
from ._shard_layout import (
    RECORD_SIZE,
    ChunkDirectory,
    chunk_index,
    chunk_name,
    grid_of,
    is_metadata,
    lookup_zarray,
    positions,
    shard_ref,
)

SHARD_THRESHOLD = 100_000  # objects: up to this many a share stays one JSON manifest (~35 MB of SigV4 URLs)
REFS_FOLDER = "refs"  # the mapper's root in the top-level manifest (the recipient's ``fo``)
FILES_FOLDER = "files"  # the metadata files' own URLs, in the top-level manifest, for URL lists
SHARD_TYPE = "application/vnd.apache.parquet"
MAX_METADATA_BYTES = 16 * 1024 * 1024  # a Zarr metadata file held inline; consolidated metadata can be large

Sign = Callable[[list[str]], list[str]]  # storage paths -> URLs, all at the share's instant


@dataclass
class ChunkListing:
    """What a listing holds, as a sharded manifest needs it: chunk keys by directory (as integers),
    Zarr metadata files by key, and the first key that fits neither (a share that cannot be sharded)."""

    directories: dict[str, ChunkDirectory] = field(default_factory=dict)
    metadata: dict[str, int | None] = field(default_factory=dict)  # key (relative to the prefix) -> size
    misfit: str | None = None

    def add(self, key: str, size: int | None) -> None:
        """Take one key (relative to the shared prefix)."""
        if is_metadata(key):
            self.metadata[key] = size
            return
        directory, _, name = key.rpartition("/")
        index = chunk_index(name)
        if index is None:
            self.misfit = self.misfit or key
            return
        chunks = self.directories.setdefault(directory, ChunkDirectory(len(index)))
        if chunks.ndim != len(index):
            self.misfit = self.misfit or key  # 2-D and 3-D chunk names in one directory: not one array
            return
        chunks.add(index, size)


@dataclass(frozen=True)
class ShardFolder:
    """Where the shards go: a folder on storage, written create-only with ``writer``."""

    writer: ObjectWriter
    path: str  # under the writer's profile, ending in '/'
    location: str  # msc://profile/path, for messages and the manifest's facts


@dataclass
class ShardedPart:
    """What writing the shards of one part of a share (all of it, or one Dask task's) gives back:
    everything the top-level manifest needs, and never the URLs in the shards."""

    metadata: dict[str, Any] = field(default_factory=dict)  # key as the recipient sees it -> parsed JSON
    files: dict[str, int | None] = field(default_factory=dict)  # the metadata files (relative to the prefix) -> size
    lookups: dict[str, Any] = field(default_factory=dict)  # "<directory>/.zarray" for the lookup only
    shards: dict[tuple[str, int], str] = field(default_factory=dict)  # (directory, record) -> shard path
    count: int = 0  # objects, and their bytes, in this part
    total_bytes: int = 0


def write_part(
    listing: ChunkListing,
    *,
    prefix: str,
    root: str,
    sign: Sign,
    writer: ObjectWriter,
    folder: str,
    signed: Callable[[int], None] = lambda _count: None,
    overwrite: bool = False,
) -> ShardedPart:
    """Write every shard of ``listing`` (keys under ``prefix``, seen by the recipient under
    ``root``) into ``folder`` (a path, ending in '/', that ``writer`` writes); ``signed(n)`` after
    each directory's n chunks. Shards are written create-only unless ``overwrite``. A failure
    (Ctrl-C included) deletes the shards it wrote."""
    if listing.misfit is not None:
        raise PrefixShareError(
            f"{prefix}{listing.misfit} is neither a Zarr chunk nor Zarr metadata: a share of more than "
            f"{SHARD_THRESHOLD:,} objects is written as lazily read shards, which hold Zarr stores only. Share the "
            f"Zarr store's own prefix, share the rest in smaller prefixes, or pass sharded=False for one JSON "
            f"manifest that each recipient downloads and loads whole (about 350 bytes of memory an object)",
            field="path",
        )
    parquet = parquet_module()  # a missing pyarrow is said before anything is read or written
    part = ShardedPart(_inline_metadata(listing.metadata, prefix, root, sign), dict(listing.metadata))
    try:
        for directory in sorted(listing.directories):
            chunks = listing.directories.pop(directory)  # freed as it is written
            mapped = f"{root}/{directory}" if directory else root  # the directory as the recipient sees it
            grid = _grid(directory, chunks, part.metadata.get(f"{mapped}/.zarray"))
            if f"{mapped}/.zarray" not in part.metadata:
                part.lookups[f"{mapped}/.zarray"] = lookup_zarray(grid)
            name = hashlib.sha256(directory.encode()).hexdigest()[:20]  # the same whichever engine writes it
            for record, body in _shard_bodies(parquet, directory, chunks, grid, prefix, sign):
                path = f"{folder}{name}.{record}.parq"
                writer.write_object(path, body, content_type=SHARD_TYPE, overwrite=overwrite)
                part.shards[directory, record] = path
            signed(len(chunks))
    except BaseException:
        delete_shards(writer, list(part.shards.values()))
        raise
    return part


def top_level_refs(parts: list[ShardedPart], *, prefix: str, root: str, sign: Sign, sign_shards: Sign) -> dict[str, Any]:
    """The top-level manifest's references for a share written in ``parts``: the metadata inline
    and each shard's URL (``sign_shards``), in one order whatever the parts (so every engine
    writes the same bytes), and each metadata file's own URL (``sign``) for URL lists."""
    metadata = dict(sorted(item for part in parts for item in part.metadata.items()))
    lookups = dict(sorted(item for part in parts for item in part.lookups.items()))
    shards = dict(sorted(item for part in parts for item in part.shards.items()))
    files = dict(sorted(item for part in parts for item in part.files.items()))
    refs: dict[str, Any] = {
        f"{REFS_FOLDER}/.zmetadata": json.dumps(
            {"metadata": {**metadata, **lookups}, "record_size": RECORD_SIZE}, separators=(",", ":")
        )
    }
    urls = sign_shards(list(shards.values()))
    for (directory, record), url in zip(shards, urls, strict=True):
        refs[shard_ref(REFS_FOLDER, f"{root}/{directory}" if directory else root, record)] = [url]
    for (key, size), url in zip(files.items(), sign([prefix + key for key in files]), strict=True):
        refs[f"{FILES_FOLDER}/{key}"] = [url, 0, size] if size else [url]
    return refs


def delete_shards(writer: ObjectWriter, paths: list[str]) -> None:
    """Delete shards (a share that failed, or one taken back); what cannot be deleted now expires unused."""
    for path in paths:
        try:
            writer.delete_object(path)
        except PresignError:
            pass


def _inline_metadata(sizes: dict[str, int | None], prefix: str, root: str, sign: Sign) -> dict[str, Any]:
    """Every Zarr metadata file, read and parsed, under the recipient's ``root`` (the format holds them inline)."""
    keys = sorted(sizes)
    for key in keys:
        size = sizes[key]
        if size is not None and size > MAX_METADATA_BYTES:
            raise PrefixShareError(
                f"{prefix}{key} is {size:,} bytes: a sharded share holds Zarr metadata inline, up to "
                f"{MAX_METADATA_BYTES:,} bytes a file",
                field="path",
            )
    held: dict[str, Any] = {}
    for key, url in zip(keys, sign([prefix + key for key in keys]), strict=True):
        body = read_url(url, what=f"the Zarr metadata {prefix}{key}")
        try:
            held[f"{root}/{key}"] = json.loads(body)
        except ValueError:
            raise PrefixShareError(
                f"{prefix}{key} is not JSON, so it is not Zarr metadata: a sharded share holds Zarr stores only",
                field="path",
            ) from None
    return held


def _grid(directory: str, chunks: ChunkDirectory, zarray: object) -> list[int]:
    """The chunk grid the lookup uses: a v2 array's own (its ``.zarray``), else the smallest that
    holds every chunk."""
    observed = chunks.observed_grid()
    if zarray is None:
        return observed
    grid = grid_of(zarray)
    if grid is None or len(grid) != chunks.ndim or any(seen > extent for seen, extent in zip(observed, grid, strict=True)):
        raise PrefixShareError(
            f"the chunks under {directory}/ do not fit the chunk grid its .zarray describes ({grid}): the lazy "
            f"reference format could not find them; pass sharded=False",
            field="path",
        )
    return grid


def parquet_module() -> Any:
    """pyarrow.parquet, which writes and reads the shards; an error that says how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise PrefixShareError(
            f"a share of more than {SHARD_THRESHOLD:,} objects is written as Parquet shards, which needs pyarrow: "
            f"pip install 'msc-notebook[shards]' (or pass sharded=False for one JSON manifest)",
            field="sharded",
        ) from None
    return pq


def _shard_bodies(
    pq: Any, directory: str, chunks: ChunkDirectory, grid: list[int], prefix: str, sign: Sign
) -> Iterator[tuple[int, bytes]]:
    """Each shard of ``directory`` that holds a chunk, as (record number, Parquet bytes), written
    with ``pq`` (pyarrow.parquet). A shard's row is a chunk's position within it; rows of absent
    chunks stay null (zarr reads its fill value)."""
    import pyarrow as pa

    total = 1
    for extent in grid:
        total *= extent
    by_position = sorted(zip(positions(grid, chunks.indices), range(len(chunks)), strict=True))
    start = 0
    while start < len(by_position):
        record = by_position[start][0] // RECORD_SIZE
        end = start
        while end < len(by_position) and by_position[end][0] // RECORD_SIZE == record:
            end += 1
        rows = by_position[start:end]
        folder = f"{prefix}{directory}/" if directory else prefix
        keys = [folder + chunk_name([axis[i] for axis in chunks.indices]) for _, i in rows]
        length = min(RECORD_SIZE, total - record * RECORD_SIZE)
        paths: list[str | None] = [None] * length
        sizes = [0] * length
        for (position, i), url in zip(rows, sign(keys), strict=True):
            paths[position % RECORD_SIZE] = url
            sizes[position % RECORD_SIZE] = max(chunks.sizes[i], 0)
        table = pa.table({"path": pa.array(paths, pa.string()), "offset": pa.array([0] * length, pa.int64()),
                          "size": pa.array(sizes, pa.int64())})  # fmt: skip
        body = io.BytesIO()
        # A dictionary page that overflows makes fastparquet (the recipient's reader) return nulls
        # for later rows; one page for the whole shard avoids it. With a dictionary, it also reads
        # absent rows as None (plain strings come back as NaN under pandas 3, which fsspec cannot skip).
        pq.write_table(table, body, compression="zstd", dictionary_pagesize_limit=1 << 30,
                       write_statistics=["offset", "size"])  # fmt: skip
        yield record, body.getvalue()
        start = end


def shard_root(prefix: str) -> str:
    """The folder the recipient sees the share under: the shared prefix's own name where it is a
    plain one (``ocean.zarr``), else ``data``."""
    name = prefix.rstrip("/").rsplit("/", 1)[-1]
    plain = name and not name.startswith(".") and all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    return name if plain else "data"


def sign_at(sign_many: Callable[..., list[str]], expires_in: int, signed_at: datetime) -> Sign:
    """A `Sign` over a signer's ``sign_many``, at the share's one instant and lifetime."""
    return lambda paths: sign_many(paths, expires_in=expires_in, signed_at=signed_at) if paths else []
