"""GCS POST policy V4 (``GOOG4-RSA-SHA256``): an HTML-form upload policy, written from Google's
spec and proven byte for byte on the POST policy cases of Google's conformance file
(``tests/gcs/v4_signatures.json``, ``postPolicyV4Tests``).

The shape is google-cloud-storage's ``Client.generate_signed_post_policy_v4``: ``{"url": ...,
"fields": {...}}``, the form's ``fields`` sent before the file. The policy document is JSON with
two members, ``conditions`` then ``expiration`` (``YYYY-MM-DDTHH:MM:SSZ``), written without
spaces and with every non-ASCII character escaped (``é`` is ``\\u00e9``, as the conformance
cases have it: their ``expectedDecodedPolicy`` shows the character itself, their base64 the
escape). The conditions, in the order the cases list them: the caller's own (a size range,
``starts-with`` ...), one exact condition per extra form field (sorted by name; ``x-ignore-``
fields need none), then ``bucket``, ``key``, ``x-goog-date``, ``x-goog-credential`` and
``x-goog-algorithm``. The string to sign is the base64 of that JSON; its RSA PKCS#1 v1.5
SHA-256 signature (the profile's `GCSSigner`: a key locally, or IAM's signBlob) goes in
``x-goog-signature``, in hex.

A drop box (any key under a prefix, the uploader's file name filling ``${filename}``) names
``PREFIX${filename}`` in its ``key`` field and limits it with ``["starts-with", "$key",
PREFIX]`` in place of the exact ``{"key": ...}`` condition: that holds whether the storage
compares the field as sent or with the file name filled in.

The form's URL has no query and no object: ``https://storage.googleapis.com/BUCKET/`` in path
style, ``https://BUCKET.storage.googleapis.com/`` virtual-hosted, ``https://HOSTNAME/`` for a
bucket-bound hostname (each as the cases show), or the profile's ``endpoint_url`` in place of
``storage.googleapis.com``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypedDict

from ..core._post import FILENAME
from ._credentials import GCSSigner
from ._location import GCSLocation
from ._v4 import ALGORITHM

# GCS's limit for one POST: no POST-specific limit is documented (S3 has 5 GiB for a POST as for a
# PUT); Cloud Storage's quotas page gives 5 TiB as the most one object, and one upload request,
# may hold.
MAX_POST_SIZE = 5 * 2**40
IGNORED_PREFIX = "x-ignore-"  # form fields the storage ignores: no condition needed (Google's rule)
# The fields the policy sets itself (and the form's file): never an extra field.
_RESERVED = {
    "key",
    "policy",
    "file",
    "bucket",
    "x-goog-algorithm",
    "x-goog-credential",
    "x-goog-date",
    "x-goog-signature",
}

Condition = Mapping[str, Any] | Sequence[Any]  # {"field": "value"}, ["eq" | "starts-with", "$field", "value"], ...


class SignedPostPolicy(TypedDict):
    """google-cloud-storage's shape: where to POST, and the form fields to send before the file."""

    url: str
    fields: dict[str, str]


def post_url(location: GCSLocation, style: Mapping[str, Any]) -> str:
    """The form's action URL for the profile's bucket in URL ``style`` (path, virtual-hosted or
    bucket-bound; ``endpoint_url`` and the universe domain as for signed URLs)."""
    scheme, netloc, _ = location.endpoint(style)
    return f"{scheme}://{netloc}{location.path('', style)}"  # /BUCKET/ in path style, else /


def post_policy(
    signer: GCSSigner,
    url: str,
    bucket: str,
    key_or_prefix: str,
    *,
    expiration: int,  # seconds after ``timestamp``
    timestamp: datetime,  # the policy's x-goog-date (whole seconds; a naive time is UTC)
    conditions: Sequence[Condition] = (),
    fields: Mapping[str, str] | None = None,
    drop_box: bool = False,
) -> SignedPostPolicy:
    """The signed policy for one object ``key_or_prefix`` in ``bucket`` or, with ``drop_box``,
    for any key that starts with the prefix ``key_or_prefix`` (``${filename}`` in the key field).
    ``conditions`` come first in the policy, then an exact one per extra form field in ``fields``
    (``x-ignore-`` fields: none), then the ones every V4 policy has."""
    if reserved := sorted(name for name in fields or {} if name.lower() in _RESERVED):
        raise ValueError(f"post_policy sets {', '.join(reserved)} itself")
    timestamp = timestamp.astimezone(timezone.utc) if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc)
    stamp = f"{timestamp:%Y%m%dT%H%M%SZ}"
    credential = f"{signer.email}/{timestamp:%Y%m%d}/auto/storage/goog4_request"
    key = key_or_prefix + FILENAME if drop_box else key_or_prefix
    extra = dict(sorted((fields or {}).items()))
    expires = timestamp + timedelta(seconds=expiration)
    document = {
        "conditions": [
            *conditions,
            *({name: value} for name, value in extra.items() if not name.lower().startswith(IGNORED_PREFIX)),
            {"bucket": bucket},
            ["starts-with", "$key", key_or_prefix] if drop_box else {"key": key},
            {"x-goog-date": stamp},
            {"x-goog-credential": credential},
            {"x-goog-algorithm": ALGORITHM},
        ],
        "expiration": f"{expires:%Y-%m-%dT%H:%M:%SZ}",
    }
    # No spaces, non-ASCII as \uXXXX (ensure_ascii), "/" as it is: the conformance cases' bytes.
    policy = base64.b64encode(json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode("ascii"))
    signature = signer.sign(policy).hex()
    return {
        "url": url,
        "fields": {
            **extra,
            "key": key,
            "x-goog-algorithm": ALGORITHM,
            "x-goog-credential": credential,
            "x-goog-date": stamp,
            "x-goog-signature": signature,
            "policy": policy.decode("ascii"),
        },
    }


__all__ = ["MAX_POST_SIZE", "SignedPostPolicy", "post_policy", "post_url"]
