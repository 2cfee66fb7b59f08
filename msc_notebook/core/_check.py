"""Checking a link as its recipient would: anonymously, from here, and in plain words.

A GET URL is fetched with a one-byte range (a GET-signed S3 URL refuses HEAD), a HEAD URL
with HEAD; PUT and POST links are not fetched (that would write), but the endpoint is still
asked for its ``Date``. Every answer's ``Date`` is compared with this machine's clock: a
signing clock off by more than a minute makes URLs that are "not yet valid" at the storage or
die early there, a classic cause of links that fail far away.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from . import _times as times
from ._bounds import StorageBounds
from ._errors import PresignError
from ._fetch import Response, error_code, send

SKEW_WARNING = 60.0  # seconds: past this, the storage's clock and ours disagree enough to matter


@dataclass(frozen=True)
class Probe:
    """One fetch of one URL, and what came of it."""

    what: str  # "the link", "object data/x.bin"
    outcome: str  # "works", "refused", "unreachable" or "not fetched"
    status: int | None = None
    code: str = ""  # the storage's error code, when it refused
    detail: str = ""

    def __str__(self) -> str:
        if self.outcome == "works":
            return f"{self.what}: works ({self.status})"
        if self.outcome == "refused":
            return f"{self.what}: refused ({' '.join(str(p) for p in (self.status, self.code) if p)})"
        return f"{self.what}: {self.outcome}{f' ({self.detail})' if self.detail else ''}"


@dataclass(frozen=True)
class CheckReport:
    """What a recipient would meet: each probe, and how far the storage's clock is from ours."""

    probes: tuple[Probe, ...]
    clock_skew: float | None  # seconds the storage's clock is ahead of ours (negative: behind); None: unknown

    @property
    def works(self) -> bool:
        """Whether every fetched URL works (links that are not fetched do not count against it)."""
        fetched = [probe for probe in self.probes if probe.outcome != "not fetched"]
        return all(probe.outcome == "works" for probe in fetched)

    @property
    def warning(self) -> str | None:
        if self.clock_skew is None or abs(self.clock_skew) <= SKEW_WARNING:
            return None
        way = "ahead of" if self.clock_skew > 0 else "behind"
        return (
            f"the storage's clock is {times.describe_duration(abs(self.clock_skew))} {way} this machine's: URLs "
            f"signed here may be refused as not yet valid, or die early; set this machine's clock right (NTP)"
        )

    def __str__(self) -> str:
        lines = [str(probe) for probe in self.probes]
        if self.warning:
            lines.append(f"warning: {self.warning}")
        elif self.clock_skew is not None:
            lines.append(f"clock: the storage and this machine agree within {abs(self.clock_skew):.0f} s")
        return "\n".join(lines)


def probe(url: str, method: str, what: str, bounds: StorageBounds | None = None) -> tuple[Probe, float | None]:
    """Fetch ``url`` (signed for ``method``) as an anonymous recipient; the probe and the clock skew."""
    if method in ("PUT", "POST", "DELETE"):
        origin = urlsplit(url)._replace(path="/", query="", fragment="").geturl()
        try:
            answer = send("HEAD", origin, what=f"the endpoint of {what}", bounds=bounds)
        except PresignError as exc:
            return Probe(what, "not fetched", detail=f"a {method} link would write; the endpoint: {exc}"), None
        return Probe(what, "not fetched", detail=f"a {method} link would write"), _skew(answer)
    headers = {"Range": "bytes=0-0"} if method == "GET" else {}
    try:
        answer = send(method if method == "HEAD" else "GET", url, what=what, headers=headers, bounds=bounds)
    except PresignError as exc:  # no answer after the retries, or not a URL to fetch (a local file)
        return Probe(what, "unreachable", detail=str(exc)), None
    if answer.status in (200, 206):
        return Probe(what, "works", answer.status), _skew(answer)
    return Probe(what, "refused", answer.status, error_code(answer.body)), _skew(answer)


def report(probes: list[tuple[Probe, float | None]]) -> CheckReport:
    skews = [skew for _, skew in probes if skew is not None]
    return CheckReport(tuple(p for p, _ in probes), max(skews, key=abs) if skews else None)


def _skew(answer: Response) -> float | None:
    """The storage's clock minus ours, from its Date header (whole seconds; None without one)."""
    date = answer.headers.get("Date")
    if not date:
        return None
    try:
        theirs = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    return (theirs - times.utcnow()).total_seconds()
