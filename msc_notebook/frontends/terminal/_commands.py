"""``msc-notebook presign``, ``profiles`` and ``revoke``: what %presign, %presign_profiles and
%presign_revoke do, from a terminal or a script.

The arguments are %presign's own (`PRESIGN_ARGUMENTS`) and the request goes through the same
`PresignRequest`, so both accept, refuse and say the same things. stdout carries only the
result (``url=$(msc-notebook presign ...)`` works); the expiry, any warning and errors go to
stderr, one line each. Exit status: 0 signed, 2 usage, 1 any other error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from msc_notebook import (
    PrefixShare,
    PresignError,
    ProfileSummary,
    SignedCookies,
    describe_duration,
    revoke,
    summarize_profiles,
    utc_text,
)

if TYPE_CHECKING:
    from msc_notebook import SignedResult

from .._arguments import (
    add_presign_arguments,
    check_result,
    in_flag_words,
    request_from_arguments,
    unquoted_spaces_hint,
)


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, with usage errors in one line (and exit status 2, as argparse has)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


COMMANDS = {  # name: (one-line help, description)
    "presign": (
        "sign a URL for an msc:// object (as %%presign does); prints the URL alone",
        "Sign a URL for an msc:// object with the profiles of your MSC config, as %%presign does. stdout: the "
        "URL alone (or, with --cookies, the Cookie header); stderr: when it really expires and why.",
    ),
    "profiles": (
        "the profiles of your MSC config and how long their credentials have left (as %%presign_profiles)",
        "Each profile of the MSC config: provider, bucket/endpoint, whether it can presign, where its "
        "credentials come from and how long they have left (no URL outlives them).",
    ),
    "revoke": (
        "take a share back, from its link or its manifest's location (as %%presign_revoke)",
        "Take a prefix share back as far as its storage allows, with the profile's credentials: a revocable "
        "Azure share loses its access policy (every URL refused); any other loses its manifest (its link dies; "
        "the URLs it held live until they expire). Prints what it did and what remains.",
    ),
}


def add_presign_command(commands: argparse._SubParsersAction[Any]) -> None:
    presign = commands.add_parser("presign", help=COMMANDS["presign"][0], description=COMMANDS["presign"][1])
    add_presign_arguments(presign)
    presign.add_argument("--json", action="store_true", help="print every fact of the result as one JSON object")
    presign.set_defaults(run=run_presign, explain_extra=lambda words: unquoted_spaces_hint(words, "msc-notebook presign"))


def add_profiles_command(commands: argparse._SubParsersAction[Any]) -> None:
    profiles = commands.add_parser("profiles", help=COMMANDS["profiles"][0], description=COMMANDS["profiles"][1])
    profiles.add_argument("--config", metavar="PATH", type=Path, help="read this MSC config instead of the one MSC finds")
    profiles.add_argument("--json", action="store_true", help="print the profiles as JSON")
    profiles.set_defaults(run=run_profiles)


def add_revoke_command(commands: argparse._SubParsersAction[Any]) -> None:
    revoke = commands.add_parser("revoke", help=COMMANDS["revoke"][0], description=COMMANDS["revoke"][1])
    revoke.add_argument("share", metavar="LINK_OR_MANIFEST",
                        help="the share's link, or its manifest: msc://PROFILE/.msc_notebook/shares/NAME.json or "
                             "file:///PATH.json")  # fmt: skip
    revoke.add_argument("--access-policy", metavar="ID",
                        help="Azure: the share's access policy (share.details.access_policy), for a manifest already "
                             "gone")  # fmt: skip
    revoke.set_defaults(run=run_revoke)


def run_revoke(args: argparse.Namespace) -> int:
    try:
        print(revoke(args.share, access_policy=args.access_policy))
    except PresignError as exc:
        return _fail(exc)
    return 0


def run_presign(args: argparse.Namespace) -> int:
    try:
        request = request_from_arguments(args)
        result = request.sign()
        text = request.output_text(result)  # a share's link alone, or with --list every object's URL
    except PresignError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(result_json(result), indent=2))
    else:
        print(result.cookie_header() if isinstance(result, SignedCookies) else text)
    lifetime = describe_duration((result.effective_expiry - result.signed_at).total_seconds())
    what = f"{result.method} {result.source}"
    if isinstance(result, PrefixShare) and result.count is not None:
        what = f"share of {result.source} ({result.count:,} objects, {result.total_bytes:,} bytes; a snapshot)"
    print(f"{what}: valid for {lifetime}, until {utc_text(result.effective_expiry)}", file=sys.stderr)
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    if args.check:
        works, text = check_result(result)
        print(text, file=sys.stderr)
        return 0 if works else 1
    return 0


def result_json(result: SignedResult) -> dict[str, Any]:
    """Every fact of a signed result (`ResultFacts`, times as ISO-8601 UTC), and for a share that
    lists its objects in one manifest, every object's URL (``urls``; a sharded share's are in its
    shards, too many for one JSON document: ``--list`` prints them)."""
    from .._facts import result_facts

    facts = result_facts(result).state()
    if isinstance(result, PrefixShare) and isinstance(result.urls, dict):
        facts["urls"] = result.urls
    return facts


def run_profiles(args: argparse.Namespace) -> int:
    from .._profiles_table import profiles_text

    try:
        path, summaries = summarize_profiles(args.config)
    except PresignError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps({"config": str(path), "profiles": [_summary_json(s) for s in summaries]}, indent=2))
    else:
        print(profiles_text(path, summaries))
    return 0


def _summary_json(summary: ProfileSummary) -> dict[str, Any]:
    facts = asdict(summary)
    facts["credential_expiry"] = summary.credential_expiry.isoformat() if summary.credential_expiry else None
    left = summary.credentials_left()
    facts["credentials_left_seconds"] = None if left is None else round(left)
    return facts


def _fail(error: PresignError) -> int:
    message = " ".join(in_flag_words(error).split())  # one line, even for messages that list paths
    print(f"error: {message}", file=sys.stderr)
    return 1
