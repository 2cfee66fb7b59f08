"""A summary of every profile in the MSC config: what it is, whether it can presign, and how
long its credentials have left (which bounds every URL it signs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import times
from .client import StorageClient
from .config import StorageClientConfig, load_profiles
from .config_files import expand_env_vars, find_config_file
from .credentials import CredentialStatus
from .errors import MissingEnvironmentVariableError, PresignError
from .shortcuts import storage_client
from .signer import presign_supported, signer_types_for


@dataclass(frozen=True)
class ProfileSummary:
    name: str
    provider_type: str
    location: str  # base_path: bucket[/prefix]
    endpoint: str | None
    presign_supported: bool
    signer_types: tuple[str, ...]
    credentials_source: str | None
    credential_expiry: datetime | None
    problem: str | None  # why it cannot sign right now (config or credentials), if so

    def credentials_left(self) -> float | None:
        """Seconds until the credentials expire (negative once they have); None if they don't."""
        if self.credential_expiry is None:
            return None
        return (self.credential_expiry - times.utcnow()).total_seconds()


def summarize_profiles(
    config_path: Path | None = None, *, resolve_credentials: bool = True
) -> tuple[Path, list[ProfileSummary]]:
    """The config file used and a summary per profile, in the file's order.

    Resolving credentials may run a credential_process or read SSO caches, as
    signing would; a profile whose credentials fail is reported, not raised.
    Without ``resolve_credentials`` the summaries say nothing about credentials.
    """
    path, profiles = load_profiles(config_path)
    return path, [_summary(path, name, raw, resolve_credentials) for name, raw in profiles.items()]


def summarize_profile(name: str, config_path: Path | None = None) -> ProfileSummary:
    """The summary of one profile, credentials resolved (as the form shows it when picked)."""
    path, profiles = load_profiles(config_path)
    return _summary(path, name, profiles.get(name), True)


def _summary(path: Path, name: str, raw: Any, resolve_credentials: bool) -> ProfileSummary:
    try:
        raw = expand_env_vars(raw, f"profiles.{name}")
    except MissingEnvironmentVariableError:
        pass  # shown as written; the credentials check below reports the missing variable
    provider = raw.get("storage_provider") if isinstance(raw, dict) else None
    provider = provider if isinstance(provider, dict) else {}
    provider_type = str(provider.get("type") or "?")
    options = provider.get("options") if isinstance(provider.get("options"), dict) else {}
    supported = presign_supported(provider_type)
    source = expiry = problem = None
    if supported and resolve_credentials:
        try:
            status = _credentials(path, name)
            if status is not None:
                source, expiry = status.source, status.expiry
        except PresignError as exc:
            problem = str(exc)
    return ProfileSummary(
        name=name,
        provider_type=provider_type,
        location=str(options.get("base_path", "")),
        endpoint=options.get("endpoint_url"),
        presign_supported=supported,
        signer_types=signer_types_for(provider_type),
        credentials_source=source,
        credential_expiry=expiry,
        problem=problem if supported else f"presigning is not implemented for {provider_type!r} storage",
    )


def _credentials(path: Path, name: str) -> CredentialStatus | None:
    """The first expiring credentials among the profile's signers (S3 keys before a CloudFront key pair)."""
    try:
        discovered = find_config_file()
    except PresignError:
        discovered = None
    # The config MSC finds: its cached client (no credential_process per summary); another file: a client of its own.
    if discovered == path:
        client = storage_client(name)
    else:
        client = StorageClient(StorageClientConfig.from_file(name, config_file_paths=path))
    for signer_type in signer_types_for(client.config.provider_type):
        status = client.signer(signer_type).credentials()
        if status is not None:
            return status
    return None
