"""From what a person typed to one signing call: the one place for cross-field rules.

`%presign`, the presign form and ``msc-notebook presign`` all build a `PresignRequest`
with `PresignRequest.from_inputs`, so they accept and refuse the same things with the
same words. The magic and the command line also share their argument definitions
(`PRESIGN_ARGUMENTS`): one parser description, two front ends. A path ending in ``/*``
read with GET shares the prefix (`share_prefix`): a signed manifest with the S3 signer,
one wildcard URL with CloudFront.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cloudfront import OPTION_HELP as CLOUDFRONT_OPTION_HELP
from .errors import SignerOptionError
from .keys import is_prefix_share
from .options import SignerType, attachment_disposition, signer_type_name
from .prefix_share import PrefixShare, share_prefix
from .result import PresignedURL, SignedCookies
from .shortcuts import generate_presigned_url, generate_signed_cookies
from .storage_url import StorageURL, parse_storage_url
from .times import parse_duration

CLOUDFRONT_OPTIONS = tuple(CLOUDFRONT_OPTION_HELP)


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
    ) -> PresignRequest:
        """Check what was typed, field by field and across fields; errors name the field."""
        target = url if isinstance(url, StorageURL) else parse_storage_url(url)
        method = (method or "GET").strip().upper()  # the signer checks it, with its own hints
        signer_type = signer_type_name(signer) if signer else None
        options: dict[str, Any] = {}
        if expires_in is not None:
            options["expires_in"] = parse_duration(expires_in)
        # An empty value counts: a cleared form field means "none", not "the profile's default".
        given = {name: value for name, value in (cloudfront or {}).items() if value is not None}
        unknown = sorted(set(given) - set(CLOUDFRONT_OPTIONS))
        if unknown:
            raise SignerOptionError(f"unknown CloudFront option {unknown[0]!r}", field=unknown[0])
        if given or cookies:
            if signer_type not in (None, SignerType.CLOUDFRONT.value):
                what = f"--{next(iter(given)).replace('_', '-')} is a CloudFront option" if given else (
                    "--cookies needs the CloudFront signer (signed cookies are a CloudFront feature)"
                )
                raise SignerOptionError(f"{what}; use --signer cloudfront", field="signer_type")
            signer_type = SignerType.CLOUDFRONT.value
            options.update({name: str(value).strip() for name, value in given.items()})
        if cookies and method not in ("GET", "HEAD"):
            raise SignerOptionError(f"signed cookies are for reading (GET); method {method} cannot use them", field="method")
        if content_type is not None and content_type.strip():
            options["content_type"] = content_type.strip()  # the S3 signer says it is for PUT only
        if download_as is not None and download_as.strip():
            if signer_type == SignerType.CLOUDFRONT.value:
                raise SignerOptionError(
                    "--download-as needs the S3 signer: CloudFront URLs cannot set response headers",
                    field="download_as",
                )
            options["content_disposition"] = attachment_disposition(download_as.strip(), field="download_as")
        manifest_url = _prefix_share_rules(target, manifest, manifest_file, url_list, signer_type, method, options)
        return cls(target, method, signer_type, options, cookies, manifest_url, url_list)

    @property
    def url(self) -> str:
        """The object as the user named it (``msc://profile/path``)."""
        return f"{self.target.scheme}://{self.target.profile}/{self.target.path}"

    @property
    def shares_prefix(self) -> bool:
        """Whether signing it shares everything under a prefix (`share_prefix`)."""
        return is_prefix_share(self.target.path) and self.method == "GET" and not self.cookies

    def sign(self, *, warn: bool = False) -> PresignedURL | SignedCookies | PrefixShare:
        """Sign it now. Front ends show the result's own warning, so ``warn`` is off by default."""
        if self.cookies:
            return generate_signed_cookies(self.target, signer_options=self.options, warn=warn)
        if self.shares_prefix:
            return share_prefix(
                self.target,
                signer_type=self.signer_type,
                signer_options=self.options,
                manifest_url=self.manifest_url,
                warn=warn,
            )
        return generate_presigned_url(
            self.target, method=self.method, signer_type=self.signer_type, signer_options=self.options, warn=warn
        )

    def output_text(self, result: PresignedURL | SignedCookies | PrefixShare) -> str:
        """What a command line prints on stdout for the result: the URL (a share's link),
        or with ``url_list`` every object's URL, one a line."""
        if self.url_list and isinstance(result, PrefixShare):
            return result.url_list().rstrip("\n")
        return str(result)


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
            "--download-as names one object; it cannot apply to a prefix share", field="download_as"
        )
    manifest = manifest.strip() if manifest and manifest.strip() else None
    manifest_file = manifest_file.strip() if manifest_file and manifest_file.strip() else None
    asked = "--manifest" if manifest else "--manifest-file" if manifest_file else "--list" if url_list else None
    if asked is None:
        return None
    field = "url_list" if asked == "--list" else "manifest_url"
    if manifest and manifest_file:
        raise SignerOptionError("give --manifest or --manifest-file, not both", field=field)
    if not prefix or method != "GET":
        raise SignerOptionError(
            f"{asked} is for sharing a prefix: a GET of a path ending in /*, e.g. msc://{target.profile}/data.zarr/*",
            field=field,
        )
    if signer_type == SignerType.CLOUDFRONT.value:
        raise SignerOptionError(
            f"{asked} is for S3 shares (a signed manifest); a CloudFront share is one wildcard URL", field=field
        )
    if manifest_file:
        return Path(manifest_file).expanduser().absolute().as_uri()
    return manifest


