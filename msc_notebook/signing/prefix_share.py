"""Sharing everything under a prefix with one link: `share_prefix` and its result, `PrefixShare`.

An S3 presigned URL covers exactly one object, so an S3 share is a *signed manifest*:
every object under the prefix is listed (ListObjectsV2, paged) and gets a GET URL, all
signed at one instant with one lifetime (`S3URLSigner.sign_many`, the bulk SigV4 path);
the URLs go into an fsspec ReferenceFileSystem manifest (version 1, whole-object
references), which is uploaded through our own presigned PUT and reached through one
presigned GET: that GET is the link. A recipient opens the dataset with fsspec and
zarr alone (`PrefixShare.storage_options`). The listing is a snapshot: objects added
later are not in the share.

The CloudFront signer needs no manifest: it signs the prefix as one wildcard policy, and
`share_prefix` returns that URL, so ``msc://profile/data.zarr/*`` shares a prefix with
either signer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from . import times
from .client import StorageClient, warned
from .credentials import CredentialStatus
from .errors import InvalidStorageURLError, PrefixShareError, SignerOptionError, UnsupportedProviderError
from .keys import check_object_key, is_prefix_share
from .options import DEFAULT_EXPIRES_IN, SignerType, check_expires_in
from .result import PresignedURL, SignerDetails
from .share_manifest import ManifestDestination, local_path, shares_dir
from .sharing import fsspec_storage_options, wildcard_base
from .shortcuts import storage_client
from .signer import URLSigner
from .storage_url import StorageURL, parse_storage_url

DEFAULT_MAX_OBJECTS = 100_000
SIGN_BATCH = 10_000  # URLs per sign_many call: the progress bar moves between batches
COUNT_CAP = 10  # past max_objects, listing goes on to count up to this many times it, then stops
PROGRESS_DELAY = 1.0  # seconds before a progress bar appears when not asked for: quick shares stay quiet


@dataclass(frozen=True)
class PrefixShareDetails(SignerDetails):
    """Where an S3 share's manifest is, and which credentials signed its URLs."""

    manifest_location: str  # msc://profile/.msc_notebook/shares/NAME.json, or file:///path
    credential_source: str


class PrefixShare(PresignedURL):
    """One link to everything under a prefix (a `PresignedURL` for GET: the link), with what it covers.

    S3: the link is a presigned GET of the manifest; ``urls`` maps each key (relative to
    the prefix, in listing order) to its presigned URL and ``manifest`` is the manifest
    itself. CloudFront: the link is the wildcard-policy URL; ``count``, ``total_bytes``,
    ``urls`` and ``manifest`` are None, since it covers whatever is under the prefix when
    it is used. The expiry facts are `PresignedURL`'s: ``effective_expiry`` is capped by
    the signing credentials.
    """

    def __new__(
        cls,
        link: str,
        *,
        count: int | None = None,
        total_bytes: int | None = None,
        urls: dict[str, str] | None = None,
        manifest: dict[str, Any] | None = None,
        **signed: Any,
    ) -> PrefixShare:
        """``signed``: `PresignedURL`'s keywords (``method`` is GET unless given)."""
        self = super().__new__(cls, link, **{"method": "GET", **signed})
        self.count = count
        self.total_bytes = total_bytes
        self.urls = urls
        self.manifest = manifest
        return self

    @classmethod
    def from_wildcard(cls, url: PresignedURL) -> PrefixShare:
        """The share a CloudFront wildcard-policy URL makes."""
        return cls(str(url), **url._fields())

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "count": self.count, "total_bytes": self.total_bytes,
                "urls": self.urls, "manifest": self.manifest}  # fmt: skip

    @property
    def has_manifest(self) -> bool:
        return self.manifest is not None

    @property
    def fsspec_url(self) -> str:
        """What to open with fsspec or zarr, with `storage_options`."""
        return "reference://" if self.has_manifest else wildcard_base(self)

    def storage_options(self) -> dict[str, Any]:
        """fsspec storage options that open the share with nothing but the link.

        S3: fsspec's ReferenceFileSystem reads the manifest; zarr 3 needs the async flags.
        A manifest written to a local file is named by its path (send the file along).
        """
        if not self.has_manifest:
            return fsspec_storage_options(self)
        first = next(iter(self.urls.values()))
        link = str(self)
        if link.startswith("file://"):
            link = local_path(link).name  # the recipient has the file they were sent, not this path
        return {
            "fo": link,
            "remote_protocol": urlsplit(first).scheme,
            "asynchronous": True,
            "remote_options": {"asynchronous": True},
        }

    def url_list(self, *, aria2c: bool = False) -> str:
        """Every object's URL, one a line, for ``wget -i`` or ``curl``; with ``aria2c``,
        aria2c's input format, where each URL is followed by the path to save it as."""
        if self.urls is None:
            raise SignerOptionError(
                "a CloudFront share is one wildcard URL, not a list of URLs; append its query "
                "string to each object URL (msc_notebook.object_url)",
                field="signer_type",
            )
        if aria2c:
            return "".join(f"{url}\n  out={key}\n" for key, url in self.urls.items())
        return "".join(f"{url}\n" for url in self.urls.values())

    def __repr__(self) -> str:
        what = f"count={self.count}, total_bytes={self.total_bytes}, " if self.has_manifest else ""
        return (
            f"PrefixShare({str(self)!r}, source={self.source!r}, signer_type={self.signer_type!r}, "
            f"{what}effective_expiry={self.effective_expiry.isoformat()!r})"
        )


