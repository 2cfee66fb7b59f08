"""The recipient's side of a CloudFront wildcard share: from one signed URL (or the signed
cookies) to a URL for every object under the prefix, and to zarr/fsspec storage options.

These work on plain strings too: a recipient only has what was sent to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ..cloudfront._signer import encode_path
from ..core._errors import SignerOptionError
from ..core._keys import wildcard_prefix
from ..core._result import cookie_header

_SIGNING_PARAMETERS = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")


def signed_parameters(signed_url: str) -> dict[str, str]:
    """The CloudFront signing parameters of a signed URL (Policy/Expires, Signature, Key-Pair-Id)."""
    query = str(signed_url).partition("?")[2]
    parameters = {name: value for name, value in parse_qsl(query, keep_blank_values=True) if name in _SIGNING_PARAMETERS}
    if "Signature" not in parameters or "Key-Pair-Id" not in parameters:
        raise SignerOptionError("this is not a CloudFront signed URL: it has no Signature and Key-Pair-Id parameters")
    return parameters


def signed_query(signed_url: str) -> str:
    """The query string to append (after '?') to each object URL under a wildcard."""
    return str(signed_url).partition("?")[2]


def wildcard_base(signed_url: str) -> str:
    """The URL prefix a wildcard URL covers: everything before its ``*``."""
    base = wildcard_prefix(str(signed_url).partition("?")[0])
    if base is None:
        raise SignerOptionError(
            "this signed URL covers a single object, not a prefix; sign a path ending in '/*' "
            "(with the CloudFront signer) to share a whole dataset"
        )
    return base


def object_url(signed_url: str, relative_path: str) -> str:
    """The signed URL of one object under a wildcard share, e.g. ``object_url(url, "zarr.json")``."""
    return f"{wildcard_base(signed_url)}{encode_path(relative_path)}?{signed_query(signed_url)}"


def fsspec_storage_options(signed: str | Mapping[str, str]) -> dict[str, Any]:
    """Storage options for fsspec's HTTP filesystem (and so zarr) that sign every request.

    Give a wildcard signed URL (its parameters are added to each request) or signed
    cookies (sent as a Cookie header).
    """
    if isinstance(signed, Mapping):
        cookies = {name: value for name, value in signed.items() if name.startswith("CloudFront-")}
        if "CloudFront-Signature" not in cookies:
            raise SignerOptionError("these are not CloudFront signed cookies (no CloudFront-Signature)")
        return {"headers": {"Cookie": cookie_header(cookies)}}
    return {"params": signed_parameters(signed)}
