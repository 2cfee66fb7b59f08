"""The module-level shortcuts (``generate_presigned_url("msc://profile/path")``, as MSC has)
and the cache of `StorageClient` objects behind them.

A client is reused while its profile reads the same (after ``${VAR}`` expansion) and
its credential file is unchanged, so editing the config or the environment takes
effect at the next call while repeated signing reuses the storage client.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._client import StorageClient, warned
from ._profiles import ProfileSummary, profile_summary
from .core._cache import Built, FileCache, stamped
from .core._config import FILE_CREDENTIALS, StorageClientConfig, load_config, load_profiles, profile_entry, profiles_of
from .core._config_files import find_config_file, referenced_variables
from .core._errors import PresignError
from .core._multipart import MultipartUpload
from .core._options import SignerType
from .core._post import PresignedPost
from .core._result import PresignedURL, SignedCookies
from .core._storage_url import StorageURL, parse_storage_url
from .s3._urls import ProfileSource, resolve_s3_url

if TYPE_CHECKING:
    from .shares._share import PrefixShare

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
    client, path = _resolve(url, object_required=True)
    result = client.generate_presigned_url(
        path, method=method, signer_type=signer_type, signer_options=signer_options, warn=False
    )
    return warned(result, warn)


def generate_signed_cookies(
    url: str | StorageURL, *, signer_options: Mapping[str, Any] | None = None, warn: bool = True
) -> SignedCookies:
    """CloudFront signed cookies for ``msc://profile/path`` (``*`` wildcards allowed)."""
    client, path = _resolve(url, object_required=True)
    return warned(client.generate_signed_cookies(path, signer_options=signer_options, warn=False), warn)


def generate_presigned_post(
    url: str | StorageURL,
    *,
    max_size: int | str | None = None,
    min_size: int | str = 0,
    content_type: str | None = None,
    expires_in: int | None = None,
    signer_type: SignerType | str | None = None,
    warn: bool = True,
) -> PresignedPost:
    """An upload policy for ``msc://profile/key`` or a drop box ``msc://profile/inbox/*``
    (`StorageClient.generate_presigned_post`)."""
    client, path = _resolve(url, object_required=True)
    post = client.generate_presigned_post(path, max_size=max_size, min_size=min_size, content_type=content_type,
                                          expires_in=expires_in, signer_type=signer_type, warn=False)  # fmt: skip
    return warned(post, warn)


def presign_multipart_upload(
    url: str | StorageURL,
    *,
    size: int | str,
    part_size: int | str | None = None,
    expires_in: int | None = None,
    content_type: str | None = None,
    warn: bool = True,
) -> MultipartUpload:
    """A multipart upload of ``msc://profile/key`` with every part presigned
    (`StorageClient.presign_multipart_upload`)."""
    client, path = _resolve(url, object_required=True)
    upload = client.presign_multipart_upload(path, size=size, part_size=part_size, expires_in=expires_in,
                                             content_type=content_type, warn=False)  # fmt: skip
    return warned(upload, warn)