@runtime_checkable
class BulkSigner(Protocol):
    """A signer that signs many GET URLs at one instant (the S3 signer does)."""

    def credentials(self) -> CredentialStatus | None: ...

    def sign_many(self, paths: Iterable[str], *, expires_in: int, signed_at: datetime) -> list[str]: ...


def share_prefix(
    url: str | StorageURL,
    *,
    expires_in: int | None = None,
    signer_type: SignerType | str | None = None,
    signer_options: Mapping[str, Any] | None = None,
    manifest_url: str | None = None,
    max_objects: int = DEFAULT_MAX_OBJECTS,
    progress: bool | None = None,
    warn: bool = True,
) -> PrefixShare:
    """Share everything under ``msc://profile/prefix/*`` with one link.

    ``manifest_url``: where the S3 manifest goes (default: ``.msc_notebook/shares/`` at the
    profile's root); ``msc://profile/path.json`` (a path ending in ``/``: a new file in
    it), or ``file:///path/share.json`` to write it locally and send it yourself.
    ``max_objects``: more objects than this is an error. ``progress``: True always shows
    progress bars (tqdm), False never, None when the work takes over a second.
    ``signer_options`` as for `generate_presigned_url` (the CloudFront signer's options);
    ``expires_in`` wins over the one in them.
    """
    target = url if isinstance(url, StorageURL) else parse_storage_url(url)
    source = f"{target.scheme}://{target.profile}/{target.path}"
    _check_arguments(target, source, max_objects, signer_options)
    options = {**(signer_options or {}), **({"expires_in": expires_in} if expires_in is not None else {})}
    client = storage_client(target)
    signer = client.signer(signer_type)
    if signer.signer_type == SignerType.CLOUDFRONT.value:
        return warned(_wildcard_share(client, target, options, manifest_url), warn)
    lifetime = _manifest_share_lifetime(client, signer, source, options)
    destination = ManifestDestination.resolve(manifest_url, target, client)  # a bad manifest_url fails before listing
    prefix = target.path[:-1]  # "data.zarr/" or "" (the whole profile)
    keys, total_bytes = _list_prefix(client, prefix, shares_dir(client, prefix), source, max_objects, progress)
    share = _publish(signer, destination, source, prefix, keys, total_bytes, lifetime, progress)
    return warned(share, warn)


def _check_arguments(
    target: StorageURL, source: str, max_objects: object, signer_options: Mapping[str, Any] | None
) -> None:
    """Refuse what no signer can share, before any storage is touched."""
    if not is_prefix_share(target.path):
        raise InvalidStorageURLError(
            f"{source} names one object; to share everything under a prefix, end it with /* "
            f"(e.g. msc://{target.profile}/datasets/ocean.zarr/*)"
        )
    if isinstance(max_objects, bool) or not isinstance(max_objects, int) or max_objects < 1:
        raise SignerOptionError(
            f"max_objects must be a positive whole number, got {max_objects!r}", field="max_objects"
        )
    if signer_options is not None and not isinstance(signer_options, Mapping):
        raise SignerOptionError(f"signer_options must be a mapping, got {type(signer_options).__name__}")


def _wildcard_share(
    client: StorageClient, target: StorageURL, options: dict[str, Any], manifest_url: str | None
) -> PrefixShare:
    """The CloudFront share: the prefix signed as one wildcard policy, no manifest."""
    if manifest_url is not None:
        raise SignerOptionError(
            "a CloudFront share is one wildcard URL and has no manifest; drop manifest_url, "
            "or use the S3 signer for a manifest share",
            field="manifest_url",
        )
    wildcard = client.generate_presigned_url(
        target.path, signer_type=SignerType.CLOUDFRONT, signer_options=options, warn=False
    )
    return PrefixShare.from_wildcard(wildcard)


