"""What S3-style storage answered, in words a user can act on, once botocore's retries are spent.

botocore retries what is transient (5xx, SlowDown, throttling, resets, timeouts) within the
client's `StorageBounds`; what reaches here is final. A refusal of access (403) is the only
answer that speaks of credentials; a server that did not answer is named with how long it
was waited for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core._bounds import StorageBounds
from ..core._errors import CredentialsError, PresignError, StorageError, StorageTimeoutError


@dataclass(frozen=True)
class StorageAnswer:
    """A storage's error answer: HTTP status, S3 error code, and how many times the call was made."""

    status: int | None
    code: str
    attempts: int

    @classmethod
    def of(cls, error: Any) -> StorageAnswer:
        """The answer in a botocore ``ClientError``."""
        meta = error.response.get("ResponseMetadata", {})
        code = error.response.get("Error", {}).get("Code") or "no error code"
        return cls(meta.get("HTTPStatusCode"), code, meta.get("RetryAttempts", 0) + 1)

    def __str__(self) -> str:
        return f"{self.status} {self.code} after {_attempts(self.attempts)}"


def refusal(
    error: Any, what: str, *, where: str, field: str, failure: type[StorageError] = StorageError
) -> PresignError:
    """The error for a final error answer (a botocore ``ClientError``) to ``what`` (e.g. "the listing
    of 'x/' in profile 'p'"): credentials for a 403, ``field`` for another 4xx, else ``failure``."""
    answer = StorageAnswer.of(error)
    if answer.status == 403:
        return CredentialsError(
            f"the storage refused {what} ({answer.status} {answer.code}): the credentials of {where} "
            f"are not allowed to do it"
        )
    if answer.status is not None and 400 <= answer.status < 500:
        return PresignError(f"the storage refused {what}: {answer.status} {answer.code}", field=field)
    return failure(f"the storage failed {what}: {answer}", field=field)


def no_answer(error: Exception, what: str, *, endpoint: str, bounds: StorageBounds, waited: float) -> StorageError:
    """The error for a call that got no answer (a botocore ``BotoCoreError``) after every attempt."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    tried = f"{_attempts(bounds.attempts)}, {waited:.0f} s in all"
    if isinstance(error, ReadTimeoutError):
        return StorageTimeoutError(
            f"{endpoint} did not answer {what} within {bounds.read_timeout:g} s ({tried}); if the storage is "
            f"only slow, raise read_timeout in the profile's storage options"
        )
    if isinstance(error, ConnectTimeoutError):
        return StorageTimeoutError(
            f"could not connect to {endpoint} for {what} within {bounds.connect_timeout:g} s ({tried})"
        )
    return StorageError(f"no answer from {endpoint} to {what} ({tried}): {error}")


def is_timeout(error: Exception) -> bool:
    """Whether ``error`` is botocore's "no answer in time" (to connect, or to read)."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    return isinstance(error, ConnectTimeoutError | ReadTimeoutError)


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"
