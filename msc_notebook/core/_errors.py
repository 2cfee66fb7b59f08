"""Typed errors and the warning category of the signer library.

Every message says what to fix. None of them ever carries a secret: callers pass
names, paths and values that are safe to show, never keys.
"""

from __future__ import annotations


class PresignError(Exception):
    """Base of every error the signer library raises on purpose.

    ``field`` names the input at fault when there is one (``"path"``, ``"profile"``,
    ``"method"``, ``"expires_in"``, or a signer option name), so a form can show the
    message next to it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConfigError(PresignError):
    """The MSC configuration cannot be used as it is."""


class ConfigNotFoundError(ConfigError, FileNotFoundError):
    """No MSC config file was found where MSC looks for one."""


class ConfigParseError(ConfigError, ValueError):
    """A config file is not valid YAML/JSON, or not shaped like an MSC config."""


class MissingEnvironmentVariableError(ConfigError, KeyError):
    """The config refers to ``${VAR}`` and VAR is not set."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownProfileError(ConfigError, KeyError, ValueError):
    """The requested profile is not in the config (a ``ValueError`` as MSC raises, and a ``KeyError``)."""

    def __init__(self, message: str, *, field: str | None = "profile") -> None:
        super().__init__(message, field=field)

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidStorageURLError(PresignError, ValueError):
    """The object URL is not ``msc://profile/path`` or ``s3://bucket/key``."""

    def __init__(self, message: str, *, field: str | None = "path") -> None:
        super().__init__(message, field=field)


class UnsupportedProviderError(PresignError, NotImplementedError):
    """The profile's storage provider cannot presign (Azure, GCS native, POSIX, ...)."""

    def __init__(self, message: str, *, field: str | None = "profile") -> None:
        super().__init__(message, field=field)


class SignerOptionError(PresignError, ValueError):
    """A signer option, method or signer type is unknown or has a bad value."""


class PrefixShareError(PresignError):
    """A prefix cannot be shared as asked: nothing under it, too much under it, or the
    manifest cannot be written where it should go."""


class ObjectExistsError(PresignError, FileExistsError):
    """Writing would replace an object or a file that exists: nothing was written. The library
    never replaces what exists unless asked (``overwrite=True``)."""


class StorageError(PresignError):
    """A call to the storage failed after retrying what was transient; the message says what the
    storage answered (its status and error code) and how many times it was tried."""


class StorageWriteError(StorageError):
    """The storage did not take a write; the message says what it answered, and where a
    partial result may lie if the call could not tell."""


class StorageTimeoutError(StorageError, TimeoutError):
    """The storage did not answer within the bounds (to connect, for each answer, attempts):
    the message says what did not answer and how long it was waited for."""


class CredentialsError(PresignError):
    """Credentials could not be found or loaded."""

    def __init__(self, message: str, *, field: str | None = "profile") -> None:
        super().__init__(message, field=field)


class CredentialsExpiredError(CredentialsError):
    """The credentials that would sign the URL have already expired."""


class CredentialExpiryWarning(UserWarning):
    """The signing credentials expire before the requested ``expires_in``."""


class PrivateKeyError(CredentialsError):
    """A CloudFront private key file is missing, unreadable, encrypted or not RSA."""

    def __init__(self, message: str, *, field: str | None = "private_key_path") -> None:
        super().__init__(message, field=field)


class ShareLinkWarning(UserWarning):
    """A share's link did not open when it was fetched right after the share was made."""


class InventoryAgeWarning(UserWarning):
    """A share made from an S3 Inventory report lists what the report saw when it was made."""


class IgnoredOptionWarning(UserWarning):
    """A config option this library does not know, and which does not change a URL, is ignored."""
