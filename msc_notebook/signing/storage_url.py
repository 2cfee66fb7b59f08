"""Parsing object names: ``msc://profile/path`` and ``s3://bucket/key``.

Object keys are taken literally: ``?``, ``#``, ``%``, spaces and ``//`` are part of
the key, not URL syntax, because that is what the storage holds.
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import InvalidStorageURLError

MSC_SCHEME = "msc://"
S3_SCHEME = "s3://"


class StorageURL(NamedTuple):
    """An object name split into its scheme, profile (or bucket) and path."""

    scheme: str  # "msc" or "s3"
    profile: str  # the MSC profile, or the bucket for s3://
    path: str  # the object path under the profile, taken literally


def parse_storage_url(url: str) -> StorageURL:
    """Split ``msc://profile/path`` or ``s3://bucket/key``; raise a clear error otherwise."""
    if not isinstance(url, str):
        raise InvalidStorageURLError(f"expected an msc:// URL as a string, got {type(url).__name__}")
    for scheme in (MSC_SCHEME, S3_SCHEME):
        if url[: len(scheme)].lower() == scheme:
            profile, sep, path = url[len(scheme) :].partition("/")
            break
    else:
        raise InvalidStorageURLError(
            f"{url!r} is not an object URL: write msc://PROFILE/PATH (or s3://BUCKET/KEY)"
        )
    name = "bucket" if scheme == S3_SCHEME else "profile"
    if not profile:
        raise InvalidStorageURLError(f"{url!r} names no {name}: write {scheme}{name.upper()}/PATH")
    if not sep or not path:
        raise InvalidStorageURLError(
            f"{url!r} names no object: add the object's path after the {name}, "
            f"e.g. {scheme}{profile}/datasets/model.bin"
        )
    return StorageURL(scheme.removesuffix("://"), profile, path)
