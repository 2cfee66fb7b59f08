"""A sharded manifest share (`shares._shards` writes it): the recipient's fsspec reads its
top-level manifest through the link, then only the shards it touches; ``urls`` does the same
here, one shard at a time (`ShardedURLs`), so a share of millions of objects is never held
in memory whole."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import ItemsView, Iterator, Mapping
from functools import lru_cache
from typing import Any, Self

from ..core._fetch import read_url
from ._shard_layout import RECORD_SIZE, chunk_index, chunk_name, grid_of, index_at, positions, shard_ref
from ._shards import FILES_FOLDER, REFS_FOLDER, parquet_module
from ._share import ManifestShare


class ShardedManifestShare(ManifestShare):
    """A `ManifestShare` whose manifest is fsspec's lazy Parquet reference format behind a
    top-level reference manifest (the link): ``fsspec_url`` is ``reference://ROOT`` and
    `storage_options` name the link as the shards' own file system. ``manifest`` is the top
    level; ``urls`` is a lazy mapping that reads one shard at a time."""

    root: str  # the folder the recipient opens (reference://ROOT)
    _urls: ShardedURLs | None

    def __new__(cls, link: str, *, root: str, **manifest_share: Any) -> Self:
        """``manifest_share``: `ManifestShare`'s keywords."""
        self = super().__new__(cls, link, **manifest_share)
        self.root = root
        self._urls = None
        return self

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "root": self.root}

    @property
    def fsspec_url(self) -> str:
        return f"reference://{self.root}"

    def storage_options(self) -> dict[str, Any]:
        """The shards are read lazily (``fo`` a folder) from a reference file system over the link."""
        return {
            "fo": REFS_FOLDER + "/",
            "target_protocol": "reference",
            "target_options": {"fo": str(self), "remote_protocol": self.remote_protocol},
            "remote_protocol": self.remote_protocol,
            "asynchronous": True,
            "remote_options": {"asynchronous": True},
        }

    @property
    def urls(self) -> ShardedURLs:  # type: ignore[override]  # a lazy mapping, not a dict
        manifest = self.manifest  # fetched once, under the share's lock
        with self._load_lock:
            if self._urls is None:
                self._urls = ShardedURLs(manifest["refs"], self.root, self.count or 0, what=f"the share of {self.source}")
            return self._urls

    def _sample(self, count: int) -> list[tuple[str, str]]:
        return self.urls.spread(count)


class ShardedURLs(Mapping[str, str]):
    """Each key of a sharded share (relative to the shared prefix) and its URL, read from the
    shards on demand: iterating reads them in order, one at a time; a lookup reads the one shard
    that holds the key (the last few are kept)."""

    def __init__(self, refs: Mapping[str, Any], root: str, count: int, *, what: str) -> None:
        self._files: dict[str, str] = {
            key[len(FILES_FOLDER) + 1 :]: value[0] for key, value in refs.items() if key.startswith(FILES_FOLDER + "/")
        }
        self._shards: dict[str, str] = {key: value[0] for key, value in refs.items() if key.endswith(".parq")}
        self._metadata: dict[str, Any] = json.loads(refs[f"{REFS_FOLDER}/.zmetadata"])["metadata"]
        self._root = root
        self._count = count
        self._what = what
        self._lock = threading.Lock()
        self._rows = lru_cache(maxsize=4)(self._read_rows)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self._stream())

    def items(self) -> ItemsView[str, str]:
        return _StreamedItems(self)

    def __getitem__(self, key: str) -> str:
        if key in self._files:
            return self._files[key]
        directory, _, name = key.rpartition("/")
        index = chunk_index(name)
        mapped = f"{self._root}/{directory}" if directory else self._root
        grid = grid_of(self._metadata.get(f"{mapped}/.zarray"))
        if index is None or grid is None or len(index) != len(grid) or any(i >= n for i, n in zip(index, grid, strict=True)):
            raise KeyError(key)
        position = next(positions(grid, [[i] for i in index]))
        url = self._shards.get(shard_ref(REFS_FOLDER, mapped, position // RECORD_SIZE))
        found = self._rows(url)[position % RECORD_SIZE] if url is not None else None
        if found is None:
            raise KeyError(key)
        return str(found)

    def spread(self, count: int) -> list[tuple[str, str]]:
        """Up to ``count`` (key, URL) pairs: the first of shards spread over the share."""
        refs = list(self._shards)
        picked = dict.fromkeys(refs[round(i * (len(refs) - 1) / max(count - 1, 1))] for i in range(min(count, len(refs))))
        return [next(self._shard_items(ref)) for ref in picked]

    def _stream(self) -> Iterator[tuple[str, str]]:
        yield from self._files.items()
        for ref in self._shards:
            yield from self._shard_items(ref)

    def _shard_items(self, ref: str) -> Iterator[tuple[str, str]]:
        mapped, _, name = ref[len(REFS_FOLDER) + 1 :].rpartition("/")
        record = int(name.split(".")[1])  # refs.N.parq
        grid = grid_of(self._metadata[f"{mapped}/.zarray"])
        assert grid is not None  # the manifest gives every chunk directory a grid
        directory = mapped[len(self._root) + 1 :]
        folder = f"{directory}/" if directory else ""
        for row, url in enumerate(self._rows(self._shards[ref])):
            if url is not None:
                yield folder + chunk_name(index_at(grid, record * RECORD_SIZE + row)), url

    def _read_rows(self, url: str) -> list[str | None]:
        pq = parquet_module()
        with self._lock:  # one download of a shard at a time, however many threads ask
            body = read_url(url, what=f"a shard of {self._what}")
        rows: list[str | None] = pq.read_table(io.BytesIO(body), columns=["path"]).column("path").to_pylist()
        return rows


class _StreamedItems(ItemsView[str, str]):
    """``urls.items()``, streamed shard by shard (not a lookup a key)."""

    _mapping: ShardedURLs

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self._mapping._stream()
