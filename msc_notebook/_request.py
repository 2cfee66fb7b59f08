"""From what a person typed to one signing call: the one place for cross-field rules.

Every front end (the magic, the form, the command line) builds a `PresignRequest` with
`PresignRequest.from_inputs`, so they accept and refuse the same things. Errors are in the
library's words and name the input at fault (`PresignError.field`, a keyword of
``from_inputs`` or a signer option); each front end says the field in its own words (a flag,
a label). A path ending in ``/*`` read with GET shares the prefix (`share_prefix`): a signed
manifest with the S3 signer, one wildcard URL with CloudFront. POST makes an upload policy
(`generate_presigned_post`): one key, or with ``/*`` a drop box. A PUT with a ``size`` past
5 GiB (or with ``parts``) is a multipart upload (`presign_multipart_upload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from ._shortcuts import (
    generate_presigned_post,
    generate_presigned_url,
    generate_signed_cookies,
    presign_multipart_upload,
    resolve_storage_client,
    share_prefix,
)
from .cloudfront._options import OPTION_HELP as CLOUDFRONT_OPTION_HELP
from .core._errors import SignerOptionError
from .core._keys import is_prefix_share
from .core._multipart import MAX_PART_SIZE, MAX_PARTS, MAX_PUT_SIZE, MIN_PART_SIZE, MultipartUpload, check_size
from .core._options import SignerType, attachment_disposition, signer_type_name
from .core._post import PresignedPost
from .core._result import PresignedURL, SignedCookies
from .core._signer import MultipartSigner
from .core._sizes import describe_size
from .core._storage_url import StorageURL, parse_storage_url
from .core._times import parse_duration
from .shares._share import PrefixShare

CLOUDFRONT_OPTIONS = tuple(CLOUDFRONT_OPTION_HELP)
# Whatever a request signs: a URL, CloudFront cookies, a prefix share, or an upload policy.
SignedResult = Union[PresignedURL, SignedCookies, PrefixShare, PresignedPost, MultipartUpload]  # noqa: UP007


@dataclass(frozen=True)
class PresignRequest:
    """One checked request: what to sign, how, and with which signer options.

    ``sign()`` signs it; signing it again later (a link that ran out) gives a new URL
    for exactly the same request.
    """

    target: StorageURL
    method: str = "GET"
    signer_type: str | None = None  # None: the profile's own
    options: Mapping[str, Any] = field(default_factory=dict)
    cookies: bool = False  # CloudFront signed cookies instead of a URL
    manifest_url: str | None = None  # a prefix share's manifest: msc://... or file:///... (None: the default)
    url_list: bool = False  # a prefix share: the front end prints every object's URL, one a line
    overwrite: bool = False  # a prefix share: replace a manifest that exists where it is written
    revocable: bool = False  # a prefix share whose URLs all name one access policy (Azure)
    max_size: int | str | None = None  # an upload policy (POST): the most one upload may be
    min_size: int | str | None = None  # ... and the least
    size: int | None = None  # a PUT of this many bytes: past 5 GiB (or with ``parts``) a multipart upload
    parts: int | None = None  # ... in about this many parts
    inventory: str | None = None  # a prefix share listed from this S3 Inventory report's manifest.json
    sharded: bool | None = None  # a prefix share's manifest in shards (None: past 100,000 objects)

    @classmethod
    def from_inputs(
        cls,
        url: str | StorageURL,
        *,
        method: str | None = None,
        expires_in: str | int | None = None,
        signer: SignerType | str | None = None,
        content_type: str | None = None,
        download_as: str | None = None,
        cookies: bool = False,
        cloudfront: Mapping[str, str | None] | None = None,
        manifest: str | None = None,
        manifest_file: str | None = None,
        url_list: bool = False,
        overwrite: bool = False,
        revocable: bool = False,
        max_size: str | int | None = None,
        min_size: str | int | None = None,
        size: str | int | None = None,
        parts: str | int | None = None,
        inventory: str | None = None,
        sharded: bool | None = None,
    ) -> PresignRequest:
        """Check what was typed, field by field and across fields; errors name the field."""
        target = url if isinstance(url, StorageURL) else parse_storage_url(url)
        method = (method or "GET").strip().upper()  # the signer checks it, with its own hints
        signer_type = signer_type_name(signer) if signer else None
        options: dict[str, Any] = {}
        if expires_in is not None:
            options["expires_in"] = parse_duration(expires_in)
        signer_type = _cloudfront_rules(cloudfront, cookies, signer_type, options)
        if cookies and method not in ("GET", "HEAD"):
            raise SignerOptionError(f"signed cookies are for reading (GET); method {method} cannot use them", field="method")
        if content_type is not None and content_type.strip():
            options["content_type"] = content_type.strip()  # the S3 signer says it is for PUT only
        if download_as is not None and download_as.strip():
            if signer_type == SignerType.CLOUDFRONT.value:
                raise SignerOptionError(
                    "download_as needs the S3 signer: CloudFront URLs cannot set response headers",
                    field="download_as",
                )
            options["content_disposition"] = attachment_disposition(download_as.strip(), field="download_as")
        manifest_url = _prefix_share_rules(target, manifest, manifest_file, url_list, signer_type, method, options)
        if overwrite and manifest_url is None:
            raise SignerOptionError(
                "overwrite replaces an existing manifest named by manifest_url or manifest_file; name one",
                field="overwrite",
            )
        if revocable and not (is_prefix_share(target.path) and method == "GET" and not cookies):
            raise SignerOptionError(
                f"revocable is for sharing a prefix: a GET of a path ending in /*, e.g. msc://{target.profile}/data.zarr/*",
                field="revocable",
            )
        inventory = inventory.strip() if isinstance(inventory, str) and inventory.strip() else None
        for name, given in (("inventory", inventory is not None), ("sharded", sharded is not None)):
            if given and not (is_prefix_share(target.path) and method == "GET" and not cookies):
                raise SignerOptionError(
                    f"{name} is for sharing a prefix: a GET of a path ending in /*, e.g. msc://{target.profile}/data.zarr/*",
                    field=name,
                )
        sizes = _upload_sizes(method, max_size, min_size)
        multipart = _multipart_terms(method, size, parts)
        return cls(target, method, signer_type, options, cookies, manifest_url, url_list, overwrite, revocable, *sizes,
                   *multipart, inventory=inventory, sharded=sharded)  # fmt: skip

    @property
    def url(self) -> str:
        """The object as the user named it (``msc://profile/path``)."""
        return f"{self.target.scheme}://{self.target.profile}/{self.target.path}"

    @property
    def multipart(self) -> bool:
        """Whether signing it makes a multipart upload where the storage has them (S3): a PUT past
        5 GiB, or in parts as asked. Elsewhere one PUT takes it (GCS: up to 5 TiB; Azure: in blocks)."""
        return self.method == "PUT" and self.size is not None and (self.size > MAX_PUT_SIZE or self.parts is not None)

    @property
    def shares_prefix(self) -> bool:
        """Whether signing it shares everything under a prefix (`share_prefix`)."""
        return is_prefix_share(self.target.path) and self.method == "GET" and not self.cookies

    def sign(self, *, warn: bool = False) -> SignedResult:
        """Sign it now. Front ends show the result's own warning, so ``warn`` is off by default."""
        if self.multipart and _makes_multipart(self.target, self.signer_type):
            assert self.size is not None  # multipart says so
            return presign_multipart_upload(
                self.target, size=self.size, part_size=part_size_for(self.size, self.parts),
                expires_in=self.options.get("expires_in"), content_type=self.options.get("content_type"), warn=warn,
            )  # fmt: skip
        if self.method == "POST":
            return generate_presigned_post(
                self.target, max_size=self.max_size, min_size=self.min_size or 0,
                content_type=self.options.get("content_type"), expires_in=self.options.get("expires_in"),
                signer_type=self.signer_type, warn=warn,
            )  # fmt: skip
        if self.cookies:
            return generate_signed_cookies(self.target, signer_options=self.options, warn=warn)
        if self.shares_prefix:
            return share_prefix(
                self.target,
                signer_type=self.signer_type,
                signer_options=self.options,
                manifest_url=self.manifest_url,
                overwrite=self.overwrite,
                revocable=self.revocable,
                inventory=self.inventory,
                sharded=self.sharded,
                warn=warn,
            )
        return generate_presigned_url(
            self.target, method=self.method, signer_type=self.signer_type, signer_options=self.options, warn=warn
        )

    def output_text(self, result: SignedResult) -> str:
        """What a command line prints on stdout for the result: the URL (a share's link), with
        ``url_list`` every object's URL, one a line; for an upload policy, its curl command."""
        if isinstance(result, PresignedPost):
            return result.curl()
        if isinstance(result, MultipartUpload):
            return result.shell_script()
        url_list = getattr(result, "url_list", None)  # a share's, where it has one
        if self.url_list and url_list is not None:
            return str(url_list()).rstrip("\n")
        return str(result)


def _cloudfront_rules(
    cloudfront: Mapping[str, str | None] | None, cookies: bool, signer_type: str | None, options: dict[str, Any]
) -> str | None:
    """The signer type once CloudFront options or cookies are asked for (they are added to ``options``)."""
    # An empty value counts: a cleared form field means "none", not "the profile's default".
    given = {name: value for name, value in (cloudfront or {}).items() if value is not None}
    unknown = sorted(set(given) - set(CLOUDFRONT_OPTIONS))
    if unknown:
        raise SignerOptionError(f"unknown CloudFront option {unknown[0]!r}", field=unknown[0])
    if not (given or cookies):
        return signer_type
    if signer_type not in (None, SignerType.CLOUDFRONT.value):
        what = f"CloudFront options ({', '.join(given)})" if given else "signed cookies (a CloudFront feature)"
        raise SignerOptionError(
            f"signer_type {signer_type!r} cannot sign with {what}; choose the CloudFront signer", field="signer_type"
        )
    options.update({name: str(value).strip() for name, value in given.items()})
    return SignerType.CLOUDFRONT.value


def _multipart_terms(method: str, size: str | int | None, parts: str | int | None) -> tuple[int | None, int | None]:
    """A PUT's size and part count, checked (the upload's own limits are checked when it is made)."""
    given = size is not None and str(size).strip() != ""
    if parts is not None and str(parts).strip() and not given:
        raise SignerOptionError("parts needs size: the upload's size in bytes (or 20GB, 8GiB)", field="parts")
    if not given:
        return None, None
    if method != "PUT":
        raise SignerOptionError(f"size is for an upload (method PUT), not {method}", field="size")
    total = check_size(size)  # type: ignore[arg-type]  # given: not None
    if parts is None or not str(parts).strip():
        return total, None
    try:
        count = int(str(parts).strip())
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_PARTS:
        raise SignerOptionError(f"parts must be a whole number from 1 to {MAX_PARTS:,}, got {parts!r}", field="parts")
    part_size_for(total, count)  # refuses parts that S3 could not take
    return total, count


def _makes_multipart(target: StorageURL, signer_type: str | None) -> bool:
    """Whether the signer that would sign ``target`` makes multipart uploads."""
    client, _ = resolve_storage_client(target)
    return isinstance(client.signer(signer_type), MultipartSigner)


def part_size_for(size: int, parts: int | None) -> int | None:
    """The part size that cuts ``size`` into ``parts`` parts (None: the default choice)."""
    if parts is None:
        return None
    part_size = -(-size // parts)
    if parts > 1 and part_size < MIN_PART_SIZE:
        raise SignerOptionError(
            f"parts: {parts} parts of {describe_size(size)} would be under 5 MiB each, S3's smallest part; "
            f"use at most {max(1, size // MIN_PART_SIZE)}",
            field="parts",
        )
    if part_size > MAX_PART_SIZE:
        raise SignerOptionError(
            f"parts: {parts} part{'s' if parts != 1 else ''} of {describe_size(size)} would be over 5 GiB each, "
            f"S3's largest part; use at least {-(-size // MAX_PART_SIZE)}",
            field="parts",
        )
    return max(part_size, MIN_PART_SIZE)


def _upload_sizes(method: str, max_size: str | int | None, min_size: str | int | None) -> tuple[Any, Any]:
    """An upload policy's size limits, kept as typed (the policy reads them); only POST has them."""
    given = {name: value for name, value in (("max_size", max_size), ("min_size", min_size))
             if value is not None and str(value).strip()}  # fmt: skip
    if given and method != "POST":
        field = next(iter(given))
        raise SignerOptionError(
            f"{field} limits an upload policy (method POST); a {method} URL cannot limit the size of what is sent",
            field=field,
        )
    return given.get("max_size"), given.get("min_size")


def _prefix_share_rules(
    target: StorageURL,
    manifest: str | None,
    manifest_file: str | None,
    url_list: bool,
    signer_type: str | None,
    method: str,
    options: Mapping[str, Any],
) -> str | None:
    """Where a prefix share's manifest goes (None: the default), after the rules about prefix
    shares, their manifests and URL lists."""
    prefix = is_prefix_share(target.path)
    if prefix and "content_disposition" in options:
        raise SignerOptionError(
            "download_as names one object; a prefix share cannot use it", field="download_as"
        )
    manifest = manifest.strip() if manifest and manifest.strip() else None
    manifest_file = manifest_file.strip() if manifest_file and manifest_file.strip() else None
    field = "manifest_url" if manifest else "manifest_file" if manifest_file else "url_list" if url_list else None
    if field is None:
        return None
    if manifest and manifest_file:
        raise SignerOptionError(
            "manifest_url and manifest_file name two places for one manifest; give one of them", field=field
        )
    if not prefix or method != "GET":
        raise SignerOptionError(
            f"{field} is for sharing a prefix: a GET of a path ending in /*, e.g. msc://{target.profile}/data.zarr/*",
            field=field,
        )
    if signer_type == SignerType.CLOUDFRONT.value:
        raise SignerOptionError(
            f"{field} is for S3 shares (a signed manifest); a CloudFront share is one wildcard URL", field=field
        )
    if manifest_file:
        return Path(manifest_file).expanduser().absolute().as_uri()
    return manifest
