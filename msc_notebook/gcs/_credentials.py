"""Who signs a GCS V4 URL: a service-account key locally, or a service account through IAM's signBlob.

The profile's credentials, as MSC reads them:

- ``GoogleServiceAccountCredentialsProvider`` (``file`` or ``info``: the key JSON), or MSC's
  environment variables ``GOOGLE_SERVICE_ACCOUNT_KEY`` (the JSON), ``GOOGLE_SERVICE_ACCOUNT``
  / ``GOOGLE_SERVICE_ACCOUNT_PATH`` (a key file): the key signs here, with ``cryptography``,
  no network, and the URL lives its whole ``expires_in`` (a key does not expire);
- ``GoogleIdentityPoolCredentialsProvider`` (workload identity federation), or none at all
  (Application Default Credentials: a key file in ``GOOGLE_APPLICATION_CREDENTIALS``, the
  metadata server on GCE/GKE/Cloud Run, or a user's ``gcloud auth application-default
  login``): keyless, so the service account signs through the IAM Credentials API's signBlob,
  with google-auth, every call bounded.

``presign: {gcs: {service_account: EMAIL}}`` makes EMAIL sign through signBlob with whatever
credentials the profile has (impersonation); ``iam_endpoint`` names a private IAM endpoint.
A user's own credentials cannot sign: the error says what can.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core._bounds import StorageBounds
from ..core._errors import ConfigParseError, CredentialsError

SERVICE_ACCOUNT_CREDENTIALS = "GoogleServiceAccountCredentialsProvider"
IDENTITY_POOL_CREDENTIALS = "GoogleIdentityPoolCredentialsProvider"
KEY_ENVIRONMENT = ("GOOGLE_SERVICE_ACCOUNT_KEY", "GOOGLE_SERVICE_ACCOUNT", "GOOGLE_SERVICE_ACCOUNT_PATH")
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_CANNOT_SIGN = (
    "a user's own Google credentials cannot sign URLs; give the profile a service-account key "
    "(credentials_provider GoogleServiceAccountCredentialsProvider with file: or info:), or name a "
    "service account to sign as with presign: {gcs: {service_account: EMAIL}} (it signs through IAM, "
    "and your credentials need roles/iam.serviceAccountTokenCreator on it)"
)


def require_google_auth() -> None:
    try:
        import google.auth  # noqa: F401
    except ImportError:
        raise CredentialsError(
            "keyless GCS signing and listing need google-auth and google-cloud-storage: "
            "pip install 'msc-notebook[gcs]'"
        ) from None


@dataclass(frozen=True)
class GCSSigner:
    """Signs bytes as ``email`` (RSA PKCS#1 v1.5, SHA-256); ``source`` says how, for the facts."""

    email: str
    sign: Callable[[bytes], bytes]
    source: str
    keyless: bool  # True: each signature is a call to IAM's signBlob
    key_pem: bytes | None = field(default=None, repr=False)  # a key's PEM, for worker processes (never shown)


def key_signer(info: Mapping[str, Any], where: str, source: str) -> GCSSigner:
    """The local signer of a service-account key (the JSON's ``client_email`` and ``private_key``)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if info.get("type") not in (None, "service_account") or not info.get("client_email"):
        raise CredentialsError(f"{where}: {source} is not a service-account key (no client_email, or another type)")
    try:
        key = serialization.load_pem_private_key(str(info.get("private_key", "")).encode(), password=None)
    except (ValueError, TypeError):
        raise CredentialsError(f"{where}: the private_key of {source} is not a readable PEM RSA key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialsError(f"{where}: the private_key of {source} is not an RSA key")
    pad, digest = padding.PKCS1v15(), hashes.SHA256()
    pem = str(info["private_key"]).encode()
    return GCSSigner(str(info["client_email"]), lambda data: key.sign(data, pad, digest), source, False, pem)


def read_key_file(path: str | os.PathLike[str], where: str) -> dict[str, Any]:
    """A key file's JSON; errors name the file, never its contents."""
    try:
        data = json.loads(Path(path).expanduser().read_text())
    except OSError as exc:
        raise CredentialsError(f"{where}: cannot read the key file {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise CredentialsError(f"{where}: the key file {path} is not JSON (a service-account key is)") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{where}: the key file {path} is not a service-account key")
    return data


class GCSCredentials:
    """The profile's signer, found once (thread-safe): a key, or an IAM signer."""

    def __init__(self, config: Any, presign: Mapping[str, Any], bounds: StorageBounds) -> None:
        self._config = config
        self._where = f"profile {config.profile!r}"
        self._impersonate = presign.get("service_account")
        self._iam_endpoint = presign.get("iam_endpoint")
        self._bounds = bounds
        self._lock = threading.Lock()
        self._signer: GCSSigner | None = None
        self._google: Any = None  # google-auth credentials, for signBlob and listing

    def signer(self) -> GCSSigner:
        with self._lock:
            if self._signer is None:
                self._signer = self._find()
            return self._signer

    def google_credentials(self) -> Any:
        """google-auth credentials for listing (a key's, or the keyless identity's)."""
        self.signer()
        if self._google is None:
            with self._lock:
                self._google = self._google or self._from_key_info(self._key_info()[0])
        return self._google

    def _find(self) -> GCSSigner:
        info, source = self._key_info()
        if info is not None and not self._impersonate:
            return key_signer(info, self._where, source)
        require_google_auth()
        self._google = self._from_key_info(info) if info is not None else self._keyless()
        email = self._impersonate or getattr(self._google, "service_account_email", None)
        if not email or email == "default":  # the metadata server's credentials name it after a refresh
            email = self._metadata_email()
        bound = f"each call bounded: {self._bounds.connect_timeout:g} s to connect, {self._bounds.read_timeout:g} s to answer"
        return GCSSigner(str(email), self._iam_sign(str(email)), f"IAM signBlob as {email} ({bound})", keyless=True)

    def _key_info(self) -> tuple[dict[str, Any] | None, str]:
        """A service-account key from the profile or MSC's environment variables, if there is one."""
        config = self._config
        if config.credentials_type == SERVICE_ACCOUNT_CREDENTIALS:
            options = config.credentials_options
            if ("file" in options) == ("info" in options):
                raise ConfigParseError(f"{self._where}: {SERVICE_ACCOUNT_CREDENTIALS} takes exactly one of file, info")
            if "file" in options:
                return read_key_file(options["file"], self._where), f"the key file {options['file']}"
            if not isinstance(options["info"], Mapping):
                raise ConfigParseError(f"{self._where}: {SERVICE_ACCOUNT_CREDENTIALS} info must be the key as a mapping")
            return dict(options["info"]), "the key in the profile (info)"
        if config.credentials_type not in (None, IDENTITY_POOL_CREDENTIALS):
            raise ConfigParseError(
                f"{self._where}: credentials_provider {config.credentials_type!r} is not one gcs profiles take; use "
                f"{SERVICE_ACCOUNT_CREDENTIALS} or {IDENTITY_POOL_CREDENTIALS}, or none (Application Default Credentials)"
            )
        if config.credentials_type is None:
            for name in KEY_ENVIRONMENT:
                value = os.environ.get(name, "").strip()
                if value and name == "GOOGLE_SERVICE_ACCOUNT_KEY":
                    try:
                        return dict(json.loads(value)), f"${name}"
                    except (ValueError, TypeError):
                        raise CredentialsError(f"{self._where}: ${name} is not a key's JSON") from None
                if value:
                    return read_key_file(value, self._where), f"the key file in ${name}"
        return None, ""

    def _from_key_info(self, info: dict[str, Any] | None) -> Any:
        if info is None:
            return self._google
        require_google_auth()
        from google.oauth2 import service_account

        try:
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        except (ValueError, KeyError):
            raise CredentialsError(f"{self._where}: the service-account key is incomplete") from None

    def _keyless(self) -> Any:
        """Workload identity federation, or Application Default Credentials."""
        import google.auth
        import google.auth.exceptions

        if self._config.credentials_type == IDENTITY_POOL_CREDENTIALS:
            return self._identity_pool()
        try:
            credentials, _ = google.auth.default(scopes=SCOPES)
        except google.auth.exceptions.DefaultCredentialsError:
            raise CredentialsError(
                f"no Google credentials found for {self._where}: give it a service-account key (credentials_provider "
                f"{SERVICE_ACCOUNT_CREDENTIALS}), or set up Application Default Credentials"
            ) from None
        from google.oauth2 import credentials as user_credentials

        if isinstance(credentials, user_credentials.Credentials) and not self._impersonate:
            raise CredentialsError(f"{self._where}: {_CANNOT_SIGN}")
        return credentials

    def _identity_pool(self) -> Any:
        from google.auth import identity_pool

        options = self._config.credentials_options
        missing = [name for name in ("audience", "token_supplier") if not options.get(name)]
        if missing:
            raise ConfigParseError(f"{self._where}: {IDENTITY_POOL_CREDENTIALS} needs {' and '.join(missing)}")
        if not self._impersonate:
            raise CredentialsError(f"{self._where}: a workload identity cannot sign by itself; {_CANNOT_SIGN}")
        token = str(options["token_supplier"])

        class Supplier(identity_pool.SubjectTokenSupplier):
            def get_subject_token(self, context: Any, request: Any) -> str:
                return token

        return identity_pool.Credentials(
            audience=str(options["audience"]), subject_token_type="urn:ietf:params:oauth:token-type:id_token",
            subject_token_supplier=Supplier(), scopes=list(SCOPES),
        )  # fmt: skip

    def _metadata_email(self) -> str:
        """The metadata server's default service account (GCE, GKE, Cloud Run), asked once, bounded."""
        from google.auth import exceptions

        try:
            self._google.refresh(self._bounded_request())
        except exceptions.GoogleAuthError as exc:
            raise CredentialsError(f"{self._where}: cannot reach the metadata server for the account email: {exc}") from None
        email = getattr(self._google, "service_account_email", None)
        if not email or email == "default":
            raise CredentialsError(f"{self._where}: {_CANNOT_SIGN}")
        return str(email)

    def _iam_sign(self, email: str) -> Callable[[bytes], bytes]:
        from google.auth import exceptions, iam

        signer = iam.Signer(self._bounded_request(), self._google, email)
        where = self._where

        def sign(data: bytes) -> bytes:
            try:
                return bytes(signer.sign(data))
            except (exceptions.GoogleAuthError, OSError) as exc:
                raise CredentialsError(f"{where}: IAM signBlob as {email} failed: {exc}") from None

        return sign

    def _bounded_request(self) -> Any:
        """google-auth's transport, with every call bounded (google-auth waits 120 s by default)
        and, with ``iam_endpoint``, IAM's calls sent there."""
        import google.auth.transport.requests as transport

        bound = (self._bounds.connect_timeout, self._bounds.read_timeout)  # whatever google-auth asks for
        endpoint = urlsplit(str(self._iam_endpoint)) if self._iam_endpoint else None

        class BoundedRequest(transport.Request):
            def __call__(self, url: Any, method: Any = "GET", body: Any = None, headers: Any = None,
                         timeout: Any = None, **kwargs: Any) -> Any:  # fmt: skip
                parts = urlsplit(url)
                if endpoint is not None and parts.hostname and parts.hostname.startswith("iamcredentials."):
                    url = parts._replace(scheme=endpoint.scheme, netloc=endpoint.netloc).geturl()
                return super().__call__(url, method=method, body=body, headers=headers, timeout=bound, **kwargs)

        return BoundedRequest()
