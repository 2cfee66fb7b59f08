"""How long the library waits for what it does not control.

Loading credentials may run a credential_process or call SSO, STS, a container endpoint
or IMDS: each load gets `credentials_timeout` seconds. A call to the storage (listing,
writing a manifest) waits at most `CONNECT_TIMEOUT` to connect and `READ_TIMEOUT` for each
answer, and is tried `ATTEMPTS` times in all when the failure is transient; a profile's own
``connect_timeout``, ``read_timeout`` and ``retries`` storage options (MSC's) win.
"""

from __future__ import annotations

import os

from ._errors import CredentialsError

CREDENTIALS_TIMEOUT_ENV = "MSC_NOTEBOOK_CREDENTIALS_TIMEOUT"
DEFAULT_CREDENTIALS_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0  # seconds
READ_TIMEOUT = 15.0  # seconds without an answer: 3 attempts stay under a minute for a stalled listing
ATTEMPTS = 3


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
