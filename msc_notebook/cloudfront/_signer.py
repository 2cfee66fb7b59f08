"""The CloudFront signer: signed URLs and cookies with canned or custom (wildcard) policies.

A path without ``*`` gets a canned policy (one exact URL). A path with ``*``, or any
``not_before`` / ``ip_range``, gets a custom policy whose Resource carries the
wildcard, so one signature authorizes every object under a prefix, e.g. every
chunk of a Zarr store (MSC signs such paths with a canned policy, which authorizes
nothing). Policies and URLs are built by botocore's CloudFrontSigner; the RSA key
is handed to it as a callable (cloudfront_key.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ..core import _times as times
from ..core._errors import SignerOptionError
from ..core._keys import check_object_key, is_prefix_share, wildcard_prefix
from ..core._options import DEFAULT_EXPIRES_IN, SignerType, check_expires_in, check_text_option
from ..core._result import PresignedURL, SignedCookies, SignerDetails
from ..core._signer import SigningRequest, URLSigner
from ..s3._location import S3Location
from . import _key as cloudfront_key
from ._options import REQUIRED_OPTIONS

if TYPE_CHECKING:
    from botocore.signers import CloudFrontSigner

    from ..core._config import StorageClientConfig

MAX_CLOUDFRONT_EXPIRES_IN = 365 * 24 * 3600  # CloudFront sets no limit; a year is a sane cap
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Characters left as they are in paths: RFC 3986 unreserved and '/'. Everything else
# (space, ?, #, %, +, '*', unicode, ...) is percent-encoded, identically in the policy's
# Resource and in the URL, so what is signed is what is requested; only the trailing
# '*' of a prefix share stays a wildcard.
_PATH_SAFE = "/~"
_KEY_PAIR_ID = re.compile(r"^[A-Z0-9]{1,64}$")
_NOT_URL_TEXT = re.compile(r"[^A-Za-z0-9.\-:/\[\]*?#=&]")  # what a URL of a host (with its mistakes) can hold
# A host name or an IPv4 address, each label letters, digits and '-': no wildcard, no markup.
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


@dataclass(frozen=True)
class CloudFrontDetails(SignerDetails):
    """What a CloudFront signature authorizes: its policy's Resource and conditions."""

    resource: str  # https://domain/path, ending in '*' for a prefix share
    policy: str  # "canned" (one exact URL) or "custom"
    not_before: datetime | None = None
    ip_range: str | None = None

    @property
    def wildcard_base(self) -> str | None:
        """The URL prefix a prefix share covers (everything before its '*'); None for one object."""
        return wildcard_prefix(self.resource)


@dataclass(frozen=True)
class CloudFrontPlan:
    """What one request signs: the resource, its policy's conditions, and the URL base."""

    resource: str  # the policy Resource: origin + encoded path (may contain '*')
    domain: str  # https://host (or http://127.0.0.1:port for a local test edge)
    custom: bool
    signed_at: datetime
    expires_in: int
    not_before: datetime | None
    ip_range: str | None
    rsa_signer: Callable[[bytes], bytes]
    key_pair_id: str

    @property
    def expires_at(self) -> datetime:
        return self.signed_at + timedelta(seconds=self.expires_in)

    def facts(self) -> dict[str, Any]:
        """What a signed URL and signed cookies for this plan both carry."""
        details = CloudFrontDetails(self.resource, "custom" if self.custom else "canned", self.not_before, self.ip_range)
        return {"signed_at": self.signed_at, "expires_in": self.expires_in, "details": details}


