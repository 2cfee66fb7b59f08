"""S3 multipart uploads for large files: created with the profile's credentials, finished by anyone
holding the presigned URLs (a PUT per part, the completion POST, the abort DELETE).

Every argument is checked before anything is sent. The upload is created through the signer's
botocore client, so its `StorageBounds` retries and timeouts apply and errors read as a write's
do (`_write`): 403 speaks of credentials, a 5xx after the retries names the storage's answer, no
answer says what did not answer. A retried creation may meet its own first attempt, created
before its answer was lost: the uploads of the same key that the storage started within the call
and that are not the one it answered with are aborted, so exactly one is left. Once the upload
exists, anything that stops the URLs from being handed out (an error, Ctrl-C) aborts it.

The URLs come from the SigV4 fast path (`_sigv4`) where it covers the profile, checked at run
time against botocore's own URLs for this upload (a part, the completion, the abort) byte for
byte; otherwise from botocore. Measured on a busy 2-core machine, 10,000 parts: fast path
29-36 ms, botocore 2.9-3.3 s; the whole call, creation included, 63-73 ms on the fast path
(`tests/s3/test_multipart.py::test_presigning_10000_parts`, with -s).
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from ..core._errors import InvalidStorageURLError, StorageTimeoutError, StorageWriteError
from ..core._keys import check_object_key, refuse_prefix_share
from ..core._multipart import MultipartUpload, UploadPart, choose_part_size, plan_parts
from ..core._options import DEFAULT_EXPIRES_IN, check_expires_in, check_text_option
from ._answers import no_answer, refusal
from ._sigv4 import BucketPresigner, FrozenCredentials, MultipartPresigner

if TYPE_CHECKING:
    from ._signer import S3URLSigner

_WINDOW_MARGIN = timedelta(seconds=2)  # the storage's clock counts whole seconds


def presign_multipart_upload(
    signer: S3URLSigner,
    path: str,
    source: str,
    *,
    size: int | str,
    part_size: int | str | None = None,
    expires_in: int | timedelta | None = None,
    content_type: str | None = None,
) -> MultipartUpload:
    """Create a multipart upload of ``size`` bytes at ``path`` (a profile path; ``source`` is how the
    user named it) and presign its parts, completion and abort for ``expires_in`` seconds (None: an
    hour). ``part_size`` None: 8 MiB, doubled until at most 10,000 parts. ``content_type``: the
    object's, set now (S3 takes it at creation). Sizes may be text (``"20GB"``)."""
    if not isinstance(path, str) or not path:
        raise InvalidStorageURLError("path must be a non-empty object path such as 'datasets/model.bin'")
    refuse_prefix_share(
        path,
        source,
        "a multipart upload writes exactly one object, so a trailing '*' cannot be uploaded to; name the key",
    )
    check_object_key(signer.location.key(path), source)
    total, chosen = choose_part_size(size, part_size)
    plan = plan_parts(total, chosen)
    lifetime = check_expires_in(DEFAULT_EXPIRES_IN if expires_in is None else expires_in)
    if content_type is not None:
        check_text_option("content_type", content_type)
    bucket, key = signer.location.object(path)
    status, credentials = signer._credentials.current()  # refuses expired credentials before anything is created
    client = signer.client()
    where = f"profile {signer.config.profile!r}"
    upload_id, answered = _create(client, bucket, key, content_type, source=source, where=where, signer=signer)
    with _handed_out_lock:
        _handed_out.add(upload_id)
    try:
        if answered.retried:
            _abort_strays(client, bucket, key, keep=upload_id, started=answered.started, ended=answered.ended)
        presigner = signer._fast_presigner(credentials) if bucket == signer.location.bucket else None
        signed = _presign(signer._signing_client(credentials), presigner, credentials, bucket, key, upload_id,
                          len(plan), lifetime)  # fmt: skip
    except BaseException as exc:  # an error or Ctrl-C: no URLs are handed out, so nothing may stay behind
        _abort_after_failure(client, bucket, key, upload_id, exc, source)
        raise
    part_urls, complete_url, abort_url, signed_at = signed
    return MultipartUpload(
        upload_id=upload_id,
        source=source,
        signer_type=signer.signer_type,
        bucket=bucket,
        key=key,
        size=total,
        part_size=chosen,
        parts=[UploadPart(n, url, *place) for n, (url, place) in enumerate(zip(part_urls, plan, strict=True), 1)],
        complete_url=complete_url,
        abort_url=abort_url,
        signed_at=signed_at,
        expires_in=lifetime,
        credential_expiry=status.expiry,
        content_type=content_type,
    )


class _Answered:
    """When the storage started and answered the creation (its own clock), and whether it was retried."""

    def __init__(self, response: dict[str, Any], waited: float) -> None:
        meta = response.get("ResponseMetadata", {})
        self.retried = meta.get("RetryAttempts", 0) > 0
        try:
            self.ended = parsedate_to_datetime(meta.get("HTTPHeaders", {})["date"]).astimezone(timezone.utc)
        except (KeyError, TypeError, ValueError):
            self.ended = datetime.now(timezone.utc)
        self.started = self.ended - timedelta(seconds=waited)


