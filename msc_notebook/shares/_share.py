"""`PrefixShare`: one link to everything under a prefix, and what it covers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..core._errors import SignerOptionError
from ..core._result import PresignedURL, SignerDetails
from ._manifest import local_path
from ._recipient import fsspec_storage_options, wildcard_base


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
