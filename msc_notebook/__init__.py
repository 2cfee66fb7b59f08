"""msc_notebook: presigned URLs and shared datasets for ``msc://`` objects, from Python and Jupyter.

``import msc_notebook as msc`` gives MSC's presign API (``generate_presigned_url``,
``StorageClient``, ``StorageClientConfig``, ``SignerType``) and ``share_prefix``;
``%load_ext msc_notebook`` adds the notebook magics. This module is the whole public
API: the front ends use nothing else.

The layout: ``core/`` (config, the client, results, errors, time, the cache, the signer
registry), one package per backend (``s3/``, ``cloudfront/``, ``azure/``), ``shares/``
(one link to a whole prefix) and ``frontends/`` (the notebook and the terminal). Each
backend and the share code are imported on first use, so importing this module and
``%load_ext`` stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._profiles import ProfileSummary
from ._request import PresignRequest
from ._shortcuts import (
    clear_client_cache,
    generate_presigned_url,
    generate_signed_cookies,
    resolve_storage_client,
    share_prefix,
    storage_client,
    summarize_profile,
    summarize_profiles,
)
from .cloudfront._options import OPTION_HELP as CLOUDFRONT_OPTION_HELP
from .core._bounds import CREDENTIALS_TIMEOUT_ENV
from .core._client import StorageClient
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
    MissingEnvironmentVariableError,
    ObjectExistsError,
    PrefixShareError,
    PresignError,
    PrivateKeyError,
    SignerOptionError,
    StorageError,
    StorageTimeoutError,
    StorageWriteError,
    UnknownProfileError,
    UnsupportedProviderError,
)
from .core._listing import ObjectMetadata
from .core._options import SignerType
from .core._result import CredentialStatus, PresignedURL, SignedCookies, SignerDetails
from .core._signer import SigningRequest, URLSigner, register_signer
from .core._storage_url import StorageURL, parse_storage_url
from .core._times import describe_duration, utc_text, utcnow

# Names whose modules load on first use: a backend's, the share code's, the form's (ipywidgets).
_LAZY = {
    "S3Details": "msc_notebook.s3._signer",
    "CloudFrontDetails": "msc_notebook.cloudfront._signer",
    "AzureDetails": "msc_notebook.azure._signer",
    "PrefixShare": "msc_notebook.shares._share",
    "PrefixShareDetails": "msc_notebook.shares._share",
    "fsspec_storage_options": "msc_notebook.shares._recipient",
    "object_url": "msc_notebook.shares._recipient",
    "signed_parameters": "msc_notebook.shares._recipient",
    "signed_query": "msc_notebook.shares._recipient",
    "wildcard_base": "msc_notebook.shares._recipient",
    "PresignForm": "msc_notebook.frontends.notebook._form",
}
if TYPE_CHECKING:  # what the table above names, for type checkers and editors
    from .azure._signer import AzureDetails
    from .cloudfront._signer import CloudFrontDetails
    from .frontends.notebook._form import PresignForm
    from .s3._signer import S3Details
    from .shares._recipient import fsspec_storage_options, object_url, signed_parameters, signed_query, wildcard_base
    from .shares._share import PrefixShare, PrefixShareDetails

__version__: str

__all__ = [
    "AzureDetails",
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
    "InvalidStorageURLError",
    "MissingEnvironmentVariableError",
    "ObjectExistsError",
    "ObjectMetadata",
    "PrefixShare",
    "PrefixShareDetails",
    "PrefixShareError",
    "PresignError",
    "PresignForm",
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
    "StorageError",
    "StorageTimeoutError",
    "StorageWriteError",
    "URLSigner",
    "UnknownProfileError",
    "UnsupportedProviderError",
    "__version__",
    "clear_client_cache",
    "config_search_paths",
    "describe_duration",
    "find_config_file",
    "fsspec_storage_options",
    "generate_presigned_url",
    "generate_signed_cookies",
    "object_url",
    "parse_storage_url",
    "register_signer",
    "resolve_storage_client",
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
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
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
