"""What a display shows about a signed result, as plain JSON-able facts.

Both renderings use them: the browser widget (as its synced state) and the static
HTML/text fallback. Strings are raw here; each renderer escapes for its medium.
Nothing secret is in them: URLs and cookies are what is handed out anyway.
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime
from typing import Any

from ..signing.result import PresignedURL, SignedCookies, describe_duration
from ..signing.sharing import fsspec_storage_options, signed_query


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def utc_text(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def result_facts(result: PresignedURL | SignedCookies) -> dict[str, Any]:
    """The facts of a signed URL or of signed cookies, for display."""
    is_cookies = isinstance(result, SignedCookies)
    facts: dict[str, Any] = {
        "kind": "cookies" if is_cookies else "url",
        "url": result.resource if is_cookies else str(result),
        "method": result.method,
        "source": result.source,
        "signer_type": result.signer_type,
        "signed_at_ms": _ms(result.signed_at),
        "effective_expiry_ms": _ms(result.effective_expiry),
        "effective_expiry_utc": utc_text(result.effective_expiry),
        "expires_in_text": describe_duration(result.expires_in),
        "limited_by_credentials": result.limited_by_credentials,
        "lifetime_lost_text": describe_duration(result.lifetime_lost.total_seconds()),
        "warning": result.warning,
        "not_before_utc": utc_text(result.extras["not_before"]) if result.extras.get("not_before") else None,
        "not_before_ms": _ms(result.extras.get("not_before")),
        "ip_range": result.extras.get("ip_range"),
        "curl": None,
        "wildcard_base": None,
        "query": None,
        "zarr_snippet": None,
        "cookie_header": result.cookie_header() if is_cookies else None,
    }
    if not is_cookies and result.method == "PUT":
        facts["curl"] = curl_upload_command(result)
    base = result.extras.get("wildcard_base")
    if base:
        facts["wildcard_base"] = base
        facts["query"] = None if is_cookies else signed_query(result)
        facts["zarr_snippet"] = zarr_snippet(base, fsspec_storage_options(result))
    # One rule for both renderings: a link only where following it does what was signed.
    facts["clickable"] = (
        not is_cookies and result.method != "PUT" and not base and facts["url"].lower().startswith(("https://", "http://"))
    )
    return facts


def curl_upload_command(url: PresignedURL) -> str:
    """A ready-to-paste upload, with the signed Content-Type when one was signed."""
    filename = url.extras.get("key", url.source).rstrip("/").rsplit("/", 1)[-1] or "FILE"
    parts = ["curl", "--fail", "--upload-file", shlex.quote(filename)]
    if url.extras.get("content_type"):
        parts += ["-H", shlex.quote(f"Content-Type: {url.extras['content_type']}")]
    for name, value in url.extras.get("upload_headers", {}).items():  # e.g. Azure's x-ms-blob-type
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    parts.append(shlex.quote(str(url)))
    return " ".join(parts)


def zarr_snippet(base: str, storage_options: dict[str, Any]) -> str:
    """What the recipient runs: zarr plus the share, no credentials and no msc_notebook."""
    options = json.dumps(storage_options, indent=4)
    return (
        "import zarr  # needs zarr, fsspec and aiohttp\n\n"
        f"group = zarr.open_group(\n    {base.rstrip('/')!r},\n    mode=\"r\",\n"
        f"    storage_options={options.replace(chr(10), chr(10) + '    ')},\n)\nprint(group.tree())"
    )
