"""Reading a URL as anyone holding it would: no credentials, bounded, transient failures retried.

A share reads its own manifest back through its link this way (only when asked for its
URLs), exactly as its recipient does. urllib, not a storage client: the link is a presigned
URL, valid wherever it is sent, so no profile or credentials are needed to read it.
"""

from __future__ import annotations

import random
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ._bounds import StorageBounds
from ._errors import PresignError, StorageError, StorageTimeoutError

_TRANSIENT = frozenset({429, 500, 502, 503, 504})


def read_url(url: str, *, what: str, bounds: StorageBounds | None = None) -> bytes:
    """The body at ``url`` (``http(s)://`` or a local ``file://``); ``what`` names it in errors."""
    if url[:7].lower() == "file://":
        try:
            return Path(unquote(urlsplit(url).path)).read_bytes()
        except OSError as exc:
            raise PresignError(f"cannot read {what} at {url}: {exc.strerror or exc}") from None
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise PresignError(f"cannot read {what} at {url}: only http(s):// and file:// URLs are read")
    bounds = bounds or StorageBounds()
    for attempt in range(1, bounds.attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=bounds.read_timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code not in _TRANSIENT or attempt == bounds.attempts:
                raise StorageError(f"cannot read {what}: the storage answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == bounds.attempts:
                kind = StorageTimeoutError if isinstance(getattr(exc, "reason", exc), TimeoutError) else StorageError
                raise kind(f"cannot read {what}: no answer after {attempt} attempts ({exc})") from None
        time.sleep(random.uniform(0, 2 ** (attempt - 1)))  # botocore's standard backoff: full jitter
    raise AssertionError("unreachable")  # the loop returns or raises on its last attempt
