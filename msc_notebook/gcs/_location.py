"""Where a ``gcs`` profile's objects are, and the URL a V4 signature is made for.

MSC's provider options: ``base_path`` (bucket, optionally /prefix), ``project_id``, and
``endpoint_url`` (an emulator or a private endpoint). The URL style comes from the
profile's ``presign: {gcs: {url_style, bucket_bound_hostname, universe_domain}}`` (or the
signer options): ``path`` (``https://storage.googleapis.com/BUCKET/KEY``, the default),
``virtual_hosted`` (``https://BUCKET.storage.googleapis.com/KEY``) or ``bucket_bound``
(``https://HOSTNAME/KEY``, a custom domain or CDN in front of the bucket). Precedence, as
Google's vectors have it: a bucket-bound hostname, then ``endpoint_url``, then
``$STORAGE_EMULATOR_HOST``, then ``storage.<universe_domain>``. The Host header is signed
without a port, as the vectors sign it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..core._errors import ConfigParseError, SignerOptionError
from ..core._options import warn_unknown_options
from ._v4 import encode_path

DEFAULT_UNIVERSE = "googleapis.com"
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
URL_STYLES = ("path", "virtual_hosted", "bucket_bound")
_USED_OPTIONS = {"base_path", "project_id", "endpoint_url"}
# MSC's gcs provider options about transfers, retries and its Rust client: they do not change a URL.
_IO_OPTIONS = {
    "multipart_threshold", "multipart_chunksize", "io_chunksize", "max_concurrency", "max_pool_connections",
    "rust_client", "read_timeout", "connect_timeout", "retries", "skip_signature",
}  # fmt: skip
# GCS bucket names: 3-63 characters (up to 222 with dots, 63 per part), lower case, digits, -, _ and dots.
_BUCKET = re.compile(r"^(?=.{3,222}$)[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$")


@dataclass(frozen=True)
class GCSLocation:
    """A profile's bucket and prefix, and its endpoint (scheme, netloc) when one is set."""

    bucket: str
    prefix: str
    endpoint_url: tuple[str, str] | None  # (scheme, netloc) of endpoint_url (or the emulator's)
    profile: str

    @classmethod
    def from_config(cls, options: Mapping[str, Any], profile: str) -> GCSLocation:
        where = f"profile {profile!r} (gcs)"
        warn_unknown_options(profile, options, _USED_OPTIONS | _IO_OPTIONS, sorted(_USED_OPTIONS))
        base_path = str(options.get("base_path") or "").strip("/")
        bucket, _, prefix = base_path.partition("/")
        if not bucket:
            raise ConfigParseError(f"{where}: base_path must name the bucket (BUCKET or BUCKET/prefix)")
        if not _BUCKET.match(bucket) or ".." in bucket or any(len(part) > 63 for part in bucket.split(".")):
            raise ConfigParseError(
                f"{where}: {bucket!r} is not a bucket name GCS accepts (3-63 lower-case letters, digits, '-', "
                f"'_' or '.', starting and ending with a letter or digit)"
            )
        # google-cloud-storage's own emulator variable, below the profile's endpoint_url (Google's precedence)
        endpoint = _endpoint(options.get("endpoint_url") or os.environ.get(EMULATOR_ENV), where)
        return cls(bucket, prefix, endpoint, profile)

    def key(self, path: str) -> str:
        """The object name for a profile path (the prefix joined with '/', interior '//' kept)."""
        return f"{self.prefix}/{path}" if self.prefix else path

    def endpoint(self, style: Mapping[str, Any]) -> tuple[str, str, str]:
        """(scheme, netloc, signed host) of the URLs in URL ``style`` (``url_style``,
        ``bucket_bound_hostname``, ``universe_domain``)."""
        url_style = style.get("url_style") or "path"
        if url_style == "bucket_bound":
            scheme, netloc = _bucket_bound(style.get("bucket_bound_hostname"))
        else:
            universe = style.get("universe_domain") or DEFAULT_UNIVERSE
            scheme, netloc = self.endpoint_url or ("https", f"storage.{universe}")
            if url_style == "virtual_hosted":
                netloc = f"{self.bucket}.{netloc}"
        return scheme, netloc, netloc.rsplit(":", 1)[0] if ":" in netloc else netloc

    def path(self, key: str, style: Mapping[str, Any]) -> str:
        """The encoded URL path of object ``key``: /BUCKET/KEY in path style, else /KEY."""
        if (style.get("url_style") or "path") == "path":
            return f"/{self.bucket}/{encode_path(key)}"
        return "/" + encode_path(key)


def check_style(options: Mapping[str, Any]) -> None:
    """Refuse a URL style GCS would not serve, before anything is signed."""
    style = options.get("url_style") or "path"
    if style not in URL_STYLES:
        raise SignerOptionError(f"url_style must be one of {', '.join(URL_STYLES)}, got {style!r}", field="url_style")
    if style == "bucket_bound":
        _bucket_bound(options.get("bucket_bound_hostname"))
    elif options.get("bucket_bound_hostname"):
        raise SignerOptionError(
            "bucket_bound_hostname applies to url_style='bucket_bound' only", field="bucket_bound_hostname"
        )
    universe = options.get("universe_domain")
    if universe is not None and not (isinstance(universe, str) and _HOSTNAME.match(universe) and ":" not in universe):
        raise SignerOptionError(f"universe_domain must be a domain such as googleapis.com, got {universe!r}",
                                field="universe_domain")  # fmt: skip


def _bucket_bound(hostname: Any) -> tuple[str, str]:
    """(scheme, netloc) of a bucket-bound hostname, ``cdn.example.com`` or ``http://cdn.example.com``."""
    text = hostname.strip() if isinstance(hostname, str) else ""
    scheme, _, host = text.rpartition("://") if "://" in text else ("https", "", text)
    if scheme not in ("http", "https") or not host or not _HOSTNAME.match(host):
        raise SignerOptionError(
            f"bucket_bound_hostname must be a host name such as cdn.example.com (optionally with http:// or "
            f"https://), got {hostname!r}",
            field="bucket_bound_hostname",
        )
    return scheme, host


def _endpoint(value: Any, where: str) -> tuple[str, str] | None:
    if value in (None, ""):
        return None
    parts = urlsplit(str(value)) if "://" in str(value) else urlsplit(f"https://{value}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigParseError(f"{where}: endpoint_url must be http(s)://HOST[:PORT], got {value!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigParseError(f"{where}: endpoint_url must not carry a user name or password; remove them")
    if parts.path.strip("/") or parts.query:
        raise ConfigParseError(f"{where}: endpoint_url must be http(s)://HOST[:PORT] without a path")
    return parts.scheme, parts.netloc
