"""How long the library waits for what it does not control.

Loading credentials may run a credential_process or call SSO, STS, a container endpoint
or IMDS: each load gets `credentials_timeout` seconds. A call to the storage (one page of a
listing, writing a manifest) waits at most `CONNECT_TIMEOUT` to connect and `READ_TIMEOUT`
for each answer, and is tried `ATTEMPTS` times in all when the failure is transient; a
profile's own ``connect_timeout``, ``read_timeout`` and ``retries`` storage options (MSC's)
win (`StorageBounds`). The bound is on time without progress: a listing of many pages may
take as long as it needs, each page within the bound.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import ConfigError, CredentialsError

CREDENTIALS_TIMEOUT_ENV = "MSC_NOTEBOOK_CREDENTIALS_TIMEOUT"
DEFAULT_CREDENTIALS_TIMEOUT = 60.0
CONNECT_TIMEOUT = 5.0  # seconds; a connection within a region or to localhost takes milliseconds
READ_TIMEOUT = 15.0  # seconds without a byte of the answer
ATTEMPTS = 3  # in all: a stalled call gives up after 3 x 15 s plus botocore's backoff (< 4 s), within a minute


@dataclass(frozen=True)
class StorageBounds:
    """How long one call to the storage may wait: to connect, for each answer, and how many
    times it is tried in all (a transient failure: 5xx, SlowDown, a reset, a timeout)."""

    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    attempts: int = ATTEMPTS
    retry_mode: str = "standard"

    @classmethod
    def from_options(cls, options: Mapping[str, Any], where: str) -> StorageBounds:
        """The bounds a profile's storage options set (MSC's ``connect_timeout``, ``read_timeout``,
        and botocore's ``retries`` mapping), ours where it says nothing."""
        retries = options.get("retries") or {}
        if not isinstance(retries, Mapping):
            raise ConfigError(f"{where}: retries must be a mapping such as {{max_attempts: 3}}, got {retries!r}")
        if "total_max_attempts" in retries:
            attempts = retries["total_max_attempts"]
        elif "max_attempts" in retries:  # botocore counts retries after the first try here
            attempts = _number(retries["max_attempts"], "retries.max_attempts", where, whole=True) + 1
        else:
            attempts = ATTEMPTS
        return cls(
            connect_timeout=_number(options.get("connect_timeout", CONNECT_TIMEOUT), "connect_timeout", where),
            read_timeout=_number(options.get("read_timeout", READ_TIMEOUT), "read_timeout", where),
            attempts=max(1, int(_number(attempts, "retries.total_max_attempts", where, whole=True))),
            retry_mode=str(retries.get("mode", "standard")),
        )


def _number(value: object, name: str, where: str, *, whole: bool = False) -> float:
    """``value`` if it is a non-negative number (a whole one with ``whole``), else a ConfigError."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or number < 0 or (whole and not isinstance(number, int)):
        kind = "a whole number" if whole else "a number of seconds"
        raise ConfigError(f"{where}: {name} must be {kind}, not negative, got {value!r}")
    return number


def credentials_timeout() -> float:
    """How long loading credentials may take (a credential_process, SSO, IMDS, ...), in seconds."""
    text = os.environ.get(CREDENTIALS_TIMEOUT_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_CREDENTIALS_TIMEOUT
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise CredentialsError(
            f"${CREDENTIALS_TIMEOUT_ENV} must be a number of seconds between 0 and 3600, got {text!r}"
        )
    return value
