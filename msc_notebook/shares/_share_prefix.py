"""Sharing everything under a prefix with one link: the work behind `StorageClient.share_prefix`.

An S3, GCS or Azure presigned URL covers exactly one object, so such a share is a *signed
manifest*: every object under the prefix is listed (paged) and gets a read-only GET URL, all
signed at one instant with one lifetime (the signer's ``sign_many``: SigV4's bulk path, one
parsed GCS key, one Azure key); the URLs go into an fsspec ReferenceFileSystem manifest
(version 1, whole-object references), written create-only to the profile's own storage (or
``manifest_url``, or a local file) and reached through one presigned GET: that GET is the
link. A recipient opens the dataset with fsspec and zarr alone (`ManifestShare.storage_options`).
The listing is a snapshot: objects added later are not in the share.

The CloudFront signer needs no manifest: it signs the prefix as one wildcard policy, and
`share_prefix` returns that URL, so ``msc://profile/data.zarr/*`` shares a prefix with
either kind of signer.
"""

from __future__ import annotations

import itertools
import json
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..core import _times as times
from ..core._check import probe
from ..core._errors import (
    InvalidStorageURLError,
    InventoryAgeWarning,
    PrefixShareError,
    PresignError,
    ShareLinkWarning,
    SignerOptionError,
    UnsupportedProviderError,
)
from ..core._keys import check_url_segments, is_prefix_share
from ..core._listing import ObjectMetadata
from ..core._options import DEFAULT_EXPIRES_IN, SignerType, check_expires_in
from ..core._signer import BulkSigner, RevocableSigner, URLSigner
from ._contents import data_formats
from ._dask_engine import DaskListing, check_dask_client
from ._manifest import ManifestDestination, shares_dir
from ._progress import progress_bar
from ._revoke import take_back
from ._sharded_share import ShardedManifestShare
from ._shards import (
    SHARD_THRESHOLD,
    ChunkListing,
    ShardedPart,
    ShardFolder,
    Sign,
    delete_shards,
    shard_root,
    sign_at,
    top_level_refs,
    write_part,
)
from ._share import ManifestShare, PrefixShare, PrefixShareDetails, WildcardShare

if TYPE_CHECKING:
    from .._client import StorageClient  # the client calls this module; it is only a type here

DEFAULT_MAX_OBJECTS = 10_000_000  # a sharded share's memory and manifest grow slowly; see README
SIGN_BATCH = 10_000  # URLs per sign_many call: the progress bar moves between batches
COUNT_CAP = 10  # past max_objects, listing goes on to count up to this many times it ...
COUNT_BEYOND = 1_000_000  # ... or this many more, then stops


def share_prefix(
    client: StorageClient,
    path: str,
    *,
    expires_in: int | None = None,
    signer_type: SignerType | str | None = None,
    signer_options: Mapping[str, Any] | None = None,
    manifest_url: str | None = None,
    max_objects: int = DEFAULT_MAX_OBJECTS,
    progress: bool | None = None,
    overwrite: bool = False,
    revocable: bool = False,
    inventory: str | None = None,
    sharded: bool | None = None,
    dask_client: Any = None,
) -> PrefixShare:
    """Share everything under ``path`` (a profile path ending in ``*``) of ``client``'s profile:
    what `StorageClient.share_prefix` does (see there)."""
    source = client.config.source_url(path)
    _check_arguments(path, source, client.profile, max_objects, signer_options, overwrite, revocable, sharded)
    options = {**(signer_options or {}), **({"expires_in": expires_in} if expires_in is not None else {})}
    signer = client.signer(signer_type)
    if signer.signer_type == SignerType.CLOUDFRONT.value:
        if inventory is not None:
            raise SignerOptionError("a CloudFront share is one wildcard URL and lists nothing; drop inventory",
                                    field="inventory")  # fmt: skip
        return _wildcard_share(client, path, options, manifest_url, revocable)
    bulk, lifetime = _manifest_share_lifetime(client, signer, source, options)
    policies = _policy_signer(bulk, signer.signer_type, source) if revocable else None  # offline checks first
    destination = ManifestDestination.resolve(manifest_url, path, client)  # a bad manifest_url fails before listing
    if policies is not None:
        _check_policy_destination(destination, client)
        policies.reserve_access_policy()  # a full container fails before a long listing
    prefix = path[:-1]  # "data.zarr/" or "" (the whole profile)
    listing: Listing | DaskListing
    if dask_client is not None:
        listing = _dask_listing(dask_client, bulk, client, destination, source, prefix, max_objects, sharded, inventory)
    else:
        if sharded:
            destination.check_shards()  # a local manifest cannot have shards: said before listing
        entries = client.list(prefix) if inventory is None else _inventory_entries(client, inventory, prefix)
        listing = _list_prefix(client, entries, shares_dir(client, prefix), source, prefix, max_objects, progress, sharded)
    return _publish(bulk, signer.signer_type, destination, listing, lifetime, progress, overwrite, policies)


