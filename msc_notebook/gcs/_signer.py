"""The GCS signer: V4 signed URLs (``GOOG4-RSA-SHA256``) for ``gcs`` profiles, and their listing.

GET, PUT (with a signed ``content_type`` the uploader must send) and HEAD, 1 s to 7 days; and
upload policies (POST policy V4, `gcs._post`): one key or a drop box, a size range, a type.
A service-account key signs locally and does not expire, so a URL lives its whole
``expires_in``; a keyless identity signs through IAM's signBlob (`GCSCredentials`).
Listing goes through google-cloud-storage with the same credentials, bounded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core import _times as times
from ..core._bounds import StorageBounds
from ..core._errors import (
    CredentialsError,
    ObjectExistsError,
    PresignError,
    SignerOptionError,
    StorageError,
    StorageTimeoutError,
    StorageWriteError,
)
from ..core._fetch import TRANSIENT, send
from ..core._keys import check_object_key, refuse_prefix_share
from ..core._listing import ListingPage, ObjectMetadata
from ..core._options import check_expires_in, check_header_options
from ..core._post import PresignedPost
from ..core._result import CredentialStatus, PresignedURL, SignerDetails
from ..core._signer import SigningRequest, URLSigner
from ._bulk import sign_paths
from ._credentials import GCSCredentials, require_google_auth
from ._location import GCSLocation, check_style
from ._post import MAX_POST_SIZE, post_policy, post_url
from ._v4 import MAX_EXPIRES_IN, template

_METHOD_OPTIONS = {  # signer option -> (what it becomes, methods it applies to)
    "content_type": ("content-type", ("PUT",)),  # a signed header
    "content_disposition": ("response-content-disposition", ("GET",)),  # signed query parameters
    "response_content_type": ("response-content-type", ("GET",)),
}
_STYLE_OPTIONS = ("url_style", "bucket_bound_hostname", "universe_domain")
_PROFILE_OPTIONS = ("service_account", "iam_endpoint")  # who signs: the profile's, not one URL's


@dataclass(frozen=True)
class GCSDetails(SignerDetails):
    """What a GCS signed URL was made for, and who signed it."""

    bucket: str
    key: str  # an upload policy's drop box: the prefix every key starts with
    signed_by: str  # the service account's email
    credential_source: str  # a key file, the profile's key, or IAM signBlob
    content_type: str | None = None  # PUT and POST: the Content-Type the uploader must send


class GCSURLSigner(URLSigner):
    """V4 signed URLs for GET, PUT and HEAD on GCS; and listing."""

    signer_type = "gcs"
    methods = ("GET", "PUT", "HEAD")
    option_names = frozenset({"expires_in", *_METHOD_OPTIONS, *_STYLE_OPTIONS, *_PROFILE_OPTIONS})

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.location = GCSLocation.from_config(config.provider_options, config.profile)
        self.bounds = StorageBounds.from_options(config.provider_options, f"profile {config.profile!r}")
        self._presign = dict(config.presign.get("gcs") or {})
        check_style(self._presign)
        self._credentials = GCSCredentials(config, self._presign, self.bounds)
        self._client: Any = None
        self._client_lock = threading.Lock()

    def _check(self, request: SigningRequest) -> int:
        refuse_prefix_share(
            request.path,
            request.source,
            "a GCS signed URL covers exactly one object, so a trailing '*' cannot be signed as one URL; share "
            "everything under the prefix with share_prefix() (a signed manifest, for GET)",
        )
        check_object_key(self.location.key(request.path), request.source)
        for name in _PROFILE_OPTIONS:
            if request.options.get(name) != self._presign.get(name):
                raise SignerOptionError(
                    f"{name} says who signs for the whole profile: set it in the profile's presign: {{gcs: ...}} section",
                    field=name,
                )
        check_style(request.options)
        expires_in = check_header_options(request.options, request.method, _METHOD_OPTIONS)
        return check_expires_in(expires_in, MAX_EXPIRES_IN)

    def sign(self, request: SigningRequest) -> PresignedURL:
        expires_in = self._check(request)
        options = request.options
        headers = {"content-type": options["content_type"]} if "content_type" in options else {}
        query = {
            parameter: options[option]
            for option, (parameter, _) in _METHOD_OPTIONS.items()
            if option in options and option != "content_type"
        }
        key = self.location.key(request.path)
        signer = self._credentials.signer()
        signed_at = times.utcnow().replace(microsecond=0)  # X-Goog-Date has whole seconds
        signing = template(request.method, self.location.endpoint(options), signer.email, signed_at, expires_in,
                           tuple(headers.items()), tuple(query.items()))  # fmt: skip
        url = signing.url(self.location.path(key, options), signer.sign)
        details = GCSDetails(self.location.bucket, key, signer.email, signer.source, options.get("content_type"))
        return self.signed(url, request, signed_at=signed_at, expires_in=expires_in, details=details)

    def sign_many(self, paths: Iterable[str], *, expires_in: int, signed_at: datetime) -> list[str]:
        """GET URLs for many profile paths, all signed at ``signed_at`` with one parsed key."""
        expires_in = check_expires_in(expires_in, MAX_EXPIRES_IN)
        signer = self._credentials.signer()
        style, location = self._presign, self.location
        signing = ("GET", location.endpoint(style), signer.email, signed_at, expires_in)
        return sign_paths(signer, signing, [location.path(location.key(path), style) for path in paths])

    post_size_limit = MAX_POST_SIZE  # 5 TiB: GCS's most for one upload (no POST-specific limit)

    def generate_presigned_post(
        self, path: str, source: str, *, max_size: int, min_size: int, content_type: str | None, expires_in: int,
        drop_box: bool, max_size_is_default: bool,
    ) -> PresignedPost:  # fmt: skip
        """An upload policy (POST policy V4) for ``path``, its arguments already checked; a drop box:
        ``path`` is the prefix (ending in ``/``, or empty), the key ``PREFIX${filename}``, limited by
        ``starts-with`` on the storage key's prefix (the profile's base_path prefix included). The
        size range always, an exact Content-Type when given; in the profile's URL style."""
        expires_in = check_expires_in(expires_in, MAX_EXPIRES_IN)
        key = check_object_key(self.location.key(path), source)
        signer = self._credentials.signer()
        signed_at = times.utcnow().replace(microsecond=0)  # x-goog-date has whole seconds
        fields = {"content-type": content_type} if content_type is not None else {}
        signed = post_policy(
            signer, post_url(self.location, self._presign), self.location.bucket, key, expiration=expires_in,
            timestamp=signed_at, conditions=[["content-length-range", min_size, max_size]], fields=fields,
            drop_box=drop_box,
        )  # fmt: skip
        return PresignedPost(
            signed["url"], signed["fields"], source=source, signer_type=self.signer_type, signed_at=signed_at,
            expires_in=expires_in, max_size=max_size, min_size=min_size, key_prefix=key if drop_box else None,
            content_type=content_type, max_size_is_default=max_size_is_default,
            credential_expiry=self.credentials().expiry,
            details=GCSDetails(self.location.bucket, key, signer.email, signer.source, content_type),
        )  # fmt: skip

    def write_object(self, path: str, body: bytes, *, content_type: str, overwrite: bool = False) -> None:
        """Write one object through a signed PUT (the profile's own signature, so a key needs no
        other library); unless ``overwrite``, create-only: ``x-goog-if-generation-match: 0``, signed,
        makes GCS refuse (412) when the object exists. A retried PUT that meets its own first
        attempt (the same bytes) counts as written."""
        location = self.config.source_url(path)
        headers = {"content-type": content_type, **({} if overwrite else {"x-goog-if-generation-match": "0"})}
        try:
            status = send("PUT", self._signed("PUT", path, headers), what=f"the write of {location}", body=body,
                          headers=headers, bounds=self.bounds).status  # fmt: skip
        except StorageError as exc:  # no answer after every attempt
            raise type(exc)(f"{exc}. It may have been written: if {location} exists, it is complete (GCS stores an "
                            f"object whole or not at all)", field="path") from None  # fmt: skip
        if status == 412 and not overwrite:
            if self._holds(path, body):
                return
            raise ObjectExistsError(f"{location} already exists and was left as it is")
        if status in (401, 403):
            raise CredentialsError(f"the storage refused the write of {location} ({status}): the credentials of "
                                   f"profile {self.config.profile!r} are not allowed to do it")  # fmt: skip
        if status not in (200, 201):
            raise StorageWriteError(f"the storage failed the write of {location}: {status} after "
                                    f"{self.bounds.attempts if status in TRANSIENT else 1} attempts", field="path")  # fmt: skip

    def delete_object(self, path: str) -> bool:
        """Delete one object through a signed DELETE; whether it existed."""
        location = self.config.source_url(path)
        status = send("DELETE", self._signed("DELETE", path, {}), what=f"the deletion of {location}",
                      bounds=self.bounds).status  # fmt: skip
        if status in (401, 403):
            raise CredentialsError(f"the storage refused the deletion of {location} ({status}): the credentials of "
                                   f"profile {self.config.profile!r} are not allowed to do it")  # fmt: skip
        if status not in (200, 204, 404):
            raise StorageWriteError(f"the storage failed the deletion of {location}: {status}", field="path")
        return status != 404

    def _holds(self, path: str, body: bytes) -> bool:
        answer = send("GET", self._signed("GET", path, {}), what="a check of the write", bounds=self.bounds)
        return answer.status == 200 and answer.body == body

    def _signed(self, method: str, path: str, headers: dict[str, str]) -> str:
        """A short-lived URL (5 min) for the library's own call, in the profile's URL style."""
        signer = self._credentials.signer()
        signed_at = times.utcnow().replace(microsecond=0)
        signing = template(method, self.location.endpoint(self._presign), signer.email, signed_at, 300,
                           tuple(headers.items()))  # fmt: skip
        return signing.url(self.location.path(self.location.key(path), self._presign), signer.sign)

    def credentials(self) -> CredentialStatus:
        """Who signs; a service account's signature does not expire before the URL does."""
        signer = self._credentials.signer()
        source = signer.source if signer.keyless else f"{signer.email}, {signer.source}"
        return CredentialStatus(access_key=signer.email, source=source, expiry=None)

    def list_page(self, prefix: str, *, delimiter: bool, page_size: int, token: str | None) -> ListingPage:
        root = f"{self.location.prefix}/" if self.location.prefix else ""
        where = f"the listing of {prefix or 'the top level'!r} in profile {self.config.profile!r}"
        started = time.monotonic()
        try:
            iterator = self._storage().list_blobs(
                self.location.bucket, prefix=root + prefix, delimiter="/" if delimiter else None,
                max_results=page_size, page_token=token, timeout=(self.bounds.connect_timeout, self.bounds.read_timeout),
            )  # fmt: skip
            page = next(iterator.pages)
            blobs = list(page)
        except Exception as exc:  # google-api-core's errors; the message names the cause
            raise _listing_error(exc, where, time.monotonic() - started) from None
        entries = [ObjectMetadata(p[len(root) :], type="directory") for p in sorted(page.prefixes)]
        entries += [ObjectMetadata(b.name[len(root) :], b.size, b.updated) for b in blobs]
        if delimiter:
            entries.sort(key=lambda entry: entry.key)
        return ListingPage(entries, iterator.next_page_token)

    def _storage(self) -> Any:
        """The google-cloud-storage client for listing, made once."""
        require_google_auth()
        with self._client_lock:
            if self._client is None:
                from google.cloud import storage

                endpoint = self.location.endpoint_url
                options = {"api_endpoint": f"{endpoint[0]}://{endpoint[1]}"} if endpoint else None
                project = self.config.provider_options.get("project_id") or None
                self._client = storage.Client(
                    project=project, credentials=self._credentials.google_credentials(), client_options=options
                )
            return self._client


def _listing_error(exc: Exception, where: str, waited: float) -> PresignError:
    status = getattr(exc, "code", None)
    if status in (401, 403):
        return CredentialsError(f"the storage refused {where} ({status}): the credentials may not list it")
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return StorageTimeoutError(f"GCS did not answer {where} within {waited:.0f} s: {exc}")
    return PresignError(f"cannot list: {where} failed: {exc}", field="path")
