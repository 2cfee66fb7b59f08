"""`PresignedURL`: a signed URL that is a ``str`` and knows when it really stops working.

What each signer adds about its URL (bucket and key, CloudFront policy, ...) is a typed
`SignerDetails` dataclass, declared beside the signer that fills it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from . import _times as times
from ._times import describe_duration

if TYPE_CHECKING:
    from ._check import CheckReport


@dataclass(frozen=True)
class CredentialStatus:
    """The credentials about to sign: their access key id (or account), where from, and expiry."""

    access_key: str
    source: str
    expiry: datetime | None  # None: they do not expire


@dataclass(frozen=True)
class SignerDetails:
    """Base of the signer-specific facts a result carries (see `S3Details`, `CloudFrontDetails`)."""


class ExpiryFacts:
    """When something signed stops working: the effective expiry and what it comes from.

    Subclasses set ``signed_at``, ``expires_in`` and ``credential_expiry``.
    """

    signed_at: datetime
    expires_in: int
    credential_expiry: datetime | None

    @property
    def requested_expiry(self) -> datetime:
        """When it would expire if only ``expires_in`` counted."""
        return self.signed_at + timedelta(seconds=self.expires_in)

    @property
    def effective_expiry(self) -> datetime:
        """When it really stops working: the earlier of the two expiries."""
        if self.credential_expiry is not None and self.credential_expiry < self.requested_expiry:
            return self.credential_expiry
        return self.requested_expiry

    @property
    def limited_by_credentials(self) -> bool:
        """True when the credentials expire before ``expires_in`` runs out."""
        return self.effective_expiry < self.requested_expiry

    @property
    def lifetime_lost(self) -> timedelta:
        """How much of the requested lifetime the credentials cut off (zero if none)."""
        return self.requested_expiry - self.effective_expiry

    @property
    def warning(self) -> str | None:
        """Why it dies early, or None when it lives as long as requested."""
        if not self.limited_by_credentials:
            return None
        effective = (self.effective_expiry - self.signed_at).total_seconds()
        return (
            f"The credentials that signed this URL expire at "
            f"{times.utc_text(self.effective_expiry)}, so it stops working after "
            f"{describe_duration(effective)}, not the {describe_duration(self.expires_in)} "
            f"requested ({describe_duration(self.lifetime_lost.total_seconds())} less). "
            f"Sign with longer-lived credentials to get the full lifetime."
        )

    def seconds_left(self, now: datetime | None = None) -> float:
        """Seconds until the effective expiry (negative once expired)."""
        return (self.effective_expiry - (now or times.utcnow())).total_seconds()

    @property
    def expired(self) -> bool:
        return self.seconds_left() <= 0


class PresignedURL(ExpiryFacts, str):
    """A presigned URL (usable wherever a ``str`` is) with what it grants and until when.

    ``effective_expiry`` is the earlier of ``signed_at + expires_in`` and the expiry
    of the credentials that signed it: after it the URL is refused, whatever it says.
    """

    method: str
    source: str
    signer_type: str
    details: SignerDetails

    def __new__(
        cls,
        url: str,
        *,
        method: str,
        source: str,
        signer_type: str,
        signed_at: datetime,
        expires_in: int,
        credential_expiry: datetime | None = None,
        details: SignerDetails | None = None,
    ) -> Self:
        self = super().__new__(cls, url)
        self.method = method
        self.source = source
        self.signer_type = str(signer_type)
        self.signed_at = signed_at
        self.expires_in = expires_in
        self.credential_expiry = credential_expiry
        self.details = details or SignerDetails()
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self._fields()))

    def _fields(self) -> dict[str, Any]:
        """The keyword arguments that rebuild it (a subclass adds its own)."""
        return {
            "method": self.method,
            "source": self.source,
            "signer_type": self.signer_type,
            "signed_at": self.signed_at,
            "expires_in": self.expires_in,
            "credential_expiry": self.credential_expiry,
            "details": self.details,
        }

    @property
    def url(self) -> str:
        """The URL as a plain ``str``."""
        return str(self)

    def check(self) -> CheckReport:
        """Fetch it as its recipient would (anonymously, from here): whether it works, or why not,
        and how far the storage's clock is from ours. A GET URL is read with a one-byte range; a
        PUT URL is not fetched (that would write), its endpoint is only asked for the time."""
        from ._check import probe, report

        return report([probe(str(self), self.method, "the URL")])

    def __repr__(self) -> str:
        return (
            f"PresignedURL({str(self)!r}, method={self.method!r}, source={self.source!r}, "
            f"signer_type={self.signer_type!r}, "
            f"effective_expiry={self.effective_expiry.isoformat()!r})"
        )


def _rebuild(cls: type[PresignedURL], url: str, fields: dict[str, Any]) -> PresignedURL:
    return cls(url, **fields)


def cookie_header(cookies: Mapping[str, str]) -> str:
    """The value of a ``Cookie:`` request header carrying ``cookies``."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class SignedCookies(ExpiryFacts, dict):
    """CloudFront signed cookies (a ``dict`` of cookie name to value) and their expiry.

    ``resource`` is what they authorize (a URL, possibly with ``*``); ``domain`` the
    distribution they must be sent to.
    """

    def __init__(
        self,
        cookies: dict[str, str],
        *,
        source: str,
        resource: str,
        domain: str,
        signed_at: datetime,
        expires_in: int,
        details: SignerDetails | None = None,
    ) -> None:
        super().__init__(cookies)
        self.method = "GET"
        self.source = source
        self.signer_type = "cloudfront"
        self.resource = resource
        self.domain = domain
        self.signed_at = signed_at
        self.expires_in = expires_in
        self.credential_expiry = None  # a CloudFront key pair does not expire
        self.details = details or SignerDetails()

    def cookie_header(self) -> str:
        """The value of a ``Cookie:`` request header carrying all of them."""
        return cookie_header(self)

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {k: getattr(self, k) for k in ("source", "resource", "domain", "signed_at", "expires_in", "details")}
        return (_rebuild_cookies, (dict(self), fields))

    def __repr__(self) -> str:
        return (
            f"SignedCookies({sorted(self)!r}, resource={self.resource!r}, "
            f"effective_expiry={self.effective_expiry.isoformat()!r})"
        )


def _rebuild_cookies(cookies: dict[str, str], fields: dict[str, Any]) -> SignedCookies:
    return SignedCookies(cookies, **fields)