class CloudFrontURLSigner(URLSigner):
    """CloudFront signed URLs (GET/HEAD) and cookies for an S3-family profile's objects."""

    signer_type = SignerType.CLOUDFRONT.value
    methods = ("GET", "HEAD")
    method_hints = {
        "PUT": "a CloudFront signature does not bind the HTTP method, so a signed PUT URL would "
        "let anyone overwrite the object; sign uploads with signer_type='s3'",
    }
    option_names = frozenset(
        {*REQUIRED_OPTIONS, "expires_in", "origin_path", "not_before", "ip_range"}
    )

    def __init__(self, config: StorageClientConfig) -> None:
        super().__init__(config)
        self.location = S3Location.from_config(config.provider_type, config.provider_options, config.profile)

    def sign(self, request: SigningRequest) -> PresignedURL:
        plan, signer = self._begin(request)
        if plan.custom:
            url = signer.generate_presigned_url(plan.resource, policy=self._policy(signer, plan))
        else:
            url = signer.generate_presigned_url(plan.resource, date_less_than=plan.expires_at)
        return self.signed(url, request, **plan.facts())

    def sign_cookies(self, request: SigningRequest) -> SignedCookies:
        """Signed cookies for the same policies as `sign` would put in a URL."""
        plan, signer = self._begin(request)
        if plan.custom:
            policy = self._policy(signer, plan)
            cookies = {"CloudFront-Policy": _url_b64(policy.encode())}
        else:
            policy = signer.build_policy(plan.resource, plan.expires_at)  # the canned form
            cookies = {"CloudFront-Expires": str(int(plan.expires_at.timestamp()))}
        cookies["CloudFront-Signature"] = _url_b64(plan.rsa_signer(policy.encode()))
        cookies["CloudFront-Key-Pair-Id"] = plan.key_pair_id
        return SignedCookies(
            cookies, source=request.source, resource=plan.resource, domain=plan.domain, **plan.facts()
        )

    def _begin(self, request: SigningRequest) -> tuple[CloudFrontPlan, CloudFrontSigner]:
        """The checked plan, and botocore's CloudFrontSigner over the plan's key."""
        from botocore.signers import CloudFrontSigner

        plan = self.plan(request)
        return plan, CloudFrontSigner(plan.key_pair_id, plan.rsa_signer)

    def plan(self, request: SigningRequest) -> CloudFrontPlan:
        """Check every option and work out what to sign; loads the key last."""
        options = request.options
        missing = [name for name in REQUIRED_OPTIONS if not options.get(name)]
        if missing:
            raise SignerOptionError(
                f"CloudFront signing needs {', '.join(missing)}: pass them in signer_options or set "
                f"them once under presign.cloudfront in profile {self.config.profile!r}",
                field=missing[0],
            )
        key_pair_id = check_text_option("key_pair_id", options["key_pair_id"]).strip()
        if not _KEY_PAIR_ID.match(key_pair_id):
            raise SignerOptionError(
                "key_pair_id must be upper-case ASCII letters and digits, like K2JCJMDEHXQW5F", field="key_pair_id"
            )
        domain = normalize_domain(options["domain"])
        expires_in = check_expires_in(options.get("expires_in", DEFAULT_EXPIRES_IN), MAX_CLOUDFRONT_EXPIRES_IN)
        signed_at = times.utcnow().replace(microsecond=0)  # CloudFront times are whole epoch seconds
        not_before = None
        if options.get("not_before") not in (None, ""):  # empty: a form field left blank
            not_before = _not_before(options["not_before"])
            if not_before >= signed_at + timedelta(seconds=expires_in):
                raise SignerOptionError(
                    "not_before must be earlier than the expiry (signing time + expires_in)", field="not_before"
                )
        ip_range = _ip_range(options["ip_range"]) if options.get("ip_range") not in (None, "") else None
        prefix_share = is_prefix_share(request.path)
        key = check_object_key(self._url_path(request.path, options.get("origin_path")), request.source)
        resource = domain + "/" + (encode_path(key[:-1]) + "*" if prefix_share else encode_path(key))
        return CloudFrontPlan(
            resource=resource,
            domain=domain,
            custom=prefix_share or not_before is not None or ip_range is not None,
            signed_at=signed_at,
            expires_in=expires_in,
            not_before=not_before,
            ip_range=ip_range,
            rsa_signer=cloudfront_key.rsa_signer(check_text_option("private_key_path", options["private_key_path"])),
            key_pair_id=key_pair_id,
        )

    def _url_path(self, path: str, origin_path: Any) -> str:
        """The object key, with the distribution's origin path taken off (as MSC does)."""
        key = self.location.key(path)
        if origin_path in (None, "", "/"):
            return key
        prefix = check_text_option("origin_path", origin_path).strip("/")
        if not key.startswith(prefix + "/"):
            raise SignerOptionError(
                f"object key {key!r} is not under origin_path {prefix!r}: CloudFront cannot reach it "
                f"through this distribution",
                field="origin_path",
            )
        return key[len(prefix) + 1 :]

    @staticmethod
    def _policy(signer: CloudFrontSigner, plan: CloudFrontPlan) -> str:
        return signer.build_policy(
            plan.resource, plan.expires_at, date_greater_than=plan.not_before, ip_address=plan.ip_range
        )


