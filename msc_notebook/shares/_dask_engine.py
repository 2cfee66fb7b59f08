"""Sharing through Dask, when one machine lists too slowly: ``share_prefix(..., dask_client=client)``.

The driver (the notebook) splits the key space by delimiter listings, breadth first, into
sub-prefixes, until there are enough parts for the cluster (`PARTS_PER_WORKER` a worker);
the objects directly in the levels it visited (a store's ``zarr.json`` files) are its own
part. Each other part is one task: it lists its sub-prefix, signs every key at the share's one
instant and writes its shards (`shares._shards.write_part`), and sends back a `ShardedPart`,
never a URL. The driver writes the top level from those, in the same order as the local
engine, so the manifest is the same, byte for byte, for the same instant and listing.

A directory's chunks are all under one sub-prefix, so no shard is split between tasks. A
directory of millions of chunks directly under a visited level (Zarr v2 with '.' keys) is
listed by the driver alone: nothing to split it by without a first listing.

The credentials travel once, frozen and scattered (`FreezableSigner.freeze`): never in a
task's key, name or arguments, so not on the dashboard or in logs; a worker thaws them into a
signer that reads no config or credential file. A retried task writes the same shards again,
over its own (the same instant gives the same bytes, in the share's own new folder).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core._errors import PrefixShareError, SignerOptionError
from ..core._keys import check_url_segments
from ..core._listing import ObjectMetadata, every_entry
from ..core._signer import FreezableSigner, FrozenSigner
from ._progress import progress_bar
from ._shards import ChunkListing, ShardedPart, ShardFolder, Sign, delete_shards, sign_at, write_part

PARTS_PER_WORKER = 8  # parts a worker: enough that one slow part does not hold the cluster up
MAX_LEVELS = 8  # delimiter levels the driver descends at most to find parts
TASK_RETRIES = 2  # a task whose worker died runs again (its output is the same)
CANCEL_WAIT = 30.0  # seconds a failed share waits for running tasks before deleting their shards


def check_dask_client(dask_client: object, signer: object, source: str) -> FreezableSigner:
    """The signer, known to travel to workers, and a client that is a ``distributed.Client``."""
    try:
        from distributed import Client
    except ImportError:
        raise SignerOptionError(
            "dask_client needs Dask's distributed scheduler: pip install 'msc-notebook[dask]'", field="dask_client"
        ) from None
    if not isinstance(dask_client, Client):
        raise SignerOptionError(
            f"dask_client must be a distributed.Client (e.g. Client(LocalCluster())), got {type(dask_client).__name__}",
            field="dask_client",
        )
    if not isinstance(signer, FreezableSigner):
        raise SignerOptionError(
            f"{source}: the Dask engine shares S3 profiles; this profile's signer cannot be sent to workers. "
            f"Drop dask_client (the local engine shares it)",
            field="dask_client",
        )
    return signer


@dataclass
class DaskListing:
    """A share listed, signed and sharded by Dask tasks (see the module): it lists nothing
    until `write_parts`, which also counts."""

    dask_client: Any  # a distributed.Client
    signer: FreezableSigner
    source: str
    prefix: str
    manifests: str  # other shares' manifests, never shared onward
    max_objects: int
    count: int = 0
    total_bytes: int = 0
    sharded = True  # the Dask engine always writes a sharded manifest

    def write_parts(
        self, *, sign: Sign, expires_in: int, signed_at: datetime, root: str, folder: ShardFolder, progress: bool | None
    ) -> list[ShardedPart]:
        """List, sign and shard every part (one a task, the visited levels' objects here); a
        failure (Ctrl-C included) cancels the rest and deletes every shard written."""
        from distributed import as_completed, wait

        frozen = self.signer.freeze()
        here = _Part(ChunkListing(), 0, 0)  # the objects directly in the levels the driver visits
        subprefixes = self._discover(len(self.dask_client.scheduler_info()["workers"]) * PARTS_PER_WORKER, here)
        futures: list[Any] = []
        try:
            scattered = self.dask_client.scatter(frozen, broadcast=True, hash=False)
            run = secrets.token_hex(4)  # task keys name the share's run, nothing of its contents
            futures = [
                self.dask_client.submit(
                    _share_part, scattered, sub, prefix=self.prefix, manifests=self.manifests, root=root,
                    folder=folder.path, expires_in=expires_in, signed_at=signed_at,
                    key=f"msc-notebook-share-{run}-{number}", retries=TASK_RETRIES, pure=False,
                )  # fmt: skip
                for number, sub in enumerate(subprefixes)
            ]
            parts = [write_part(here.chunks, prefix=self.prefix, root=root, sign=sign, writer=folder.writer,
                                folder=folder.path)]  # fmt: skip
            parts[0].count, parts[0].total_bytes = here.count, here.total_bytes
            with progress_bar(progress, f"sharing {self.source} on Dask", None, " URLs") as bar:
                bar.update(here.count)
                for done, future in enumerate(as_completed(futures), 1):
                    part = future.result()
                    parts.append(part)
                    bar.update(part.count)
                    bar.set_postfix_str(f"{done}/{len(futures)} tasks")
            self.count = sum(part.count for part in parts)
            self.total_bytes = sum(part.total_bytes for part in parts)
            self._check_count()
            return parts
        except BaseException:
            self.dask_client.cancel(futures)
            wait(futures, timeout=CANCEL_WAIT)  # a running task may still be writing its shards
            _empty(folder)
            raise

    def _discover(self, wanted: int, here: _Part) -> list[str]:
        """The sub-prefixes to list as tasks: breadth first until there are ``wanted`` of them (or
        no level below); the objects directly in the levels visited go into ``here``."""
        level = [self.prefix]
        for _ in range(MAX_LEVELS):
            below: list[str] = []
            for prefix in level:
                for entry in every_entry(self.signer.list_page, prefix, delimiter=True):
                    if entry.type != "directory":
                        here.add(self.signer, entry, self.prefix, self.manifests)
                    elif entry.key != self.manifests:
                        below.append(entry.key)
            level = below
            if not level or len(level) >= wanted:
                break
        return level

    def _check_count(self) -> None:
        if self.count == 0:
            raise PrefixShareError(f"there is nothing under {self.source} to share: listing it finds no objects", field="path")
        if self.count > self.max_objects:
            raise PrefixShareError(
                f"{self.source} holds {self.count:,} objects, more than max_objects ({self.max_objects:,}); raise "
                f"max_objects, or pack the data into fewer objects (zarr sharding)",
                field="path",
            )


@dataclass
class _Part:
    """What a part's listing holds, as a sharded share takes it (chunk keys as integers)."""

    chunks: ChunkListing
    count: int
    total_bytes: int

    def add(self, signer: FreezableSigner, entry: ObjectMetadata, prefix: str, manifests: str) -> None:
        """Take one listed object; folder markers and other shares' manifests are left out."""
        key = entry.key
        if key.endswith("/") or key.startswith(manifests):
            return
        check_url_segments(key, signer.config.source_url(key))  # type: ignore[attr-defined]  # every signer has its config
        self.count += 1
        self.total_bytes += entry.content_length or 0
        self.chunks.add(key[len(prefix) :], entry.content_length)


def _share_part(
    frozen: FrozenSigner, subprefix: str, *, prefix: str, manifests: str, root: str, folder: str, expires_in: int,
    signed_at: datetime,
) -> ShardedPart:  # fmt: skip
    """One Dask task: list ``subprefix``, sign it at ``signed_at`` and write its shards."""
    signer = frozen.thaw()
    here = _Part(ChunkListing(), 0, 0)
    for entry in every_entry(signer.list_page, subprefix, delimiter=False):
        here.add(signer, entry, prefix, manifests)
    # overwrite: a retried task writes the same bytes again, in the share's own new folder
    part = write_part(here.chunks, prefix=prefix, root=root, sign=sign_at(signer.sign_many, expires_in, signed_at),
                      writer=signer, folder=folder, overwrite=True)  # fmt: skip
    part.count, part.total_bytes = here.count, here.total_bytes
    return part


def _empty(folder: ShardFolder) -> None:
    """Delete every shard in ``folder`` (a share that failed: whichever task wrote them)."""
    signer = folder.writer
    if isinstance(signer, FreezableSigner):
        delete_shards(signer, [entry.key for entry in every_entry(signer.list_page, folder.path, delimiter=False)])
