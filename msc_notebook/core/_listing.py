"""What a listing returns: MSC's ``ObjectMetadata`` shape, and one page of a listing.

Each storage backend's native signer lists its own storage (it holds the client and
the credentials); `StorageClient.list` pages through it the way MSC's does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

PAGE_SIZE = 1000  # S3's own maximum per ListObjectsV2 call


@dataclass(frozen=True)
class ObjectMetadata:
    """One object (or, with directories asked for, one sub-prefix) under a profile."""

    key: str  # relative to the profile, as it would follow msc://profile/
    content_length: int | None = None
    last_modified: datetime | None = None
    type: str = "file"  # "file" or "directory" (a sub-prefix, ending in "/")


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing; pass ``next_token`` back for the next (None: this was the last)."""

    entries: list[ObjectMetadata]
    next_token: str | None


def every_entry(
    list_page: Callable[..., ListingPage], prefix: str, *, delimiter: bool, page_size: int = PAGE_SIZE
) -> Iterator[ObjectMetadata]:
    """Every entry ``list_page`` (a signer's or a client's) gives for ``prefix``, page after page."""
    token = None
    while True:
        page = list_page(prefix, delimiter=delimiter, page_size=page_size, token=token)
        yield from page.entries
        token = page.next_token
        if token is None:
            return
