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
from ._manifest import ManifestDestination, shares_dir
from ._progress import progress_bar
from ._revoke import take_back
from ._share import ManifestShare, PrefixShare, PrefixShareDetails, WildcardShare

if TYPE_CHECKING:
    from .._client import StorageClient  # the client calls this module; it is only a type here

DEFAULT_MAX_OBJECTS = 100_000
SIGN_BATCH = 10_000  # URLs per sign_many call: the progress bar moves between batches
COUNT_CAP = 10  # past max_objects, listing goes on to count up to this many times it, then stops


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
) -> PrefixShare:
    """Share everything under ``path`` (a profile path ending in ``*``) of ``client``'s profile:
    what `StorageClient.share_prefix` does (see there)."""
    source = client.config.source_url(path)
    _check_arguments(path, source, client.profile, max_objects, signer_options, overwrite, revocable)
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
    entries = client.list(prefix) if inventory is None else _inventory_entries(client, inventory, prefix)
    keys, sizes = _list_prefix(client, entries, shares_dir(client, prefix), source, max_objects, progress)
    listing = Listing(source, prefix, keys, sizes)
    return _publish(bulk, signer.signer_type, destination, listing, lifetime, progress, overwrite, policies)


def _check_arguments(
    path: str,
    source: str,
    profile: str,
    max_objects: object,
    signer_options: Mapping[str, Any] | None,
    overwrite: object,
    revocable: object,
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
    client: StorageClient, entries: Iterable[ObjectMetadata], manifests: str, source: str, max_objects: int,
    progress: bool | None,
) -> tuple[list[str], list[int | None]]:
    """The keys ``entries`` lists (relative to the profile, in their order: a listing of the shared
    prefix, or an inventory report's) and their sizes, without folder markers and without the
    share manifests under ``manifests``."""
    keys: list[str] = []
    sizes: list[int | None] = []
    count = 0
    with progress_bar(progress, f"listing {source}", None, " objects") as bar:
        for entry in entries:
            key = entry.key
            if key.endswith("/") or key.startswith(manifests):
                continue  # folder markers hold no data; other shares' manifests are not shared onward
            count += 1
            bar.update(1)
            if count <= max_objects:
                keys.append(check_url_segments(key, client.config.source_url(key)))
                sizes.append(entry.content_length)
            elif count > max_objects * COUNT_CAP:
                break  # far too many: stop listing, the count says enough
    if count == 0:
        raise PrefixShareError(f"there is nothing under {source} to share: listing it finds no objects", field="path")
    if count > max_objects:
        how_many = f"more than {max_objects * COUNT_CAP:,}" if count > max_objects * COUNT_CAP else f"{count:,}"
        raise PrefixShareError(
            f"{source} holds {how_many} objects, more than max_objects ({max_objects:,}) for one manifest. "
            f"Share it through CloudFront instead (one wildcard URL: signer_type='cloudfront'), pack the "
            f"data into fewer objects (zarr sharding), or raise max_objects",
            field="path",
        )
    return keys, sizes


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


@dataclass(frozen=True)
class Listing:
    """What a share lists: keys relative to the profile, in listing order, and their sizes."""

    source: str  # msc://profile/prefix/*
    prefix: str  # "data.zarr/" (keys in the manifest are relative to it)
    keys: list[str]
    sizes: list[int | None]


def _publish(
    signer: BulkSigner,
    signer_type: str,
    destination: ManifestDestination,
    listing: Listing,
    expires_in: int,
    progress: bool | None,
    overwrite: bool,
    policies: RevocableSigner | None,
) -> PrefixShare:
    """Sign every key at one instant (naming a new access policy, if ``policies``), write the
    manifest, and make the link to it. A policy made for a share that then fails is deleted again."""
    status = signer.credentials()  # refuses expired credentials before any URL is made
    signed_at = times.utcnow().replace(microsecond=0)  # X-Amz-Date has whole seconds
    requested = signed_at + timedelta(seconds=expires_in)
    policy = policies.new_access_policy_id() if policies is not None else None
    expiries = [status.expiry] if status is not None and status.expiry is not None else []
    written: ManifestDestination | None = None
    try:  # a share that fails (Ctrl-C included) leaves neither its policy nor its manifest behind
        if policies is not None and policy is not None:
            policies.open_access_policy(policy, requested)
        sign = partial(policies.sign_many, access_policy=policy) if policies is not None else signer.sign_many
        urls = _sign_all(sign, listing, expires_in, signed_at, progress)
        facts = {"source": listing.source, "created": signed_at.isoformat(),
                 "expires": min([requested, *expiries]).isoformat(), "access_policy": policy}  # fmt: skip
        written, link, manifest_status = destination.write(
            partial(_manifest_body, urls, listing.sizes, facts),
            expires_in=expires_in,
            signed_at=signed_at,
            overwrite=overwrite,
            access_policy=policy,
        )
        if policies is not None and link.lower().startswith(("http://", "https://")):
            _wait_until_the_policy_applies(link, policies.access_policy_settle)
    except BaseException:
        if policies is not None and policy is not None:
            _take_back_quietly(policies, policy, written)
        raise
    destination = written
    expiries += [manifest_status.expiry] if manifest_status is not None and manifest_status.expiry else []
    share = ManifestShare(
        link,
        source=listing.source,
        signer_type=signer_type,
        signed_at=signed_at,
        expires_in=expires_in,
        credential_expiry=min(expiries, default=None),
        count=len(urls),
        total_bytes=sum(size or 0 for size in listing.sizes),
        remote_protocol=urlsplit(next(iter(urls.values()))).scheme,
        formats=data_formats(urls),
        details=PrefixShareDetails(destination.location, status.source if status else "none", policy),
    )  # the URLs are not kept: the share reads them back from its manifest when asked
    share._revoker = partial(take_back, destination.delete, partial(policies.close_access_policy, policy) if policies and policy else None)
    return share


def _sign_all(
    sign: Callable[..., list[str]], listing: Listing, expires_in: int, signed_at: datetime, progress: bool | None
) -> dict[str, str]:
    """Each key (relative to the prefix) and its URL, signed in batches so progress can move."""
    keys, prefix = listing.keys, listing.prefix
    urls: dict[str, str] = {}
    with progress_bar(progress, f"signing {len(keys):,} URLs", len(keys), " URLs") as bar:
        for start in range(0, len(keys), SIGN_BATCH):
            batch = keys[start : start + SIGN_BATCH]
            signed = sign(batch, expires_in=expires_in, signed_at=signed_at)
            urls.update(zip((key[len(prefix) :] for key in batch), signed, strict=True))
            bar.update(len(batch))
    return urls


def _manifest_body(urls: dict[str, str], sizes: list[int | None], facts: dict[str, Any], location: str) -> bytes:
    """The manifest, as written to ``location``: fsspec's reference format, plus facts for people
    and for `msc_notebook.revoke` (where it is, and the access policy its URLs name)."""
    manifest = {
        "version": 1,
        # [url, 0, size]: whole objects, with their sizes, so a partial read (a zarr shard's index at
        # its end) asks for an absolute range; Azure and Azurite refuse a suffix range ("bytes=-16").
        "refs": {key: [url, 0, size] if size else [url] for (key, url), size in zip(urls.items(), sizes, strict=True)},
        # fsspec reads only "version", "refs", "templates" and "gen"; this part is for people.
        "msc_notebook": {**facts, "count": len(urls), "total_bytes": sum(size or 0 for size in sizes),
                         "manifest": location},  # fmt: skip
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
