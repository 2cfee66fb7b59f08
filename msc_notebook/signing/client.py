"""`StorageClient` and the `generate_presigned_url` shortcut (MSC's presign API)."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import StorageClientConfig, load_config, profile_entry
from .config_files import find_config_file
from .credentials import FILE_CREDENTIALS, CredentialStatus
from .errors import (
    ConfigParseError,
    CredentialExpiryWarning,
    InvalidStorageURLError,
    SignerOptionError,
)
from .options import SignerType, check_method, check_option_names, signer_type_name
from .result import PresignedURL, SignedCookies
from .s3_urls import ProfileSource, resolve_s3_url
from .signer import SigningRequest, URLSigner, signer_class
from .storage_url import object_path, parse_storage_url


class StorageClient:
    """Signs URLs for the objects of one profile. Signers (and their boto3 clients) are reused."""

    def __init__(self, config: StorageClientConfig) -> None:
        self._config = config
        self._signers: dict[type[URLSigner], URLSigner] = {}
        self._lock = threading.Lock()
        _check_presign_section(config)

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
    ) -> PresignedURL:
        """Sign ``path`` (relative to the profile) for ``method``; see the README for options.

        Emits a CredentialExpiryWarning when the credentials expire before
        ``expires_in``; the result's ``effective_expiry`` tells the real end.
        """
        return _warn_if_cut_short(
            self.sign(path, method=method, signer_type=signer_type, signer_options=signer_options)
        )

    def sign(
        self,
        path: str,
        *,
        method: str = "GET",
        signer_type: SignerType | str | None = None,
        signer_options: Mapping[str, Any] | None = None,
    ) -> PresignedURL:
        """Like `generate_presigned_url`, without the warning (the result carries it)."""
        signer, request = self._prepare(path, method, signer_type, signer_options)
        return signer.sign(request)

    def generate_signed_cookies(
        self, path: str, *, signer_options: Mapping[str, Any] | None = None
    ) -> SignedCookies:
        """CloudFront signed cookies for ``path`` (``*`` wildcards allowed); see the README."""
        signer, request = self._prepare(path, "GET", SignerType.CLOUDFRONT, signer_options)
        return signer.sign_cookies(request)

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

    def credentials(self) -> CredentialStatus | None:
        """The credentials the profile's native signer uses, and their expiry (None: none expire)."""
        return self.signer().credentials()

    def signer(self, signer_type: SignerType | str | None = None) -> URLSigner:
        """The (cached) signer of this profile for ``signer_type`` (None: the profile's default)."""
        return self._signer(signer_class(self._config, signer_type))

    def _signer(self, signer_cls: type[URLSigner]) -> URLSigner:
        with self._lock:
            if signer_cls not in self._signers:
                self._signers[signer_cls] = signer_cls(self._config)
            return self._signers[signer_cls]

    def __repr__(self) -> str:
        return f"StorageClient(profile={self.profile!r}, provider={self._config.provider_type!r})"


def _check_presign_section(config: StorageClientConfig) -> None:
    for key, value in config.presign.items():
        if key == "signer_type":
            signer_type_name(value)
            continue
        if key not in {t.value for t in SignerType}:
            raise ConfigParseError(
                f"profile {config.profile!r}: presign.{key} is not a signer type; "
                f"use signer_type, {', '.join(t.value for t in SignerType)}"
            )
        if not isinstance(value, Mapping):
            raise ConfigParseError(f"profile {config.profile!r}: presign.{key} must map option names to values")


def generate_presigned_url(
    url: str,
    *,
    method: str = "GET",
    signer_type: SignerType | str | None = None,
    signer_options: Mapping[str, Any] | None = None,
) -> PresignedURL:
    """Sign ``msc://profile/path`` (or ``s3://bucket/key``), as MSC's shortcut does."""
    return _warn_if_cut_short(sign_url(url, method=method, signer_type=signer_type, signer_options=signer_options))


def sign_url(
    url: str,
    *,
    method: str = "GET",
    signer_type: SignerType | str | None = None,
    signer_options: Mapping[str, Any] | None = None,
) -> PresignedURL:
    """Like `generate_presigned_url`, without the warning (the result carries it)."""
    client, path = _resolve(url, object_required=True)
    return client.sign(path, method=method, signer_type=signer_type, signer_options=signer_options)


def generate_signed_cookies(url: str, *, signer_options: Mapping[str, Any] | None = None) -> SignedCookies:
    """CloudFront signed cookies for ``msc://profile/path`` (``*`` wildcards allowed)."""
    client, path = _resolve(url, object_required=True)
    return client.generate_signed_cookies(path, signer_options=signer_options)


def _warn_if_cut_short(result: PresignedURL) -> PresignedURL:
    if result.warning:
        # stacklevel 3: the line that called the public function.
        warnings.warn(result.warning, CredentialExpiryWarning, stacklevel=3)
    return result


_clients: dict[tuple, StorageClient] = {}
_clients_lock = threading.Lock()


def resolve_storage_client(url: str) -> tuple[StorageClient, str]:
    """The (cached) client and profile path for ``msc://profile/path`` or ``s3://bucket/key``,
    as MSC's function of the same name resolves them (s3:// through path_mapping).
    ``msc://profile/`` gives the profile's client and ``""``, as in MSC."""
    return _resolve(url, object_required=False)


def _resolve(url: str, *, object_required: bool) -> tuple[StorageClient, str]:
    parsed = parse_storage_url(url, object_required=object_required)
    source = _profile_source(parsed.scheme, parsed.profile, parsed.path)
    return _cached_client(source), source.path


def storage_client_for(scheme: str, name: str) -> StorageClient:
    """The cached client for an ``msc`` profile or an ``s3`` bucket."""
    return _cached_client(_profile_source(scheme, name, ""))


def _profile_source(scheme: str, name: str, path: str) -> ProfileSource:
    if scheme == "s3":
        return resolve_s3_url(name, path)
    config_path = find_config_file()
    return ProfileSource(name, path, profile_entry(load_config(config_path), name, str(config_path)), config_path, None)


def _cached_client(source: ProfileSource) -> StorageClient:
    """The cache key is the profile as it reads after ``${VAR}`` expansion (plus the
    credential file's timestamp), so editing the config or the environment takes
    effect at the next call while repeated signing reuses the boto3 client.
    """
    raw, name = source.raw_profile, source.profile
    key = (name, source.source_prefix, str(source.config_path), json.dumps(raw, sort_keys=True, default=str),
           _credential_file_stamp(raw))  # fmt: skip
    with _clients_lock:
        client = _clients.get(key)
    if client is None:
        config = StorageClientConfig.from_profile(name, raw, source.config_path, source_prefix=source.source_prefix)
        client = StorageClient(config)
        with _clients_lock:
            # Forget other versions of this profile, so the cache does not grow.
            for stale in [k for k in _clients if k[:2] == key[:2]]:
                del _clients[stale]
            _clients[key] = client
    return client


def clear_client_cache() -> None:
    """Drop every cached client (tests; after rotating credentials in place)."""
    with _clients_lock:
        _clients.clear()


def _credential_file_stamp(raw: Any) -> int | None:
    provider = raw.get("credentials_provider") if isinstance(raw, Mapping) else None
    if not isinstance(provider, Mapping) or provider.get("type") != FILE_CREDENTIALS:
        return None
    try:
        return Path(str((provider.get("options") or {}).get("credential_file_path"))).expanduser().stat().st_mtime_ns
    except OSError:
        return None
