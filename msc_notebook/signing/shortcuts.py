"""The module-level shortcuts (``generate_presigned_url("msc://profile/path")``, as MSC has)
and the cache of `StorageClient` objects behind them.

A client is reused while its profile reads the same (after ``${VAR}`` expansion) and
its credential file is unchanged, so editing the config or the environment takes
effect at the next call while repeated signing reuses the storage client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .cache import Built, FileCache, stamped
from .client import StorageClient, warned
from .config import StorageClientConfig, load_config, load_profiles, profile_entry
from .config_files import expand_env_vars, find_config_file
from .credentials import FILE_CREDENTIALS
from .errors import ConfigNotFoundError
from .options import SignerType
from .result import PresignedURL, SignedCookies
from .storage_url import StorageURL, parse_storage_url

_clients: FileCache[StorageClient] = FileCache()


def generate_presigned_url(
    url: str | StorageURL,
    *,
    method: str = "GET",
    signer_type: SignerType | str | None = None,
    signer_options: Mapping[str, Any] | None = None,
    warn: bool = True,
) -> PresignedURL:
    """Sign ``msc://profile/path`` (or ``s3://bucket/key``), as MSC's shortcut does."""
    target = _target(url)
    result = storage_client(target).generate_presigned_url(
        target.path, method=method, signer_type=signer_type, signer_options=signer_options, warn=False
    )
    return warned(result, warn)


def generate_signed_cookies(
    url: str | StorageURL, *, signer_options: Mapping[str, Any] | None = None, warn: bool = True
) -> SignedCookies:
    """CloudFront signed cookies for ``msc://profile/path`` (``*`` wildcards allowed)."""
    target = _target(url)
    result = storage_client(target).generate_signed_cookies(target.path, signer_options=signer_options, warn=False)
    return warned(result, warn)


def storage_client(profile: str | StorageURL) -> StorageClient:
    """The cached client for an MSC profile name, or for the profile (or bucket) of a parsed URL."""
    target = StorageURL("msc", profile, "") if isinstance(profile, str) else profile
    scheme, name = target.scheme, target.profile
    path, raw = _profile_source(scheme, name)
    profile_name = name if scheme == "msc" else f"_s3-{name}"

    def build() -> Built[StorageClient]:
        # Stamped before use: FileBasedCredentials are read again only when the file changes.
        files = [stamped(credential_file)] if (credential_file := _credential_file(raw)) else []
        return Built(StorageClient(StorageClientConfig.from_profile(profile_name, raw, path, scheme=scheme)), files)

    return _clients.get((scheme, name), build, version=(str(path), json.dumps(raw, sort_keys=True, default=str)))


def clear_client_cache() -> None:
    """Drop every cached client (tests; after rotating credentials in place)."""
    _clients.clear()


def _target(url: str | StorageURL) -> StorageURL:
    return url if isinstance(url, StorageURL) else parse_storage_url(url)


def _profile_source(scheme: str, name: str) -> tuple[Path | None, Any]:
    """The config file and the expanded raw profile for ``msc://name`` or ``s3://name``."""
    if scheme == "msc":
        path = find_config_file()
        return path, profile_entry(load_config(path), name, str(path))
    # s3://bucket/key: reuse a profile named s3-BUCKET for that bucket, as MSC does,
    # else the AWS default credential chain.
    try:
        path, profiles = load_profiles()
    except ConfigNotFoundError:
        path, profiles = None, {}
    candidate = profiles.get(f"s3-{name}")
    if isinstance(candidate, Mapping):
        expanded = expand_env_vars(candidate, f"profiles.s3-{name}")
        provider = expanded.get("storage_provider") or {}
        if provider.get("type") == "s3" and str((provider.get("options") or {}).get("base_path", "")).strip("/") == name:
            return path, expanded
    return None, {"storage_provider": {"type": "s3", "options": {"base_path": name}}}


def _credential_file(raw: Any) -> Path | None:
    provider = raw.get("credentials_provider") if isinstance(raw, Mapping) else None
    if not isinstance(provider, Mapping) or provider.get("type") != FILE_CREDENTIALS:
        return None
    return Path(str((provider.get("options") or {}).get("credential_file_path"))).expanduser()
