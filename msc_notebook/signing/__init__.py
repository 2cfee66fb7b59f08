"""The embedded signer library: presigned URLs for ``msc://`` objects.

Usable from any Python program; it never imports IPython or widgets, and imports
boto3/botocore/cryptography only when it first signs.
"""

from . import cloudfront as _cloudfront  # noqa: F401  (registers the CloudFront signer)
from . import s3 as _s3  # noqa: F401  (registers the S3 signer)
from .client import (
    StorageClient,
    clear_client_cache,
    generate_presigned_url,
    generate_signed_cookies,
    resolve_storage_client,
    sign_url,
)
from .config import StorageClientConfig
from .config_files import config_search_paths, find_config_file
from .errors import (
    ConfigError,
    ConfigNotFoundError,
    ConfigParseError,
    CredentialExpiryWarning,
    CredentialsError,
    CredentialsExpiredError,
    IgnoredOptionWarning,
    InvalidStorageURLError,
    MissingEnvironmentVariableError,
    PresignError,
    PrivateKeyError,
    SignerOptionError,
    UnknownProfileError,
    UnsupportedProviderError,
)
from .options import DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, SignerType
from .profiles import ProfileSummary, summarize_profiles
from .result import PresignedURL, SignedCookies
from .sharing import fsspec_storage_options, object_url, signed_parameters, signed_query, wildcard_base
from .signer import SigningRequest, URLSigner, register_signer
from .storage_url import StorageURL, parse_storage_url

__all__ = [
    "ConfigError",
    "ConfigNotFoundError",
    "ConfigParseError",
    "CredentialExpiryWarning",
    "CredentialsError",
    "CredentialsExpiredError",
    "IgnoredOptionWarning",
    "DEFAULT_EXPIRES_IN",
    "InvalidStorageURLError",
    "MAX_EXPIRES_IN",
    "MissingEnvironmentVariableError",
    "PresignError",
    "PresignedURL",
    "ProfileSummary",
    "PrivateKeyError",
    "SignedCookies",
    "SignerOptionError",
    "SignerType",
    "SigningRequest",
    "StorageClient",
    "StorageClientConfig",
    "StorageURL",
    "URLSigner",
    "UnknownProfileError",
    "UnsupportedProviderError",
    "clear_client_cache",
    "config_search_paths",
    "find_config_file",
    "fsspec_storage_options",
    "generate_presigned_url",
    "generate_signed_cookies",
    "object_url",
    "parse_storage_url",
    "register_signer",
    "resolve_storage_client",
    "sign_url",
    "signed_parameters",
    "signed_query",
    "summarize_profiles",
    "wildcard_base",
]
