"""Where a profile's AWS credentials come from, and when they expire.

Every source ends up as a botocore credential object inside a botocore session, so
the S3 client signs with exactly the credentials whose expiry we read:

* ``S3Credentials`` (static keys in the config, optional ``session_token`` and
  ``expiration``, the latter our addition to MSC's options);
* ``FileBasedCredentials`` (MSC's JSON file in the AWS credential_process format);
* nothing: the AWS default chain (environment incl. ``AWS_CREDENTIAL_EXPIRATION``,
  shared files, ``credential_process``, assume-role, SSO, container, IMDS),
  optionally for a named AWS ``profile_name``.

Expiry comes from botocore's ``RefreshableCredentials._expiry_time``: botocore
tracks it but exposes no public accessor, and it is the only truthful source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import clock
from .errors import ConfigParseError, CredentialsError, CredentialsExpiredError

if TYPE_CHECKING:
    import botocore.session

    from .config import StorageClientConfig

STATIC_CREDENTIALS = "S3Credentials"
FILE_CREDENTIALS = "FileBasedCredentials"
# ais_s3 without a credentials_provider: MSC signs with placeholder keys, which an
# AIStore without authentication accepts; the result's credential source says so.
AIS_NO_CREDENTIALS = "ais-no-credentials"
_AIS_PLACEHOLDER_KEYS = {"access_key": "FAKEKEY", "secret_key": "FAKESECRET", "token": None, "expiry_time": None}
_OPTIONS = {
    STATIC_CREDENTIALS: ({"access_key", "secret_key"}, {"session_token", "expiration"}),
    FILE_CREDENTIALS: ({"credential_file_path"}, set()),
}

# botocore's provider METHOD names, as a user would recognise the source.
_SOURCE_NAMES = {
    "env": "environment variables (AWS_ACCESS_KEY_ID, ...)",
    "shared-credentials-file": "AWS shared credentials file",
    "config-file": "AWS config file",
    "custom-process": "credential_process in the AWS config",
    "assume-role": "assumed IAM role",
    "assume-role-with-web-identity": "IAM role via web identity",
    "sso": "AWS IAM Identity Center (SSO)",
    "login": "AWS console login session",
    "container-role": "container credentials (ECS/EKS)",
    "iam-role": "EC2 instance profile (IMDS)",
    "boto-config": "boto config file",
    "ec2-credentials-file": "EC2 credentials file",
    "explicit": "explicit keys",
    "msc-config": "keys in the MSC config",
    "msc-credential-file": "MSC credential file",
    AIS_NO_CREDENTIALS: "no credentials (MSC's placeholder keys: AIStore without authentication ignores the signature)",
}


@dataclass(frozen=True)
class CredentialStatus:
    """The credentials about to sign: their access key id, where from, and expiry."""

    access_key: str
    source: str
    expiry: datetime | None  # None: they do not expire


def parse_expiration(value: Any, where: str) -> datetime:
    """An ISO-8601 expiration (string or YAML timestamp) as aware UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ConfigParseError(
                f"{where}: expiration {value!r} is not an ISO-8601 time such as 2026-01-31T12:00:00Z"
            ) from None
    else:
        raise ConfigParseError(f"{where}: expiration must be an ISO-8601 time, got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # AWS expirations are UTC
    return parsed.astimezone(timezone.utc)


def make_botocore_session(config: StorageClientConfig) -> botocore.session.Session:
    """A botocore session whose credentials are the profile's (explicit or default chain)."""
    import botocore.session
    from botocore.credentials import CredentialResolver

    session = botocore.session.Session(profile=config.provider_options.get("profile_name") or None)
    provider = _explicit_provider(config)
    if provider is not None:
        session.register_component("credential_provider", CredentialResolver(providers=[provider]))
    return session


def credential_status(session: botocore.session.Session, config: StorageClientConfig) -> CredentialStatus:
    """Load (refreshing if due) the session's credentials and report their expiry.

    Raises CredentialsExpiredError if they have already expired, so no URL that is
    dead on arrival is ever handed out.
    """
    import botocore.exceptions

    where = f"profile {config.profile!r}"
    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except RuntimeError:  # botocore: "refreshed credentials are still expired"
        raise CredentialsExpiredError(f"the credentials of {where} have expired; {_REFRESH_HINT}") from None
    except botocore.exceptions.ProfileNotFound as exc:
        raise CredentialsError(f"{where}: {exc}; check profile_name against ~/.aws/config") from None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError, ValueError) as exc:
        raise CredentialsError(f"cannot load the credentials of {where}: {exc}. {_REFRESH_HINT}") from None
    if frozen is None or not frozen.access_key:
        raise CredentialsError(
            f"no AWS credentials found for {where}: add a credentials_provider to the profile, "
            f"or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an AWS profile, SSO or a role"
        )
    expiry = getattr(credentials, "_expiry_time", None)
    if expiry is not None:
        expiry = expiry.astimezone(timezone.utc)
        if expiry <= clock.utcnow():
            raise CredentialsExpiredError(
                f"the credentials of {where} expired at {expiry:%Y-%m-%d %H:%M:%S} UTC; {_REFRESH_HINT}"
            )
    method = getattr(credentials, "method", None) or ""
    return CredentialStatus(frozen.access_key, _SOURCE_NAMES.get(method, method or "unknown"), expiry)