def normalize_domain(domain: Any) -> str:
    """``d111.cloudfront.net`` or ``https://d111.cloudfront.net/`` -> ``https://d111.cloudfront.net``.

    Only a plain host name (or address) with an optional port: a wildcard would be signed
    into a policy that other distributions trusting the key accept. http is refused,
    except for a local test edge on a loopback address. Refusals never repeat the value:
    it may carry a password (user:password@host).
    """
    text = check_text_option("domain", domain).strip()
    if "@" in text:
        raise _domain_error("has a user name or password (user:password@...), which would ride along in every URL")
    if _NOT_URL_TEXT.search(text):
        raise _domain_error("is not a host name (it has spaces, markup or other characters no host name has)")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http"):
        raise _domain_error("must be https://HOST (or just HOST)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _domain_error(
            "has a path, query or fragment; give the host alone (a distribution's origin path goes in origin_path)"
        )
    host = (parts.hostname or "").lower()
    if "*" in host:
        raise _domain_error("has a wildcard; a signed policy must name one distribution")
    if not (_HOST.match(host) or host == "::1"):
        raise _domain_error("is not a host name such as d111111abcdef8.cloudfront.net")
    try:
        parts.port  # noqa: B018 (validates the port)
    except ValueError:
        raise _domain_error("has an invalid port (not a number from 1 to 65535)") from None
    if parts.scheme == "http" and host not in _LOOPBACK_HOSTS:
        raise _domain_error(
            "uses http: CloudFront signed URLs travel over https only (http is accepted for a local test edge on 127.0.0.1)"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _domain_error(why: str) -> SignerOptionError:
    return SignerOptionError(f"domain {why}; give the distribution's host, such as d111111abcdef8.cloudfront.net", field="domain")


def encode_path(path: str) -> str:
    """Percent-encode an object path for a CloudFront URL and policy ('*' too: it is a key character here)."""
    return quote(path, safe=_PATH_SAFE)


def _not_before(value: Any) -> datetime:
    """A timezone-aware time: a naive one could be local time or UTC, and guessing shifts it by hours."""
    parsed = times.parse_time(value, require_timezone=True)
    if parsed is None:
        raise SignerOptionError(
            f"not_before must be a timezone-aware datetime or an ISO-8601 time with Z or an offset, "
            f"such as 2026-01-31T12:00:00Z; got {value!r}",
            field="not_before",
        )
    return parsed


def _ip_range(value: Any) -> str:
    text = check_text_option("ip_range", value).strip()
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise SignerOptionError(
            f"ip_range must be an IP address or a CIDR range such as 192.0.2.0/24, got {value!r}",
            field="ip_range",
        ) from None
    return str(network)


def _url_b64(data: bytes) -> str:
    """CloudFront's URL-safe base64 (+ -> -, = -> _, / -> ~), as botocore's URL signer uses it."""
    import base64

    return base64.b64encode(data).decode().translate(str.maketrans("+=/", "-_~"))

