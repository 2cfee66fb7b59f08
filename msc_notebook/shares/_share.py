"""What a prefix share is: one link to everything under a prefix, and the protocol every share answers.

Every share is a `PrefixShare`: the link itself (a GET `PresignedURL`, with its expiry facts)
plus what a recipient and a display need, whatever made it:

- ``fsspec_url`` and ``storage_options()``: what the recipient opens with fsspec or zarr
  (JSON-able, secret-free: the signatures are what is handed out anyway);
- ``count`` and ``total_bytes``: what the share lists, or None when it lists nothing and
  covers whatever is under the prefix when it is used;
- ``url_list()``, ``urls`` and ``manifest``: every listed object's URL, read back from the
  share's own manifest when asked (a share never keeps them in memory until then).

Two kinds answer it: `ManifestShare` (a signed manifest: S3) and `WildcardShare` (one
wildcard policy: CloudFront). Code outside this module asks the protocol, never the kind.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from ..core._errors import PrefixShareError, SignerOptionError
from ..core._fetch import read_url
from ..core._files import local_path
from ..core._result import PresignedURL, SignerDetails
from ..core._times import utc_text
from ._recipient import fsspec_storage_options, object_url, wildcard_base
from ._revoke import Revoked, revoked_text

if TYPE_CHECKING:
    from ..core._check import CheckReport, Probe


@dataclass(frozen=True)
class PrefixShareDetails(SignerDetails):
    """Where a manifest share's manifest is, and which credentials signed its URLs."""

    manifest_location: str  # msc://profile/.msc_notebook/shares/NAME.json, or file:///path
    credential_source: str
    access_policy: str | None = None  # the stored access policy every URL names (Azure, revocable=True)


class PrefixShare(PresignedURL):
    """One link to everything under a prefix (the protocol above; a `PresignedURL` for GET: the link)."""

    total_bytes: int | None = None
    _count: int | None = None

    @property
    def count(self) -> int | None:  # type: ignore[override]  # the protocol's name: str.count means nothing on a link
        """How many objects the share lists; None when it lists none (it covers the whole prefix)."""
        return self._count

    @property
    def fsspec_url(self) -> str:
        """What to open with fsspec or zarr, with `storage_options`."""
        raise NotImplementedError

    def storage_options(self) -> dict[str, Any]:
        """fsspec storage options that open the share with nothing but what was sent."""
        raise NotImplementedError

    @property
    def urls(self) -> dict[str, str] | None:
        """Each listed key (relative to the prefix, in listing order) and its URL; None if nothing is listed."""
        return None

    @property
    def manifest(self) -> dict[str, Any] | None:
        """The share's manifest (fsspec's reference format); None if it has none."""
        return None

    def url_list(self, *, aria2c: bool = False) -> str:
        """Every object's URL, one a line, for ``wget -i`` or ``curl``; with ``aria2c``,
        aria2c's input format, where each URL is followed by the path to save it as."""
        urls = self.urls
        if urls is None:
            raise SignerOptionError(
                f"{self.source} is shared as one URL that covers the prefix, not as a list of URLs; append its "
                f"query string to each object URL (msc_notebook.object_url)",
                field="signer_type",
            )
        if aria2c:
            return "".join(f"{url}\n  out={key}\n" for key, url in urls.items())
        return "".join(f"{url}\n" for url in urls.values())

    def check(self, sample: int = 5) -> CheckReport:
        """Fetch the link and up to ``sample`` of the share's objects as a recipient would (anonymously,
        from here): whether they work, or why not, and how far the storage's clock is from ours."""
        from ..core._check import probe, report

        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
            raise SignerOptionError(f"sample must be a whole number of objects, 0 or more, got {sample!r}", field="sample")
        probes = self._link_probes()
        if all(found.outcome == "works" for found, _ in probes):  # a dead link: its objects are out of reach
            probes += [probe(url, "GET", f"object {key}") for key, url in self._sample(sample)]
        return report(probes)

    def _link_probes(self) -> list[tuple[Probe, float | None]]:
        """The link itself, where it can be fetched (a wildcard cannot: it names no object)."""
        return []

    def _sample(self, count: int) -> list[tuple[str, str]]:
        """Up to ``count`` (key, URL) pairs spread over what the share lists."""
        urls = self.urls or {}
        keys = list(urls)
        picked = dict.fromkeys(keys[round(i * (len(keys) - 1) / max(count - 1, 1))] for i in range(min(count, len(keys))))
        return [(key, urls[key]) for key in picked]

    def revoke(self) -> str:
        """Take the share back as far as its storage allows; what that did, in plain words."""
        raise NotImplementedError

    @property
    def revoke_note(self) -> str:
        """What `revoke` would do, and what it cannot, in plain words (said before anyone revokes)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        listed = f"count={self.count}, total_bytes={self.total_bytes}, " if self.count is not None else ""
        return (
            f"{type(self).__name__}({str(self)!r}, source={self.source!r}, signer_type={self.signer_type!r}, "
            f"{listed}effective_expiry={self.effective_expiry.isoformat()!r})"
        )


class ManifestShare(PrefixShare):
    """A signed manifest: the link is a presigned GET of an fsspec reference manifest that holds
    a presigned URL for every object listed. ``urls`` and ``manifest`` are read back through the
    link (as the recipient reads them) the first time they are asked for."""

    remote_protocol: str  # the scheme of the listed URLs, for fsspec
    formats: tuple[str, ...]  # what the objects are, as their keys tell ("zarr-group", "csv", ...: shares._contents)
    _manifest: dict[str, Any] | None
    _load_lock: threading.Lock

    def __new__(
        cls, link: str, *, count: int, total_bytes: int, remote_protocol: str, formats: tuple[str, ...] = (),
        **signed: Any,
    ) -> Self:  # fmt: skip
        """``signed``: `PresignedURL`'s keywords (``method`` is GET unless given)."""
        self = super().__new__(cls, link, **{"method": "GET", **signed})
        self._count = count
        self.total_bytes = total_bytes
        self.remote_protocol = remote_protocol
        self.formats = tuple(formats)
        self._manifest = None
        self._load_lock = threading.Lock()
        return self

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "count": self.count, "total_bytes": self.total_bytes,
                "remote_protocol": self.remote_protocol, "formats": self.formats}  # fmt: skip

    @property
    def fsspec_url(self) -> str:
        return "reference://"

    def storage_options(self) -> dict[str, Any]:
        """fsspec's ReferenceFileSystem reads the manifest; zarr 3 needs the async flags. A manifest
        written to a local file is named by its file name (the recipient has the file they were sent)."""
        link = str(self)
        return {
            "fo": local_path(link).name if link.startswith("file://") else link,
            "remote_protocol": self.remote_protocol,
            "asynchronous": True,
            "remote_options": {"asynchronous": True},
        }

    _revoker: Callable[[], Revoked] | None = None  # takes it back where it was made (not kept across pickling)

    def _link_probes(self) -> list[tuple[Probe, float | None]]:
        from ..core._check import probe

        return [probe(str(self), "GET", "the link")]

    def revoke(self) -> str:
        """Take the share back: with an access policy (Azure, ``revocable=True``) every URL of it is
        refused from now on; otherwise its manifest is deleted, so the link no longer opens, but the
        presigned URLs it held cannot be recalled (S3, GCS and Azure check only their signature and
        expiry): someone who saved the manifest can use them until they expire, and the answer says
        until when."""
        if self._revoker is None:
            raise PrefixShareError(
                f"this copy of the share of {self.source} was not made in this session; revoke it with "
                f"msc.revoke({_manifest_location(self)!r}), which uses the profile's credentials",
                field="path",
            )
        return revoked_text(f"the share of {self.source}", self._revoker(), self._policy, self.count, self.effective_expiry)

    @property
    def revoke_note(self) -> str:
        if self._policy is not None:
            return (
                f"Revoke deletes the share's access policy {self._policy}: every URL of the share, the link included, "
                f"is refused from then on (Azure may take up to 30 s to apply it)."
            )
        return (
            f"Revoke deletes the manifest, so the link stops opening. The {self.count:,} object URLs it held cannot be "
            f"recalled: whoever saved the manifest can use them until {utc_text(self.effective_expiry)}."
        )

    @property
    def _policy(self) -> str | None:
        details = self.details
        return details.access_policy if isinstance(details, PrefixShareDetails) else None

    @property
    def manifest(self) -> dict[str, Any]:
        with self._load_lock:
            if self._manifest is None:
                if self.expired:  # its link is refused now, and so would every URL in it be
                    raise PrefixShareError(
                        f"the share of {self.source} expired at {utc_text(self.effective_expiry)}: its manifest "
                        f"and URLs no longer open; share the prefix again",
                    )
                body = read_url(str(self), what=f"the manifest of the share of {self.source}")
                self._manifest = dict(json.loads(body))
            return self._manifest

    @property
    def urls(self) -> dict[str, str]:
        return {key: reference[0] for key, reference in self.manifest["refs"].items()}