def _dask_listing(
    dask_client: object, signer: BulkSigner, client: StorageClient, destination: ManifestDestination, source: str,
    prefix: str, max_objects: int, sharded: bool | None, inventory: object,
) -> DaskListing:  # fmt: skip
    """The Dask engine's listing (nothing listed yet), after what it cannot do is refused."""
    for name, value, why in (
        ("sharded", sharded is False, "the Dask engine writes a sharded manifest; drop sharded=False or dask_client"),
        ("inventory", inventory is not None, "an inventory report is read here, not on Dask; drop one of them"),
        ("manifest_url", destination.client is not client, "Dask tasks write the shards with the shared profile's "
         "credentials, beside the manifest: keep the manifest on that profile (drop manifest_url)"),
    ):  # fmt: skip
        if value:
            raise SignerOptionError(why, field=name)
    destination.check_shards()
    freezable = check_dask_client(dask_client, signer, source)
    return DaskListing(dask_client, freezable, source, prefix, shares_dir(client, prefix), max_objects)


def _check_arguments(
    path: str,
    source: str,
    profile: str,
    max_objects: object,
    signer_options: Mapping[str, Any] | None,
    overwrite: object,
    revocable: object,
    sharded: object,
) -> None:
    """Refuse what no signer can share, before any storage is touched."""
    if not is_prefix_share(path):
        raise InvalidStorageURLError(
            f"{source} names one object; to share everything under a prefix, end it with /* "
            f"(e.g. msc://{profile}/datasets/ocean.zarr/*)"
        )
    check_url_segments(path[:-1], source)  # "data/../x/*" would list nothing and say only that
    for name, value in (("overwrite", overwrite), ("revocable", revocable)):
        if not isinstance(value, bool):
            raise SignerOptionError(f"{name} must be True or False, got {value!r}", field=name)
    if sharded is not None and not isinstance(sharded, bool):
        raise SignerOptionError(f"sharded must be True, False or None (by size), got {sharded!r}", field="sharded")
    if isinstance(max_objects, bool) or not isinstance(max_objects, int) or max_objects < 1:
        raise SignerOptionError(
            f"max_objects must be a positive whole number, got {max_objects!r}", field="max_objects"
        )
    if signer_options is not None and not isinstance(signer_options, Mapping):
        raise SignerOptionError(f"signer_options must be a mapping, got {type(signer_options).__name__}")


def _wildcard_share(
    client: StorageClient, path: str, options: dict[str, Any], manifest_url: str | None, revocable: bool
) -> PrefixShare:
    """The CloudFront share: the prefix signed as one wildcard policy, no manifest."""
    if revocable:
        raise SignerOptionError(
            "a CloudFront wildcard URL cannot be made revocable: only removing the key pair that signs it from "
            "the distribution's trusted key group takes it back; drop revocable",
            field="revocable",
        )
    if manifest_url is not None:
        raise SignerOptionError(
            "a CloudFront share is one wildcard URL and has no manifest; drop manifest_url, "
            "or use the storage's own signer for a manifest share",
            field="manifest_url",
        )
    wildcard = client.generate_presigned_url(
        path, signer_type=SignerType.CLOUDFRONT, signer_options=options, warn=False
    )
    prefix = path[:-1]
    return WildcardShare.with_lister(
        wildcard, lambda count: [e.key[len(prefix) :] for e in itertools.islice(_objects(client, prefix), count)]
    )


def _objects(client: StorageClient, prefix: str) -> Iterator[ObjectMetadata]:
    """The objects under ``prefix``, without folder markers."""
    return (entry for entry in client.list(prefix) if not entry.key.endswith("/"))