@dataclass(frozen=True)
class Argument:
    """One command-line argument of ``%presign`` and ``msc-notebook presign`` (argparse's terms)."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


PRESIGN_ARGUMENTS: tuple[Argument, ...] = (
    Argument(("url",), {"help": "the object: msc://PROFILE/PATH (quote it if it has spaces); a PATH ending in /* "
                                "shares everything under the prefix (S3: a signed manifest; CloudFront: one "
                                "wildcard URL)"}),
    Argument(("-m", "--method"), {"help": "GET (default), PUT or HEAD"}),
    Argument(("-e", "--expires-in"), {"help": "lifetime: seconds or 90s, 15m, 2h, 7d, 1h30m (default 1 h)"}),
    Argument(("--signer",), {"choices": ("s3", "cloudfront"), "help": "signing backend (default: the profile's)"}),
    Argument(("--content-type",), {"help": "PUT: the Content-Type the uploader must send (it is signed)"}),
    Argument(("--download-as",), {"metavar": "NAME", "help": "GET (S3): make browsers save the object as NAME"}),
    Argument(("--cookies",), {"action": "store_true", "help": "CloudFront: sign cookies instead of a URL"}),
    Argument(("--manifest",), {"metavar": "URL", "help": "S3 prefix share: write the manifest to msc://PROFILE/PATH.json "
                                                         "(default: .msc_notebook/shares/ at the profile's root)"}),
    Argument(("--manifest-file",), {"metavar": "PATH", "help": "S3 prefix share: write the manifest to this local "
                                                               "file (credentials that cannot write); send it yourself"}),
    Argument(("--list",), {"action": "store_true", "dest": "url_list",
                           "help": "S3 prefix share: print every object's URL, one a line (for wget -i, aria2c -i)"}),
    *(
        Argument((f"--{name.replace('_', '-')}",), {"help": f"CloudFront: {help_text}"})
        for name, help_text in CLOUDFRONT_OPTION_HELP.items()
    ),
)  # fmt: skip


def add_presign_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `PRESIGN_ARGUMENTS` to an argparse parser (the command line's)."""
    for argument in PRESIGN_ARGUMENTS:
        parser.add_argument(*argument.flags, **argument.options)


def request_from_arguments(
    args: argparse.Namespace, *, method: str | None = None, expires_in: int | None = None, signer: str | None = None
) -> PresignRequest:
    """The request parsed arguments describe; ``method``, ``expires_in``, ``signer``: defaults."""
    return PresignRequest.from_inputs(
        args.url,
        method=args.method or method,
        expires_in=args.expires_in if args.expires_in is not None else expires_in,
        signer=args.signer or signer,
        content_type=args.content_type,
        download_as=args.download_as,
        cookies=args.cookies,
        cloudfront={name: getattr(args, name) for name in CLOUDFRONT_OPTIONS},
        manifest=args.manifest,
        manifest_file=args.manifest_file,
        url_list=args.url_list,
    )


def unquoted_spaces_hint(words: Sequence[str], command: str) -> str | None:
    """If stray words follow an object URL, the URL had unquoted spaces: how to write it instead."""
    for index, word in enumerate(words):
        if "://" in word:
            tail = []
            for extra in words[index + 1 :]:
                if extra.startswith("-"):
                    break
                tail.append(extra)
            if tail:
                quoted = " ".join([word, *tail])
                return f'the object URL has spaces, so quote it: {command} "{quoted}"'
    return None
