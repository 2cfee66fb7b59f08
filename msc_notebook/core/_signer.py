"""`URLSigner`, the extension point, and the registry that picks one for a profile.

A backend implements ``sign``; :func:`register_signer` tells the library which
provider types it serves and whether it is their native signer. The core
(`StorageClient`) checks the method and option names against what the signer
declares before it is called, so every signer refuses typos the same way.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from ._errors import ConfigParseError, SignerOptionError, UnsupportedProviderError
from ._options import signer_type_name

if TYPE_CHECKING:
    from ._config import StorageClientConfig
    from ._listing import ListingPage
    from ._multipart import MultipartUpload
    from ._post import PresignedPost
    from ._result import CredentialStatus, PresignedURL, SignedCookies


@dataclass(frozen=True)
class SigningRequest:
    """One URL to sign, already checked by the core."""

    path: str  # object path under the profile, taken literally
    method: str  # upper case, one of the signer's `methods`
    options: Mapping[str, Any]  # only names in `option_names`; profile defaults merged in
    source: str  # how the user named the object (msc://profile/path)


class URLSigner(ABC):
    """Signs URLs for one backend (S3 SigV4, CloudFront, ...) and one profile."""

    signer_type: ClassVar[str]
    methods: ClassVar[tuple[str, ...]]
    option_names: ClassVar[frozenset[str]]
    # Why a method is not offered, for methods users will try (e.g. PUT on CloudFront).
    method_hints: ClassVar[dict[str, str]] = {}

    def __init__(self, config: StorageClientConfig) -> None:
        self.config = config

    def credentials(self) -> CredentialStatus | None:
        """The credentials this signer signs with and their expiry; None if nothing expires."""
        return None

    @abstractmethod
    def sign(self, request: SigningRequest) -> PresignedURL:
        """Sign one URL. Check option values first: raise a PresignError subclass,
        never return a URL, for anything that would not work."""

    def signed(self, url: str, request: SigningRequest, **facts: Any) -> PresignedURL:
        """The result for ``url``, made for ``request`` by this signer; ``facts``: signed_at,
        expires_in, credential_expiry, details."""
        from ._result import PresignedURL

        return PresignedURL(url, method=request.method, source=request.source, signer_type=self.signer_type, **facts)

    def sign_cookies(self, request: SigningRequest) -> SignedCookies:
        """Signed cookies for the request, where the backend has them (CloudFront does)."""
        raise SignerOptionError(
            f"signed cookies are a CloudFront feature; the {self.signer_type} signer makes URLs only",
            field="signer_type",
        )

    def list_page(self, prefix: str, *, delimiter: bool, page_size: int, token: str | None) -> ListingPage:
        """One page of what is under ``prefix`` (a profile path), for the native signer of a
        storage: it holds the client and credentials. ``delimiter``: one level, with sub-prefixes
        as directories; otherwise every object below, recursively."""
        raise UnsupportedProviderError(
            f"listing is not available for {self.config.provider_type!r} storage (profile {self.config.profile!r})"
        )



@runtime_checkable
class BulkSigner(Protocol):
    """A signer that signs many GET URLs at one instant (a share's objects: S3's does)."""

    def credentials(self) -> CredentialStatus | None: ...

    def sign_many(self, paths: Iterable[str], *, expires_in: int, signed_at: datetime) -> list[str]: ...


@runtime_checkable
class ObjectWriter(BulkSigner, Protocol):
    """A signer that also writes objects with its profile's credentials (a share's manifest)."""

    def write_object(self, path: str, body: bytes, *, content_type: str, overwrite: bool = False) -> None: ...

    def delete_object(self, path: str) -> bool: ...


@runtime_checkable
class FreezableSigner(ObjectWriter, Protocol):
    """A signer that can be sent to worker processes (a Dask share): ``freeze()`` is a picklable
    copy of its profile with the credentials it signs with now, whose ``thaw()`` is a signer that
    signs, lists and writes as this one does without reading the user's files."""

    def freeze(self) -> FrozenSigner: ...

    def list_page(self, prefix: str, *, delimiter: bool, page_size: int, token: str | None) -> ListingPage: ...


class FrozenSigner(Protocol):
    def thaw(self) -> FreezableSigner: ...


@runtime_checkable
class RevocableSigner(ObjectWriter, Protocol):
    """A signer whose URLs can depend on one access policy the storage holds (Azure's container
    stored access policies): deleting the policy revokes every URL that names it."""

    access_policy_settle: float  # seconds a new policy may take to apply (the storage says)

    def check_revocable(self) -> None:
        """Raise, without any network call, if these credentials cannot sign with a policy."""

    def reserve_access_policy(self) -> None:
        """Raise if the storage has no room for one more policy (checked before a long listing)."""

    def new_access_policy_id(self) -> str:
        """A fresh id for a share's policy (made before the policy, so an interrupted share can undo it)."""

    def open_access_policy(self, policy_id: str, expiry: datetime) -> None:
        """Create the read-only policy ``policy_id`` that ends at ``expiry``."""

    def close_access_policy(self, policy_id: str) -> bool:
        """Delete the policy (every URL naming it is refused from then on); whether it existed."""

    def sign_many(
        self, paths: Iterable[str], *, expires_in: int, signed_at: datetime, access_policy: str | None = None
    ) -> list[str]: ...


