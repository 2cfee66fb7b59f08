"""Parsing object names: ``msc://profile/path`` and ``s3://bucket/key``.

Object keys are taken literally: ``?``, ``#``, ``%``, spaces and an interior ``//``
are part of the key, not URL syntax, because that is what the storage holds. Two
normalisations follow MSC: ``msc:/profile/path`` (one slash, what
``pathlib.Path("msc://...")`` makes of a URL) reads as ``msc://profile/path``, and
leading ``/`` of the path are dropped (``msc://p//x`` is ``x`` in ``p``). MSC also
collapses an interior ``//``; we don't, because ``dir//file`` is a legal S3 key
distinct from ``dir/file``.
"""

from __future__ import annotations

from typing import NamedTuple

from ._errors import InvalidStorageURLError

MSC_SCHEME = "msc://"
S3_SCHEME = "s3://"
_MSC_ONE_SLASH = "msc:/"


class StorageURL(NamedTuple):
    """An object name split into its scheme, profile (or bucket) and path."""

    scheme: str  # "msc" or "s3"
    profile: str  # the MSC profile, or the bucket for s3://
    path: str  # the object path under the profile, taken literally


def object_path(path: str) -> str:
    """A profile-relative path as MSC reads it: leading ``/`` dropped, the rest kept."""
    return path.lstrip("/")


def parse_storage_url(url: str, *, object_required: bool = True) -> StorageURL:
    """Split ``msc://profile/path`` or ``s3://bucket/key``; raise a clear error otherwise.

    Without ``object_required``, ``msc://profile/`` (path ``""``) is accepted too.
    """
    if not isinstance(url, str):
        raise InvalidStorageURLError(f"expected an msc:// URL as a string, got {type(url).__name__}")
    if url[: len(_MSC_ONE_SLASH)].lower() == _MSC_ONE_SLASH and url[: len(MSC_SCHEME)].lower() != MSC_SCHEME:
        url = MSC_SCHEME + url[len(_MSC_ONE_SLASH) :]
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
    path = object_path(path)
    if object_required and (not sep or not path):
        raise InvalidStorageURLError(
            f"{url!r} names no object: add the object's path after the {name}, "
            f"e.g. {scheme}{profile}/datasets/model.bin"
        )
    return StorageURL(scheme.removesuffix("://"), profile, path)