_REFRESH_HINT = (
    "refresh them (e.g. `aws sso login`, a new STS session, or new keys in the config) and sign again"
)


def _explicit_provider(config: StorageClientConfig):
    """A botocore CredentialProvider for the profile's credentials_provider, or None."""
    kind = config.credentials_type
    if kind is None and config.provider_type == "ais_s3":
        return _metadata_provider(AIS_NO_CREDENTIALS, lambda: _AIS_PLACEHOLDER_KEYS)
    if kind is None:
        return None
    where = f"profile {config.profile!r} credentials_provider"
    if kind not in _OPTIONS:
        raise ConfigParseError(
            f"{where}: type {kind!r} cannot sign S3 URLs; use {STATIC_CREDENTIALS}, "
            f"{FILE_CREDENTIALS}, or leave credentials_provider out for the AWS default chain"
        )
    required, optional = _OPTIONS[kind]
    options = config.credentials_options
    missing = sorted(required - set(options))
    unknown = sorted(set(options) - required - optional)
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise ConfigParseError(
            f"{where} ({kind}): {'; '.join(problems)}; options are "
            f"{', '.join(sorted(required | optional))}"
        )
    if kind == STATIC_CREDENTIALS:
        metadata = {
            "access_key": str(options["access_key"]),
            "secret_key": str(options["secret_key"]),
            "token": options.get("session_token") or None,
            "expiry_time": options.get("expiration"),
        }
        if metadata["expiry_time"] is not None:
            metadata["expiry_time"] = parse_expiration(metadata["expiry_time"], where).isoformat()
        return _metadata_provider("msc-config", lambda: metadata)
    path = Path(str(options["credential_file_path"])).expanduser()
    return _metadata_provider("msc-credential-file", lambda: _read_credential_file(path, where))


def _read_credential_file(path: Path, where: str) -> dict[str, Any]:
    """MSC's FileBasedCredentials file: the AWS credential_process JSON format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialsError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise CredentialsError(f"{where}: {path} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, Mapping) or data.get("Version") != 1:
        raise CredentialsError(f"{where}: {path} must be a JSON object with \"Version\": 1")
    for key in ("AccessKeyId", "SecretAccessKey"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise CredentialsError(f"{where}: {path} has no {key}")
    expiration = data.get("Expiration")
    return {
        "access_key": data["AccessKeyId"],
        "secret_key": data["SecretAccessKey"],
        "token": data.get("SessionToken") or None,
        "expiry_time": parse_expiration(expiration, f"{where} {path}").isoformat() if expiration else None,
    }


def _metadata_provider(method: str, fetch):
    """A botocore CredentialProvider over a metadata function (refreshable if it expires).

    The class is made here, not at module level, so importing this module stays
    free of botocore.
    """
    from botocore.credentials import CredentialProvider, Credentials, RefreshableCredentials

    class MetadataProvider(CredentialProvider):
        METHOD = method

        def load(self):
            metadata = fetch()
            if metadata["expiry_time"] is None:
                return Credentials(metadata["access_key"], metadata["secret_key"], metadata["token"], method=method)
            return RefreshableCredentials.create_from_metadata(metadata, refresh_using=fetch, method=method)

    return MetadataProvider()
