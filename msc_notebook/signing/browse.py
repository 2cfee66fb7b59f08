"""Listing what is under a prefix (S3 ListObjectsV2, one page at a time), for picking an object.

It lists with the same client and credentials the S3 signer uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import StorageClient
from .errors import PresignError
from .s3 import S3URLSigner


@dataclass(frozen=True)
class ListingEntry:
    path: str  # relative to the profile, as it would follow msc://profile/
    is_prefix: bool  # a "folder": list it to go deeper
    size: int | None


@dataclass(frozen=True)
class ListingPage:
    prefix: str
    entries: list[ListingEntry]
    next_token: str | None  # pass back to get the next page; None when this was the last


def list_objects(
    client: StorageClient, prefix: str = "", *, page_size: int = 100, continuation_token: str | None = None
) -> ListingPage:
    """One page of the objects and sub-prefixes directly under ``prefix`` (a profile path)."""
    signer = client.signer("s3")
    if not isinstance(signer, S3URLSigner):
        raise PresignError(f"profile {client.profile!r} cannot be browsed", field="path")
    import botocore.exceptions

    location = signer.location
    root = f"{location.prefix}/" if location.prefix else ""
    request = {"Bucket": location.bucket, "Prefix": root + prefix, "Delimiter": "/", "MaxKeys": page_size}
    if continuation_token:
        request["ContinuationToken"] = continuation_token
    signer.credentials()  # the same expiry check as signing: no listing with dead credentials
    try:
        response = signer.client().list_objects_v2(**request)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise PresignError(f"cannot list {prefix or 'the top level'!r} in profile {client.profile!r}: {code}", field="path") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise PresignError(f"cannot reach the storage of profile {client.profile!r}: {exc}", field="path") from None
    entries = [ListingEntry(p["Prefix"][len(root) :], True, None) for p in response.get("CommonPrefixes", [])]
    entries += [ListingEntry(o["Key"][len(root) :], False, o.get("Size")) for o in response.get("Contents", [])]
    entries.sort(key=lambda entry: entry.path)
    token = response.get("NextContinuationToken") if response.get("IsTruncated") else None
    return ListingPage(prefix, entries, token)