def _manifest_share_lifetime(
    client: StorageClient, signer: URLSigner, source: str, options: dict[str, Any]
) -> tuple[BulkSigner, int]:
    """The signer, known to sign in bulk, and the URLs' lifetime for a manifest share."""
    if not isinstance(signer, BulkSigner):
        raise UnsupportedProviderError(
            f"{source}: sharing a prefix is available with the S3, GCS and Azure signers (a signed manifest) and "
            f"the CloudFront signer (one wildcard URL), not with the {signer.signer_type} signer of "
            f"{client.config.provider_type!r} storage; sign the objects one by one instead"
        )
    unknown = sorted(set(options) - {"expires_in"})
    if unknown:
        raise SignerOptionError(
            f"a prefix share takes only expires_in as a signer option, not {unknown[0]!r}", field=unknown[0]
        )
    defaults = client.config.presign.get(signer.signer_type) or {}
    return signer, check_expires_in(options.get("expires_in", defaults.get("expires_in", DEFAULT_EXPIRES_IN)))


def _inventory_entries(client: StorageClient, inventory: object, prefix: str) -> Iterator[ObjectMetadata]:
    """The objects under ``prefix`` as an S3 Inventory report lists them (no listing at all); its age, said."""
    from ._inventory import inventory_objects

    if not isinstance(inventory, str) or not inventory.strip():
        raise SignerOptionError(
            f"inventory must be msc://PROFILE/.../manifest.json, an S3 Inventory report, got {inventory!r}",
            field="inventory",
        )
    facts, entries = inventory_objects(client, inventory.strip(), prefix)
    warnings.warn(f"the share lists what {facts.age_text()}", InventoryAgeWarning, stacklevel=4)
    return entries


def _list_prefix(
    client: StorageClient, entries: Iterable[ObjectMetadata], manifests: str, source: str, prefix: str,
    max_objects: int, progress: bool | None, sharded: bool | None,
) -> Listing:
    """What ``entries`` lists (a listing of the shared prefix, or an inventory report's, in its
    order), without folder markers and without the share manifests under ``manifests``: every key
    and size while the share may stay one JSON manifest, and the keys as shards need them
    (`ChunkListing`) while it may be sharded (past `SHARD_THRESHOLD` objects, unless ``sharded``
    says which)."""
    listing = Listing(source, prefix, [] if sharded is not True else None, [], ChunkListing() if sharded is not False else None)
    count_limit = max_objects + min(max_objects * (COUNT_CAP - 1), COUNT_BEYOND)
    with progress_bar(progress, f"listing {source}", None, " objects") as bar:
        for entry in entries:
            key = entry.key
            if key.endswith("/") or key.startswith(manifests):
                continue  # folder markers hold no data; other shares' manifests are not shared onward
            listing.count += 1
            bar.update(1)
            if listing.count > max_objects:
                if listing.count > count_limit:
                    break  # far too many: stop listing, the count says enough
                continue
            check_url_segments(key, client.config.source_url(key))
            listing.add(key, entry.content_length, sharded)
    if listing.count == 0:
        raise PrefixShareError(f"there is nothing under {source} to share: listing it finds no objects", field="path")
    if listing.count > max_objects:
        how_many = f"more than {count_limit:,}" if listing.count > count_limit else f"{listing.count:,}"
        raise PrefixShareError(
            f"{source} holds {how_many} objects, more than max_objects ({max_objects:,}). Share it through "
            f"CloudFront instead (one wildcard URL: signer_type='cloudfront'), pack the data into fewer objects "
            f"(zarr sharding), or raise max_objects",
            field="path",
        )
    return listing


@dataclass
class Listing:
    """What a share lists: keys relative to the profile, in listing order, and their sizes (None
    once the share is too large for one JSON manifest), and the keys as shards need them (None
    when it stays one JSON manifest)."""

    source: str  # msc://profile/prefix/*
    prefix: str  # "data.zarr/" (keys in the manifest are relative to it)
    keys: list[str] | None
    sizes: list[int | None]
    chunks: ChunkListing | None
    count: int = 0
    total_bytes: int = 0

    def add(self, key: str, size: int | None, sharded: bool | None) -> None:
        self.total_bytes += size or 0
        if self.keys is not None:
            self.keys.append(key)
            self.sizes.append(size)
            if sharded is None and self.count > SHARD_THRESHOLD:
                self.keys, self.sizes = None, []  # it will be sharded: the plain list is not kept
        if self.chunks is not None:
            self.chunks.add(key[len(self.prefix) :], size)

    @property
    def sharded(self) -> bool:
        return self.keys is None

    def write_parts(
        self, *, sign: Sign, expires_in: int, signed_at: datetime, root: str, folder: ShardFolder, progress: bool | None
    ) -> list[ShardedPart]:
        """The shards of what was listed, signed with ``sign``, written into ``folder``: one part."""
        assert self.chunks is not None  # a sharded listing keeps its keys as chunks
        with progress_bar(progress, f"signing {self.count:,} URLs into shards", self.count, " URLs") as bar:
            part = write_part(self.chunks, prefix=self.prefix, root=root, sign=sign, writer=folder.writer,
                              folder=folder.path, signed=bar.update)  # fmt: skip
        part.count, part.total_bytes = self.count, self.total_bytes
        return [part]


