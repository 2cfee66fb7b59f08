"""A local stand-in for a CloudFront edge: it enforces signed URLs and cookies, then serves
objects from an S3 origin (the demo's SeaweedFS).

The verifier is written from the CloudFront developer guide ("Restricting access with
signed URLs and signed cookies"), not from msc_notebook's signer, and imports nothing
from it, so it can catch the signer's mistakes:

* signed URL parameters: Expires (canned) or Policy (custom), Signature, Key-Pair-Id,
  optional Hash-Algorithm (SHA1 default, SHA256); signed cookies: CloudFront-Expires or
  CloudFront-Policy, CloudFront-Signature, CloudFront-Key-Pair-Id;
* the signature is RSA PKCS#1 v1.5 over the exact policy bytes, in CloudFront's URL-safe
  base64 ('+' -> '-', '=' -> '_', '/' -> '~');
* a canned policy is rebuilt from the request URL (minus the signing parameters) and
  Expires; a custom policy has exactly one Statement, a Resource that may use '*'
  (any run of characters) and '?' (one character), DateLessThan, and optionally
  DateGreaterThan and IpAddress (CIDR).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

SIGNING_PARAMETERS = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")


class AccessDenied(Exception):
    """The request does not carry a valid signature; the message says which check failed."""


def _url_b64decode(text: str) -> bytes:
    return base64.b64decode(text.translate(str.maketrans("-_~", "+=/")), validate=True)


def _split_query(query: str) -> tuple[dict[str, str], list[str]]:
    """Signing parameters (decoded) and the other raw ``name=value`` pairs, in order."""
    signing, others = {}, []
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        if name in SIGNING_PARAMETERS:
            if name in signing:
                raise AccessDenied(f"duplicate {name} parameter")
            signing[name] = unquote(value)
        else:
            others.append(pair)
    return signing, others


def _wildcard_match(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


class CloudFrontVerifier:
    """Checks a request the way CloudFront does for a distribution with trusted key groups."""

    def __init__(self, public_keys: Mapping[str, RSAPublicKey], clock: Callable[[], float] = time.time) -> None:
        self.public_keys = dict(public_keys)  # Key-Pair-Id -> cryptography RSA public key
        self.clock = clock

    def verify(self, url: str, *, client_ip: str, cookies: Mapping[str, str] | None = None) -> None:
        """Raise AccessDenied unless ``url`` (as requested: scheme://host/path?query) is authorized."""
        base, _, query = url.partition("?")
        params, others = _split_query(query)
        resource_url = base + ("?" + "&".join(others) if others else "")
        cookies = cookies or {}
        if params:
            source = {name: params.get(name) for name in ("Expires", "Policy", "Signature", "Key-Pair-Id")}
            hash_name = params.get("Hash-Algorithm", "SHA1")
        elif any(name.startswith("CloudFront-") for name in cookies):
            source = {name: cookies.get(f"CloudFront-{name}") for name in ("Expires", "Policy", "Signature", "Key-Pair-Id")}
            hash_name = cookies.get("CloudFront-Hash-Algorithm", "SHA1")
        else:
            raise AccessDenied("missing signature: no signed URL parameters and no signed cookies")
        if not source["Signature"] or not source["Key-Pair-Id"]:
            raise AccessDenied("missing Signature or Key-Pair-Id")
        if bool(source["Expires"]) == bool(source["Policy"]):
            raise AccessDenied("need exactly one of Expires (canned policy) or Policy (custom policy)")
        key = self.public_keys.get(source["Key-Pair-Id"])
        if key is None:
            raise AccessDenied(f"unknown Key-Pair-Id {source['Key-Pair-Id']!r}")
        if source["Expires"]:
            if not source["Expires"].isdigit():
                raise AccessDenied("Expires is not an epoch time")
            policy_bytes = (
                '{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%s}}}]}'
                % (resource_url, source["Expires"])
            ).encode()
        else:
            try:
                policy_bytes = _url_b64decode(source["Policy"] or "")  # set: Expires is not
            except ValueError:
                raise AccessDenied("Policy is not CloudFront base64") from None
        self._check_signature(key, policy_bytes, source["Signature"], hash_name)
        try:
            policy = json.loads(policy_bytes)
        except ValueError:
            raise AccessDenied("the policy is not JSON") from None
        self._check_policy(policy, resource_url, client_ip)

    @staticmethod
    def _check_signature(key: RSAPublicKey, policy: bytes, signature: str, hash_name: str) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        algorithms = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}
        if hash_name not in algorithms:
            raise AccessDenied(f"unsupported Hash-Algorithm {hash_name!r}")
        try:
            key.verify(_url_b64decode(signature), policy, padding.PKCS1v15(), algorithms[hash_name]())
        except (InvalidSignature, ValueError):
            raise AccessDenied("signature does not match the policy") from None

    def _check_policy(self, policy: object, resource_url: str, client_ip: str) -> None:
        if not isinstance(policy, dict) or set(policy) != {"Statement"}:
            raise AccessDenied("policy must be an object with only a Statement")
        statements = policy["Statement"]
        if not isinstance(statements, list) or len(statements) != 1 or not isinstance(statements[0], dict):
            raise AccessDenied("policy must have exactly one Statement")
        statement = statements[0]
        if set(statement) - {"Resource", "Condition"}:
            raise AccessDenied("unknown keys in the Statement")
        resource = statement.get("Resource")
        if resource is not None and (not isinstance(resource, str) or not _wildcard_match(resource, resource_url)):
            raise AccessDenied(f"the policy's Resource does not cover {resource_url}")
        condition = statement.get("Condition")
        if not isinstance(condition, dict) or set(condition) - {"DateLessThan", "DateGreaterThan", "IpAddress"}:
            raise AccessDenied("the Condition must hold DateLessThan and optionally DateGreaterThan, IpAddress")
        now = self.clock()
        if "DateLessThan" not in condition:
            raise AccessDenied("the Condition has no DateLessThan")
        if not now < self._epoch(condition["DateLessThan"]):
            raise AccessDenied("expired: the policy's DateLessThan has passed")
        if "DateGreaterThan" in condition and not now >= self._epoch(condition["DateGreaterThan"]):
            raise AccessDenied("not yet valid: the policy's DateGreaterThan is in the future")
        if "IpAddress" in condition:
            source_ip = (condition["IpAddress"] or {}).get("AWS:SourceIp")
            if not isinstance(source_ip, str):
                raise AccessDenied("IpAddress is not a valid CIDR range")
            try:
                allowed = ipaddress.ip_address(client_ip) in ipaddress.ip_network(source_ip)
            except (TypeError, ValueError):
                raise AccessDenied("IpAddress is not a valid CIDR range") from None
            if not allowed:
                raise AccessDenied(f"client address {client_ip} is outside {source_ip}")

    @staticmethod
    def _epoch(value: object) -> int:
        epoch = value.get("AWS:EpochTime") if isinstance(value, dict) else None
        if isinstance(epoch, bool) or not isinstance(epoch, int):
            raise AccessDenied("policy times must be {\"AWS:EpochTime\": <integer>}")
        return epoch