def _manifest_share_lifetime(client: StorageClient, signer: URLSigner, source: str, options: dict[str, Any]) -> int:
    """The URLs' lifetime for a manifest share, once the signer is known to sign in bulk."""
    if not isinstance(signer, BulkSigner):
        raise UnsupportedProviderError(
            f"{source}: sharing a prefix is available with the S3 signer (a signed manifest) and the "
            f"CloudFront signer (one wildcard URL), not with the {signer.signer_type} signer of "
            f"{client.config.provider_type!r} storage; sign the objects one by one instead"
        )
    unknown = sorted(set(options) - {"expires_in"})
    if unknown:
        raise SignerOptionError(
            f"a prefix share takes only expires_in as a signer option, not {unknown[0]!r}", field=unknown[0]
        )
    defaults = client.config.presign.get(signer.signer_type) or {}
    return check_expires_in(options.get("expires_in", defaults.get("expires_in", DEFAULT_EXPIRES_IN)))


def _list_prefix(
    client: StorageClient, prefix: str, manifests: str, source: str, max_objects: int, progress: bool | None
) -> tuple[list[str], int]:
    """The keys under ``prefix`` (relative to the profile, in listing order) and their total size,
    without folder markers and without the share manifests under ``manifests``."""
    keys: list[str] = []
    total_bytes = 0
    count = 0
    with _progress_bar(progress, f"listing {source}", None, " objects") as bar:
        for entry in client.list(prefix):
            key = entry.key
            if key.endswith("/") or key.startswith(manifests):
                continue  # folder markers hold no data; other shares' manifests are not shared onward
            count += 1
            bar.update(1)
            if count <= max_objects:
                keys.append(check_object_key(key, client.config.source_url(key)))
                total_bytes += entry.content_length or 0
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
    return keys, total_bytes


def _publish(
    signer: BulkSigner,
    destination: ManifestDestination,
    source: str,
    prefix: str,
    keys: list[str],
    total_bytes: int,
    expires_in: int,
    progress: bool | None,
) -> PrefixShare:
    """Sign every key at one instant, write the manifest, and make the link to it."""
    status = signer.credentials()  # refuses expired credentials before any URL is made
    signed_at = times.utcnow().replace(microsecond=0)  # X-Amz-Date has whole seconds
    urls: dict[str, str] = {}
    with _progress_bar(progress, f"signing {len(keys):,} URLs", len(keys), " URLs") as bar:
        for start in range(0, len(keys), SIGN_BATCH):
            batch = keys[start : start + SIGN_BATCH]
            signed = signer.sign_many(batch, expires_in=expires_in, signed_at=signed_at)
            urls.update(zip((key[len(prefix) :] for key in batch), signed, strict=True))
            bar.update(len(batch))
    expiries = [status.expiry] if status is not None and status.expiry is not None else []
    manifest = {
        "version": 1,
        "refs": {key: [url] for key, url in urls.items()},
        # fsspec reads only "version", "refs", "templates" and "gen"; this part is for people.
        "msc_notebook": {
            "source": source,
            "created": signed_at.isoformat(),
            "expires": min([signed_at + timedelta(seconds=expires_in), *expiries]).isoformat(),
            "count": len(urls),
            "total_bytes": total_bytes,
        },
    }
    body = json.dumps(manifest, separators=(",", ":")).encode()  # ASCII: a compact str, whatever the keys
    link, manifest_status = destination.write(body, expires_in=expires_in, signed_at=signed_at)
    expiries += [manifest_status.expiry] if manifest_status is not None and manifest_status.expiry else []
    return PrefixShare(
        link,
        source=source,
        signer_type=SignerType.S3.value,
        signed_at=signed_at,
        expires_in=expires_in,
        credential_expiry=min(expiries, default=None),
        count=len(urls),
        total_bytes=total_bytes,
        urls=urls,
        manifest=manifest,
        details=PrefixShareDetails(destination.location, status.source if status else "none"),
    )


class _NoProgress:
    def update(self, _count: int) -> None:
        pass

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


def _progress_bar(progress: bool | None, description: str, total: int | None, unit: str):
    """A tqdm bar (a widget in a notebook, a line on a terminal), or nothing with ``progress=False``.

    tqdm.auto picks the form: one library for both places, imported only when a share is made.
    """
    if progress is False:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(desc=description, total=total, unit=unit, leave=False, delay=0 if progress else PROGRESS_DELAY)
