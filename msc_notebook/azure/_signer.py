"""The Azure signer: Blob SAS URLs through azure-storage-blob for ``azure`` profiles.

Profiles as MSC writes them: provider options ``endpoint_url`` (the account URL)
and ``base_path`` (container or container/prefix); credentials ``AzureCredentials``
(a connection string: the account key signs) or ``DefaultAzureCredentials`` (a
user delegation key, whose expiry bounds every URL it signs; see
`azure_credentials`). Each URL gets the least permission its method needs.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlsplit

from ..core import _times as times
from ..core._bounds import ATTEMPTS, CONNECT_TIMEOUT, READ_TIMEOUT
from ..core._errors import ConfigError, ConfigParseError, CredentialsError, PresignError, SignerOptionError
from ..core._keys import check_object_key, refuse_prefix_share
from ..core._listing import ListingPage, ObjectMetadata
from ..core._options import DEFAULT_EXPIRES_IN, SignerType, check_expires_in, check_header_options, warn_unknown_options
from ..core._result import CredentialStatus, PresignedURL, SignerDetails
from ..core._signer import SigningRequest, URLSigner
from ._answers import answer
from ._bulk import sas_tokens
from ._credentials import (
    CONNECTION_CREDENTIALS,
    DEFAULT_CREDENTIALS,
    AccountKeyCredentials,
    DelegationKeyCredentials,
    require_azure_sdk,
)
from ._policies import SETTLE_SECONDS, check_free_slot, close_policy, new_policy_id, open_policy
from ._write import delete_blob, upload_blob

if TYPE_CHECKING:
    from azure.core.paging import PageIterator
    from azure.storage.blob import BlobPrefix, BlobProperties, BlobServiceClient, ContainerClient

    from ..core._config import StorageClientConfig

_USED_OPTIONS = {"endpoint_url", "base_path"}
# MSC's azure provider options about transfers and retries: they do not change a URL.
_IO_OPTIONS = {
    "multipart_threshold", "multipart_chunksize", "io_chunksize", "max_concurrency", "validate_content",
    "retry_total", "retry_connect", "retry_read", "retry_status", "connection_timeout", "read_timeout",
}  # fmt: skip
# Bounds on every call to the service (listing, key requests, the container check), the
# library's defaults (`StorageBounds`: a stalled call ends within a minute); the profile's own
# connection_timeout / read_timeout / retry_* options win.
# The SDK's own backoff starts at 15 s (plus 3 s jitter) and grows threefold: two retries would
# wait about a minute before the first stalled answer is even timed; ours, like botocore's: 1-3 s.
_CLIENT_DEFAULTS = {
    "connection_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT, "retry_total": ATTEMPTS - 1,
    "initial_backoff": 1, "increment_base": 2, "random_jitter_range": 1,
}  # fmt: skip

_METHOD_OPTIONS = {  # signer option -> (generate_blob_sas parameter, methods it applies to)
    "content_disposition": ("content_disposition", ("GET",)),
    "response_content_type": ("content_type", ("GET",)),
}
# Least permission: read for GET/HEAD; create (new blob) and write (overwrite) for PUT.
_PERMISSIONS = {"GET": "r", "HEAD": "r", "PUT": "cw"}
# Azure's Put Blob needs this header; the upload snippet must send it.
_PUT_HEADERS = {"x-ms-blob-type": "BlockBlob"}
_CONTAINER_NAME = re.compile(r"^(?:\$root|\$web|[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])$")


@dataclass(frozen=True)
class AzureDetails(SignerDetails):
    """What an Azure SAS URL was made for: the blob, its permissions, and who signed."""

    account: str
    container: str
    blob: str
    permissions: str  # "r", or "cw" for PUT
    credential_source: str
    upload_headers: Mapping[str, str] = field(default_factory=dict)  # PUT: what the uploader must send


@dataclass(frozen=True)
class AzureLocation:
    """Where a profile's blobs live: account URL, container, prefix."""

    endpoint_url: str
    container: str
    prefix: str

    @classmethod
    def from_config(cls, options: Mapping[str, Any], profile: str) -> AzureLocation:
        where = f"profile {profile!r} (azure)"
        warn_unknown_options(profile, options, _USED_OPTIONS | _IO_OPTIONS, sorted(_USED_OPTIONS))
        endpoint = str(options.get("endpoint_url") or "").strip().rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query:
            raise ConfigParseError(
                f"{where}: set storage_provider.options.endpoint_url to the account URL, "
                f"e.g. https://ACCOUNT.blob.core.windows.net"
            )
        base_path = str(options.get("base_path") or "").strip("/")
        if not base_path:
            raise ConfigParseError(f"{where}: set storage_provider.options.base_path to CONTAINER or CONTAINER/PREFIX")
        container, _, prefix = base_path.partition("/")
        if not _CONTAINER_NAME.match(container):
            raise ConfigParseError(
                f"{where}: {container!r} is not a valid container name (3-63 lower-case letters, digits "
                f"and single hyphens, starting and ending with a letter or digit)"
            )
        return cls(endpoint, container, prefix.rstrip("/"))

    def blob_name(self, path: str) -> str:
        """The blob name for a profile path: prefix and path joined by one '/'."""
        return f"{self.prefix}/{path}" if self.prefix else path

    def blob_url(self, blob_name: str) -> str:
        """The blob's URL; the SAS is signed over the raw name, the URL carries it percent-encoded."""
        return f"{self.endpoint_url}/{quote(self.container, safe='$')}/{quote(blob_name, safe='~/')}"

    @property
    def https(self) -> bool:
        return self.endpoint_url.startswith("https://")