class WildcardShare(PrefixShare):
    """One wildcard policy (CloudFront): the link covers whatever is under the prefix when it
    is used, so nothing is listed (``count`` is None); each object's URL is its own URL plus the
    link's query string."""

    @classmethod
    def from_url(cls, url: PresignedURL) -> WildcardShare:
        """The share a wildcard-policy URL makes."""
        return cls(str(url), **url._fields())

    _lister: Callable[[int], list[str]] | None = None  # lists sample keys with the profile's credentials

    @classmethod
    def with_lister(cls, url: PresignedURL, lister: Callable[[int], list[str]]) -> WildcardShare:
        """The share a wildcard-policy URL makes; ``lister(n)`` gives up to n keys under it (for `check`)."""
        share = cls.from_url(url)
        share._lister = lister
        return share

    @property
    def fsspec_url(self) -> str:
        return wildcard_base(self)

    def storage_options(self) -> dict[str, Any]:
        return fsspec_storage_options(self)

    def revoke(self) -> str:
        """A wildcard policy is signed with the distribution's key pair: nothing stored can be deleted."""
        raise SignerOptionError(self.revoke_note[0].lower() + self.revoke_note[1:-1], field="signer_type")

    @property
    def revoke_note(self) -> str:
        return (
            f"A CloudFront wildcard URL cannot be taken back one by one: it works until "
            f"{utc_text(self.effective_expiry)}, unless the key pair that signed it is removed from the "
            f"distribution's trusted key group (which revokes everything that key signed)."
        )

    def _sample(self, count: int) -> list[tuple[str, str]]:
        """Objects listed with the profile's credentials (not kept across pickling: then none)."""
        if self._lister is None or count == 0:
            return []
        return [(key, object_url(self, key)) for key in self._lister(count)]


def _manifest_location(share: PrefixShare) -> str:
    details = share.details
    return details.manifest_location if isinstance(details, PrefixShareDetails) else share.source