def _create(
    client: Any, bucket: str, key: str, content_type: str | None, *, source: str, where: str, signer: S3URLSigner
) -> tuple[str, _Answered]:
    """CreateMultipartUpload with the profile's credentials (botocore's retries within the bounds)."""
    import botocore.exceptions

    what = f"the creation of a multipart upload of {source}"
    extra = {} if content_type is None else {"ContentType": content_type}
    started = time.monotonic()
    try:
        response = client.create_multipart_upload(Bucket=bucket, Key=key, **extra)
    except KeyboardInterrupt as exc:  # its id may never reach us: say where to look
        exc.add_note(
            f"Interrupted while the storage created a multipart upload of {source}. {_maybe_created(bucket, key)}"
        )
        raise
    except botocore.exceptions.ClientError as exc:
        raise refusal(exc, what, where=where, field="path", failure=StorageWriteError) from None
    except botocore.exceptions.BotoCoreError as exc:  # no answer, after every attempt
        error = no_answer(exc, what, endpoint=client.meta.endpoint_url, bounds=signer.bounds,
                          waited=time.monotonic() - started)  # fmt: skip
        kind = StorageTimeoutError if isinstance(error, StorageTimeoutError) else StorageWriteError
        raise kind(f"{error}. {_maybe_created(bucket, key)}", field="path") from None
    return str(response["UploadId"]), _Answered(response, time.monotonic() - started)


def _maybe_created(bucket: str, key: str) -> str:
    return (
        f"An upload may have been created all the same; it costs storage until aborted: list the unfinished uploads "
        f"of key {key!r} in bucket {bucket!r} (ListMultipartUploads, e.g. aws s3api list-multipart-uploads) and "
        f"abort each (AbortMultipartUpload)"
    )


_handed_out: set[str] = set()  # upload ids this process created and kept: never taken for strays
_handed_out_lock = threading.Lock()


def _abort_strays(client: Any, bucket: str, key: str, *, keep: str, started: datetime, ended: datetime) -> None:
    """After a retried creation: abort the uploads of ``key`` the storage started during the call,
    except ``keep`` (an attempt whose answer was lost created one) and any other this process created
    (another thread's, of the same key at the same moment). One made elsewhere in those same seconds
    would be taken too: the storage cannot tell whose it is. Best effort: a failure here leaves
    them, as a lost answer would have."""
    import botocore.exceptions

    earliest, latest = started - _WINDOW_MARGIN, ended + _WINDOW_MARGIN
    with contextlib.suppress(botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        listed = client.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
        for upload in listed:
            initiated = upload.get("Initiated")
            with _handed_out_lock:
                ours = upload.get("UploadId") in _handed_out
            if upload.get("Key") != key or upload.get("UploadId") == keep or ours or not isinstance(initiated, datetime):
                continue
            if earliest <= initiated.astimezone(timezone.utc) <= latest:
                client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])


def _abort_after_failure(client: Any, bucket: str, key: str, upload_id: str, error: BaseException, source: str) -> None:
    """Abort the upload that ``error`` stopped; if that fails too, say so on ``error`` (it is raised)."""
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except BaseException as abort_error:  # Ctrl-C again, or the storage: the first error is the one raised
        error.add_note(
            f"The multipart upload {upload_id} of {source} could not be aborted ({type(abort_error).__name__}: "
            f"{abort_error}); it costs storage until aborted: abort it with the profile's credentials (AbortMultipartUpload "
            f"of key {key!r} in bucket {bucket!r}, e.g. aws s3api abort-multipart-upload)"
        )


def _presign(
    client: Any,
    presigner: BucketPresigner | None,
    credentials: FrozenCredentials,
    bucket: str,
    key: str,
    upload_id: str,
    count: int,
    expires_in: int,
) -> tuple[list[str], str, str, datetime]:
    """Part URLs, completion and abort URL, and the instant they are signed at."""
    from ._signer import _signing_time

    def botocore_url(number: int | None, operation: str, method: str) -> str:
        # botocore puts the query parameters in the order they are given: the fast path's order
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if number is not None:
            params["PartNumber"] = number
        params["UploadId"] = upload_id
        return str(client.generate_presigned_url(operation, Params=params, ExpiresIn=expires_in, HttpMethod=method))

    probes = [
        botocore_url(1, "upload_part", "PUT"),
        botocore_url(None, "complete_multipart_upload", "POST"),
        botocore_url(None, "abort_multipart_upload", "DELETE"),
    ]
    if presigner is not None:
        fast = MultipartPresigner(presigner, credentials, key, upload_id, expires_in)
        if fast.matches(probes, _signing_time):
            signed_at = _signing_time(probes[0])
            return fast.all(count, signed_at)
    parts = [probes[0], *(botocore_url(number, "upload_part", "PUT") for number in range(2, count + 1))]
    # botocore reads its clock for every URL: the earliest instant is when they all work from and
    # the lifetime is counted from (the later ones live a second longer at most)
    signed_at = min(_signing_time(url) for url in (*parts, *probes[1:]))
    return parts, probes[1], probes[2], signed_at