def account_name_from_endpoint(endpoint_url: str) -> str | None:
    """The account an endpoint URL names: the first path segment of a path-style URL
    (Azurite, ``http://127.0.0.1:10000/devstoreaccount1``), else the first host label
    (``https://ACCOUNT.blob.core.windows.net``); None if a path-style URL names none."""
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    segment = parts.path.strip("/").split("/", 1)[0]
    if segment or _is_local(host):
        return segment or None
    return host.split(".", 1)[0] or None


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def signing_credentials(
    config: StorageClientConfig, location: AzureLocation
) -> AccountKeyCredentials | DelegationKeyCredentials:
    """The profile's credentials_provider as Azure signing credentials."""
    where = f"profile {config.profile!r} credentials_provider"
    kind = config.credentials_type
    if kind is None:
        raise CredentialsError(
            f"profile {config.profile!r}: an azure profile needs a credentials_provider to sign: "
            f"{CONNECTION_CREDENTIALS} with options.connection (a connection string), or {DEFAULT_CREDENTIALS} "
            f"(your Azure identity, through a user delegation key)"
        )
    endpoint_account = account_name_from_endpoint(location.endpoint_url)
    if kind == CONNECTION_CREDENTIALS:
        unknown = set(config.credentials_options) - {"connection"}
        if unknown:  # counted, not named: a typo can make a piece of the key part of a name
            raise ConfigParseError(
                f"{where} ({kind}): {len(unknown)} unknown option{'s' if len(unknown) > 1 else ''} (not shown: "
                f"a typo may hold a secret); the option is connection"
            )
        credentials = AccountKeyCredentials(config.credentials_options, f"{where} ({kind})")
        if endpoint_account and endpoint_account != credentials.account_name and _names_account(location.endpoint_url):
            raise ConfigParseError(
                f"profile {config.profile!r}: endpoint_url names account {endpoint_account!r} but the connection "
                f"string is for {credentials.account_name!r}; SAS tokens only work on their own account"
            )
        return credentials
    if kind == DEFAULT_CREDENTIALS:
        if not endpoint_account:
            raise ConfigParseError(
                f"profile {config.profile!r}: cannot tell the storage account from endpoint_url "
                f"{location.endpoint_url!r}; use https://ACCOUNT.blob.core.windows.net or, for an emulator, "
                f"https://HOST:PORT/ACCOUNT"
            )
        if not location.https:
            raise ConfigParseError(
                f"profile {config.profile!r}: {DEFAULT_CREDENTIALS} needs an https endpoint_url: Azure Identity "
                f"tokens are only sent over TLS (an emulator such as Azurite serves https when given a certificate and its key)"
            )
        return DelegationKeyCredentials(config.credentials_options, endpoint_account, f"{where} ({kind})")
    raise ConfigParseError(
        f"{where}: type {kind!r} cannot sign Azure URLs; use {CONNECTION_CREDENTIALS} or {DEFAULT_CREDENTIALS}"
    )


def _names_account(endpoint_url: str) -> bool:
    """Whether the endpoint's account name is certain (path style, or an Azure blob host)."""
    parts = urlsplit(endpoint_url)
    return bool(parts.path.strip("/")) or ".blob." in (parts.hostname or "")


