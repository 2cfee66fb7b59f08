"""Writing one object to S3-style storage, create-only unless asked, with botocore's retries.

Create-only is S3's conditional write, ``If-None-Match: *``: the storage refuses (412) when the
key exists. botocore retries what is transient (5xx, SlowDown, resets) within the client's
retry budget, so a retried write may meet its own first attempt, stored before its answer was
lost: an existing object with exactly the body sent (its ETag is the body's MD5) counts as
written. After the retries, the error names the storage's own answer; only a refusal of
access (403) speaks of credentials.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..core._errors import CredentialsError, ObjectExistsError, StorageWriteError


def put_object(
    client: Any, bucket: str, key: str, body: bytes, *, content_type: str, overwrite: bool, location: str
) -> None:
    """PUT ``body`` at ``bucket``/``key`` (``location``: how messages name it) with ``client``."""
    import botocore.exceptions

    condition = {} if overwrite else {"IfNoneMatch": "*"}
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **condition)
    except botocore.exceptions.ClientError as exc:
        answer = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        status, code = meta.get("HTTPStatusCode"), answer.get("Code") or "no error code"
        if status == 412 and not overwrite:
            if _holds(client, bucket, key, body):
                return  # our own earlier attempt, whose answer was lost
            raise ObjectExistsError(f"{location} already exists and was left as it is") from None
        if status == 403:
            raise CredentialsError(f"the storage refused the write of {location} ({status} {code})") from None
        attempts = meta.get("RetryAttempts", 0) + 1
        raise StorageWriteError(
            f"{location} was not written: the storage answered {status} {code} after {attempts} "
            f"attempt{'s' if attempts != 1 else ''}"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:  # unreachable, reset, timed out: after the retries
        raise StorageWriteError(
            f"{location} may not have been written: {exc} (if it was, it is complete: S3 stores an "
            f"object whole or not at all)"
        ) from None


def _holds(client: Any, bucket: str, key: str, body: bytes) -> bool:
    """Whether the object at ``key`` is exactly ``body`` (a single-part object's ETag is its MD5)."""
    import botocore.exceptions

    try:
        etag = client.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    except botocore.exceptions.ClientError:
        return False
    return etag == hashlib.md5(body, usedforsecurity=False).hexdigest()
