"""A SigV4 query-string (presigned URL) verifier written from AWS's published spec
("Authenticating Requests: Using Query Parameters"), for checking many URLs without a server.

It recomputes X-Amz-Signature from the secret key: canonical request, string to sign,
the HMAC key chain (date, region, service, "aws4_request").
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def verify_presigned_url(url: str, secret_key: str, method: str = "GET") -> dict[str, str]:
    """The URL's parameters if its signature is right; AssertionError otherwise."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(pairs)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256", "not SigV4"
    signature = params.pop("X-Amz-Signature")
    date, region, service, terminator = params["X-Amz-Credential"].split("/")[1:]
    assert terminator == "aws4_request"
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted((k, v) for k, v in pairs if k != "X-Amz-Signature")
    )
    signed_headers = params["X-Amz-SignedHeaders"].split(";")
    headers = {"host": parts.netloc}
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in signed_headers)
    canonical_request = "\n".join(
        [method, parts.path or "/", canonical_query, canonical_headers, ";".join(signed_headers), "UNSIGNED-PAYLOAD"]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), date), region), service), "aws4_request")
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, signature), "signature does not match"
    return params
