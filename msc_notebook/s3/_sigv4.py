"""SigV4 query-string presigning for S3, written out by hand for speed.

Why by hand: sharing a dataset presigns one GET per object, often 10,000 to 100,000
of them at one instant. Measured per URL with ``tests/benchmarks/bench_bulk_signing.py``
(10,000 URLs, a busy 2-core machine, ranges over runs): boto3's
``generate_presigned_url`` with a cached client 330-580 µs, botocore's
``S3SigV4QueryAuth`` called directly 180-200 µs, obstore's ``sign`` (Rust) 15-25 µs,
this module 4.6-5.2 µs, i.e. 60-140x boto3 and 3x obstore: 100,000 URLs in half a
second instead of about a minute. botocore spends its time on endpoint rules, event
hooks and request objects for every URL; SigV4 itself, once the signing key is
derived (once per date, region and service), is one SHA-256 and one HMAC per URL.

The URLs are byte-identical to botocore's ``generate_presigned_url`` with
``signature_version="s3v4"``:

* ``tests/s3/test_sigv4_differential.py`` compares over 10,000 generated cases (keys,
  addressing styles, endpoints, regions, session tokens, methods, options) with
  botocore's clock frozen;
* at run time :meth:`BucketPresigner.for_client` decides up front whether it covers a
  client's configuration: it refuses what it does not handle (accelerate, dual-stack,
  FIPS, S3 Express and access-point buckets, unusual endpoints), takes the bucket's
  base URL from a URL botocore presigns, and only returns a presigner once it has
  reproduced botocore's URLs for every method and option byte for byte. Otherwise
  it returns None and the caller keeps signing with botocore.

Credentials come from botocore (frozen ones are passed in); the signing time is
passed in too, so a bulk run signs every URL at one instant.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import SplitResult, quote, unquote, urlsplit

_log = logging.getLogger(__name__)

_SERVICE = "s3"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# botocore drops a Content-Type of exactly this value from presigned URLs (it is
# the one it would set itself for form posts), so it is not signed.
_DROPPED_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
# boto3 parameters for GET -> query parameters. (PUT's ContentType is a signed header.)
_QUERY_PARAMS = {
    "ResponseContentDisposition": "response-content-disposition",
    "ResponseContentType": "response-content-type",
}

# S3's bucket naming rules (what virtual-host addressing needs), minus the suffixes of
# S3 Express directory buckets (signed with session credentials) and table buckets.
_PLAIN_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_SPECIAL_BUCKET_SUFFIXES = ("--x-s3", "--table-s3")
# What quote(..., safe="/~") leaves as it is.
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")
_PLAIN_PATH = re.compile(r"(/[A-Za-z0-9._~-]*)*")
_ENDPOINT_VARIANTS = ("accelerate", "dualstack", "fips")
_IPAD = bytes(byte ^ 0x36 for byte in range(256))  # HMAC's inner and outer pads, as translate tables
_OPAD = bytes(byte ^ 0x5C for byte in range(256))
_PROBE_KEY = "msc-notebook probe/ünï cöde//a+b=c&d~e!*'();:@$,?#[]%20\x7f"
_PROBE_PATH = "/" + quote(_PROBE_KEY, safe="/~")
_PROBES: tuple[tuple[str, str, dict[str, str]], ...] = (  # (boto3 client method, HTTP method, params)
    ("get_object", "GET", {}),
    ("get_object", "GET", {"ResponseContentDisposition": 'attachment; filename="a b.bin"',
                           "ResponseContentType": "application/octet-stream"}),
    ("put_object", "PUT", {"ContentType": "text/plain;  charset=utf-8"}),
    ("head_object", "HEAD", {}),
)  # fmt: skip


class FrozenCredentials(Protocol):
    """botocore's ReadOnlyCredentials: what ``get_frozen_credentials()`` returns."""

    access_key: str
    secret_key: str
    token: str | None


def _encode(value: str) -> str:
    """Query encoding as botocore's ``percent_encode``: RFC 3986 unreserved kept."""
    return quote(value, safe="-_.~")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode("utf-8"), "sha256")


def _amz_date(signed_at: datetime) -> str:
    if signed_at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware (UTC)")
    t = signed_at if signed_at.tzinfo is timezone.utc else signed_at.astimezone(timezone.utc)
    return f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}Z"  # strftime is slower


