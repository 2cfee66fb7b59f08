"""The arguments %presign and ``msc-notebook presign`` share, and the library's fields in their words.

One argument table (`PRESIGN_ARGUMENTS`) describes both parsers; `request_from_arguments`
turns parsed arguments into the library's `PresignRequest`. The library's errors name the
input at fault by its field (``download_as``, ``expires_in``, ...): `in_flag_words` says it
as the flag a person typed (``--download-as``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from msc_notebook import CLOUDFRONT_OPTION_HELP, PresignError

if TYPE_CHECKING:
    from msc_notebook import PresignRequest

CLOUDFRONT_OPTIONS = tuple(CLOUDFRONT_OPTION_HELP)


@dataclass(frozen=True)
class Argument:
    """One command-line argument of ``%presign`` and ``msc-notebook presign`` (argparse's terms)."""

    flags: tuple[str, ...]
    options: Mapping[str, Any]


PRESIGN_ARGUMENTS: tuple[Argument, ...] = (
    Argument(("url",), {"help": "the object: msc://PROFILE/PATH (quote it if it has spaces); a PATH ending in /* "
                                "shares everything under the prefix (S3, GCS, Azure: a signed manifest; CloudFront: "
                                "one wildcard URL)"}),
    Argument(("-m", "--method"), {"help": "GET (default), PUT, HEAD, or POST: an upload policy (S3, GCS) for one "
                                          "key or, with /*, a drop box where the uploader names the file"}),
    Argument(("-e", "--expires-in"), {"help": "lifetime: seconds or 90s, 15m, 2h, 7d, 1h30m (default 1 h)"}),
    Argument(("--signer",), {"choices": ("s3", "cloudfront", "gcs", "azure"),
                             "help": "signing backend (default: the profile's)"}),
    Argument(("--content-type",), {"help": "PUT, POST: the Content-Type the uploader must send (it is signed)"}),
    Argument(("--max-size",), {"metavar": "SIZE", "help": "POST: the most one upload may be: bytes, or 100MB, 2GiB "
                                                          "(MB = 10**6 bytes, MiB = 2**20; default: the storage's "
                                                          "limit for one POST)"}),
    Argument(("--size",), {"metavar": "SIZE", "help": "PUT: the file's size (bytes, or 20GB, 8GiB); past 5 GiB a "
                                                      "multipart upload (a URL per part and a recipient script)"}),
    Argument(("--parts",), {"metavar": "N", "help": "PUT with --size: a multipart upload in N parts, at any size"}),
    Argument(("--min-size",), {"metavar": "SIZE", "help": "POST: the least one upload may be (default 0)"}),
    Argument(("--download-as",), {"metavar": "NAME", "help": "GET: make browsers save the object as NAME"}),
    Argument(("--cookies",), {"action": "store_true", "help": "CloudFront: sign cookies instead of a URL"}),
    Argument(("--manifest",), {"metavar": "URL", "help": "prefix share: write the manifest to msc://PROFILE/PATH.json "
                                                         "(default: .msc_notebook/shares/ at the profile's root)"}),
    Argument(("--manifest-file",), {"metavar": "PATH", "help": "prefix share: write the manifest to this local "
                                                               "file (credentials that cannot write); send it yourself"}),
    Argument(("--overwrite",), {"action": "store_true", "help": "prefix share: replace the manifest named by "
                                                              "--manifest or --manifest-file if it exists"}),
    Argument(("--revocable",), {"action": "store_true",
                                "help": "prefix share, Azure with the account key: every URL names one stored access "
                                        "policy, so revoking the share refuses them all at once (5 per container)"}),
    Argument(("--inventory",), {"metavar": "URL", "help": "prefix share, S3: read this S3 Inventory report "
                                                          "(msc://PROFILE/.../manifest.json) instead of listing"}),
    Argument(("--sharded",), {"action": "store_const", "const": True, "dest": "sharded",
                              "help": "prefix share: write the manifest in shards that recipients read lazily (a Zarr "
                                      "store; the default past 100,000 objects)"}),
    Argument(("--single-manifest",), {"action": "store_const", "const": False, "dest": "sharded",
                                      "help": "prefix share: one JSON manifest, however many objects"}),
    Argument(("--list",), {"action": "store_true", "dest": "url_list",
                           "help": "prefix share: print every object's URL, one a line (for wget -i, aria2c -i)"}),
    Argument(("--check",), {"action": "store_true",
                            "help": "then fetch the link (a share: and a sample of its objects) as an anonymous "
                                    "recipient would, and say whether it works and whether the clocks agree"}),
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
    from msc_notebook import PresignRequest  # the library's request (and its imports) on first use

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
        overwrite=args.overwrite,
        revocable=args.revocable,
        max_size=args.max_size,
        min_size=args.min_size,
        size=args.size,
        parts=args.parts,
        inventory=args.inventory,
        sharded=args.sharded,
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


def _flag_of(argument: Argument) -> tuple[str, str] | None:
    """(the field it fills, its long flag) for an optional argument."""
    flag = argument.flags[-1]
    if not flag.startswith("--"):
        return None
    return argument.options.get("dest", flag[2:].replace("-", "_")), flag


# Library fields -> flags: the arguments' own destinations, and the fields that the
# request names after what they become (the signer type, the manifest's URL, ...).
FLAG_WORDS: Mapping[str, str] = {
    **dict(filter(None, map(_flag_of, PRESIGN_ARGUMENTS))),
    "signer_type": "--signer",
    "manifest_url": "--manifest",
    "sharded": "--sharded",  # or --single-manifest: the same field
    "content_disposition": "--download-as",
    "path": "the object URL",
    "url": "the object URL",
}


def in_words(error: PresignError, words: Mapping[str, str]) -> str:
    """The error's message with its field said in a front end's ``words``: the message names
    the field first, by its library name, wherever the field is the subject."""
    message = str(error)
    field = error.field
    if field and field in words:
        message = re.sub(rf"^{re.escape(field)}\b", lambda _: words[field], message)
    return message


def in_flag_words(error: PresignError) -> str:
    """The error as the magic and the command line say it (``--download-as names one object``)."""
    return in_words(error, FLAG_WORDS)


def check_result(result: Any) -> tuple[bool, str]:
    """What ``--check`` finds about a signed result: whether it works, and that in plain words
    (signed cookies are not fetched: a browser sends them to the distribution)."""
    check = getattr(result, "check", None)
    if check is None:
        return True, "check: signed cookies are sent by a browser to the distribution; there is no link to fetch"
    report = check()
    verdict = "works" if report.works else "does NOT work as sent"
    lines = "\n".join(f"  {line}" for line in str(report).splitlines())
    return report.works, f"check, as an anonymous recipient from here: {verdict}\n{lines}"
