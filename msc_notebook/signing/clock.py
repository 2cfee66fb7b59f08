"""The one clock the signer library reads, so tests can freeze time in one place."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time, timezone-aware UTC. Always call it as ``clock.utcnow()``."""
    return datetime.now(timezone.utc)
