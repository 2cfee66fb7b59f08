"""The IPython magics: %presign, %presign_profiles, %presign_history, %presign_revoke.

Defaults are configurable the IPython way, e.g. ``%config PresignMagics.default_expires_in = 900``.
Every failure the user can fix is one short message (a UsageError), never a traceback.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.utils.process import arg_split
from traitlets import Bool, Int, TraitError, Unicode, validate

from msc_notebook import PresignError

from .._arguments import PRESIGN_ARGUMENTS, check_result, in_flag_words, request_from_arguments, unquoted_spaces_hint
from ._history import history

if TYPE_CHECKING:
    from traitlets.utils.bunch import Bunch

    from msc_notebook import SignedResult

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


class _ArgumentMagic(Protocol):
    """A magic decorated with ``@magic_arguments()``, which gives it its ``parser``."""

    parser: argparse.ArgumentParser


def _parse(magic: _ArgumentMagic, line: str, command: str) -> argparse.Namespace:
    """Shell-like parsing with quotes removed: "msc://p/a b.txt" is one argument, without quotes.

    (IPython's parse_argstring keeps the quote characters.)
    """
    try:
        words = arg_split(line, posix=True)
    except ValueError as exc:  # e.g. an unclosed quote
        raise UsageError(f"cannot read the arguments: {exc}; quote a URL with spaces once, at both ends") from None
    args, extra = magic.parser.parse_known_args(words)
    if extra:
        raise UsageError(unquoted_spaces_hint(words, command) or f"unrecognized arguments: {' '.join(extra)}")
    return args


def _presign_arguments(magic: _F) -> _F:
    """The arguments %presign shares with ``msc-notebook presign``, in their order."""
    for spec in reversed(PRESIGN_ARGUMENTS):
        magic = argument(*spec.flags, **spec.options)(magic)
    return magic


def _friendly_errors(magic: Callable[[PresignMagics, str], _T]) -> Callable[[PresignMagics, str], _T]:
    """Turn library errors into one-line UsageErrors: the user sees what to fix, not a traceback."""

    @functools.wraps(magic)
    def wrapper(self: PresignMagics, line: str = "") -> _T:
        try:
            return magic(self, line)
        except PresignError as exc:
            raise UsageError(in_flag_words(exc)) from None

    return wrapper


@magics_class
class PresignMagics(Magics):
    """Presigned URLs for msc:// objects, with their real expiry."""

    default_expires_in = Int(
        None, allow_none=True, help="expires_in (seconds) when %presign gets no -e; None: the signer's default (1 h)"
    ).tag(config=True)
    default_method = Unicode("GET", help="HTTP method when %presign gets no -m: GET, PUT or HEAD").tag(config=True)
    default_signer = Unicode(
        None, allow_none=True, help="signer when %presign gets no --signer: s3, cloudfront, or None (the profile's)"
    ).tag(config=True)
    show_widget = Bool(True, help="display each result; False: only return it").tag(config=True)

    @validate("default_method")
    def _check_method(self, proposal: Bunch) -> str:
        value: str = proposal["value"]  # the trait's own check (Unicode) comes first
        method = value.upper()
        if method not in ("GET", "PUT", "HEAD"):
            raise TraitError(f"default_method must be GET, PUT or HEAD, not {value!r}")
        return method

    @validate("default_signer")
    def _check_signer(self, proposal: Bunch) -> str | None:
        signer: str | None = proposal["value"]
        if signer is not None and signer.lower() not in ("s3", "cloudfront"):
            raise TraitError(f"default_signer must be 's3', 'cloudfront' or None, not {signer!r}")
        return signer.lower() if signer else signer

    @validate("default_expires_in")
    def _check_expires_in(self, proposal: Bunch) -> int | None:
        value: int | None = proposal["value"]
        if value is not None and value < 1:
            raise TraitError("default_expires_in must be a positive number of seconds")
        return value

    @magic_arguments()
    @_presign_arguments
    @argument("-q", "--quiet", action="store_true", help="do not display; just return the result")
    @line_magic
    @_friendly_errors
    def presign(self, line: str = "") -> SignedResult:
        """Sign a URL for an msc:// object, show it with a live countdown, and return it.

        Examples::

            %presign msc://my-profile/datasets/model.bin
            url = %presign msc://my-profile/datasets/model.bin -e 15m
            %presign msc://my-profile/uploads/data.tar -m PUT --content-type application/x-tar
            %presign msc://my-profile/reports/q3.csv --download-as "Q3 report.csv"
            %presign msc://my-profile/results/experiment.zarr/* -e 2h
            %presign msc://my-profile/results/experiment.zarr/* --manifest-file share.json
            %presign msc://my-profile/results/experiment.zarr/* --list
            %presign msc://my-profile/results/experiment.zarr/* --signer cloudfront -e 2h
            %presign msc://my-profile/results/experiment.zarr/* --signer cloudfront --cookies

        The returned value is a str (the URL) that also knows its effective expiry:
        ``url.effective_expiry``, ``url.seconds_left()``. A path ending in ``/*`` shares
        everything under the prefix (a `PrefixShare`: with the S3 signer, one link to a
        signed manifest; with CloudFront, one wildcard URL); ``--list`` prints every
        object's URL instead of showing the share (and still returns it). Python variables can be used
        as ``{name}``. Defaults: ``%config PresignMagics`` lists them.
        """
        args = _parse(self.presign, line, "%presign")
        request = request_from_arguments(
            args, method=self.default_method, expires_in=self.default_expires_in, signer=self.default_signer
        )
        result = request.sign()
        history.add(result)
        if request.url_list:  # a prefix share's URLs as plain text, to save for wget -i / aria2c -i
            from ._display import mark_shown

            print(request.output_text(result))
            mark_shown(result)  # the list is what this cell shows, not the widget as well
            return result
        if self.show_widget and not args.quiet:
            from ._display import show

            show(result, request=request)
        if args.check:
            print(check_result(result)[1])
        return result

    @magic_arguments()
    @argument("--config", metavar="PATH", help="read this MSC config instead of the one MSC would find")
    @line_magic
    @_friendly_errors
    def presign_profiles(self, line: str = "") -> None:
        """Show the config's profiles: provider, bucket, whether they can presign, where their
        credentials come from and how long those have left (it limits every URL)."""
        from pathlib import Path

        from IPython.display import display

        from msc_notebook import summarize_profiles

        from .._profiles_table import profiles_html, profiles_text

        args = _parse(self.presign_profiles, line, "%presign_profiles")
        path, summaries = summarize_profiles(Path(args.config) if args.config else None)
        display({"text/html": profiles_html(path, summaries), "text/plain": profiles_text(path, summaries)}, raw=True)

    @magic_arguments()
    @argument("--clear", action="store_true", help="forget every URL signed so far")
    @line_magic
    @_friendly_errors
    def presign_history(self, line: str = "") -> None:
        """Every URL signed in this session, newest first, each with its own live countdown."""
        from IPython.display import display

        from ._result_widget import PresignResultWidget

        args = _parse(self.presign_history, line, "%presign_history")
        if args.clear:
            count = history.clear()
            print(f"Forgot {count} signed URL{'s' if count != 1 else ''}.")
            return
        entries = history.newest_first()
        if not entries:
            print("Nothing signed yet in this session. Try: %presign msc://PROFILE/PATH")
            return
        display({"text/plain": f"{len(entries)} signed in this session, newest first:"}, raw=True)
        for facts in entries:
            display(PresignResultWidget.for_facts(facts, compact=True))

    @magic_arguments()
    @argument("share", metavar="LINK_OR_MANIFEST",
              help="the share's link, or its manifest's location (share.details.manifest_location)")
    @argument("--access-policy", metavar="ID", help="Azure: the share's access policy, for a manifest already gone")
    @line_magic
    @_friendly_errors
    def presign_revoke(self, line: str = "") -> None:
        """Take a prefix share back as far as its storage allows, and say what remains: a revocable
        Azure share loses its access policy (every URL refused), any other its manifest (the link
        dies; the URLs it held live until they expire). The history's Revoke buttons do the same."""
        from msc_notebook import revoke

        args = _parse(self.presign_revoke, line, "%presign_revoke")
        print(revoke(args.share, access_policy=args.access_policy))

    @line_magic
    @_friendly_errors
    def presign_form(self, line: str = "") -> None:
        """A form to pick a profile and an object, choose method, expiry and signer, and sign.

        The same as ``msc_notebook.PresignForm()`` in code.
        """
        from IPython.display import display

        from ._form import PresignForm

        if line.strip():
            raise UsageError("%presign_form takes no arguments")
        form = PresignForm()
        display(form)
        return None
