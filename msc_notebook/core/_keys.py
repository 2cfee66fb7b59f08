"""Which object keys can be shared through a URL at all, and what a trailing ``*`` means.

A URL for a key that browsers, curl or requests rewrite before sending (``.`` and
``..`` segments) or that the storage refuses (over 1,024 bytes) can only fail, so
it is refused before it is signed. ``*`` is an ordinary key character, except as the
whole last segment (``datasets/ocean.zarr/*``), which means "everything under the prefix".
"""

from __future__ import annotations

from ._errors import InvalidStorageURLError, SignerOptionError

MAX_KEY_BYTES = 1024  # S3's (and Azure's) limit on an object key, in UTF-8 bytes


def is_prefix_share(path: str) -> bool:
    """Whether ``path`` names everything under a prefix: its whole last segment is ``*``."""
    return path == "*" or path.endswith("/*")


def refuse_prefix_share(path: str, source: str, why: str) -> None:
    """For signers that sign one object only: a prefix share is an error saying ``why`` and what instead."""
    if is_prefix_share(path):
        raise SignerOptionError(f"{source}: {why}", field="path")


def wildcard_prefix(resource: str) -> str | None:
    """What a prefix share's URL or policy Resource covers: the part before its trailing
    ``*`` (None when it names one object)."""
    return resource[:-1] if resource.endswith("*") else None


def check_url_segments(key: str, source: str) -> str:
    """``key`` unless a URL naming it would be rewritten before it is sent (a '.' or '..' segment).
    Enough for a key a listing returned: the storage holds it, so its length is the storage's own."""
    if any(segment in (".", "..") for segment in key.split("/")):
        raise InvalidStorageURLError(
            f"{source}: a key with a '.' or '..' segment cannot be shared through a URL: browsers, curl and "
            f"requests resolve those segments before sending, so the URL would reach another key or fail"
        )
    return key


def check_object_key(key: str, source: str) -> str:
    """``key`` if a URL for it can work; otherwise an error that says why (``source``: the user's name for it)."""
    check_url_segments(key, source)
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate, e.g. from a mis-decoded file name
        raise InvalidStorageURLError(f"{source!r}: the key is not valid Unicode, so no URL can name it") from None
    if size > MAX_KEY_BYTES:
        raise InvalidStorageURLError(
            f"{source}: the object key is {size} bytes of UTF-8; S3 keys are at most {MAX_KEY_BYTES} bytes, "
            f"so no object can have it"
        )
    return key
