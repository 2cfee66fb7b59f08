"""A local stand-in for Google Cloud Storage that checks V4 signed URLs the way Google documents
them (https://cloud.google.com/storage/docs/access-control/signing-urls-manually), written from
the spec and importing nothing of msc_notebook's signer: no GCS emulator checks signatures.
The demo's ``demo-gcs`` profile and the tests use it.

For each request: the X-Goog-* parameters must all be there and the algorithm
GOOG4-RSA-SHA256; the credential scope's date must match X-Goog-Date; the URL must not be
expired (X-Goog-Date + X-Goog-Expires, at most 7 days) nor dated in the future; the
canonical request is rebuilt from what arrived (the method, the path as sent, the query but
the signature sorted and re-encoded, the signed headers' values as sent, the Host without
its port) and its SHA-256 string to sign must verify against the public key of the account
named in X-Goog-Credential (RSA PKCS#1 v1.5, SHA-256). Anything else is 403 with a reason.
Path-style only: /BUCKET/OBJECT. GET (with Range), HEAD and PUT; objects live in memory.

Besides signed object requests it answers what a service-account key's client needs to list:
``POST /token`` (the OAuth JWT grant; any well-formed grant gets a token: listing is not what
this server checks) and ``GET /storage/v1/b/BUCKET/o`` (the JSON API's objects.list: prefix,
delimiter, maxResults, pageToken).
"""

from __future__ import annotations

import hashlib
import http.server
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .http_stub import HTTPStub

REQUIRED = ("X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires", "X-Goog-SignedHeaders",
            "X-Goog-Signature")  # fmt: skip


class Refused(Exception):
    pass