class BucketPresigner:
    """Presigns S3 URLs for the keys of one bucket, as botocore would.

    Make one with :meth:`for_client`, which decides whether botocore's URLs for that
    client and bucket are reproduced exactly. Thread-safe: the only state is the
    signing key of the last credentials and date, replaced as one tuple.
    """

    def __init__(self, bucket_url: str, region: str) -> None:
        """``bucket_url``: scheme://host[:port][/path] that a key's quoted path follows."""
        parts = urlsplit(bucket_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._path_prefix = parts.path + "/"
        self._host = _host_header(parts.scheme, parts.hostname or "", parts.port)
        self._region = region
        self._signing: tuple[tuple[str, str, str | None, str], _Signing] | None = None  # the last one made

    @classmethod
    def for_client(cls, client: Any, bucket: str, credentials: FrozenCredentials) -> BucketPresigner | None:
        """A presigner for ``bucket`` that matches ``client`` (a boto3 S3 client), or None.

        None means "sign with botocore": the configuration is one this module does
        not cover, or botocore's own URLs (signed here with ``credentials``, the
        client's) are not reproduced byte for byte.
        """
        refusal = _refusal(client, bucket)
        presigner = None
        if refusal is None:
            try:
                presigner, refusal = cls._from_probes(client, bucket, credentials)
            except Exception as exc:  # botocore raises it again when it signs in our place
                refusal = f"botocore could not presign ({type(exc).__name__})"
        if refusal is not None:
            _log.debug("SigV4 fast path off for bucket %r, botocore signs: %s", bucket, refusal)
        return presigner

    @classmethod
    def _from_probes(
        cls, client: Any, bucket: str, credentials: FrozenCredentials
    ) -> tuple[BucketPresigner | None, str | None]:
        presigner = None
        for client_method, method, params in _PROBES:
            expected = client.generate_presigned_url(
                client_method, Params={"Bucket": bucket, "Key": _PROBE_KEY, **params}, ExpiresIn=3600, HttpMethod=method
            )
            parts = urlsplit(expected)
            query = dict(pair.partition("=")[::2] for pair in parts.query.split("&"))
            if presigner is None:
                refusal = _endpoint_refusal(parts)
                if refusal is not None:
                    return None, refusal
                scope = unquote(query.get("X-Amz-Credential", "")).rsplit("/", 4)
                if len(scope) != 5 or scope[3] != _SERVICE:
                    return None, "botocore signs for another service or scheme"
                base_path = parts.path.removesuffix(_PROBE_PATH)
                presigner = cls(f"{parts.scheme}://{parts.netloc}{base_path}", scope[2])
            signed_at = datetime.strptime(query.get("X-Amz-Date", ""), _AMZ_DATE_FORMAT).replace(tzinfo=timezone.utc)
            ours = presigner.presign(credentials, _PROBE_KEY, method=method, expires_in=3600, signed_at=signed_at,
                                     params=params)  # fmt: skip
            if ours != expected:
                return None, f"a {method} URL differs from botocore's"
        return presigner, None

    def presign(
        self,
        credentials: FrozenCredentials,
        key: str,
        *,
        method: str,
        expires_in: int,
        signed_at: datetime,
        params: Mapping[str, str] | None = None,
    ) -> str:
        """One URL for ``key``; ``params`` as boto3 names them (ContentType for PUT,
        ResponseContentDisposition / ResponseContentType for GET), in boto3's order."""
        return _Batch(self, credentials, method, expires_in, signed_at, params or {}).url(key)

    def presign_many(
        self, credentials: FrozenCredentials, keys: Iterable[str], *, expires_in: int, signed_at: datetime
    ) -> list[str]:
        """GET URLs for ``keys``, all signed at ``signed_at`` and valid for ``expires_in`` seconds."""
        url = _Batch(self, credentials, "GET", expires_in, signed_at, {}).url
        return [url(key) for key in keys]

    def _signing_for(self, credentials: FrozenCredentials, date: str) -> _Signing:
        """What signing with ``credentials`` on ``date`` needs; made once per date and credentials."""
        cache_key = (credentials.secret_key, credentials.access_key, credentials.token, date)
        cached = self._signing
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        signing = _Signing(credentials, date, self._region)
        self._signing = (cache_key, signing)
        return signing

    def __repr__(self) -> str:
        return f"BucketPresigner({self._origin + self._path_prefix!r}, region={self._region!r})"


class _Signing:
    """The signing key (as keyed HMAC states), scope and encoded credential parameters
    for one set of credentials on one date, in this presigner's region."""

    __slots__ = ("scope", "credential", "token", "inner", "outer")

    def __init__(self, credentials: FrozenCredentials, date: str, region: str) -> None:
        key = _hmac(f"AWS4{credentials.secret_key}".encode(), date)
        for part in (region, _SERVICE, "aws4_request"):
            key = _hmac(key, part)
        # HMAC (RFC 2104) is SHA-256 over the key XOR ipad, then over the key XOR opad:
        # these two states continue per message. hmac.digest sets OpenSSL up again on
        # every call (~4 µs here); copying them costs half that, most of a URL's cost.
        block = key.ljust(64, b"\0")  # one SHA-256 block; the key has 32 bytes
        self.inner = hashlib.sha256(block.translate(_IPAD))
        self.outer = hashlib.sha256(block.translate(_OPAD))
        self.scope = f"{date}/{region}/{_SERVICE}/aws4_request"
        self.credential = _encode(f"{credentials.access_key}/{self.scope}")
        self.token = None if credentials.token is None else _encode(credentials.token)  # botocore keeps ""


class _Batch:
    """Everything about a set of URLs except the key, computed once: each key then
    costs one SHA-256 and one HMAC-SHA256, both continued from saved states."""

    __slots__ = ("_request_head", "_canonical_tail", "_string_head", "_inner", "_outer", "_url_head", "_url_tail")

    def __init__(
        self,
        presigner: BucketPresigner,
        credentials: FrozenCredentials,
        method: str,
        expires_in: int,
        signed_at: datetime,
        params: Mapping[str, str],
    ) -> None:
        amz_date = _amz_date(signed_at)
        signing = presigner._signing_for(credentials, amz_date[:8])
        canonical_headers, signed_headers = f"host:{presigner._host}\n", "host"
        query = []
        for name, value in params.items():
            if name in _QUERY_PARAMS:
                query.append(f"{_QUERY_PARAMS[name]}={_encode(value)}")
            elif name != "ContentType":
                raise ValueError(f"BucketPresigner cannot sign the parameter {name!r}")
            elif value != _DROPPED_CONTENT_TYPE:  # signed as a header; SigV4 trims its spaces
                canonical_headers = f"content-type:{' '.join(value.split())}\n{canonical_headers}"
                signed_headers = "content-type;host"
        query += [  # botocore's order: the operation's parameters, then these
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            f"X-Amz-Credential={signing.credential}",
            f"X-Amz-Date={amz_date}",
            f"X-Amz-Expires={expires_in:d}",
            f"X-Amz-SignedHeaders={signed_headers.replace(';', '%3B')}",
        ]
        if signing.token is not None:
            query.append(f"X-Amz-Security-Token={signing.token}")
        # No parameter name is a prefix of another, so sorting "name=value" sorts by name.
        canonical_query = "&".join(sorted(query))
        # The canonical request is "METHOD\n<path>\n<query>\n<headers>\n<signed headers>\n<payload>",
        # and the path is the bucket's path followed by the quoted key.
        self._request_head = hashlib.sha256(f"{method.upper()}\n{presigner._path_prefix}".encode())
        self._canonical_tail = f"\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{_UNSIGNED_PAYLOAD}"
        self._string_head = f"AWS4-HMAC-SHA256\n{amz_date}\n{signing.scope}\n".encode()
        self._inner, self._outer = signing.inner, signing.outer
        self._url_head = presigner._origin + presigner._path_prefix
        self._url_tail = f"?{'&'.join(query)}&X-Amz-Signature="

    def url(self, key: str) -> str:
        if not key:
            raise ValueError("an S3 object key has at least one character")
        quoted = key if _UNRESERVED_PATH.fullmatch(key) else quote(key, safe="/~")  # quote() costs ~1.5 µs
        request = self._request_head.copy()
        request.update(f"{quoted}{self._canonical_tail}".encode())
        inner = self._inner.copy()
        inner.update(self._string_head + request.hexdigest().encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return f"{self._url_head}{quoted}{self._url_tail}{outer.hexdigest()}"


def _host_header(scheme: str, hostname: str, port: int | None) -> str:
    """The Host value botocore signs: lower case, without the scheme's default port."""
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        return f"{hostname}:{port}"
    return hostname


def _refusal(client: Any, bucket: str) -> str | None:
    """Why this client's configuration or this bucket is left to botocore, or None."""
    config = client.meta.config
    s3 = config.s3 or {}
    if config.signature_version != "s3v4":
        return f"signature_version is {config.signature_version!r}, not s3v4"
    if s3.get("use_accelerate_endpoint"):
        return "S3 Transfer Acceleration"
    if s3.get("use_dualstack_endpoint") or config.use_dualstack_endpoint:
        return "dual-stack endpoint"
    if config.use_fips_endpoint or "fips" in (client.meta.region_name or ""):
        return "FIPS endpoint"
    if not _PLAIN_BUCKET.fullmatch(bucket) or ".." in bucket or bucket.endswith(_SPECIAL_BUCKET_SUFFIXES):
        return "the bucket name needs botocore's special handling"
    return None


def _endpoint_refusal(parts: SplitResult) -> str | None:
    """Why the bucket URL botocore chose is one to leave to botocore, or None."""
    hostname = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme!r}"
    if "@" in parts.netloc or "[" in parts.netloc:
        return "the endpoint has user info or an IPv6 address"
    if any(variant in hostname for variant in _ENDPOINT_VARIANTS):
        return "an accelerate, dual-stack or FIPS endpoint"
    if not parts.path.endswith(_PROBE_PATH) or not _PLAIN_PATH.fullmatch(parts.path.removesuffix(_PROBE_PATH)):
        return "the endpoint's path has characters that need encoding"
    return None


class MultipartPresigner:
    """The fast path for one multipart upload's URLs (a PUT per part, the completion POST, the abort
    DELETE): a `BucketPresigner`'s signing key and bucket URL, with the query parameters botocore
    adds for them (partNumber, uploadId) before its own. Used only once `matches` botocore."""

    def __init__(
        self, presigner: BucketPresigner, credentials: FrozenCredentials, key: str, upload_id: str, expires_in: int
    ) -> None:
        if not key:
            raise ValueError("an S3 object key has at least one character")
        self._presigner = presigner
        self._credentials = credentials
        self._quoted = key if _UNRESERVED_PATH.fullmatch(key) else quote(key, safe="/~")
        self._upload = f"uploadId={_encode(upload_id)}"
        self._expires_in = expires_in

    def matches(self, probes: Sequence[str], signing_time: Any) -> bool:
        """Whether ours are byte-identical to botocore's ``probes`` (part 1, completion, abort) when
        signed at their instants."""
        part, complete, abort = probes
        ours = (
            self._signed(signing_time(part), "PUT", 1),
            self._signed(signing_time(complete), "POST", None),
            self._signed(signing_time(abort), "DELETE", None),
        )
        return ours == tuple(probes)

    def all(self, count: int, signed_at: datetime) -> tuple[list[str], str, str, datetime]:
        head = self._head(signed_at)
        parts = [self._url(head, "PUT", number) for number in range(1, count + 1)]
        return parts, self._url(head, "POST", None), self._url(head, "DELETE", None), signed_at

    def _signed(self, signed_at: datetime, method: str, number: int | None) -> str:
        return self._url(self._head(signed_at), method, number)

    def _head(self, signed_at: datetime) -> tuple[str, str, Any, Any, bytes, str, str]:
        """What every URL of one instant shares: botocore's X-Amz parameters, in URL order and
        in canonical (sorted) order, the HMAC states, the string-to-sign's head and the URL's."""
        presigner = self._presigner
        amz_date = _amz_date(signed_at)
        signing = presigner._signing_for(self._credentials, amz_date[:8])
        amz = [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            f"X-Amz-Credential={signing.credential}",
            f"X-Amz-Date={amz_date}",
            f"X-Amz-Expires={self._expires_in:d}",
            "X-Amz-SignedHeaders=host",
        ]
        if signing.token is not None:
            amz.append(f"X-Amz-Security-Token={signing.token}")
        url_amz = "&".join(amz)
        canonical_amz = "&".join(sorted(amz))  # upper case: before partNumber and uploadId
        string_head = f"AWS4-HMAC-SHA256\n{amz_date}\n{signing.scope}\n".encode()
        path = presigner._path_prefix + self._quoted
        return url_amz, canonical_amz, signing.inner, signing.outer, string_head, path, presigner._origin

    def _url(self, head: tuple[str, str, Any, Any, bytes, str, str], method: str, number: int | None) -> str:
        url_amz, canonical_amz, inner_state, outer_state, string_head, path, origin = head
        operation = f"partNumber={number}&{self._upload}" if number is not None else self._upload
        canonical = (
            f"{method}\n{path}\n{canonical_amz}&{operation}\nhost:{self._presigner._host}\n\nhost\n{_UNSIGNED_PAYLOAD}"
        )
        inner = inner_state.copy()
        inner.update(string_head + hashlib.sha256(canonical.encode()).hexdigest().encode())
        outer = outer_state.copy()
        outer.update(inner.digest())
        return f"{origin}{path}?{operation}&{url_amz}&X-Amz-Signature={outer.hexdigest()}"