def _policy_signer(signer: BulkSigner, signer_type: str, source: str) -> RevocableSigner:
    """The signer, known to sign with a revocable access policy, checked without the network."""
    if not isinstance(signer, RevocableSigner):
        raise SignerOptionError(
            f"{source}: the {signer_type} signer's URLs cannot be revoked one share at a time (they depend only on "
            f"the credentials that signed them); drop revocable: share.revoke() still deletes the manifest, so the "
            f"link no longer opens, and the URLs inside live until they expire",
            field="revocable",
        )
    signer.check_revocable()
    return signer


def _check_policy_destination(destination: ManifestDestination, client: StorageClient) -> None:
    """A revocable share's link names the share's policy, which lives in the shared container."""
    if destination.client is not None and destination.client is not client:
        raise SignerOptionError(
            f"a revocable share keeps its manifest on profile {client.profile!r}, whose container holds the "
            f"share's access policy (the link names it); drop manifest_url, or write it to a local file",
            field="manifest_url",
        )


def _publish(
    signer: BulkSigner,
    signer_type: str,
    destination: ManifestDestination,
    listing: Listing | DaskListing,
    expires_in: int,
    progress: bool | None,
    overwrite: bool,
    policies: RevocableSigner | None,
) -> PrefixShare:
    """Sign every key at one instant (naming a new access policy, if ``policies``), write the
    manifest (and its shards, for a sharded share), and make the link to it. A share that fails
    (Ctrl-C included) leaves neither its policy, nor its shards, nor its manifest behind."""
    status = signer.credentials()  # refuses expired credentials before any URL is made
    signed_at = times.utcnow().replace(microsecond=0)  # X-Amz-Date has whole seconds
    requested = signed_at + timedelta(seconds=expires_in)
    policy = policies.new_access_policy_id() if policies is not None else None
    expiries = [status.expiry] if status is not None and status.expiry is not None else []
    written: ManifestDestination | None = None
    shards: _Shards | None = None
    try:
        if policies is not None and policy is not None:
            policies.open_access_policy(policy, requested)
        sign_many = partial(policies.sign_many, access_policy=policy) if policies is not None else signer.sign_many
        sign = sign_at(sign_many, expires_in, signed_at)
        facts: dict[str, Any] = {"source": listing.source, "created": signed_at.isoformat(),
                 "expires": min([requested, *expiries]).isoformat(), "access_policy": policy}  # fmt: skip
        if listing.sharded:
            folder = destination.shard_folder()
            # a revocable share's shards are on its own profile (checked), signed with its policy
            sign_shards = sign if policies is not None else sign_at(folder.writer.sign_many, expires_in, signed_at)
            root = shard_root(listing.prefix)
            shards = _Shards(folder, [], root)  # filled as parts are written: a failure after them deletes them
            parts = listing.write_parts(sign=sign, expires_in=expires_in, signed_at=signed_at, root=root, folder=folder,
                                        progress=progress)  # fmt: skip
            shards.paths.extend(path for part in parts for path in part.shards.values())
            refs = top_level_refs(parts, prefix=listing.prefix, root=root, sign=sign, sign_shards=sign_shards)
            facts |= {"layout": "sharded", "root": root, "shards": folder.location, "shard_count": len(shards.paths)}
            formats = data_formats(key for part in parts for key in part.files)
        else:
            assert isinstance(listing, Listing)  # only a local listing stays one JSON manifest
            refs = _single_refs(sign, listing, progress)
            formats = data_formats(refs)
        written, link, manifest_status = destination.write(
            partial(_manifest_body, refs, listing, facts),
            expires_in=expires_in,
            signed_at=signed_at,
            overwrite=overwrite,
            access_policy=policy,
        )
        if policies is not None and link.lower().startswith(("http://", "https://")):
            _wait_until_the_policy_applies(link, policies.access_policy_settle)
    except BaseException:
        if shards is not None:
            delete_shards(shards.folder.writer, shards.paths)
        if policies is not None and policy is not None:
            _take_back_quietly(policies, policy, written)
        raise
    expiries += [manifest_status.expiry] if manifest_status is not None and manifest_status.expiry else []
    shared: dict[str, Any] = dict(
        source=listing.source,
        signer_type=signer_type,
        signed_at=signed_at,
        expires_in=expires_in,
        credential_expiry=min(expiries, default=None),
        count=listing.count,
        total_bytes=listing.total_bytes,
        remote_protocol=urlsplit(_first_url(refs)).scheme,
        formats=formats,
        details=PrefixShareDetails(written.location, status.source if status else "none", policy),
    )  # the URLs are not kept: the share reads them back from its manifest when asked
    share = ManifestShare(link, **shared) if shards is None else ShardedManifestShare(link, root=shards.root, **shared)
    delete = written.delete if shards is None else partial(shards.delete_with, written.delete)
    close = partial(policies.close_access_policy, policy) if policies is not None and policy is not None else None
    share._revoker = partial(take_back, delete, close)
    return share


