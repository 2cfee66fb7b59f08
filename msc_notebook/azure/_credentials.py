"""What signs an azure profile's SAS tokens, and until when a SAS made with it works.

MSC's two credential types, with the same option names:

* ``AzureCredentials`` (option ``connection``, a connection string): the account
  key signs. Such a SAS lives exactly as long as its own expiry.
* ``DefaultAzureCredentials`` (options passed to azure-identity's
  ``DefaultAzureCredential``): the signed-in identity asks the service for a
  *user delegation key*, which signs. A SAS made with it stops working when the
  key expires, whatever its own expiry says, so the key's expiry is the
  credential expiry of every URL it signs.

The account key never leaves this module's objects: not in a repr, an error or a
result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core._errors import ConfigParseError, CredentialsError, CredentialsExpiredError, UnsupportedProviderError
from ..core._result import CredentialStatus
from ._answers import answer

if TYPE_CHECKING:
    from azure.core.credentials import AzureNamedKeyCredential, TokenCredential
    from azure.core.exceptions import HttpResponseError
    from azure.storage.blob import BlobServiceClient, UserDelegationKey

CONNECTION_CREDENTIALS = "AzureCredentials"
DEFAULT_CREDENTIALS = "DefaultAzureCredentials"
EXTRA_HINT = "pip install 'msc-notebook[azure]'"

# Azure refuses a delegation key that ends more than 7 days after *its* clock's now;
# 5 minutes spare cover a clock that runs ahead of the service's.
DELEGATION_KEY_LIFETIME = timedelta(days=7) - timedelta(minutes=5)
# Key start a little in the past, so a service clock behind ours accepts the key at once.
DELEGATION_KEY_BACKDATE = timedelta(minutes=5)
# `ske` has whole-second resolution: a key asked for within the same second is no longer.
_REFETCH_GAIN = timedelta(seconds=1)


def require_azure_sdk() -> None:
    """Import azure-storage-blob, or say which extra to install."""
    try:
        import azure.storage.blob  # noqa: F401
    except ImportError:
        raise UnsupportedProviderError(
            f"signing azure profiles needs azure-storage-blob and azure-identity: {EXTRA_HINT}"
        ) from None


def parse_connection_string(text: Any, where: str) -> dict[str, str]:
    """``Name=value;Name=value`` as a dict. Errors name parts by position, never by value."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigParseError(
            f"{where}: set options.connection to the storage account's connection string "
            f'(Azure portal: Storage account > Access keys), e.g. "${{AZURE_STORAGE_CONNECTION_STRING}}"'
        )
    fields: dict[str, str] = {}
    for position, part in enumerate(text.strip().split(";"), start=1):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise ConfigParseError(
                f"{where}: the connection string is malformed: part {position} is not Name=value "
                f"(expected e.g. DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...)"
            )
        fields[name.strip()] = value.strip()
    return fields


@dataclass(frozen=True)
class SigningKey:
    """What `generate_blob_sas` signs with, and when a SAS made with it stops working."""

    sas_arguments: Mapping[str, Any] = field(repr=False)  # account_key=... or user_delegation_key=...
    expiry: datetime | None  # None: never (an account key)


class AccountKeyCredentials:
    """The account key of a connection string (``AzureCredentials``)."""

    source = "account key (connection string)"

    def __init__(self, options: Mapping[str, Any], where: str) -> None:
        fields = parse_connection_string(options.get("connection"), where)
        missing = [name for name in ("AccountName", "AccountKey") if not fields.get(name)]
        if missing:
            found = ", ".join(sorted(fields)) or "nothing"
            hint = (
                " A connection string with only a SharedAccessSignature cannot make new SAS tokens."
                if "SharedAccessSignature" in fields
                else ""
            )
            raise ConfigParseError(
                f"{where}: the connection string has no {' or '.join(missing)} (it has {found}).{hint} "
                f"Use the account's connection string with AccountName and AccountKey, or "
                f"{DEFAULT_CREDENTIALS} to sign with your Azure identity"
            )
        self.account_name = fields["AccountName"]
        self._account_key = fields["AccountKey"]
        _check_base64_key(self._account_key, where)

    def signing_key(self, now: datetime, until: datetime) -> SigningKey:
        return SigningKey({"account_key": self._account_key}, None)

    def status(self, now: datetime, until: datetime) -> CredentialStatus:
        return CredentialStatus(self.account_name, self.source, None)

    def service_credential(self) -> AzureNamedKeyCredential:
        """What azure-storage-blob clients authenticate with (Shared Key)."""
        from azure.core.credentials import AzureNamedKeyCredential

        return AzureNamedKeyCredential(self.account_name, self._account_key)

    def __repr__(self) -> str:
        return f"AccountKeyCredentials(account_name={self.account_name!r})"


def _check_base64_key(key: str, where: str) -> None:
    import base64
    import binascii

    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigParseError(
            f"{where}: the connection string's AccountKey is not base64; copy it again from the Azure portal"
        ) from None