class GCSEdge(HTTPStub):
    """``with GCSEdge({email: public_key}) as server:``; objects in ``server.objects[(bucket, name)]``."""

    def __init__(self, public_keys: dict[str, rsa.RSAPublicKey]) -> None:
        self.public_keys = public_keys
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}  # -> (body, content type)
        self.refusals: list[str] = []
        super().__init__()

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        if handler.command == "POST" and path == "/token":
            return _send_json(handler, {"access_token": "demo-token", "expires_in": 3600, "token_type": "Bearer"})
        if handler.command == "GET" and path.startswith("/storage/v1/b/") and path.endswith("/o"):
            return _send_json(handler, self._list(path.split("/")[4], dict(parse_qsl(urlsplit(handler.path).query))))
        try:
            bucket, name = self.verify(handler)
        except Refused as why:
            self.refusals.append(str(why))
            return _send(handler, 403, f"<Error><Code>SignatureDoesNotMatch</Code><Details>{why}</Details></Error>")
        method = handler.command
        if method == "PUT":
            length = int(handler.headers.get("Content-Length", "0"))
            body = handler.rfile.read(length)
            if handler.headers.get("x-goog-if-generation-match") == "0" and (bucket, name) in self.objects:
                return _send(handler, 412, "<Error><Code>PreconditionFailed</Code></Error>")  # create-only
            self.objects[(bucket, name)] = (body, handler.headers.get("Content-Type", "application/octet-stream"))
            return _send(handler, 200, "")
        if method == "DELETE":
            return _send(handler, 204 if self.objects.pop((bucket, name), None) else 404, "")
        if method not in ("GET", "HEAD"):
            return _send(handler, 405, "")
        if (bucket, name) not in self.objects:
            return _send(handler, 404, "<Error><Code>NoSuchKey</Code></Error>")
        body, content_type = self.objects[(bucket, name)]
        _send_object(handler, body, content_type)

    def _list(self, bucket: str, query: dict[str, str]) -> dict[str, object]:
        """objects.list over the stored objects: one page, names after pageToken, sub-prefixes with a delimiter."""
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        names = sorted(name for held, name in self.objects if held == bucket and name.startswith(prefix))
        names = [name for name in names if name > query.get("pageToken", "")]
        items, prefixes = [], set()
        for name in names:
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                prefixes.add(name[: cut + len(delimiter)])
            else:
                items.append(name)
        page_size = int(query.get("maxResults", "1000"))
        page, more = items[:page_size], len(items) > page_size
        answer: dict[str, object] = {
            "kind": "storage#objects",
            "items": [{"name": name, "bucket": bucket, "size": str(len(self.objects[(bucket, name)][0])),
                       "updated": "2026-01-01T00:00:00.000Z"} for name in page],  # fmt: skip
            "prefixes": sorted(prefixes),
        }
        if more:
            answer["nextPageToken"] = page[-1]
        return answer

    def verify(self, handler: http.server.BaseHTTPRequestHandler) -> tuple[str, str]:
        """The (bucket, object) a correctly signed, unexpired request names; else Refused."""
        url = urlsplit(handler.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        query = dict(pairs)
        if missing := [name for name in REQUIRED if name not in query]:
            raise Refused(f"missing {missing}")
        if query["X-Goog-Algorithm"] != "GOOG4-RSA-SHA256":
            raise Refused("algorithm")
        email, date, location, service, request_type = query["X-Goog-Credential"].rsplit("/", 4)
        signed_at = datetime.strptime(query["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        if (date, location, service, request_type) != (f"{signed_at:%Y%m%d}", "auto", "storage", "goog4_request"):
            raise Refused("credential scope")
        expires = int(query["X-Goog-Expires"])
        now = datetime.now(timezone.utc)
        if not 1 <= expires <= 604800 or now >= signed_at + timedelta(seconds=expires):
            raise Refused("expired")
        if signed_at > now + timedelta(minutes=15):
            raise Refused("signed in the future")
        signed_names = query["X-Goog-SignedHeaders"].split(";")
        if "host" not in signed_names:
            raise Refused("host is not signed")
        headers = []
        for name in signed_names:
            value = handler.headers.get(name)
            if value is None:
                raise Refused(f"signed header {name} was not sent")
            if name == "host":
                value = value.rsplit(":", 1)[0]
            headers.append(f"{name}:{' '.join(value.split())}\n")
        canonical_query = "&".join(
            f"{name}={value}"
            for name, value in sorted((quote(n, safe="~"), quote(v, safe="~")) for n, v in pairs if n != "X-Goog-Signature")
        )
        canonical = "\n".join([handler.command, url.path, canonical_query, "".join(headers), ";".join(signed_names),
                               "UNSIGNED-PAYLOAD"])  # fmt: skip
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = "\n".join(["GOOG4-RSA-SHA256", query["X-Goog-Date"], f"{date}/auto/storage/goog4_request", digest])
        key = self.public_keys.get(email)
        if key is None:
            raise Refused(f"unknown account {email}")
        try:
            key.verify(bytes.fromhex(query["X-Goog-Signature"]), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise Refused("signature") from None
        bucket, _, name = unquote(url.path).lstrip("/").partition("/")
        return bucket, name


def _send(handler: http.server.BaseHTTPRequestHandler, status: int, text: str) -> None:
    body = text.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def _send_json(handler: http.server.BaseHTTPRequestHandler, value: object) -> None:
    body = json.dumps(value).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _send_object(handler: http.server.BaseHTTPRequestHandler, body: bytes, content_type: str) -> None:
    status, part = 200, body
    ranged = handler.headers.get("Range", "")
    if ranged.startswith("bytes="):
        first, _, last = ranged[6:].partition("-")
        start = int(first) if first else max(0, len(body) - int(last))
        end = int(last) if first and last else len(body) - 1
        status, part = 206, body[start : end + 1]
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(part)))
    if status == 206:
        handler.send_header("Content-Range", f"bytes {start}-{start + len(part) - 1}/{len(body)}")
    disposition = dict(parse_qsl(urlsplit(handler.path).query)).get("response-content-disposition")
    if disposition:
        handler.send_header("Content-Disposition", disposition)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(part)
