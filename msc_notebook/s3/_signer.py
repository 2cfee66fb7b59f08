"""The S3 signer: SigV4 presigned URLs for s3, s8k, gcs_s3 and ais_s3.

Always SigV4 (botocore would otherwise still presign SigV2 in us-east-1), with
the profile's bucket/prefix, region, endpoint and addressing style. URLs come from
the hand-written SigV4 path in `sigv4` where it reproduces botocore's exactly
(about 100x faster), from botocore otherwise.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..core import _times as times
from ..core._bounds import StorageBounds
from ..core._errors import PresignError
from ..core._keys import check_object_key, refuse_prefix_share
from ..core._listing import ListingPage, ObjectMetadata
from ..core._options import SignerType, check_expires_in, check_header_options
from ..core._post import PresignedPost
from ..core._result import CredentialStatus, PresignedURL, SignerDetails
from ..core._signer import SigningRequest, URLSigner
from ._answers import no_answer, refusal
from ._credentials import AWSCredentials
from ._frozen import FrozenS3Profile
from ._location import S3Location
from ._multipart import presign_multipart_upload
from ._post import MAX_POST_SIZE, presigned_post
from ._sigv4 import BucketPresigner, FrozenCredentials
from ._write import delete_object, put_object

if TYPE_CHECKING:
    from ..core._config import StorageClientConfig

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


class S3URLSigner(URLSigner):
    """SigV4 presigned URLs for GET, PUT and HEAD (the fast path, else botocore), one or many;
    and listing."""

    signer_type = SignerType.S3.value
    methods = ("GET", "PUT", "HEAD")
    option_names = frozenset({"expires_in", *_METHOD_OPTIONS})

    def __init__(self, config: StorageClientConfig, *, read_files: bool = True) -> None:
        """``read_files=False``: never read the AWS config and credential files (`thaw_profile`)."""
        super().__init__(config)
        self.location = S3Location.from_config(config.provider_type, config.provider_options, config.profile)
        self._credentials = AWSCredentials(config, read_files=read_files)
        self.bounds = StorageBounds.from_options(config.provider_options, f"profile {config.profile!r}")
        self._client: Any = None
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
            "everything under the prefix with share_prefix() (a signed manifest, for GET) or "
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

    post_size_limit = MAX_POST_SIZE

    def generate_presigned_post(
        self, path: str, source: str, *, max_size: int, min_size: int, content_type: str | None, expires_in: int,
        drop_box: bool, max_size_is_default: bool,
    ) -> PresignedPost:  # fmt: skip
        """An upload policy for ``path`` (a drop box: ``path`` is the prefix, ending in ``/``), its
        arguments already checked: botocore's own POST presigner, with the credentials whose expiry it shows."""
        bucket, key = self.location.object(path)
        status, credentials = self._credentials.current()
        return presigned_post(
            self._signing_client(credentials), status, bucket=bucket, key=key, source=source, drop_box=drop_box,
            max_size=max_size, min_size=min_size, content_type=content_type, expires_in=expires_in,
            max_size_is_default=max_size_is_default,
            details=S3Details(bucket, key, status.source, content_type),
        )  # fmt: skip

    def write_object(self, path: str, body: bytes, *, content_type: str, overwrite: bool = False) -> None:
        """Write one object with the profile's credentials; unless ``overwrite``, only if its key is
        free (an existing object raises ObjectExistsError and is left as it is)."""
        bucket, key = self.location.object(path)
        put_object(
            self.client(), bucket, key, body, content_type=content_type, overwrite=overwrite,
            location=self.config.source_url(path), where=f"profile {self.config.profile!r}", bounds=self.bounds,
        )  # fmt: skip

    def delete_object(self, path: str) -> bool:
        """Delete one object with the profile's credentials; whether it existed."""
        bucket, key = self.location.object(path)
        return delete_object(self.client(), bucket, key, location=self.config.source_url(path),
                             where=f"profile {self.config.profile!r}")  # fmt: skip

    def credentials(self) -> CredentialStatus:
        return self._credentials.status()

    def client(self) -> Any:  # a botocore S3 client: its operations are made at run time
        """The botocore S3 client for this profile, made once (it costs ~50 ms).

        botocore, not boto3: a boto3 Session wrapped around a shared botocore session
        re-injects its methods and breaks under concurrent first use.
        """
        with self._client_lock:
            if self._client is None:
                self._credentials.resolve()  # the client signs with the profile's credentials: find them first
                self._client = self._new_client()
            return self._client

    def _signing_client(self, credentials: FrozenCredentials) -> Any:  # a botocore S3 client: its operations are made at run time
        """A client made as `client` is, that signs with exactly ``credentials`` (fixed: botocore
        cannot refresh them while it signs). botocore's URLs and the fast path's probes use it,
        so every URL carries the credentials whose expiry `AWSCredentials.current` reported,
        and a refresh costs no extra run of a credential_process. One for the last credentials."""
        with self._client_lock:
            if self._signing_client_for is None or self._signing_client_for[0] != credentials:
                self._signing_client_for = (credentials, self._new_client(credentials))
            return self._signing_client_for[1]

    def _new_client(self, credentials: FrozenCredentials | None = None) -> Any:  # a botocore S3 client: its operations are made at run time
        from botocore.config import Config

        location = self.location
        s3_config: Any = dict(location.s3_config) or None  # botocore's stubs type it as a TypedDict
        config = Config(signature_version="s3v4", s3=s3_config, **_botocore_bounds(self.bounds))
        if credentials is None:
            return self._credentials.session.create_client(
                "s3", endpoint_url=location.endpoint_url, region_name=location.region_name, config=config
            )
        return self._credentials.session.create_client(
            "s3",
            endpoint_url=location.endpoint_url,
            region_name=location.region_name,
            config=config,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
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
        what = f"the listing of {prefix or 'the top level'!r} in profile {self.config.profile!r}"
        client = self.client()
        started = time.monotonic()
        try:
            response = client.list_objects_v2(**request)
        except botocore.exceptions.ClientError as exc:
            raise refusal(exc, what, where=f"profile {self.config.profile!r}", field="path") from None
        except botocore.exceptions.BotoCoreError as exc:  # no answer, after every attempt
            raise no_answer(
                exc, what, endpoint=client.meta.endpoint_url, bounds=self.bounds, waited=time.monotonic() - started
            ) from None
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

    def freeze(self) -> FrozenS3Profile:
        """This profile with the credentials it signs with now, to send to worker processes (a Dask
        share) that must sign, list and write as this signer does, without the user's files."""
        _, credentials = self._credentials.current()  # refuses expired credentials
        options = {name: value for name, value in self.config.provider_options.items() if name != "profile_name"}
        return FrozenS3Profile(self.config.profile, self.config.provider_type, options,
                               credentials.access_key, credentials.secret_key, credentials.token)  # fmt: skip

    # Create a multipart upload and presign its parts, completion and abort (s3/_multipart.py).
    presign_multipart_upload = presign_multipart_upload


_AMZ_DATE = re.compile(r"[?&]X-Amz-Date=(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z")


def _signing_time(url: str) -> datetime:
    """The X-Amz-Date the URL was signed at: S3 counts X-Amz-Expires from it."""
    match = _AMZ_DATE.search(url)
    if match is None:  # would mean botocore did not sign SigV4: never hand that out
        raise RuntimeError("boto3 returned a URL without X-Amz-Date; refusing a non-SigV4 URL")
    year, month, day, hour, minute, second = map(int, match.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


def _botocore_bounds(bounds: StorageBounds) -> dict[str, Any]:
    """``bounds`` as botocore's Config arguments (its retries count the first try in total_max_attempts)."""
    return {
        "connect_timeout": bounds.connect_timeout,
        "read_timeout": bounds.read_timeout,
        "retries": {"mode": bounds.retry_mode, "total_max_attempts": bounds.attempts},
    }
