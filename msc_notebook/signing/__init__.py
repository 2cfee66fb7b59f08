"""The embedded signer library: presigned URLs for ``msc://`` objects.

Usable from any Python program; it never imports IPython or widgets, and imports
botocore/cryptography only when it first signs. This is its whole public API: the
notebook layer and the command line use nothing else.
"""

from . import azure as _azure  # noqa: F401  (registers the Azure signer)
from . import cloudfront as _cloudfront  # noqa: F401  (registers the CloudFront signer)
from . import s3 as _s3  # noqa: F401  (registers the S3 signer)
from . import times  # the clock (times.utcnow) every expiry is measured against
from .client import StorageClient
from .cloudfront import OPTION_HELP as CLOUDFRONT_OPTION_HELP
from .cloudfront import CloudFrontDetails
from .config import StorageClientConfig
from .config_files import config_search_paths, find_config_file
from .credentials import CREDENTIALS_TIMEOUT_ENV, CredentialStatus
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
    PrefixShareError,
    PresignError,
    PrivateKeyError,
    SignerOptionError,
    UnknownProfileError,
    UnsupportedProviderError,
)
from .listing import ListingPage, ObjectMetadata
from .options import DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, SignerType, attachment_disposition
from .prefix_share import PrefixShare, PrefixShareDetails, share_prefix
from .profiles import ProfileSummary, summarize_profile, summarize_profiles
from .request import (
    PRESIGN_ARGUMENTS,
    PresignRequest,
    add_presign_arguments,
    request_from_arguments,
    unquoted_spaces_hint,
)
from .result import ExpiryFacts, PresignedURL, SignedCookies, SignerDetails
from .s3 import S3Details
from .sharing import fsspec_storage_options, object_url, signed_parameters, signed_query, wildcard_base
from .shortcuts import (
    clear_client_cache,
    generate_presigned_url,
    generate_signed_cookies,
    resolve_storage_client,
    storage_client,
)
from .signer import SigningRequest, URLSigner, register_signer
from .storage_url import StorageURL, parse_storage_url
from .times import describe_duration, parse_duration, utc_text

__all__ = [
    "CLOUDFRONT_OPTION_HELP",
    "CREDENTIALS_TIMEOUT_ENV",
    "CloudFrontDetails",
    "ConfigError",
    "ConfigNotFoundError",
    "ConfigParseError",
    "CredentialExpiryWarning",
    "CredentialStatus",
    "CredentialsError",
    "CredentialsExpiredError",
    "IgnoredOptionWarning",
    "DEFAULT_EXPIRES_IN",
    "ExpiryFacts",
    "InvalidStorageURLError",
    "ListingPage",
    "MAX_EXPIRES_IN",
    "MissingEnvironmentVariableError",
    "ObjectMetadata",
    "PRESIGN_ARGUMENTS",
    "PrefixShare",
    "PrefixShareDetails",
    "PrefixShareError",
    "PresignError",
    "PresignRequest",
    "PresignedURL",
    "PrivateKeyError",
    "ProfileSummary",
    "S3Details",
    "SignedCookies",
    "SignerDetails",
    "SignerOptionError",
    "SignerType",
    "SigningRequest",
    "StorageClient",
    "StorageClientConfig",
    "StorageURL",
    "URLSigner",
    "UnknownProfileError",
    "UnsupportedProviderError",
    "add_presign_arguments",
    "attachment_disposition",
    "clear_client_cache",
    "config_search_paths",
    "describe_duration",
    "find_config_file",
    "fsspec_storage_options",
    "generate_presigned_url",
    "generate_signed_cookies",
    "object_url",
    "parse_duration",
    "parse_storage_url",
    "register_signer",
    "request_from_arguments",
    "resolve_storage_client",
    "signed_parameters",
    "share_prefix",
    "signed_query",
    "storage_client",
    "summarize_profile",
    "summarize_profiles",
    "unquoted_spaces_hint",
    "times",
    "utc_text",
    "wildcard_base",
]
