"""Writing one blob, create-only unless asked, with azure-storage-blob's retries.

Create-only is ``upload_blob(overwrite=False)``: the SDK sends ``If-None-Match: *`` and the
service refuses (409 BlobAlreadyExists) when the blob exists. The SDK retries what is
transient (5xx, resets, timeouts) within the client's retry settings, so a retried write may
meet its own first attempt: a blob holding exactly the bytes sent counts as written. After
the retries the error names the service's own answer; only a refusal of access speaks of
credentials.
"""

from __future__ import annotations

from typing import Any

from ..core._errors import CredentialsError, ObjectExistsError, StorageError, StorageTimeoutError, StorageWriteError
from ._answers import answer


def upload_blob(blob: Any, body: bytes, *, content_type: str, overwrite: bool, location: str, where: str,
                attempts: int) -> None:  # fmt: skip
    """Upload ``body`` with ``blob`` (an azure-storage-blob BlobClient); ``location`` names it in messages."""
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ServiceResponseTimeoutError,
    )
    from azure.storage.blob import ContentSettings

    try:
        blob.upload_blob(body, overwrite=overwrite, content_settings=ContentSettings(content_type=content_type))
    except ResourceExistsError:
        if _holds(blob, body):
            return  # our own earlier attempt, whose answer was lost
        raise ObjectExistsError(f"{location} already exists and was left as it is") from None
    except ClientAuthenticationError as exc:
        raise CredentialsError(f"the storage refused the write of {location}: the credentials of {where} are not "
                               f"allowed to do it ({answer(exc)})") from None  # fmt: skip
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise CredentialsError(f"the storage refused the write of {location} ({answer(exc)}): the credentials "
                                   f"of {where} are not allowed to do it") from None  # fmt: skip
        raise StorageWriteError(f"the storage failed the write of {location}: {answer(exc)} after {attempts} "
                                f"attempts", field="path") from None  # fmt: skip
    except AzureError as exc:  # no answer, after the retries
        kind: type[StorageError] = StorageTimeoutError if isinstance(exc, ServiceResponseTimeoutError) else StorageWriteError
        raise kind(f"no answer to the write of {location} after {attempts} attempts ({type(exc).__name__}). It may "
                   f"have been written: if it exists, it is complete (a blob is stored whole or not at all)",
                   field="path") from None  # fmt: skip


def _holds(blob: Any, body: bytes) -> bool:
    """Whether the blob is exactly ``body``."""
    from azure.core.exceptions import AzureError

    try:
        return bool(blob.download_blob().readall() == body)
    except AzureError:
        return False



def delete_blob(blob: Any, *, location: str, where: str) -> bool:
    """Delete the blob; whether it existed."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

    try:
        blob.delete_blob()
        return True
    except ResourceNotFoundError:
        return False
    except ClientAuthenticationError as exc:
        raise CredentialsError(f"the storage refused the deletion of {location} ({answer(exc)})") from None
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise CredentialsError(f"the storage refused the deletion of {location} ({answer(exc)}): the "
                                   f"credentials of {where} are not allowed to do it") from None  # fmt: skip
        raise StorageWriteError(f"the storage failed the deletion of {location}: {answer(exc)}", field="path") from None
    except AzureError as exc:
        raise StorageWriteError(f"{location} may not have been deleted ({type(exc).__name__})", field="path") from None
