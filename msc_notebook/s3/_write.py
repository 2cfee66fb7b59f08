"""Writing one object to S3-style storage, create-only unless asked, with botocore's retries.

Create-only is S3's conditional write, ``If-None-Match: *``: the storage refuses (412) when the
key exists. botocore retries what is transient (5xx, SlowDown, resets) within the client's
`StorageBounds`, so a retried write may meet its own first attempt, stored before its answer
was lost: an existing object with exactly the body sent (its ETag is the body's MD5) counts as
written. The same check runs when every answer was lost, so a stored object is never left
behind by a call that reports failure; only a server that stopped answering leaves the
question open, and then the error says where the object may lie. After the retries, the
error names the storage's own answer; only a refusal of access (403) speaks of credentials.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from ..core._bounds import StorageBounds
from ..core._errors import ObjectExistsError, StorageWriteError
from ._answers import StorageAnswer, is_timeout, no_answer, refusal


def put_object(
    client: Any,
    bucket: str,
    key: str,
    body: bytes,
    *,
    content_type: str,
    overwrite: bool,
    location: str,
    where: str,
    bounds: StorageBounds,
) -> None:
    """PUT ``body`` at ``bucket``/``key`` with ``client`` (a botocore S3 client, made with ``bounds``).
    ``location`` is how messages name the object, ``where`` the profile."""
    import botocore.exceptions

    condition = {} if overwrite else {"IfNoneMatch": "*"}
    started = time.monotonic()
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **condition)
    except botocore.exceptions.ClientError as exc:
        if StorageAnswer.of(exc).status == 412 and not overwrite:
            if _holds(client, bucket, key, body):
                return  # our own earlier attempt, whose answer was lost
            raise ObjectExistsError(f"{location} already exists and was left as it is") from None
        raise refusal(exc, f"the write of {location}", where=where, field="path", failure=StorageWriteError) from None
    except botocore.exceptions.BotoCoreError as exc:  # unreachable, reset, timed out: after the retries
        if not is_timeout(exc) and _holds(client, bucket, key, body):
            return  # stored, and every answer lost on the way back
        error = no_answer(exc, f"the write of {location}", endpoint=client.meta.endpoint_url, bounds=bounds,
                          waited=time.monotonic() - started)  # fmt: skip
        raise type(error)(
            f"{error}. It may have been written: if {location} exists, it is complete (S3 stores an object "
            f"whole or not at all) and can be deleted",
            field=error.field,
        ) from None


def _holds(client: Any, bucket: str, key: str, body: bytes) -> bool:
    """Whether the object at ``key`` is exactly ``body`` (a single-part object's ETag is its MD5)."""
    import botocore.exceptions

    try:
        etag = str(client.head_object(Bucket=bucket, Key=key)["ETag"]).strip('"')
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return False
    return etag == hashlib.md5(body, usedforsecurity=False).hexdigest()


def delete_object(client: Any, bucket: str, key: str, *, location: str, where: str) -> bool:
    """Delete ``bucket``/``key``; whether it existed (S3 answers a delete of a missing key with success,
    so that is asked first)."""
    import botocore.exceptions

    try:
        try:
            client.head_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            if StorageAnswer.of(exc).status == 404:
                return False
            raise
        client.delete_object(Bucket=bucket, Key=key)
        return True
    except botocore.exceptions.ClientError as exc:
        raise refusal(exc, f"the deletion of {location}", where=where, field="path", failure=StorageWriteError) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise StorageWriteError(f"{location} may not have been deleted: {exc}", field="path") from None