@runtime_checkable
class PostSigner(Protocol):
    """A signer that makes upload policies (S3's POST Object, GCS's POST policy V4)."""

    post_size_limit: int  # the most one POST may upload

    def generate_presigned_post(
        self, path: str, source: str, *, max_size: int, min_size: int, content_type: str | None, expires_in: int,
        drop_box: bool, max_size_is_default: bool,
    ) -> PresignedPost: ...  # fmt: skip


@runtime_checkable
class MultipartSigner(Protocol):
    """A signer that creates multipart uploads and presigns their parts (S3's)."""

    def presign_multipart_upload(
        self, path: str, source: str, *, size: int | str, part_size: int | str | None = None,
        expires_in: int | None = None, content_type: str | None = None,
    ) -> MultipartUpload: ...  # fmt: skip


S3_PROVIDER_TYPES = ("s3", "s8k", "gcs_s3", "ais_s3")  # MSC's S3-style storage providers

# The built-in backends, imported when a profile of theirs is first used, so `import
# msc_notebook` and `%load_ext` load none of them: provider type -> its signers as
# (signer type, "module:class"), the native signer first.
_S3_FAMILY = (("s3", "msc_notebook.s3._signer:S3URLSigner"), ("cloudfront", "msc_notebook.cloudfront._signer:CloudFrontURLSigner"))
BUILTIN_SIGNERS: dict[str, tuple[tuple[str, str], ...]] = {
    **{provider_type: _S3_FAMILY for provider_type in S3_PROVIDER_TYPES},
    "azure": (("azure", "msc_notebook.azure._signer:AzureURLSigner"),),
    "gcs": (("gcs", "msc_notebook.gcs._signer:GCSURLSigner"),),
}

_registered: dict[str, dict[str, type[URLSigner]]] = {}  # provider type -> signer type -> class
_registered_native: dict[str, str] = {}
_loaded: dict[str, type[URLSigner]] = {}  # "module:class" -> the class, once imported
_lock = threading.Lock()


def register_signer(signer: type[URLSigner], provider_types: Iterable[str], *, native: bool = False) -> None:
    """Let ``signer`` (a third-party `URLSigner`) sign for ``provider_types``; ``native``
    makes it their default. It wins over a built-in signer of the same signer type."""
    with _lock:
        for provider_type in provider_types:
            _registered.setdefault(provider_type, {})[signer.signer_type] = signer
            if native:
                _registered_native[provider_type] = signer.signer_type


def presign_supported(provider_type: str) -> bool:
    """Whether any signer serves ``provider_type`` (no backend is imported to answer)."""
    return provider_type in BUILTIN_SIGNERS or provider_type in _registered_native


def signer_types_for(provider_type: str) -> tuple[str, ...]:
    """The signer types available for ``provider_type``, native first (no backend is imported)."""
    builtin = [signer_type for signer_type, _ in BUILTIN_SIGNERS.get(provider_type, ())]
    names = sorted({*builtin, *_registered.get(provider_type, {})})
    native = _native_type(provider_type)
    return tuple(sorted(names, key=lambda name: name != native))


def _native_type(provider_type: str) -> str | None:
    if provider_type in _registered_native:
        return _registered_native[provider_type]
    builtin = BUILTIN_SIGNERS.get(provider_type)
    return builtin[0][0] if builtin else None


def _signer_classes(provider_type: str) -> dict[str, type[URLSigner]]:
    """Signer type -> class for ``provider_type``, importing the built-in backends it needs."""
    classes = {signer_type: _load(spec) for signer_type, spec in BUILTIN_SIGNERS.get(provider_type, ())}
    with _lock:
        classes.update(_registered.get(provider_type, {}))
    return classes


def _load(spec: str) -> type[URLSigner]:
    """The class a built-in "module:class" names; importing it is thread-safe (Python's import lock)."""
    found = _loaded.get(spec)
    if found is None:
        module, _, name = spec.partition(":")
        found = _loaded[spec] = getattr(importlib.import_module(module), name)
    return found


def native_signer_class(config: StorageClientConfig) -> type[URLSigner]:
    """The signer native to the profile's storage (it also lists that storage)."""
    provider_type = config.provider_type
    native = _native_type(provider_type)
    if native is None:
        supported = ", ".join(sorted({*BUILTIN_SIGNERS, *_registered_native}))
        raise UnsupportedProviderError(
            f"presigned URLs are not implemented for storage provider type {provider_type!r} "
            f"(profile {config.profile!r}); they work with {supported}"
        )
    return _signer_classes(provider_type)[native]


def signer_class(config: StorageClientConfig, signer_type: Any | None) -> type[URLSigner]:
    """The signer class for this profile and requested signer type (None: the profile's
    ``presign.signer_type``, else the native one)."""
    native = native_signer_class(config)
    provider_type = config.provider_type
    available = _signer_classes(provider_type)
    misplaced = sorted(key for key in config.presign if key != "signer_type" and key not in available)
    if misplaced:  # our own section: defaults that could never apply are a mistake, not a pass-through
        raise ConfigParseError(
            f"profile {config.profile!r}: presign.{misplaced[0]} does not apply to {provider_type!r} storage, "
            f"whose signers are {', '.join(signer_types_for(provider_type))}; remove it or move it to a profile "
            f"that uses that signer"
        )
    if signer_type is None:
        signer_type = config.presign.get("signer_type")
    if signer_type is None:
        return native
    name = signer_type_name(signer_type)
    if name not in available:
        raise SignerOptionError(
            f"signer type {name!r} is not available for {provider_type!r} storage "
            f"(profile {config.profile!r}); use one of {', '.join(sorted(available))}",
            field="signer_type",
        )
    return available[name]
