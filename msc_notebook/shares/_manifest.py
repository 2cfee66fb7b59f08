"""Where a prefix share's manifest is written, and the link to it.

By default on the shared profile's own storage, under ``.msc_notebook/shares/`` at its root
(outside any dataset, so readers listing a dataset never see it); or at another ``msc://``
place; or in a local file the user sends themselves (credentials that cannot write). Nothing
that exists is replaced unless the caller says ``overwrite=True``: on storage the write is
create-only (``If-None-Match: *``), locally it takes a free name in one step
(`write_new_file`). The link is a presigned GET with the share's expiry.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import _times as times
from ..core._config import StorageClientConfig
from ..core._errors import (
    CredentialsError,
    InvalidStorageURLError,
    ObjectExistsError,
    PrefixShareError,
    PresignError,
    SignerOptionError,
    StorageError,
    UnsupportedProviderError,
)
from ..core._files import local_path, remove_file, write_new_file
from ..core._keys import is_prefix_share
from ..core._result import CredentialStatus
from ..core._signer import ObjectWriter, RevocableSigner
from ..core._storage_url import StorageURL, parse_storage_url
from ._shards import SHARD_THRESHOLD, ShardFolder

if TYPE_CHECKING:
    from .._client import StorageClient  # the client calls this module; it is only a type here

SHARES_DIR = ".msc_notebook/shares/"  # at the profile's root: outside any dataset it shares
MANIFEST_TYPE = "application/json"
NAME_TRIES = 3  # default names tried (each with a new random part) before giving up


@dataclass(frozen=True)
class ManifestDestination:
    """Where the manifest goes: S3-style storage (written with the profile's client), or a local file."""

    location: str  # msc://profile/path or file:///path: how messages and displays name it
    shared_path: str  # what the share covers (a profile path ending in '*'): default names come from it
    profile: str  # ... and the shared profile
    client: StorageClient | None = None
    path: str | None = None  # under the client's profile
    local: Path | None = None
    default_name: bool = True  # the library chose the file name: another may be chosen if it is taken

    @classmethod
    def resolve(cls, manifest_url: str | None, shared_path: str, client: StorageClient) -> ManifestDestination:
        """Where the manifest of a share of ``shared_path`` (under ``client``'s profile) goes. A
        ``manifest_url`` on another profile is written with a client of that profile, built
        from the same config file; every error in resolving it names ``manifest_url``."""
        name = _manifest_name(shared_path, client.profile)
        shared: dict[str, Any] = {"shared_path": shared_path, "profile": client.profile}
        if manifest_url is None:
            path = shares_dir(client, shared_path) + name
            return cls(client.config.source_url(path), client=client, path=path, **shared)
        if not isinstance(manifest_url, str) or not manifest_url.strip():
            raise SignerOptionError(
                f"manifest_url must be msc://PROFILE/PATH.json or file:///PATH.json, got {manifest_url!r}",
                field="manifest_url",
            )
        if manifest_url[:7].lower() == "file://":
            local = local_path(manifest_url)
            named = not (manifest_url.endswith("/") or local.is_dir())
            if not named:
                local = local / name
            if not local.parent.is_dir():
                raise PrefixShareError(
                    f"cannot write the manifest to {local}: the folder {local.parent} does not exist",
                    field="manifest_url",
                )
            return cls(local.as_uri(), local=local, default_name=not named, **shared)
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
            writer = manifest_client.signer()
        except PresignError as exc:  # an unknown profile, a bad profile: the manifest_url is at fault
            raise type(exc)(f"manifest_url {manifest_url!r}: {exc}", field="manifest_url") from None
        if not isinstance(writer, ObjectWriter):
            raise UnsupportedProviderError(
                f"manifest_url {manifest_url!r}: profile {where.profile!r} ({manifest_client.config.provider_type!r} "
                f"storage) cannot hold a manifest; name an S3, GCS or Azure profile, or a local file (file:///PATH.json)",
                field="manifest_url",
            )
        location = manifest_client.config.source_url(path)
        return cls(location, client=manifest_client, path=path, default_name=where.path.endswith("/"), **shared)

    def write(
        self,
        render: Callable[[str], bytes],
        *,
        expires_in: int,
        signed_at: datetime,
        overwrite: bool = False,
        access_policy: str | None = None,
    ) -> tuple[ManifestDestination, str, CredentialStatus | None]:
        """Write the manifest (``render(location)``) where nothing exists yet (or anywhere, with
        ``overwrite``); return where it went, the link to it (a GET signed at ``signed_at``, naming
        ``access_policy`` if given) and the status of the credentials that signed the link (None for a
        local file). A default name that is taken gets a new random part, a few times; a name the
        caller gave is never replaced unless ``overwrite``."""
        destination = self
        for _ in range(NAME_TRIES):
            try:
                body = render(destination.location)
                return (destination, *destination._write_once(body, expires_in, signed_at, overwrite, access_policy))
            except ObjectExistsError as exc:
                if not destination.default_name:
                    raise ObjectExistsError(
                        f"{exc}: the manifest was not written. Choose another manifest_url, or pass "
                        f"overwrite=True to replace it",
                        field="manifest_url",
                    ) from None
                destination = destination.renamed()
        raise ObjectExistsError(
            f"{NAME_TRIES} new manifest names next to {self.location} were all taken; nothing was written",
            field="manifest_url",
        )

    def _write_once(
        self, body: bytes, expires_in: int, signed_at: datetime, overwrite: bool, access_policy: str | None
    ) -> tuple[str, CredentialStatus | None]:
        if self.local is not None:
            write_new_file(self.local, body, overwrite=overwrite, field="manifest_url")
            return self.location, None
        assert self.client is not None and self.path is not None  # a destination on storage has both
        signer = self.client.signer()  # the storage's own signer writes it and signs the link
        if not isinstance(signer, ObjectWriter):
            raise UnsupportedProviderError(f"the {signer.signer_type} signer cannot write {self.location}", field="manifest_url")
        try:
            signer.write_object(self.path, body, content_type=MANIFEST_TYPE, overwrite=overwrite)
        except CredentialsError as exc:
            raise PrefixShareError(
                f"the credentials of profile {self.client.profile!r} cannot write the share's manifest to "
                f"{self.location}: {exc}. "
                f"Put it where they can write with manifest_url='msc://PROFILE/PATH.json', or write it to a "
                f"local file with manifest_url='file:///PATH/share.json' and send that file yourself",
                field="manifest_url",
            ) from None
        except StorageError as exc:  # after the retries: the storage's own answer, kept as its type
            raise type(exc)(
                f"the share's manifest could not be written: {exc}. Try again, or write it to a local file "
                f"with manifest_url='file:///PATH/share.json'",
                field="manifest_url",
            ) from None
        status = signer.credentials()
        if access_policy is not None:
            assert isinstance(signer, RevocableSigner)  # only such a signer made the policy
            return signer.sign_many([self.path], expires_in=expires_in, signed_at=signed_at,
                                    access_policy=access_policy)[0], status  # fmt: skip
        return signer.sign_many([self.path], expires_in=expires_in, signed_at=signed_at)[0], status

    def check_shards(self) -> None:
        """Refuse a place that cannot hold a sharded manifest's shards: a local file (the shards are
        fetched by URL, so they live on storage beside the manifest)."""
        if self.local is not None:
            raise PrefixShareError(
                f"this share is written as a sharded manifest (more than {SHARD_THRESHOLD:,} objects, or sharded=True), "
                f"whose shards its recipient fetches by URL from storage, so it cannot be a local file; drop "
                f"manifest_url, or name a place on storage (msc://PROFILE/PATH.json)",
                field="manifest_url",
            )

    def shard_folder(self) -> ShardFolder:
        """A new folder beside the manifest for its shards, and the signer that writes them."""
        self.check_shards()
        assert self.client is not None and self.path is not None
        writer = self.client.signer()
        if not isinstance(writer, ObjectWriter):
            raise UnsupportedProviderError(f"the {writer.signer_type} signer cannot write {self.location}", field="manifest_url")
        path = f"{self.path.removesuffix('.json')}-shards-{secrets.token_hex(3)}/"
        return ShardFolder(writer, path, self.client.config.source_url(path))

    def delete(self) -> bool:
        """Delete the manifest where it was written; whether it was still there."""
        if self.local is not None:
            return remove_file(self.local)
        assert self.client is not None and self.path is not None
        signer = self.client.signer()
        if not isinstance(signer, ObjectWriter):
            raise UnsupportedProviderError(f"the {signer.signer_type} signer cannot delete {self.location}")
        return signer.delete_object(self.path)

    def renamed(self) -> ManifestDestination:
        """The same place with a new default name (another random part)."""
        name = _manifest_name(self.shared_path, self.profile)
        if self.local is not None:
            local = self.local.with_name(name)
            return replace(self, location=local.as_uri(), local=local)
        assert self.client is not None and self.path is not None
        path = self.path.rsplit("/", 1)[0] + "/" + name if "/" in self.path else name
        return replace(self, location=self.client.config.source_url(path), path=path)


def _client_of(where: StorageURL, sharing: StorageClient) -> StorageClient:
    """A client for the manifest's own profile, from the sharing client's config file."""
    if where.scheme != "msc":
        raise InvalidStorageURLError("write it as msc://PROFILE/PATH.json", field="manifest_url")
    paths = [sharing.config.config_path] if sharing.config.config_path else None
    return type(sharing)(StorageClientConfig.from_file(where.profile, config_file_paths=paths))  # the caller's kind


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
