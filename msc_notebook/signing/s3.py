"""The S3 signer: SigV4 presigned URLs through boto3 for s3, s8k, gcs_s3 and ais_s3.

Always SigV4 (botocore would otherwise still presign SigV2 in us-east-1), with
the profile's bucket/prefix, region, endpoint and addressing style.
"""

from __future__ import annotations

import difflib
import re
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .credentials import CredentialStatus, credential_status, make_botocore_session
from .errors import ConfigParseError, IgnoredOptionWarning, InvalidStorageURLError, SignerOptionError
from .options import DEFAULT_EXPIRES_IN, SignerType, check_expires_in, check_text_option
from .result import PresignedURL
from .signer import SigningRequest, URLSigner, register_signer

S3_PROVIDER_TYPES = ("s3", "s8k", "gcs_s3", "ais_s3")

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

_CLIENT_METHODS = {"GET": "get_object", "PUT": "put_object", "HEAD": "head_object"}
_METHOD_OPTIONS = {  # signer option -> (boto3 parameter, methods it applies to)
    "content_type": ("ContentType", ("PUT",)),
    "content_disposition": ("ResponseContentDisposition", ("GET",)),
    "response_content_type": ("ResponseContentType", ("GET",)),
}


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
        # No base_path, "" or "/": each path starts with its bucket, as in MSC.
        bucket, _, prefix = str(options.get("base_path") or "").strip("/").partition("/")
        version = options.get("signature_version")
        if version not in (None, "s3v4", "v4"):
            raise ConfigParseError(
                f"{where}: signature_version {version!r} cannot make presigned URLs that work "
                f"everywhere; presigned URLs are always SigV4 (s3v4), remove the option"
            )
        endpoint = options.get("endpoint_url") or _DEFAULT_ENDPOINTS.get(provider_type)
        if provider_type in _NEEDS_ENDPOINT and not endpoint:
            raise ConfigParseError(f"{where}: set storage_provider.options.endpoint_url (the S3 API address)")
        s3_config = options.get("s3") or {}
        if not isinstance(s3_config, Mapping):
            raise ConfigParseError(f"{where}: option 's3' must be a mapping, e.g. {{addressing_style: path}}")
        style = s3_config.get("addressing_style")
        if style not in (None, "auto", "path", "virtual"):
            raise ConfigParseError(f"{where}: s3.addressing_style must be auto, path or virtual, not {style!r}")
        region = options.get("region_name") or _DEFAULT_REGIONS.get(provider_type)
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


_OPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_warned: set[tuple[str, Any]] = set()
_warned_lock = threading.Lock()


def warn_unknown_options(profile: str, options: Mapping[str, Any], known: set[str], shaping: list[str]) -> None:
    """Warn once per profile and option about a storage_provider option we do not know.

    MSC passes unknown options through to its provider, so an MSC config may carry
    some; signing goes on. Options we know but cannot honour are errors elsewhere.
    """
    for option in sorted(set(options) - known, key=str):
        with _warned_lock:
            if (profile, option) in _warned:
                continue
            _warned.add((profile, option))
        if isinstance(option, str) and _OPTION_NAME.fullmatch(option):
            close = difflib.get_close_matches(option, shaping, n=1)
            named = f"option {option!r}" + (f" (did you mean {close[0]}?)" if close else "")
        else:  # "secret_key SECRET" from a typo in a flow mapping: the name may hold a value
            named = "an option whose name is not a name (not shown: it may hold a mistyped value)"
        warnings.warn(
            f"profile {profile!r}: storage_provider {named} is not used for signing and is ignored; "
            f"options that shape a URL are {', '.join(shaping)}",
            IgnoredOptionWarning,
            stacklevel=2,
        )


class S3URLSigner(URLSigner):
    """SigV4 presigned URLs for GET, PUT and HEAD, via boto3."""

    signer_type = SignerType.S3.value
    methods = ("GET", "PUT", "HEAD")
    option_names = frozenset({"expires_in", *_METHOD_OPTIONS})

    def __init__(self, config) -> None:
        super().__init__(config)
        self.location = S3Location.from_config(config.provider_type, config.provider_options, config.profile)
        self._session = make_botocore_session(config)
        self._client = None

    def _check(self, request: SigningRequest) -> int:
        """Check the request's option values; return expires_in."""
        if "*" in request.path:
            raise SignerOptionError(
                f"{request.source}: an S3 presigned URL covers exactly one object, so '*' "
                f"cannot be used; use signer_type='cloudfront' to share everything under a prefix",
                field="path",
            )
        for option, (_, methods) in _METHOD_OPTIONS.items():
            if option in request.options:
                if request.method not in methods:
                    raise SignerOptionError(
                        f"signer option {option!r} applies to {'/'.join(methods)} URLs, not {request.method}",
                        field=option,
                    )
                check_text_option(option, request.options[option])
        return check_expires_in(request.options.get("expires_in", DEFAULT_EXPIRES_IN))

    def sign(self, request: SigningRequest) -> PresignedURL:
        expires_in = self._check(request)
        bucket, key = self.location.object(request.path)
        params = {"Bucket": bucket, "Key": key}
        for option, (parameter, _) in _METHOD_OPTIONS.items():
            if option in request.options:
                params[parameter] = request.options[option]
        # Read the expiry before signing: if botocore refreshes in between, the new
        # credentials last longer, so the expiry we report errs on the safe side.
        status = self.credentials()
        url = self.client().generate_presigned_url(
            _CLIENT_METHODS[request.method], Params=params, ExpiresIn=expires_in, HttpMethod=request.method
        )
        extras = {"key": key, "bucket": bucket, "credential_source": status.source}
        if "ContentType" in params:
            extras["content_type"] = params["ContentType"]
        return PresignedURL(
            url,
            method=request.method,
            source=request.source,
            signer_type=self.signer_type,
            signed_at=_signing_time(url),
            expires_in=expires_in,
            credential_expiry=status.expiry,
            extras=extras,
        )

    def credentials(self) -> CredentialStatus:
        return credential_status(self._session, self.config)

    def client(self):
        """The boto3 S3 client for this profile, made once (it costs ~50 ms)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            location = self.location
            config = Config(signature_version="s3v4", s3=dict(location.s3_config) or None)
            self._client = boto3.Session(botocore_session=self._session).client(
                "s3", endpoint_url=location.endpoint_url, region_name=location.region_name, config=config
            )
        return self._client


_AMZ_DATE = re.compile(r"[?&]X-Amz-Date=(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z")


def _signing_time(url: str) -> datetime:
    """The X-Amz-Date the URL was signed at: S3 counts X-Amz-Expires from it."""
    match = _AMZ_DATE.search(url)
    if match is None:  # would mean botocore did not sign SigV4: never hand that out
        raise RuntimeError("boto3 returned a URL without X-Amz-Date; refusing a non-SigV4 URL")
    return datetime(*map(int, match.groups()), tzinfo=timezone.utc)


register_signer(S3URLSigner, S3_PROVIDER_TYPES, native=True)
