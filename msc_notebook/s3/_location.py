"""Where an S3-style profile's objects live: bucket, key prefix, endpoint, region, addressing.

Shared by the S3 signer and the CloudFront signer (a distribution in front of the same
bucket), so it reads the profile's storage options without importing either signer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..core._errors import ConfigParseError, InvalidStorageURLError
from ..core._options import warn_unknown_options

# Provider options this signer reads.
_USED_OPTIONS = {"base_path", "region_name", "endpoint_url", "s3", "signature_version", "profile_name"}
# MSC provider options about I/O (transfers, retries, TLS) that do not change a URL.
_IO_OPTIONS = {
    "verify", "request_checksum_calculation", "response_checksum_validation",
    "max_pool_connections", "connect_timeout", "read_timeout", "retries",
    "multipart_threshold", "multipart_chunksize", "io_chunksize", "max_concurrency",
    "rust_client", "infer_content_type", "checksum_algorithm",
}  # fmt: skip
_DEFAULT_ENDPOINTS = {"gcs_s3": "https://storage.googleapis.com"}
_DEFAULT_REGIONS = {"gcs_s3": "auto", "ais_s3": "us-east-1"}
_NEEDS_ENDPOINT = {"s8k", "ais_s3"}

# What botocore itself accepts (botocore.utils.validate_region_name, VALID_BUCKET): checked
# here so a bad value is a config error naming its field, not a botocore traceback.
_REGION = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")
_BUCKET = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")


@dataclass(frozen=True)
class S3Location:
    """Where a profile's objects live and how to reach them."""

    bucket: str
    prefix: str
    endpoint_url: str | None
    region_name: str | None
    s3_config: Mapping[str, Any]

    @classmethod
    def from_config(cls, provider_type: str, options: Mapping[str, Any], profile: str) -> S3Location:
        where = f"profile {profile!r} ({provider_type})"
        warn_unknown_options(profile, options, _USED_OPTIONS | _IO_OPTIONS, sorted(_USED_OPTIONS))
        base_path = options.get("base_path") or ""
        if not isinstance(base_path, str):
            raise ConfigParseError(f"{where}: base_path must be text: BUCKET, BUCKET/PREFIX, or empty")
        # No base_path, "" or "/": each path starts with its bucket, as in MSC.
        bucket, _, prefix = base_path.strip("/").partition("/")
        if bucket and not _BUCKET.match(bucket):
            raise ConfigParseError(
                f"{where}: base_path starts with {bucket!r}, which is not a bucket name S3 accepts "
                f"(letters, digits, '.', '-' and '_', at most 255)"
            )
        version = options.get("signature_version")
        if version not in (None, "s3v4", "v4"):
            raise ConfigParseError(
                f"{where}: signature_version {version!r} cannot make presigned URLs that work "
                f"everywhere; presigned URLs are always SigV4 (s3v4), remove the option"
            )
        endpoint = options.get("endpoint_url") or _DEFAULT_ENDPOINTS.get(provider_type)
        if provider_type in _NEEDS_ENDPOINT and not endpoint:
            raise ConfigParseError(f"{where}: set storage_provider.options.endpoint_url (the S3 API address)")
        if endpoint is not None:
            _check_endpoint(endpoint, where)
        s3_config = options.get("s3") or {}
        if not isinstance(s3_config, Mapping):
            raise ConfigParseError(f"{where}: option 's3' must be a mapping, e.g. {{addressing_style: path}}")
        style = s3_config.get("addressing_style")
        if style not in (None, "auto", "path", "virtual"):
            raise ConfigParseError(f"{where}: s3.addressing_style must be auto, path or virtual, not {style!r}")
        region = options.get("region_name") or _DEFAULT_REGIONS.get(provider_type)
        if region is not None and not (isinstance(region, str) and _REGION.match(region)):
            raise ConfigParseError(
                f"{where}: region_name must be a region name such as us-east-1, not {region!r}"
            )
        return cls(bucket, prefix.rstrip("/"), endpoint or None, region or None, dict(s3_config))

    def object(self, path: str) -> tuple[str, str]:
        """The bucket and key for a profile path: the prefix and path joined by one '/'.

        Without a bucket in base_path, the path's first segment is the bucket.
        """
        if self.bucket:
            return self.bucket, f"{self.prefix}/{path}" if self.prefix else path
        bucket, _, key = path.partition("/")
        if not bucket or not key:
            raise InvalidStorageURLError(
                f"{path!r} names no bucket and key: this profile has no bucket in its base_path, so a path is "
                f"BUCKET/KEY (or set storage_provider.options.base_path to BUCKET or BUCKET/PREFIX)"
            )
        return bucket, key

    def key(self, path: str) -> str:
        """The object key for a profile path (without its bucket)."""
        return self.object(path)[1]


def _check_endpoint(endpoint: Any, where: str) -> None:
    if not (isinstance(endpoint, str) and _is_endpoint_url(endpoint)):
        shown = f"{endpoint!r}" if isinstance(endpoint, str) and "@" not in endpoint else "the value given"
        raise ConfigParseError(
            f"{where}: endpoint_url must be an http(s) URL with a host and no user name, such as "
            f"https://s3.example.com or http://127.0.0.1:8333; got {shown}"
        )


def _is_endpoint_url(text: str) -> bool:
    """An http(s) URL with a host and a port other than 0; no user name, query or fragment."""
    try:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or "@" in text:
            return False
        return parts.port != 0 and not parts.query and not parts.fragment
    except ValueError:  # a port that is not a number, an unclosed '[' (which urlsplit itself refuses)
        return False