@dataclass(frozen=True)
class _Shards:
    """The shards a sharded share wrote, and the folder its recipient sees it under."""

    folder: ShardFolder
    paths: list[str]
    root: str

    def delete_with(self, delete_manifest: Callable[[], bool]) -> bool:
        """Delete the manifest (the link stops opening), then the shards; whether the manifest was there."""
        existed = delete_manifest()
        delete_shards(self.folder.writer, self.paths)
        return existed


def _single_refs(sign: Sign, listing: Listing, progress: bool | None) -> dict[str, list[Any]]:
    """One JSON manifest's references: each key (relative to the prefix) and its URL, signed in
    batches so progress can move. [url, 0, size]: whole objects, with their sizes, so a partial
    read (a zarr shard's index at its end) asks for an absolute range; Azure and Azurite refuse a
    suffix range ("bytes=-16")."""
    assert listing.keys is not None  # a share that stays one JSON manifest keeps its keys
    keys, sizes, prefix = listing.keys, listing.sizes, listing.prefix
    refs: dict[str, list[Any]] = {}
    with progress_bar(progress, f"signing {len(keys):,} URLs", len(keys), " URLs") as bar:
        for start in range(0, len(keys), SIGN_BATCH):
            batch = keys[start : start + SIGN_BATCH]
            for key, url, size in zip(batch, sign(batch), sizes[start : start + SIGN_BATCH], strict=True):
                refs[key[len(prefix) :]] = [url, 0, size] if size else [url]
            bar.update(len(batch))
    return refs


def _first_url(refs: Mapping[str, Any]) -> str:
    return str(next(value[0] for value in refs.values() if isinstance(value, list)))


def _manifest_body(refs: dict[str, Any], listing: Listing | DaskListing, facts: dict[str, Any], location: str) -> bytes:
    """The manifest, as written to ``location``: fsspec's reference format, plus facts for people
    and for `msc_notebook.revoke` (where it is, and the access policy its URLs name)."""
    manifest = {
        "version": 1,
        "refs": refs,
        # fsspec reads only "version", "refs", "templates" and "gen"; this part is for people.
        "msc_notebook": {**facts, "count": listing.count, "total_bytes": listing.total_bytes, "manifest": location},
    }
    return json.dumps(manifest, separators=(",", ":")).encode()  # ASCII: a compact str, whatever the keys


def _take_back_quietly(policies: RevocableSigner, policy: str, written: ManifestDestination | None) -> None:
    """Undo a revocable share that failed: its policy (one of 5 slots), then its manifest if written."""
    try:
        policies.close_access_policy(policy)
        if written is not None:
            written.delete()
    except PresignError:
        pass  # the share's own error is what the caller needs; the slot frees when the policy expires


def _wait_until_the_policy_applies(link: str, settle: float) -> None:
    """Azure may refuse a SAS that names a new policy for a while (up to 30 s): the link is fetched
    until it works, within ``settle`` seconds, so the share handed out already opens."""
    deadline = time.monotonic() + settle
    while True:
        found, _ = probe(link, "GET", "the link")
        if found.outcome != "refused" or found.status != 403 or time.monotonic() >= deadline:
            break
        time.sleep(1)
    if found.outcome != "works":
        warnings.warn(
            f"the share's link does not open yet ({found}); the storage may still be applying its access "
            f"policy: try share.check() in a minute",
            ShareLinkWarning,
            stacklevel=4,
        )
