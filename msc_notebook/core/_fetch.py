"""HTTP through a signed URL, as anyone holding it would: no credentials, bounded, transient
failures retried with backoff (the one retry loop for calls the storage SDKs do not make).

A share reads its own manifest back through its link this way (only when asked for its
URLs), exactly as its recipient does; a GCS manifest is written through a signed PUT.
urllib, not a storage client: the URL carries its authority, so no profile is needed.
"""

from __future__ import annotations

import random
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from ._bounds import StorageBounds
from ._errors import PresignError, StorageError, StorageTimeoutError
from ._files import local_path

TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


class Response(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: bytes


def send(
    method: str,
    url: str,
    *,
    what: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    bounds: StorageBounds | None = None,
) -> Response:
    """``method`` on ``url`` (http or https): the final answer, after retrying what is
    transient (5xx, 429, resets, timeouts) up to ``bounds.attempts`` times in all. Any other
    answer, a 4xx included, is returned, for the caller to read; no answer raises StorageError."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise PresignError(f"cannot reach {what} at {url}: only http(s) URLs are fetched")
    bounds = bounds or StorageBounds()
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    for attempt in range(1, bounds.attempts + 1):
        last = attempt == bounds.attempts
        try:
            with urllib.request.urlopen(request, timeout=bounds.read_timeout) as response:
                return Response(response.status, dict(response.headers), bytes(response.read()))
        except urllib.error.HTTPError as exc:
            if exc.code not in TRANSIENT or last:
                return Response(exc.code, dict(exc.headers), exc.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if last:
                timed_out = isinstance(getattr(exc, "reason", exc), TimeoutError)
                kind = StorageTimeoutError if timed_out else StorageError
                raise kind(f"no answer from the storage to {what} after {attempt} attempts ({exc})") from None
        time.sleep(random.uniform(0, 2 ** (attempt - 1)))  # botocore's standard backoff: full jitter
    raise AssertionError("unreachable")  # the loop returns or raises on its last attempt


def read_url(url: str, *, what: str, bounds: StorageBounds | None = None) -> bytes:
    """The body at ``url`` (``http(s)://``, or a local ``file://``); ``what`` names it in errors."""
    if url[:7].lower() == "file://":
        try:
            return local_path(url).read_bytes()
        except OSError as exc:
            raise PresignError(f"cannot read {what} at {url}: {exc.strerror or exc}") from None
    answer = send("GET", url, what=what, bounds=bounds)
    if answer.status != 200:
        raise StorageError(f"cannot read {what}: the storage answered {answer.status} {error_code(answer.body)}".rstrip())
    return answer.body


def error_code(body: bytes) -> str:
    """The error code of an S3/GCS/Azure XML error document, if the body is one."""
    text = body[:2000].decode("utf-8", "replace")
    start = text.find("<Code>")
    return text[start + 6 : text.find("</Code>", start)] if start >= 0 else ""