class AzureURLSigner(URLSigner):
    """Blob SAS URLs for GET, PUT and HEAD, via azure-storage-blob's `generate_blob_sas`."""

    signer_type = SignerType.AZURE.value
    methods = ("GET", "PUT", "HEAD")
    option_names = frozenset({"expires_in", *_METHOD_OPTIONS})
    access_policy_settle = SETTLE_SECONDS

    def __init__(self, config: StorageClientConfig) -> None:
        super().__init__(config)
        require_azure_sdk()
        self.location = AzureLocation.from_config(config.provider_options, config.profile)
        self._credentials = signing_credentials(config, self.location)
        self._lock = threading.Lock()
        self._service: BlobServiceClient | None = None
        self._container_known = False
        if isinstance(self._credentials, DelegationKeyCredentials):
            self._credentials.bind(self.service_client())

    @property
    def account_name(self) -> str:
        return self._credentials.account_name

    def _check(self, request: SigningRequest) -> int:
        """Check the request's option values; return expires_in."""
        refuse_prefix_share(
            request.path,
            request.source,
            "an Azure SAS URL covers one blob, so a trailing '*' cannot be signed as one URL; share everything "
            "under the prefix with share_prefix() (a signed manifest of read-only SAS URLs, for GET)",
        )
        return check_header_options(request.options, request.method, _METHOD_OPTIONS)

    def sign(self, request: SigningRequest) -> PresignedURL:
        from azure.storage.blob import generate_blob_sas

        expires_in = self._check(request)
        # Whole seconds, as `se` has; the delegation key is chosen for this same instant,
        # so the credential expiry and the SAS expiry are compared exactly.
        signed_at = times.utcnow().replace(microsecond=0)
        expiry = signed_at + timedelta(seconds=expires_in)
        key = self._credentials.signing_key(signed_at, expiry)
        self._check_container()
        blob = check_object_key(self.location.blob_name(request.path), request.source)
        overrides = {
            parameter: request.options[option]
            for option, (parameter, _) in _METHOD_OPTIONS.items()
            if option in request.options
        }
        sas = generate_blob_sas(
            self.account_name,
            self.location.container,
            blob,
            permission=_PERMISSIONS[request.method],
            expiry=expiry,
            protocol="https" if self.location.https else None,
            **overrides,
            **key.sas_arguments,
        )
        details = AzureDetails(
            self.account_name,
            self.location.container,
            blob,
            _PERMISSIONS[request.method],
            self._credentials.source,
            dict(_PUT_HEADERS) if request.method == "PUT" else {},
        )
        return self.signed(
            f"{self.location.blob_url(blob)}?{sas}",
            request,
            signed_at=signed_at,
            expires_in=expires_in,
            credential_expiry=key.expiry,
            details=details,
        )

    def sign_many(
        self, paths: Iterable[str], *, expires_in: int, signed_at: datetime, access_policy: str | None = None
    ) -> list[str]:
        """Read-only SAS URLs (``sp=r``, one blob each) for many profile paths, all signed at
        ``signed_at`` (whole seconds) for ``expires_in`` seconds with one key: a share's objects.
        With ``access_policy``, each names that stored policy instead (``si``), which holds the
        permission and the expiry: deleting it revokes them all."""
        from azure.storage.blob import generate_blob_sas

        expires_in = check_expires_in(expires_in)
        expiry = signed_at + timedelta(seconds=expires_in)
        key = self._credentials.signing_key(signed_at, expiry)  # renewed first if it would end sooner
        self._check_container()
        blobs = [self.location.blob_name(path) for path in paths]
        terms: dict[str, Any] = {"policy_id": access_policy} if access_policy else {"permission": "r", "expiry": expiry}
        arguments = {**terms, "protocol": "https" if self.location.https else None, **key.sas_arguments}
        tokens = sas_tokens(generate_blob_sas, self.account_name, self.location.container, blobs, arguments)
        return [f"{self.location.blob_url(blob)}?{token}" for blob, token in zip(blobs, tokens, strict=True)]

    def check_revocable(self) -> None:
        """Stored access policies work only with SAS signed by the account key (checked offline)."""
        if isinstance(self._credentials, DelegationKeyCredentials):
            raise SignerOptionError(
                f"profile {self.config.profile!r}: a revocable share needs the account key: a SAS signed with a "
                f"user delegation key ({DEFAULT_CREDENTIALS}) cannot name a stored access policy, so it cannot be "
                f"revoked by deleting one. Use {CONNECTION_CREDENTIALS} (a connection string), or share without "
                f"revocable=True (revoke() then deletes the manifest)",
                field="revocable",
            )

    def reserve_access_policy(self) -> None:
        check_free_slot(self._container(), self._where)

    def new_access_policy_id(self) -> str:
        return new_policy_id()

    def open_access_policy(self, policy_id: str, expiry: datetime) -> None:
        open_policy(self._container(), policy_id, expiry, self._where)

    def close_access_policy(self, policy_id: str) -> bool:
        return close_policy(self._container(), policy_id, self._where)

    def _container(self) -> ContainerClient:
        return self.service_client().get_container_client(self.location.container)

    @property
    def _where(self) -> str:
        return f"profile {self.config.profile!r}"

    def write_object(self, path: str, body: bytes, *, content_type: str, overwrite: bool = False) -> None:
        """Write one blob with the profile's credentials; unless ``overwrite``, only if it does not exist."""
        blob = self.service_client().get_blob_client(self.location.container, self.location.blob_name(path))
        settings = {**_CLIENT_DEFAULTS, **_client_settings(self.config.provider_options)}
        upload_blob(blob, body, content_type=content_type, overwrite=overwrite, location=self.config.source_url(path),
                    where=f"profile {self.config.profile!r}", attempts=int(settings["retry_total"]) + 1)  # fmt: skip

    def delete_object(self, path: str) -> bool:
        """Delete one blob with the profile's credentials; whether it existed."""
        blob = self.service_client().get_blob_client(self.location.container, self.location.blob_name(path))
        return delete_blob(blob, location=self.config.source_url(path), where=f"profile {self.config.profile!r}")

    def credentials(self) -> CredentialStatus:
        """The signing credentials; for a delegation key, the one a default-length URL would get."""
        now = times.utcnow().replace(microsecond=0)
        return self._credentials.status(now, now + timedelta(seconds=DEFAULT_EXPIRES_IN))

    def service_client(self) -> BlobServiceClient:
        """The BlobServiceClient for this profile's account (made once), with bounded waits."""
        with self._lock:
            if self._service is None:
                from azure.storage.blob import BlobServiceClient

                settings = {**_CLIENT_DEFAULTS, **_client_settings(self.config.provider_options)}
                self._service = BlobServiceClient(
                    self.location.endpoint_url, credential=self._credentials.service_credential(), **settings
                )
            return self._service

    def _check_container(self) -> None:
        """Refuse to sign for a container the service says does not exist (asked once).

        Only a definite "not found" stops signing: without network access, or
        without permission to read container properties, URLs are still signed.
        """
        if self._container_known:
            return
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        container = self.service_client().get_container_client(self.location.container)
        try:
            # One quick try: an unreachable service must not hold up offline signing.
            container.get_container_properties(timeout=5, retry_total=0, connection_timeout=5)
        except ResourceNotFoundError:
            raise self._no_container() from None
        except AzureError:
            pass  # cannot tell: sign anyway, as an offline signer would
        self._container_known = True

    def _no_container(self) -> ConfigError:
        return ConfigError(
            f"profile {self.config.profile!r}: container {self.location.container!r} does not exist in "
            f"account {self.account_name!r}; check storage_provider.options.base_path",
            field="profile",
        )

    def list_page(self, prefix: str, *, delimiter: bool, page_size: int, token: str | None) -> ListingPage:
        """One page of the blobs under ``prefix`` (a profile path); with ``delimiter``, the
        sub-prefixes directly under it too (type "directory", key ending in "/")."""
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
        )
        from azure.storage.blob import BlobPrefix

        root = f"{self.location.prefix}/" if self.location.prefix else ""
        container = self.service_client().get_container_client(self.location.container)
        where = f"profile {self.config.profile!r}"
        try:
            pages = _blob_pages(container, root + prefix, delimiter=delimiter, page_size=page_size, token=token)
            items = list(next(pages, []))
            next_token = pages.continuation_token or None
        except ResourceNotFoundError:
            raise self._no_container() from None
        except ClientAuthenticationError as exc:
            raise CredentialsError(f"{where}: the service refused to list: {answer(exc)}") from None
        except HttpResponseError as exc:
            what = prefix or "the top level"
            raise PresignError(f"cannot list {what!r} in {where}: {answer(exc)}", field="path") from None
        except AzureError as exc:
            raise PresignError(f"cannot reach the storage of {where}: {type(exc).__name__}", field="path") from None
        entries = []
        for item in items:
            key = item.name[len(root) :]
            if isinstance(item, BlobPrefix):
                entries.append(ObjectMetadata(key, type="directory"))
            else:
                entries.append(ObjectMetadata(key, content_length=item.size, last_modified=item.last_modified))
        entries.sort(key=lambda entry: entry.key)  # the SDK puts a page's sub-prefixes before its blobs
        return ListingPage(entries, next_token)


def _blob_pages(
    container: ContainerClient, name_prefix: str, *, delimiter: bool, page_size: int, token: str | None
) -> PageIterator[BlobProperties | BlobPrefix]:
    """The pages of blobs (and, with ``delimiter``, sub-prefixes) from ``token`` on."""
    if delimiter:
        paged = container.walk_blobs(name_starts_with=name_prefix, delimiter="/", results_per_page=page_size)
        pages = paged.by_page(continuation_token=token)
    else:
        listed = container.list_blobs(name_starts_with=name_prefix, results_per_page=page_size)
        pages = listed.by_page(continuation_token=token)
    # ItemPaged.by_page is declared to return an Iterator; it is the SDK's PageIterator, with the next token.
    return cast("PageIterator[BlobProperties | BlobPrefix]", pages)


def _client_settings(options: Mapping[str, Any]) -> dict[str, Any]:
    names = ("connection_timeout", "read_timeout", "retry_total", "retry_connect", "retry_read", "retry_status")
    return {name: options[name] for name in names if name in options}

