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

HTML-form uploads too (POST policy V4, https://cloud.google.com/storage/docs/xml-api/post-object-forms
and the policy document of .../authentication/signatures): a multipart/form-data POST to
/BUCKET/, the file its last part. The x-goog-algorithm, -credential and -date fields as for a
URL; the hex x-goog-signature must verify over the ``policy`` field as sent (its base64) with
the account's public key; the policy's ``expiration`` must be ahead (and at most 7 days after
x-goog-date); every condition must hold: ``{"field": value}`` and ``["eq", "$field", value]``
exactly, ``["starts-with", "$field", prefix]`` (a missing field counts as empty), ``{"bucket":
...}`` against the URL's bucket, ``["content-length-range", min, max]`` against the file's
size (400 EntityTooLarge / EntityTooSmall); and every form field but x-goog-signature, policy,
file and x-ignore-* must be named by a condition. Field names are compared without case. The
key's conditions see the key as stored: ``${filename}`` filled in with the uploaded file's
name (the part after its last / or \\), the stricter reading. GCS overwrites: the object is
stored, whatever was there. 204 by default, else ``success_action_status`` (200, or 201 with
the XML PostResponse), or a 303 to ``success_action_redirect``. Refusals are 403 (signature,
expiry, a condition), or 400 for a form that is not one.

Besides signed object requests it answers what a service-account key's client needs to list:
``POST /token`` (the OAuth JWT grant; any well-formed grant gets a token: listing is not what
this server checks) and ``GET /storage/v1/b/BUCKET/o`` (the JSON API's objects.list: prefix,
delimiter, maxResults, pageToken).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.server
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .http_stub import HTTPStub

REQUIRED = ("X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires", "X-Goog-SignedHeaders",
            "X-Goog-Signature")  # fmt: skip


FILENAME = "${filename}"
UNCONDITIONED = ("x-goog-signature", "policy", "file")  # with x-ignore-*: form fields no condition names
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))')  # HTML5 form-data: '"' is sent as %22


class Refused(Exception):
    pass


