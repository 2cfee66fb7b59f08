"""A summary of every profile in the MSC config: what it is, whether it can presign, and how
long its credentials have left (which bounds every URL it signs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._client import StorageClient
from .core import _times as times
from .core._config_files import expand_env_vars
from .core._errors import MissingEnvironmentVariableError, PresignError
from .core._result import CredentialStatus
from .core._signer import presign_supported, signer_types_for


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


def profile_summary(
    name: str, raw: Any, credentials_of: Callable[[], StorageClient] | None
) -> ProfileSummary:
    """The summary of one profile as written (``raw``); ``credentials_of`` gives the client whose
    credentials to report (None: say nothing about credentials)."""
    try:
        raw = expand_env_vars(raw, f"profiles.{name}")
    except MissingEnvironmentVariableError:
        pass  # shown as written; the credentials check below reports the missing variable
    provider = _section(raw.get("storage_provider") if isinstance(raw, dict) else None)
    provider_type = str(provider.get("type") or "?")
    options = _section(provider.get("options"))
    supported = presign_supported(provider_type)
    source = expiry = problem = None
    if supported and credentials_of is not None:
        try:
            status = signing_credentials(credentials_of())
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


def _section(value: object) -> dict[str, Any]:
    """A section of the profile as written, or an empty one where it is not a mapping."""
    return value if isinstance(value, dict) else {}


def signing_credentials(client: StorageClient) -> CredentialStatus | None:
    """The first expiring credentials among the profile's signers (S3 keys before a CloudFront key pair)."""
    for signer_type in signer_types_for(client.config.provider_type):
        status = client.signer(signer_type).credentials()
        if status is not None:
            return status
    return None
