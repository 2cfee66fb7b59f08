"""`StorageClient`: MSC's presign API for one profile, plus listing in MSC's `list` shape."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .core._config import StorageClientConfig
from .core._errors import CredentialExpiryWarning, InvalidStorageURLError, SignerOptionError
from .core._listing import PAGE_SIZE, ListingPage, ObjectMetadata, every_entry
from .core._multipart import MultipartUpload
from .core._options import DEFAULT_EXPIRES_IN, SignerType, check_expires_in, check_method, check_option_names
from .core._post import PostTerms, PresignedPost
from .core._result import ExpiryFacts, PresignedURL, SignedCookies
from .core._signer import MultipartSigner, PostSigner, SigningRequest, URLSigner, native_signer_class, signer_class
from .core._storage_url import object_path

if TYPE_CHECKING:
    from .shares._share import PrefixShare

LIST_PAGE_SIZE = PAGE_SIZE  # S3's own maximum per ListObjectsV2 call


class StorageClient:
    """Signs URLs for the objects of one profile. Signers (and their storage clients) are reused."""

    def __init__(self, config: StorageClientConfig) -> None:
        self._config = config
        self._signers: dict[type[URLSigner], URLSigner] = {}
        self._lock = threading.Lock()

    @property
    def config(self) -> StorageClientConfig:
        return self._config

    @property
    def profile(self) -> str:
        return self._config.profile

    def generate_presigned_url(
        self,
        path: str,
        *,
        method: str = "GET",
        signer_type: SignerType | str | None = None,
        signer_options: Mapping[str, Any] | None = None,
        warn: bool = True,
    ) -> PresignedURL:
        """Sign ``path`` (relative to the profile) for ``method``; see the README for options.

        When the credentials expire before ``expires_in``, the result's
        ``effective_expiry`` tells the real end and (``warn``) a CredentialExpiryWarning
        says so; front ends that show the result's own warning pass ``warn=False``.
        """
        signer, request = self._prepare(path, method, signer_type, signer_options)
        return warned(signer.sign(request), warn)

    def generate_signed_cookies(
        self, path: str, *, signer_options: Mapping[str, Any] | None = None, warn: bool = True
    ) -> SignedCookies:
        """CloudFront signed cookies for ``path`` (``*`` wildcards allowed); see the README."""
        signer, request = self._prepare(path, "GET", SignerType.CLOUDFRONT, signer_options)
        return warned(signer.sign_cookies(request), warn)

    def generate_presigned_post(
        self,
        path: str,
        *,
        max_size: int | str | None = None,
        min_size: int | str = 0,
        content_type: str | None = None,
        expires_in: int | None = None,
        signer_type: SignerType | str | None = None,
        warn: bool = True,
    ) -> PresignedPost:
        """An upload policy for ``path`` (relative to the profile): one key, or with a trailing
        ``/*`` a drop box where the uploader picks the file name under that prefix. ``max_size``
        (bytes, or ``"100MB"``, ``"2GiB"``; None: the storage's limit for one POST, 5 GiB on S3)
        and ``min_size`` bound the upload; ``content_type`` must then be exactly that. A drop box
        lets uploaders replace each other's files (a POST has no create-only condition)."""
        signer, request = self._prepare(path, "GET", signer_type, {} if expires_in is None else {"expires_in": expires_in})
        if not isinstance(signer, PostSigner):
            raise _no_post_policy(signer.signer_type)
        terms = PostTerms.check(request.path, request.source, max_size=max_size, min_size=min_size,
                                content_type=content_type, limit=signer.post_size_limit)  # fmt: skip
        if terms.drop_box:
            _refuse_drop_box_over_manifests(self, terms.path, request.source)
        lifetime = check_expires_in(request.options.get("expires_in", DEFAULT_EXPIRES_IN))
        post = signer.generate_presigned_post(
            terms.path, request.source, max_size=terms.max_size, min_size=terms.min_size,
            content_type=terms.content_type, expires_in=lifetime, drop_box=terms.drop_box,
            max_size_is_default=terms.max_size_is_default,
        )  # fmt: skip
        return warned(post, warn)

    def presign_multipart_upload(
        self,
        path: str,
        *,
        size: int | str,
        part_size: int | str | None = None,
        expires_in: int | None = None,
        content_type: str | None = None,
        warn: bool = True,
    ) -> MultipartUpload:
        """Create a multipart upload of ``size`` bytes (``"20GB"`` accepted) at ``path`` with the
        profile's credentials, and presign everything its uploader needs: a PUT per part (every
        part but the last ``part_size``; None: 8 MiB, doubled until at most 10,000 parts), the
        completion and the abort, all for one lifetime. Arguments are checked before anything is
        created; an unfinished upload costs storage until it is completed or aborted."""
        signer, request = self._prepare(path, "PUT", None, {} if expires_in is None else {"expires_in": expires_in})
        if not isinstance(signer, MultipartSigner):
            raise SignerOptionError(
                f"size: the {signer.signer_type} signer makes no multipart uploads"
                + ("; one PUT SAS already writes a blob of any size, in blocks" if signer.signer_type == "azure" else ""),
                field="size",
            )
        lifetime = check_expires_in(request.options.get("expires_in", DEFAULT_EXPIRES_IN))
        upload = signer.presign_multipart_upload(request.path, request.source, size=size, part_size=part_size,
                                                 expires_in=lifetime, content_type=content_type)  # fmt: skip
        return warned(upload, warn)

    def share_prefix(
        self,
        path: str,
        *,
        expires_in: int | None = None,
        signer_type: SignerType | str | None = None,
        signer_options: Mapping[str, Any] | None = None,
        manifest_url: str | None = None,
        max_objects: int | None = None,
        progress: bool | None = None,
        overwrite: bool = False,
        revocable: bool = False,
        inventory: str | None = None,
        sharded: bool | None = None,
        dask_client: Any = None,
        warn: bool = True,
    ) -> PrefixShare:
        """Share everything under ``path`` (relative to the profile, ending in ``*``) with one link.

        The S3 signer makes a signed manifest: every object listed, each signed for GET at
        one instant, the URLs written to an fsspec reference manifest, and the link is a
        presigned GET of it. ``manifest_url``: where the manifest goes (default:
        ``.msc_notebook/shares/`` at the profile's root); ``msc://profile/path.json`` (a
        path ending in ``/``: a new file in it), or ``file:///path/share.json`` to write it
        locally and send it yourself. The CloudFront signer signs the prefix as one wildcard
        URL. ``max_objects``: more objects than this is an error (default 10,000,000).
        ``progress``: True always shows progress bars (tqdm), False never, None when the work
        takes over a second. ``overwrite``: replace a manifest that exists at ``manifest_url``
        (never without it: an existing object or file is left as it is, and the share fails
        before any link is handed out). ``signer_options`` as for `generate_presigned_url`;
        ``expires_in`` wins over the one in them. ``revocable`` (Azure, with the account key):
        every URL of the share, the link included, names one container stored access policy,
        so ``share.revoke()`` makes them all refused at once (Azure allows 5 per container).
        ``inventory`` (S3): ``msc://PROFILE/.../manifest.json`` of an S3 Inventory report of this
        bucket, read instead of listing (no ListObjectsV2 call); an InventoryAgeWarning says how old it is.
        ``sharded``: a share of more than 100,000 objects (None: by size; True: always) of a Zarr store
        is written as fsspec's lazy Parquet references, in shards beside the manifest, which the
        recipient reads only as far as it needs (``pip install fastparquet`` there); False keeps one
        JSON manifest, which each recipient downloads and loads whole. ``dask_client`` (S3; a
        ``distributed.Client``): list, sign and write the shards as Dask tasks, one a sub-prefix;
        the manifest is the same as the local engine's, always sharded.
        """
        # The share code is imported on first share, as backends are on first use.
        from .shares._share_prefix import DEFAULT_MAX_OBJECTS, share_prefix

        share = share_prefix(
            self,
            object_path(path) if isinstance(path, str) else path,
            expires_in=expires_in,
            signer_type=signer_type,
            signer_options=signer_options,
            manifest_url=manifest_url,
            max_objects=DEFAULT_MAX_OBJECTS if max_objects is None else max_objects,
            progress=progress,
            overwrite=overwrite,
            revocable=revocable,
            inventory=inventory,
            sharded=sharded,
            dask_client=dask_client,
        )
        return warned(share, warn)

    def list(self, path: str = "", *, include_directories: bool = False) -> Iterator[ObjectMetadata]:
        """Every object under the prefix ``path`` (MSC's ``StorageClient.list``), page by page.

        With ``include_directories`` it lists one level: objects directly under ``path``
        and its sub-prefixes (``type == "directory"``, key ending in ``/``).
        """
        return every_entry(self.list_page, path, delimiter=include_directories, page_size=LIST_PAGE_SIZE)

    def list_page(
        self, path: str = "", *, delimiter: bool = True, page_size: int = 100, token: str | None = None
    ) -> ListingPage:
        """One page of `list` (for a UI that shows a page at a time); ``token`` from the previous page."""
        signer = self._signer(native_signer_class(self._config))
        return signer.list_page(path, delimiter=delimiter, page_size=page_size, token=token)

    def _prepare(
        self, path: str, method: str, signer_type: Any, signer_options: Mapping[str, Any] | None
    ) -> tuple[URLSigner, SigningRequest]:
        """The checks every signer gets: path, signer type, method, option names."""
        self._config.check_signable()
        path = object_path(path) if isinstance(path, str) else path  # "/x" is "x", as in MSC
        if not isinstance(path, str) or not path:
            raise InvalidStorageURLError("path must be a non-empty object path such as 'datasets/model.bin'")
        signer_cls = signer_class(self._config, signer_type)
        method = check_method(method, signer_cls.methods, signer_cls.signer_type, signer_cls.method_hints)
        if signer_options is not None and not isinstance(signer_options, Mapping):
            raise SignerOptionError(f"signer_options must be a mapping, got {type(signer_options).__name__}")
        options = {**(self._config.presign.get(signer_cls.signer_type) or {}), **(signer_options or {})}
        check_option_names(options, signer_cls.option_names, signer_cls.signer_type)
        return self._signer(signer_cls), SigningRequest(path, method, options, self._config.source_url(path))

    def signer(self, signer_type: SignerType | str | None = None) -> URLSigner:
        """The (cached) signer of this profile for ``signer_type`` (None: the profile's native one)."""
        return self._signer(signer_class(self._config, signer_type))

    def _signer(self, signer_cls: type[URLSigner]) -> URLSigner:
        with self._lock:
            if signer_cls not in self._signers:
                self._signers[signer_cls] = signer_cls(self._config)
            return self._signers[signer_cls]

    def __repr__(self) -> str:
        return f"StorageClient(profile={self.profile!r}, provider={self._config.provider_type!r})"


def _refuse_drop_box_over_manifests(client: StorageClient, prefix: str, source: str) -> None:
    """Uploaders of a drop box can replace any key under it: never the manifests of shares, whose
    links would then hand out what an uploader wrote."""
    from .shares._manifest import shares_dir

    manifests = shares_dir(client, prefix)
    if manifests.startswith(prefix):
        raise SignerOptionError(
            f"{source}: a drop box there would let uploaders replace the manifests of shares "
            f"({client.config.source_url(manifests)}), and so what their links open; name a prefix for "
            f"uploads, e.g. msc://{client.profile}/inbox/*",
            field="path",
        )


def _no_post_policy(signer_type: str) -> SignerOptionError:
    """What a signer without upload policies offers instead."""
    instead = {
        "azure": "Azure has no POST policy, so no size limit, drop box or content type can be enforced on an upload; "
                 "a PUT SAS (method='PUT') lets the recipient write one blob, of any size (in blocks)",
        "cloudfront": "CloudFront signatures do not bind a method, so an upload through them is refused, as PUT is; "
                      "use the storage's own signer",
    }.get(signer_type, f"the {signer_type} signer cannot make upload policies")
    return SignerOptionError(f"method POST: {instead}", field="method")


Signed = TypeVar("Signed", bound=ExpiryFacts)


def warned(result: Signed, warn: bool) -> Signed:
    """``result``, after a CredentialExpiryWarning if ``warn`` and its credentials cut it short.

    Call it from the public function itself: the warning points at the caller's line.
    """
    if warn and result.warning:
        warnings.warn(result.warning, CredentialExpiryWarning, stacklevel=3)
    return result
