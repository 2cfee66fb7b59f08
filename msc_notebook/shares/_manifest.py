"""Where a prefix share's manifest is written, and the link to it.

By default on the shared profile's own storage, under ``.msc_notebook/shares/`` at its root
(outside any dataset, so readers listing a dataset never see it); or at another ``msc://``
place; or in a local file the user sends themselves (credentials that cannot write). On
storage it is uploaded through our own presigned PUT, which proves the whole stack before
the link (a presigned GET with the share's expiry) is handed out.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..core import _times as times
from ..core._client import StorageClient
from ..core._config import StorageClientConfig
from ..core._errors import (
    InvalidStorageURLError,
    PrefixShareError,
    PresignError,
    SignerOptionError,
    UnsupportedProviderError,
)
from ..core._keys import is_prefix_share
from ..core._options import SignerType
from ..core._result import CredentialStatus
from ..core._storage_url import StorageURL, parse_storage_url

SHARES_DIR = ".msc_notebook/shares/"  # at the profile's root: outside any dataset it shares
MANIFEST_TYPE = "application/json"
UPLOAD_LIFETIME = 900  # seconds the manifest's PUT URL lives: it is used at once
UPLOAD_TIMEOUT = 120.0  # seconds any one network operation of the upload may wait


@dataclass(frozen=True)
class ManifestDestination:
    """Where the manifest goes: S3-style storage, through our own presigned PUT, or a local file."""

    location: str  # msc://profile/path or file:///path: how messages and displays name it
    client: StorageClient | None = None
    path: str | None = None  # under the client's profile
    local: Path | None = None

    @classmethod
    def resolve(cls, manifest_url: str | None, shared_path: str, client: StorageClient) -> ManifestDestination:
        """Where the manifest of a share of ``shared_path`` (under ``client``'s profile) goes. A
        ``manifest_url`` on another profile is written with a client of that profile, built
        from the same config file; every error in resolving it names ``manifest_url``."""
        name = _manifest_name(shared_path, client.profile)
        if manifest_url is None:
            path = shares_dir(client, shared_path) + name
            return cls(client.config.source_url(path), client, path)
        if not isinstance(manifest_url, str) or not manifest_url.strip():
            raise SignerOptionError(
                f"manifest_url must be msc://PROFILE/PATH.json or file:///PATH.json, got {manifest_url!r}",
                field="manifest_url",
            )
        if manifest_url[:7].lower() == "file://":
            local = local_path(manifest_url)
            if manifest_url.endswith("/") or local.is_dir():
                local = local / name
            if not local.parent.is_dir():
                raise PrefixShareError(
                    f"cannot write the manifest to {local}: the folder {local.parent} does not exist",
                    field="manifest_url",
                )
            return cls(local.as_uri(), local=local)
        try:
            where = parse_storage_url(manifest_url)
        except InvalidStorageURLError as exc:
            raise InvalidStorageURLError(
                f"manifest_url: {exc}; or file:///PATH.json to write it locally", field="manifest_url"
            ) from None
        path = where.path + name if where.path.endswith("/") else where.path
        if is_prefix_share(path):
            raise InvalidStorageURLError(
                "manifest_url names one file to write, not a prefix (no '*')", field="manifest_url"
            )
        try:
            manifest_client = client if where.profile == client.profile else _client_of(where, client)
            manifest_client.signer(SignerType.S3)
        except SignerOptionError:
            raise UnsupportedProviderError(
                f"manifest_url {manifest_url!r}: the manifest goes to S3-style storage (or a local file, "
                f"file:///PATH.json), and profile {where.profile!r} is {manifest_client.config.provider_type!r}",
                field="manifest_url",
            ) from None
        except PresignError as exc:  # an unknown profile, a bad profile: the manifest_url is at fault
            raise type(exc)(f"manifest_url {manifest_url!r}: {exc}", field="manifest_url") from None
        return cls(manifest_client.config.source_url(path), manifest_client, path)

    def write(self, body: bytes, *, expires_in: int, signed_at: datetime) -> tuple[str, CredentialStatus | None]:
        """Write ``body``; return the link to it (a GET signed at ``signed_at``) and the
        status of the credentials that signed the link (None for a local file)."""
        if self.local is not None:
            _write_private(self.local, body)
            return self.location, None
        put = self.client.generate_presigned_url(
            self.path,
            method="PUT",
            signer_type=SignerType.S3,
            signer_options={"expires_in": UPLOAD_LIFETIME, "content_type": MANIFEST_TYPE},
            warn=False,
        )
        _upload(put, body, self.location, self.client.profile)
        signer = self.client.signer(SignerType.S3)
        status = signer.credentials()
        return signer.sign_many([self.path], expires_in=expires_in, signed_at=signed_at)[0], status


def _client_of(where: StorageURL, sharing: StorageClient) -> StorageClient:
    """A client for the manifest's own profile, from the sharing client's config file."""
    if where.scheme != "msc":
        raise InvalidStorageURLError("write it as msc://PROFILE/PATH.json", field="manifest_url")
    paths = [sharing.config.config_path] if sharing.config.config_path else None
    return StorageClient(StorageClientConfig.from_file(where.profile, config_file_paths=paths))


def shares_dir(client: StorageClient, path: str) -> str:
    """Where a profile's share manifests go by default: its root; for a profile whose paths
    start with their bucket (no bucket in base_path, as MSC allows), the root of ``path``'s bucket."""
    if str(client.config.provider_options.get("base_path") or "").strip("/"):
        return SHARES_DIR
    return f"{path.split('/', 1)[0]}/{SHARES_DIR}"


def _manifest_name(shared_path: str, profile: str) -> str:
    """``ocean.zarr-20261129T120000Z-3f9a1c.json``: what is shared, when, and a random part so two
    shares within a second never overwrite each other."""
    name = shared_path[:-1].rstrip("/").rsplit("/", 1)[-1] or profile
    return f"{name[:100]}-{times.utcnow():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}.json"


def local_path(file_url: str) -> Path:
    """The path a ``file://`` URL names (this host only)."""
    parts = urlsplit(file_url)
    if parts.netloc not in ("", "localhost"):
        raise SignerOptionError(
            f"manifest_url {file_url!r} names another host; write file:///PATH.json for a local file",
            field="manifest_url",
        )
    return Path(unquote(parts.path))


def _write_private(path: Path, body: bytes) -> None:
    """Write the manifest readable by its owner only: its URLs open the data to whoever holds them."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
    except OSError as exc:
        raise PrefixShareError(f"cannot write the manifest to {path}: {exc.strerror}", field="manifest_url") from None


_S3_ERROR_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")


def _upload(put_url: str, body: bytes, location: str, profile: str) -> None:
    """PUT the manifest through its presigned URL; a refusal says what to do instead."""
    import urllib.error  # here: `import msc_notebook` stays cheap
    import urllib.request

    request = urllib.request.Request(put_url, data=body, method="PUT", headers={"Content-Type": MANIFEST_TYPE})
    try:
        with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        found = _S3_ERROR_CODE.search(exc.read(4096) or b"")
        code = f"HTTP {exc.code}" + (f" {found.group(1).decode(errors='replace')}" if found else "")
        raise PrefixShareError(
            f"the credentials of profile {profile!r} cannot write the share's manifest to {location} ({code}). "
            f"Put it where they can write with manifest_url='msc://PROFILE/PATH.json' (%presign --manifest), "
            f"or write it to a local file with manifest_url='file:///PATH/share.json' (%presign "
            f"--manifest-file PATH) and send that file yourself",
            field="manifest_url",
        ) from None
    except OSError as exc:  # URLError, timeouts, refused connections
        reason = getattr(exc, "reason", None) or exc
        raise PrefixShareError(
            f"could not upload the share's manifest to {location}: {reason}; try again, or write it to a "
            f"local file with manifest_url='file:///PATH/share.json'",
            field="manifest_url",
        ) from None