class FormRefused(Exception):
    """An upload form refused: the HTTP status, the error code and why."""

    def __init__(self, status: int, code: str, why: str) -> None:
        super().__init__(why)
        self.status, self.code = status, code


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
        if handler.command == "POST" and handler.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return self._form_upload(handler, unquote(path))
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

    def _form_upload(self, handler: http.server.BaseHTTPRequestHandler, path: str) -> None:
        """An HTML-form upload (POST policy V4) to /BUCKET/: stored if the policy allows it."""
        body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
        try:
            bucket, key, data, fields = self.verify_form(path, handler.headers.get("Content-Type", ""), body)
        except FormRefused as why:
            self.refusals.append(str(why))
            return _send(handler, why.status, f"<Error><Code>{why.code}</Code><Details>{why}</Details></Error>")
        self.objects[(bucket, key)] = (data, fields.get("content-type", "application/octet-stream"))
        etag = f'"{hashlib.md5(data).hexdigest()}"'
        if fields.get("success_action_redirect"):
            target = fields["success_action_redirect"]
            query = urlencode({"bucket": bucket, "key": key, "etag": etag})
            handler.send_response(303)
            handler.send_header("Location", f"{target}{'&' if '?' in target else '?'}{query}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        status = {"200": 200, "201": 201}.get(fields.get("success_action_status", ""), 204)
        location = f"/{bucket}/{quote(key)}"
        answer = (f"<PostResponse><Location>{location}</Location><Bucket>{bucket}</Bucket><Key>{key}</Key>"
                  f"<ETag>{etag}</ETag></PostResponse>") if status == 201 else ""  # fmt: skip
        handler.send_response(status)
        handler.send_header("ETag", etag)
        if status == 204:
            handler.end_headers()
            return
        encoded = answer.encode()
        handler.send_header("Content-Type", "application/xml")
        handler.send_header("Content-Length", str(len(encoded)))
        handler.end_headers()
        handler.wfile.write(encoded)

    def verify_form(self, path: str, content_type: str, body: bytes) -> tuple[str, str, bytes, dict[str, str]]:
        """(bucket, key, the file's bytes, the fields by lower-case name) of a form upload the policy
        allows; else FormRefused."""
        bucket = path.strip("/")
        if not bucket or "/" in bucket or not path.endswith("/"):
            raise FormRefused(400, "InvalidArgument", "a form upload is a POST to /BUCKET/")
        fields, filename, data = _read_form(content_type, body)
        for name in ("policy", "x-goog-signature", "x-goog-algorithm", "x-goog-credential", "x-goog-date", "key"):
            if name not in fields:
                raise FormRefused(400, "InvalidArgument", f"the form has no {name} field")
        if fields["x-goog-algorithm"] != "GOOG4-RSA-SHA256":
            raise FormRefused(403, "AccessDenied", "algorithm")
        try:
            email, date, location, service, request_type = fields["x-goog-credential"].rsplit("/", 4)
            signed_at = datetime.strptime(fields["x-goog-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise FormRefused(400, "InvalidArgument", "x-goog-credential or x-goog-date is malformed") from None
        if (date, location, service, request_type) != (f"{signed_at:%Y%m%d}", "auto", "storage", "goog4_request"):
            raise FormRefused(403, "AccessDenied", "credential scope")
        now = datetime.now(timezone.utc)
        if signed_at > now + timedelta(minutes=15):
            raise FormRefused(403, "AccessDenied", "signed in the future")
        public_key = self.public_keys.get(email)
        if public_key is None:
            raise FormRefused(403, "AccessDenied", f"unknown account {email}")
        try:
            public_key.verify(bytes.fromhex(fields["x-goog-signature"]), fields["policy"].encode(), padding.PKCS1v15(),
                              hashes.SHA256())  # fmt: skip
        except (InvalidSignature, ValueError):
            raise FormRefused(403, "SignatureDoesNotMatch", "signature") from None
        try:
            policy = json.loads(base64.b64decode(fields["policy"], validate=True))
            expiration = datetime.strptime(policy["expiration"].split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S")
            conditions = list(policy["conditions"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise FormRefused(400, "InvalidPolicyDocument", "the policy is not a policy document") from None
        expiration = expiration.replace(tzinfo=timezone.utc)
        if now >= expiration or expiration > signed_at + timedelta(days=7):
            raise FormRefused(403, "AccessDenied", "Invalid according to Policy: Policy expired")
        if fields.get("bucket", bucket) != bucket:
            raise FormRefused(403, "AccessDenied", "the bucket field is not the URL's bucket")
        values = {**fields, "bucket": bucket}
        values["key"] = fields["key"].replace(FILENAME, re.split(r"[/\\]", filename or "")[-1])
        if not values["key"]:
            raise FormRefused(400, "InvalidArgument", "the key is empty")
        named = {"bucket"}
        for condition in conditions:
            named.add(_check_condition(condition, values, len(data)))
        if extra := sorted(name for name in fields if name not in named and name not in UNCONDITIONED
                           and not name.startswith("x-ignore-")):  # fmt: skip
            why = f"Invalid according to Policy: Extra input fields: {', '.join(extra)}"
            raise FormRefused(403, "AccessDenied", why)
        return bucket, values["key"], data, fields

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


def _read_form(content_type: str, body: bytes) -> tuple[dict[str, str], str | None, bytes]:
    """The fields (lower-case names, UTF-8 values), the file's name and its bytes: the file must be
    the last part, each field sent once."""
    boundary = _params(content_type).get("boundary")
    if not boundary:
        raise FormRefused(400, "InvalidArgument", "multipart/form-data without a boundary")
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary.encode())
    fields: dict[str, str] = {}
    file: tuple[str | None, bytes] | None = None
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator or not head.startswith(b"\r\n"):
            raise FormRefused(400, "InvalidArgument", "a malformed form part")
        headers = {}
        for line in head[2:].decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        params = _params(headers.get("content-disposition", ""))
        name = (params.get("name") or "").lower()
        if file is not None:
            raise FormRefused(400, "InvalidArgument", f"the form's field {name!r} comes after the file")
        if name == "file":
            file = (params.get("filename"), content)
        elif name in fields or not name:
            raise FormRefused(400, "InvalidArgument", f"the form field {name!r} is sent twice or has no name")
        else:
            fields[name] = content.decode("utf-8", "replace")
    else:
        raise FormRefused(400, "InvalidArgument", "the form does not end")
    if file is None:
        raise FormRefused(400, "InvalidArgument", "the form has no file")
    return fields, file[0], file[1]


def _params(header: str) -> dict[str, str]:
    """The parameters of a header value (``form-data; name="key"``, ``multipart/form-data; boundary=x``)."""
    _, _, rest = header.partition(";")
    found = _PARAM.finditer(";" + rest)
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in found}


def _check_condition(condition: Any, values: dict[str, str], size: int) -> str:
    """The field ``condition`` names, if the form meets it; else FormRefused."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, expected),) = condition.items()
        operator, name = "eq", str(name).lower()
    elif isinstance(condition, list) and len(condition) == 3 and condition[0] == "content-length-range":
        low, high = condition[1], condition[2]
        if not all(isinstance(bound, int) and not isinstance(bound, bool) for bound in (low, high)):
            raise FormRefused(400, "InvalidPolicyDocument", f"content-length-range needs two integers: {condition!r}")
        if size > high:
            raise FormRefused(400, "EntityTooLarge", f"{size} bytes: over the policy's {high}")
        if size < low:
            raise FormRefused(400, "EntityTooSmall", f"{size} bytes: under the policy's {low}")
        return "content-length-range"
    elif (isinstance(condition, list) and len(condition) == 3 and condition[0] in ("eq", "starts-with")
          and isinstance(condition[1], str) and condition[1].startswith("$")):  # fmt: skip
        operator, name, expected = condition[0], condition[1][1:].lower(), condition[2]
    else:
        raise FormRefused(400, "InvalidPolicyDocument", f"a condition GCS does not know: {condition!r}")
    if operator == "eq" and values.get(name) != expected:
        raise FormRefused(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {condition!r}")
    if operator == "starts-with" and not values.get(name, "").startswith(str(expected)):
        raise FormRefused(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {condition!r}")
    return name


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