def make_token_credential(options: Mapping[str, Any]) -> TokenCredential:
    """azure-identity's DefaultAzureCredential with the profile's options, as MSC makes it.

    The one seam tests replace: everything after it (key requests, caching, signing)
    is the code users run.
    """
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise UnsupportedProviderError(f"DefaultAzureCredentials needs azure-identity: {EXTRA_HINT}") from None
    return DefaultAzureCredential(**options)


class DelegationKeyCredentials:
    """User delegation keys obtained with Azure Identity (``DefaultAzureCredentials``)."""

    source = "user delegation key (Azure Identity)"

    def __init__(self, options: Mapping[str, Any], account_name: str, where: str) -> None:
        self.account_name = account_name
        self._where = where
        try:
            self._token_credential = make_token_credential(dict(options))
        except TypeError as exc:  # an option DefaultAzureCredential does not take
            raise ConfigParseError(
                f"{where}: {exc}; options are passed to azure-identity's DefaultAzureCredential"
            ) from None
        self._service: BlobServiceClient | None = None
        self.keys = DelegationKeyCache(self._fetch_key)

    def bind(self, service_client: BlobServiceClient) -> None:
        """The BlobServiceClient (made with `service_credential`) that requests keys."""
        self._service = service_client

    def service_credential(self) -> TokenCredential:
        return self._token_credential

    def signing_key(self, now: datetime, until: datetime) -> SigningKey:
        key, expiry = self.keys.key_for(now, until)
        if expiry <= now:
            raise CredentialsExpiredError(
                f"{self._where}: the service issued a user delegation key that expired at "
                f"{expiry:%Y-%m-%d %H:%M:%S} UTC; check this machine's clock"
            )
        return SigningKey({"user_delegation_key": key}, expiry)

    def status(self, now: datetime, until: datetime) -> CredentialStatus:
        """The key a URL signed at ``now`` that must work until ``until`` would get."""
        return CredentialStatus(self.account_name, self.source, self.signing_key(now, until).expiry)

    def _fetch_key(self, start: datetime, expiry: datetime) -> UserDelegationKey:
        from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

        if self._service is None:  # AzureURLSigner binds its client as it is made
            raise CredentialsError(f"{self._where}: no BlobServiceClient bound to request user delegation keys")
        try:
            return self._service.get_user_delegation_key(key_start_time=start, key_expiry_time=expiry)
        except ClientAuthenticationError as exc:
            if isinstance(exc, HttpResponseError) and exc.status_code:
                raise self._refused(exc) from None
            raise CredentialsError(
                f"{self._where}: Azure Identity found no usable credentials ({_first_line(exc)}); sign in "
                f"with `az login`, use a managed identity, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret "
                f"or certificate"
            ) from None
        except HttpResponseError as exc:
            raise self._refused(exc) from None
        except AzureError as exc:
            raise CredentialsError(f"{self._where}: cannot get a user delegation key: {_first_line(exc)}") from None

    def _refused(self, exc: HttpResponseError) -> CredentialsError:
        hint = (
            "; the signed-in identity needs a role that may request user delegation keys on the account "
            "(e.g. Storage Blob Delegator plus a data role)"
            if exc.status_code == 403
            else ""
        )
        return CredentialsError(
            f"{self._where}: the service refused a user delegation key for account "
            f"{self.account_name!r} ({answer(exc)}){hint}"
        )

    def __repr__(self) -> str:
        return f"DelegationKeyCredentials(account_name={self.account_name!r})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


class DelegationKeyCache:
    """One user delegation key at a time, renewed when a SAS would outlive it.

    The rule: a SAS that must work until ``until`` gets the cached key only if the
    key lasts that long; otherwise a fresh key, asked for the longest lifetime the
    service grants. So no SAS is ever cut short by a key when a longer one could be
    had, and keys are requested rarely (about once a week for one-hour URLs).
    Thread-safe: concurrent signers wait for one request rather than each making one.
    """

    def __init__(self, fetch: Callable[[datetime, datetime], UserDelegationKey]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        self._held: _HeldKey | None = None

    def key_for(self, now: datetime, until: datetime) -> tuple[UserDelegationKey, datetime]:
        """A key (and its expiry) for a SAS signed at ``now`` that should work until ``until``."""
        with self._lock:
            held = self._held
            if held is None or (held.expiry < until and now - held.fetched_at >= _REFETCH_GAIN):
                key = self._fetch(now - DELEGATION_KEY_BACKDATE, now + DELEGATION_KEY_LIFETIME)
                held = self._held = _HeldKey(key, _key_expiry(key), now)
            return held.key, held.expiry


class _HeldKey(NamedTuple):
    key: UserDelegationKey
    expiry: datetime
    fetched_at: datetime


def _key_expiry(key: UserDelegationKey) -> datetime:
    """The key's ``signed_expiry`` (an ISO string from the service) as aware UTC."""
    value = key.signed_expiry
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