def share_prefix(
    url: str | StorageURL,
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
    """Share everything under ``msc://profile/prefix/*`` with one link (`StorageClient.share_prefix`)."""
    client, path = _resolve(url, object_required=True)
    share = client.share_prefix(
        path,
        expires_in=expires_in,
        signer_type=signer_type,
        signer_options=signer_options,
        manifest_url=manifest_url,
        max_objects=max_objects,
        progress=progress,
        overwrite=overwrite,
        revocable=revocable,
        inventory=inventory,
        sharded=sharded,
        dask_client=dask_client,
        warn=False,
    )
    return warned(share, warn)


def resolve_storage_client(url: str | StorageURL) -> tuple[StorageClient, str]:
    """The (cached) client and profile path for ``msc://profile/path`` or ``s3://bucket/key``,
    as MSC's function of the same name resolves them (s3:// through path_mapping).
    ``msc://profile/`` gives the profile's client and ``""``, as in MSC."""
    return _resolve(url, object_required=False)


def storage_client(profile: str | StorageURL) -> StorageClient:
    """The cached client for an MSC profile name, or for the profile (or bucket) of a parsed URL."""
    target = StorageURL("msc", profile, "") if isinstance(profile, str) else profile
    return _cached_client(_profile_source(target.scheme, target.profile, target.path))


def clear_client_cache() -> None:
    """Drop every cached client (tests; after rotating credentials in place)."""
    _clients.clear()
    _expansions.clear()


def summarize_profiles(
    config_path: Path | None = None, *, resolve_credentials: bool = True
) -> tuple[Path, list[ProfileSummary]]:
    """The config file used and a summary per profile, in the file's order.

    Resolving credentials may run a credential_process or read SSO caches, as
    signing would; a profile whose credentials fail is reported, not raised.
    Without ``resolve_credentials`` the summaries say nothing about credentials.
    """
    path, profiles = load_profiles(config_path)
    clients = (lambda name: lambda: _summary_client(path, name)) if resolve_credentials else (lambda name: None)
    return path, [profile_summary(name, raw, clients(name)) for name, raw in profiles.items()]


def summarize_profile(name: str, config_path: Path | None = None) -> ProfileSummary:
    """The summary of one profile, credentials resolved (as the form shows it when picked)."""
    path, profiles = load_profiles(config_path)
    return profile_summary(name, profiles.get(name), lambda: _summary_client(path, name))


def _summary_client(path: Path, name: str) -> StorageClient:
    """The config MSC finds: its cached client (no credential_process per summary); another file:
    a client of its own."""
    try:
        discovered = find_config_file()
    except PresignError:
        discovered = None
    if discovered == path:
        return storage_client(name)
    return StorageClient(StorageClientConfig.from_file(name, config_file_paths=path))


def _resolve(url: str | StorageURL, *, object_required: bool) -> tuple[StorageClient, str]:
    parsed = url if isinstance(url, StorageURL) else parse_storage_url(url, object_required=object_required)
    source = _profile_source(parsed.scheme, parsed.profile, parsed.path)
    return _cached_client(source), source.path


def _profile_source(scheme: str, name: str, path: str) -> ProfileSource:
    if scheme == "s3":
        return resolve_s3_url(name, path)
    config_path = find_config_file()
    raw, version = _expanded_profile(config_path, load_config(config_path), name)
    return ProfileSource(name, path, raw, config_path, None, version)


# (config file, profile) -> the profile as written, the values of the variables it uses, and
# the profile expanded with them (and its fingerprint): signing in a loop expands once.
_expansions: dict[tuple[Path, str], tuple[Any, tuple[str, ...], tuple[str | None, ...], Any, str]] = {}


def _expanded_profile(config_path: Path, data: Mapping[str, Any], name: str) -> tuple[Any, str]:
    written = profiles_of(data, str(config_path)).get(name)
    memo = _expansions.get((config_path, name))
    # The same loaded config (a re-read config is a new object) and the same values of its variables.
    if memo is not None and memo[0] is written and memo[2] == tuple(map(os.environ.get, memo[1])):
        return memo[3], memo[4]
    variables = tuple(sorted(referenced_variables(written)))
    values = tuple(map(os.environ.get, variables))
    raw = profile_entry(data, name, str(config_path))  # unknown profile, missing variables: errors here
    version = json.dumps(raw, sort_keys=True, default=str)
    _expansions[(config_path, name)] = (written, variables, values, raw, version)
    return raw, version


def _cached_client(source: ProfileSource) -> StorageClient:
    raw = source.raw_profile

    def build() -> Built[StorageClient]:
        # Stamped before use: FileBasedCredentials are read again only when the file changes.
        files = [stamped(credential_file)] if (credential_file := _credential_file(raw)) else []
        config = StorageClientConfig.from_profile(
            source.profile, raw, source.config_path, source_prefix=source.source_prefix
        )
        return Built(StorageClient(config), files)

    fingerprint = source.fingerprint or json.dumps(raw, sort_keys=True, default=str)
    return _clients.get(source.profile, build, version=(str(source.config_path), source.source_prefix, fingerprint))


def _credential_file(raw: Any) -> Path | None:
    provider = raw.get("credentials_provider") if isinstance(raw, Mapping) else None
    if not isinstance(provider, Mapping) or provider.get("type") != FILE_CREDENTIALS:
        return None
    return Path(str((provider.get("options") or {}).get("credential_file_path"))).expanduser()


def revoke(share: PrefixShare | str, *, access_policy: str | None = None) -> str:
    """Take a share back as far as its storage allows; what that did and what remains, in words.

    ``share``: the share itself; or, after a restart too, its manifest's location
    (``share.details.manifest_location``: ``msc://PROFILE/PATH.json`` or ``file:///PATH``; the
    history keeps it) or its link, either of them with the profile's credentials. A share made
    with ``revocable=True`` (Azure) loses its access policy, so all its URLs are refused; any
    other loses its manifest, so its link dies while the URLs it held work until they expire.
    ``access_policy``: the policy id (``share.details.access_policy``), for a manifest already gone.
    """
    from .shares._revoke import revoke_target
    from .shares._share import PrefixShare

    if isinstance(share, PrefixShare):  # a share is a str (its link): ask it first
        return share.revoke()
    return revoke_target(share, access_policy=access_policy, client_for=storage_client)
