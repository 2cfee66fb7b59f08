"""The S3 signer: SigV4 presigned URLs for s3, s8k, gcs_s3 and ais_s3.

Always SigV4 (botocore would otherwise still presign SigV2 in us-east-1), with
the profile's bucket/prefix, region, endpoint and addressing style. URLs come from
the hand-written SigV4 path in `sigv4` where it reproduces botocore's exactly
(about 100x faster), from botocore otherwise.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from . import times
from .credentials import AWSCredentials, CredentialStatus
from .errors import ConfigParseError, InvalidStorageURLError, PresignError
from .keys import check_object_key, refuse_prefix_share
from .listing import ListingPage, ObjectMetadata
from .options import SignerType, check_expires_in, check_header_options, warn_unknown_options
from .result import PresignedURL, SignerDetails
from .signer import SigningRequest, URLSigner, register_signer
from .sigv4 import BucketPresigner, FrozenCredentials

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

# What botocore itself accepts (botocore.utils.validate_region_name, VALID_BUCKET): checked
# here so a bad value is a config error naming its field, not a botocore traceback.
_REGION = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")
_BUCKET = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")

_CLIENT_METHODS = {"GET": "get_object", "PUT": "put_object", "HEAD": "head_object"}
_METHOD_OPTIONS = {  # signer option -> (boto3 parameter, methods it applies to)
    "content_type": ("ContentType", ("PUT",)),
    "content_disposition": ("ResponseContentDisposition", ("GET",)),
    "response_content_type": ("ResponseContentType", ("GET",)),
}


@dataclass(frozen=True)
class S3Details(SignerDetails):
    """What an S3 presigned URL was made for, and with which credentials."""

    bucket: str
    key: str
    credential_source: str
    content_type: str | None = None  # PUT: the Content-Type the uploader must send


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
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    try:
        valid = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and "@" not in endpoint and parts.port != 0 and not parts.query and not parts.fragment
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        shown = f"{endpoint!r}" if isinstance(endpoint, str) and "@" not in endpoint else "the value given"
        raise ConfigParseError(
            f"{where}: endpoint_url must be an http(s) URL with a host and no user name, such as "
            f"https://s3.example.com or http://127.0.0.1:8333; got {shown}"
        )


class S3URLSigner(URLSigner):
    """SigV4 presigned URLs for GET, PUT and HEAD (the fast path, else botocore), one or many;
    and listing."""

    signer_type = SignerType.S3.value
    methods = ("GET", "PUT", "HEAD")
    option_names = frozenset({"expires_in", *_METHOD_OPTIONS})

    def __init__(self, config) -> None:
        super().__init__(config)
        self.location = S3Location.from_config(config.provider_type, config.provider_options, config.profile)
        self._credentials = AWSCredentials(config)
        self._client = None
        self._signing_client_for: tuple[FrozenCredentials, Any] | None = None  # the last credentials' client
        self._client_lock = threading.Lock()
        self._presigner_lock = threading.Lock()
        self._presigner_decided = False
        self._presigner: BucketPresigner | None = None

    def _check(self, request: SigningRequest) -> int:
        """Check the request's option values; return expires_in."""
        refuse_prefix_share(
            request.path,
            request.source,
            "an S3 presigned URL covers exactly one object, so a trailing '*' cannot be signed as one URL; share "
            "everything under the prefix with share_prefix() (a signed manifest; %presign does it for GET) or "
            "signer_type='cloudfront'",
        )
        check_object_key(self.location.key(request.path), request.source)
        return check_header_options(request.options, request.method, _METHOD_OPTIONS)

    def sign(self, request: SigningRequest) -> PresignedURL:
        expires_in = self._check(request)
        bucket, key = self.location.object(request.path)
        params = {
            parameter: request.options[option]
            for option, (parameter, _) in _METHOD_OPTIONS.items()
            if option in request.options
        }
        # One load gives the credentials and their expiry together (it refuses expired ones):
        # both paths sign with exactly those, so the expiry shown is theirs.
        status, credentials = self._credentials.current()
        presigner = self._fast_presigner(credentials) if bucket == self.location.bucket else None
        if presigner is not None:
            signed_at = times.utcnow().replace(microsecond=0)  # X-Amz-Date has whole seconds
            url = presigner.presign(
                credentials, key, method=request.method, expires_in=expires_in, signed_at=signed_at, params=params
            )
        else:  # what the fast path does not cover, and buckets named in the path: botocore
            url = self._signing_client(credentials).generate_presigned_url(
                _CLIENT_METHODS[request.method],
                Params={"Bucket": bucket, "Key": key, **params},
                ExpiresIn=expires_in,
                HttpMethod=request.method,
            )
            signed_at = _signing_time(url)
        return self.signed(
            url,
            request,
            signed_at=signed_at,
            expires_in=expires_in,
            credential_expiry=status.expiry,
            details=S3Details(bucket, key, status.source, params.get("ContentType")),
        )

    def sign_many(self, paths: Iterable[str], *, expires_in: int, signed_at: datetime) -> list[str]:
        """GET URLs for many objects, all signed at ``signed_at`` (timezone-aware) and valid
        for ``expires_in`` seconds. ``paths`` are relative to the profile, as a listing
        gives them, and taken literally (``*`` included).

        Call `credentials` first for their expiry. Where the fast path does not cover
        the profile, botocore signs each URL at its own clock's time, which is no
        earlier than ``signed_at`` when that is now: those URLs never expire sooner.
        """
        if signed_at.tzinfo is None:
            raise ValueError("signed_at must be timezone-aware (UTC)")
        expires_in = check_expires_in(expires_in)
        _, credentials = self._credentials.current()  # refuses expired credentials before any URL is made
        presigner = self._fast_presigner(credentials)
        if presigner is not None:
            keys = map(self.location.key, paths)
            return presigner.presign_many(credentials, keys, expires_in=expires_in, signed_at=signed_at)
        client = self._signing_client(credentials)
        return [
            client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in)
            for bucket, key in map(self.location.object, paths)
        ]

    def _fast_presigner(self, credentials: FrozenCredentials) -> BucketPresigner | None:
        """The SigV4 fast path for this profile's bucket, decided on first use; None: botocore signs
        (also for a profile whose paths name their bucket: the path is for one bucket)."""
        if not self.location.bucket:
            return None
        with self._presigner_lock:
            if not self._presigner_decided:
                client = self._signing_client(credentials)
                self._presigner = BucketPresigner.for_client(client, self.location.bucket, credentials)
                self._presigner_decided = True
            return self._presigner

    def credentials(self) -> CredentialStatus:
        return self._credentials.status()

    def client(self):
        """The botocore S3 client for this profile, made once (it costs ~50 ms).

        botocore, not boto3: a boto3 Session wrapped around a shared botocore session
        re-injects its methods and breaks under concurrent first use.
        """
        with self._client_lock:
            if self._client is None:
                self._credentials.resolve()  # the client signs with the profile's credentials: find them first
                self._client = self._new_client()
            return self._client

    def _signing_client(self, credentials: FrozenCredentials):
        """A client made as `client` is, that signs with exactly ``credentials`` (fixed: botocore
        cannot refresh them while it signs). botocore's URLs and the fast path's probes use it,
        so every URL carries the credentials whose expiry `AWSCredentials.current` reported,
        and a refresh costs no extra run of a credential_process. One for the last credentials."""
        with self._client_lock:
            if self._signing_client_for is None or self._signing_client_for[0] != credentials:
                self._signing_client_for = (credentials, self._new_client(credentials))
            return self._signing_client_for[1]

    def _new_client(self, credentials: FrozenCredentials | None = None):
        from botocore.config import Config

        location = self.location
        keys = {} if credentials is None else {
            "aws_access_key_id": credentials.access_key,
            "aws_secret_access_key": credentials.secret_key,
            "aws_session_token": credentials.token,
        }  # fmt: skip
        return self._credentials.session.create_client(
            "s3",
            endpoint_url=location.endpoint_url,
            region_name=location.region_name,
            config=Config(signature_version="s3v4", s3=dict(location.s3_config) or None),
            **keys,
        )

    def list_page(self, prefix: str, *, delimiter: bool, page_size: int, token: str | None) -> ListingPage:
        import botocore.exceptions

        location = self.location
        if location.bucket:
            bucket, root, shown = location.bucket, f"{location.prefix}/" if location.prefix else "", ""
            listed = root + prefix
        else:  # a profile whose paths start with their bucket
            bucket, _, listed = prefix.partition("/")
            if not bucket:
                raise PresignError(
                    f"profile {self.config.profile!r} names no bucket in its base_path: type BUCKET/ to list a bucket",
                    field="path",
                )
            root, shown = "", f"{bucket}/"
        request = {"Bucket": bucket, "Prefix": listed, "MaxKeys": page_size}
        if delimiter:
            request["Delimiter"] = "/"
        if token:
            request["ContinuationToken"] = token
        self.credentials()  # the same expiry check as signing: no listing with dead credentials
        where = f"{prefix or 'the top level'!r} in profile {self.config.profile!r}"
        try:
            response = self.client().list_objects_v2(**request)
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise PresignError(f"cannot list {where}: {code}", field="path") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise PresignError(f"cannot list {where}: {exc}", field="path") from None
        entries = [
            ObjectMetadata(shown + p["Prefix"][len(root) :], type="directory") for p in response.get("CommonPrefixes", [])
        ]
        entries += [
            ObjectMetadata(shown + o["Key"][len(root) :], o.get("Size"), o.get("LastModified"))
            for o in response.get("Contents", [])
        ]
        if delimiter:
            entries.sort(key=lambda entry: entry.key)
        return ListingPage(entries, response.get("NextContinuationToken") if response.get("IsTruncated") else None)


_AMZ_DATE = re.compile(r"[?&]X-Amz-Date=(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z")


def _signing_time(url: str) -> datetime:
    """The X-Amz-Date the URL was signed at: S3 counts X-Amz-Expires from it."""
    match = _AMZ_DATE.search(url)
    if match is None:  # would mean botocore did not sign SigV4: never hand that out
        raise RuntimeError("boto3 returned a URL without X-Amz-Date; refusing a non-SigV4 URL")
    return datetime(*map(int, match.groups()), tzinfo=timezone.utc)


register_signer(S3URLSigner, S3_PROVIDER_TYPES, native=True)
