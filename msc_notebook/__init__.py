"""msc_notebook: presigned URLs and shared datasets for ``msc://`` objects, from Python and Jupyter.

``import msc_notebook as msc`` gives MSC's presign API (``generate_presigned_url``,
``StorageClient``, ``StorageClientConfig``, ``SignerType``) and ``share_prefix``;
``%load_ext msc_notebook`` adds the notebook magics. This module is the whole public
API: the front ends use nothing else.

The layout: ``core/`` (config, the client, results, errors, time, the cache, the signer
registry), one package per backend (``s3/``, ``cloudfront/``, ``azure/``), ``shares/``
(one link to a whole prefix) and ``frontends/`` (the notebook and the terminal). Each
name is imported from its module on first use (`_PUBLIC`), so importing this module and
``%load_ext`` stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Every public name, and the module it comes from ("module:attribute" where it is renamed).
_PUBLIC = {
    "ProfileSummary": "msc_notebook._profiles",
    "PresignRequest": "msc_notebook._request",
    "clear_client_cache": "msc_notebook._shortcuts",
    "generate_presigned_url": "msc_notebook._shortcuts",
    "generate_signed_cookies": "msc_notebook._shortcuts",
    "resolve_storage_client": "msc_notebook._shortcuts",
    "revoke": "msc_notebook._shortcuts",
    "generate_presigned_post": "msc_notebook._shortcuts",
    "presign_multipart_upload": "msc_notebook._shortcuts",
    "share_prefix": "msc_notebook._shortcuts",
    "storage_client": "msc_notebook._shortcuts",
    "summarize_profile": "msc_notebook._shortcuts",
    "summarize_profiles": "msc_notebook._shortcuts",
    "AzureDetails": "msc_notebook.azure._signer",
    "azure_block_upload_script": "msc_notebook.azure._large:block_upload_script",
    "azcopy_command": "msc_notebook.azure._large",
    "CLOUDFRONT_OPTION_HELP": "msc_notebook.cloudfront._options:OPTION_HELP",
    "CloudFrontDetails": "msc_notebook.cloudfront._signer",
    "CREDENTIALS_TIMEOUT_ENV": "msc_notebook.core._bounds",
    "StorageClient": "msc_notebook._client",
    "StorageClientConfig": "msc_notebook.core._config",
    "config_search_paths": "msc_notebook.core._config_files",
    "find_config_file": "msc_notebook.core._config_files",
    "ConfigError": "msc_notebook.core._errors",
    "ConfigNotFoundError": "msc_notebook.core._errors",
    "ConfigParseError": "msc_notebook.core._errors",
    "CredentialExpiryWarning": "msc_notebook.core._errors",
    "CredentialsError": "msc_notebook.core._errors",
    "CredentialsExpiredError": "msc_notebook.core._errors",
    "IgnoredOptionWarning": "msc_notebook.core._errors",
    "ShareLinkWarning": "msc_notebook.core._errors",
    "InventoryAgeWarning": "msc_notebook.core._errors",
    "InvalidStorageURLError": "msc_notebook.core._errors",
    "MissingEnvironmentVariableError": "msc_notebook.core._errors",
    "ObjectExistsError": "msc_notebook.core._errors",
    "PrefixShareError": "msc_notebook.core._errors",
    "PresignError": "msc_notebook.core._errors",
    "PrivateKeyError": "msc_notebook.core._errors",
    "SignerOptionError": "msc_notebook.core._errors",
    "StorageError": "msc_notebook.core._errors",
    "StorageTimeoutError": "msc_notebook.core._errors",
    "StorageWriteError": "msc_notebook.core._errors",
    "UnknownProfileError": "msc_notebook.core._errors",
    "UnsupportedProviderError": "msc_notebook.core._errors",
    "ObjectMetadata": "msc_notebook.core._listing",
    "SignerType": "msc_notebook.core._options",
    "CredentialStatus": "msc_notebook.core._result",
    "PresignedURL": "msc_notebook.core._result",
    "SignedCookies": "msc_notebook.core._result",
    "SignerDetails": "msc_notebook.core._result",
    "register_signer": "msc_notebook.core._signer",
    "SigningRequest": "msc_notebook.core._signer",
    "URLSigner": "msc_notebook.core._signer",
    "parse_storage_url": "msc_notebook.core._storage_url",
    "StorageURL": "msc_notebook.core._storage_url",
    "describe_duration": "msc_notebook.core._times",
    "describe_size": "msc_notebook.core._sizes",
    "utc_text": "msc_notebook.core._times",
    "utcnow": "msc_notebook.core._times",
    "PresignForm": "msc_notebook.frontends.notebook._form",
    "S3Details": "msc_notebook.s3._signer",
    "fsspec_storage_options": "msc_notebook.shares._recipient",
    "object_url": "msc_notebook.shares._recipient",
    "signed_parameters": "msc_notebook.shares._recipient",
    "signed_query": "msc_notebook.shares._recipient",
    "wildcard_base": "msc_notebook.shares._recipient",
    "ManifestShare": "msc_notebook.shares._share",
    "PrefixShare": "msc_notebook.shares._share",
    "PrefixShareDetails": "msc_notebook.shares._share",
    "PresignedPost": "msc_notebook.core._post",
    "MultipartUpload": "msc_notebook.core._multipart",
    "UploadPart": "msc_notebook.core._multipart",
    "abort_upload": "msc_notebook.core._multipart",
    "SignedResult": "msc_notebook._request",
    "WildcardShare": "msc_notebook.shares._share",
}
if TYPE_CHECKING:  # what the table above names, for type checkers and editors
    from ._client import StorageClient
    from ._profiles import ProfileSummary
    from ._request import PresignRequest, SignedResult
    from ._shortcuts import (
        clear_client_cache,
        generate_presigned_post,
        generate_presigned_url,
        generate_signed_cookies,
        presign_multipart_upload,
        resolve_storage_client,
        revoke,
        share_prefix,
        storage_client,
        summarize_profile,
        summarize_profiles,
    )
    from .azure._large import azcopy_command
    from .azure._large import block_upload_script as azure_block_upload_script
    from .azure._signer import AzureDetails
    from .cloudfront._options import OPTION_HELP as CLOUDFRONT_OPTION_HELP
    from .cloudfront._signer import CloudFrontDetails
    from .core._bounds import CREDENTIALS_TIMEOUT_ENV
    from .core._config import StorageClientConfig
    from .core._config_files import config_search_paths, find_config_file
    from .core._errors import (
        ConfigError,
        ConfigNotFoundError,
        ConfigParseError,
        CredentialExpiryWarning,
        CredentialsError,
        CredentialsExpiredError,
        IgnoredOptionWarning,
        InvalidStorageURLError,
        InventoryAgeWarning,
        MissingEnvironmentVariableError,
        ObjectExistsError,
        PrefixShareError,
        PresignError,
        PrivateKeyError,
        ShareLinkWarning,
        SignerOptionError,
        StorageError,
        StorageTimeoutError,
        StorageWriteError,
        UnknownProfileError,
        UnsupportedProviderError,
    )
    from .core._listing import ObjectMetadata
    from .core._multipart import MultipartUpload, UploadPart, abort_upload
    from .core._options import SignerType
    from .core._post import PresignedPost
    from .core._result import CredentialStatus, PresignedURL, SignedCookies, SignerDetails
    from .core._signer import SigningRequest, URLSigner, register_signer
    from .core._sizes import describe_size
    from .core._storage_url import StorageURL, parse_storage_url
    from .core._times import describe_duration, utc_text, utcnow
    from .frontends.notebook._form import PresignForm
    from .s3._signer import S3Details
    from .shares._recipient import fsspec_storage_options, object_url, signed_parameters, signed_query, wildcard_base
    from .shares._share import ManifestShare, PrefixShare, PrefixShareDetails, WildcardShare

__version__: str

__all__ = [
    "AzureDetails",
    "azure_block_upload_script",
    "azcopy_command",
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
    "ShareLinkWarning",
    "InventoryAgeWarning",
    "InvalidStorageURLError",
    "ManifestShare",
    "MissingEnvironmentVariableError",
    "ObjectExistsError",
    "ObjectMetadata",
    "PrefixShare",
    "PrefixShareDetails",
    "PrefixShareError",
    "PresignError",
    "PresignForm",
    "PresignRequest",
    "PresignedPost",
    "MultipartUpload",
    "UploadPart",
    "abort_upload",
    "SignedResult",
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
    "StorageError",
    "StorageTimeoutError",
    "StorageURL",
    "StorageWriteError",
    "URLSigner",
    "UnknownProfileError",
    "UnsupportedProviderError",
    "WildcardShare",
    "__version__",
    "clear_client_cache",
    "config_search_paths",
    "describe_duration",
    "describe_size",
    "find_config_file",
    "fsspec_storage_options",
    "generate_presigned_url",
    "generate_signed_cookies",
    "object_url",
    "parse_storage_url",
    "register_signer",
    "resolve_storage_client",
    "generate_presigned_post",
    "presign_multipart_upload",
    "revoke",
    "share_prefix",
    "signed_parameters",
    "signed_query",
    "storage_client",
    "summarize_profile",
    "summarize_profiles",
    "utc_text",
    "utcnow",
    "wildcard_base",
]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        module, _, attribute = _PUBLIC[name].partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module 'msc_notebook' has no attribute {name!r}")
    globals()[name] = value  # asked once: the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _version() -> str:
    # importlib.metadata costs about 20 ms of imports (email, zipfile, csv): only when asked.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("msc-notebook")  # one place for the version: pyproject.toml
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext msc_notebook``: the %presign magics and rich display of results."""
    from .frontends.notebook._extension import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext msc_notebook``: removes everything the load added."""
    from .frontends.notebook._extension import unload_ipython_extension as unload

    unload(shell)