def s3_origin(client: Any, bucket: str) -> Callable[[str], bytes | None]:
    """An origin for the edge: objects of ``bucket`` through a boto3 S3 ``client`` (botocore
    makes its methods at run time, hence Any)."""

    def fetch(key: str) -> bytes | None:
        try:
            data: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            return data
        except client.exceptions.NoSuchKey:
            return None

    return fetch


class CloudFrontEdge:
    """An HTTP server on 127.0.0.1 that answers like a CloudFront distribution would.

    ``fetch_origin(key)`` returns an object's bytes, or None when it does not exist.
    ``origin_path`` is prepended to the request path to form the origin key.
    """

    def __init__(
        self, verifier: CloudFrontVerifier, fetch_origin: Callable[[str], bytes | None], origin_path: str = ""
    ) -> None:
        self.verifier = verifier
        self.fetch_origin = fetch_origin
        self.origin_path = origin_path.strip("/")
        self.log: list[tuple[str, str, int, str]] = []  # (method, path, status, reason)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the CloudFront edge has no URL until it is started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> CloudFrontEdge:
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                edge._serve(self, body=True)

            def do_HEAD(self) -> None:  # noqa: N802
                edge._serve(self, body=False)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="cloudfront-edge", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> CloudFrontEdge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        host = handler.headers.get("Host", "")
        url = f"http://{host}{handler.path}"
        cookies = {name: morsel.value for name, morsel in SimpleCookie(handler.headers.get("Cookie", "")).items()}
        path = handler.path.partition("?")[0]
        try:
            self.verifier.verify(url, client_ip=handler.client_address[0], cookies=cookies)
        except AccessDenied as exc:
            self._respond(handler, 403, b"<Error><Code>AccessDenied</Code></Error>", body, path, str(exc))
            return
        key = unquote(path.lstrip("/"))
        data = self.fetch_origin(f"{self.origin_path}/{key}" if self.origin_path else key)
        if data is None:
            self._respond(handler, 404, b"<Error><Code>NoSuchKey</Code></Error>", body, path, "not found")
        else:
            self._respond(handler, 200, data, body, path, "ok")

    def _respond(
        self, handler: BaseHTTPRequestHandler, status: int, data: bytes, body: bool, path: str, reason: str
    ) -> None:
        self.log.append((handler.command, path, status, reason))
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Content-Type", "application/octet-stream" if status == 200 else "application/xml")
        handler.end_headers()
        if body:
            handler.wfile.write(data)
