"""Checks shared by every signer: methods, signer types, unknown options, ``expires_in``."""

from __future__ import annotations

import enum
import re
import threading
import warnings
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from ._errors import IgnoredOptionWarning, SignerOptionError
from ._times import describe_duration

DEFAULT_EXPIRES_IN = 3600
MAX_EXPIRES_IN = 7 * 24 * 3600  # S3 refuses SigV4 URLs valid longer than 7 days


class SignerType(str, enum.Enum):
    """Which backend signs the URL. Plain strings ``"s3"`` / ``"cloudfront"`` work too."""

    S3 = "s3"
    CLOUDFRONT = "cloudfront"
    AZURE = "azure"
    GCS = "gcs"

    def __str__(self) -> str:
        return self.value


def signer_type_name(signer_type: SignerType | str) -> str:
    """Normalise ``SignerType.S3``, ``"S3"``, ``" s3 "`` to ``"s3"``."""
    if isinstance(signer_type, SignerType):
        return signer_type.value
    if not isinstance(signer_type, str) or not signer_type.strip():
        raise SignerOptionError(
            f"signer_type must be a SignerType or one of {_known_types()}, got {signer_type!r}",
            field="signer_type",
        )
    return signer_type.strip().lower()


def _known_types() -> str:
    return ", ".join(repr(t.value) for t in SignerType)


def check_method(method: str, supported: Iterable[str], signer: str, hints: Mapping[str, str] | None = None) -> str:
    """Upper-case ``method`` and make sure the signer supports it (``hints`` explain why not)."""
    supported = tuple(supported)
    name = method.strip().upper() if isinstance(method, str) else method
    if name not in supported:
        hint = (hints or {}).get(name)
        raise SignerOptionError(
            f"method {method!r} is not supported by the {signer} signer: "
            + (f"{hint}" if hint else f"use one of {', '.join(supported)}"),
            field="method",
        )
    return name


def check_option_names(options: Mapping[str, Any], known: Iterable[str], signer: str) -> None:
    """Refuse option names the signer does not know (MSC silently ignores typos)."""
    known = sorted(known)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise SignerOptionError(
            f"unknown signer option{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))} for the {signer} signer; "
            f"known options: {', '.join(known)}",
            field=unknown[0],
        )


def check_expires_in(value: Any, max_seconds: int = MAX_EXPIRES_IN) -> int:
    """``expires_in`` as whole seconds within 1 s ... ``max_seconds``; a timedelta is accepted."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        value = int(seconds) if seconds == int(seconds) else seconds
    if isinstance(value, bool) or not isinstance(value, int):
        raise SignerOptionError(
            f"expires_in must be a whole number of seconds (e.g. 900 for 15 minutes), got {value!r}",
            field="expires_in",
        )
    if not 1 <= value <= max_seconds:
        limit = (
            "7 days, the most an S3 URL or an Azure user delegation key allows"
            if max_seconds == MAX_EXPIRES_IN
            else describe_duration(max_seconds)
        )
        raise SignerOptionError(
            f"expires_in must be between 1 and {max_seconds} seconds ({limit}), got {value}", field="expires_in"
        )
    return value


def check_header_options(
    options: Mapping[str, Any], method: str, header_options: Mapping[str, tuple[str, Iterable[str]]]
) -> int:
    """The header-like options of a request (option -> (the backend's parameter, methods it
    applies to)): each only for its methods, each one line of text. Returns ``expires_in``."""
    for option, (_, methods) in header_options.items():
        if option in options:
            methods = tuple(methods)
            if method not in methods:
                raise SignerOptionError(
                    f"signer option {option!r} applies to {'/'.join(methods)} URLs, not {method}", field=option
                )
            check_text_option(option, options[option])
    return check_expires_in(options.get("expires_in", DEFAULT_EXPIRES_IN))


def check_text_option(name: str, value: Any, *, field: str | None = None) -> str:
    """A header-like string option: non-empty, one line (``field``: the input to blame, default ``name``)."""
    if not isinstance(value, str) or not value.strip():
        raise SignerOptionError(f"{name} must be a non-empty string, got {value!r}", field=field or name)
    if any(c in value for c in "\r\n"):
        raise SignerOptionError(f"{name} must be a single line without line breaks", field=field or name)
    return value


def attachment_disposition(filename: str, *, field: str = "content_disposition") -> str:
    """A Content-Disposition that makes browsers save the object as ``filename`` (RFC 6266).

    An ASCII fallback for old clients plus the exact UTF-8 name in ``filename*``.
    """
    from urllib.parse import quote

    name = check_text_option("download name", filename, field=field).replace("/", "_").replace("\\", "_")
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"%' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


_OPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_warned: set[tuple[str, Any]] = set()
_warned_lock = threading.Lock()


def warn_unknown_options(profile: str, options: Mapping[str, Any], known: set[str], shaping: list[str]) -> None:
    """Warn once per profile and option about a storage_provider option we do not know.

    MSC passes unknown options through to its provider, so an MSC config may carry
    some; signing goes on. Options we know but cannot honour are errors elsewhere.
    """
    for option in sorted(set(options) - known, key=str):
        with _warned_lock:
            if (profile, option) in _warned:
                continue
            _warned.add((profile, option))
        if isinstance(option, str) and _OPTION_NAME.fullmatch(option):
            import difflib  # only for a warning: not on every import

            close = difflib.get_close_matches(option, shaping, n=1)
            named = f"option {option!r}" + (f" (did you mean {close[0]}?)" if close else "")
        else:  # "secret_key SECRET" from a typo in a flow mapping: the name may hold a value
            named = "an option whose name is not a name (not shown: it may hold a mistyped value)"
        warnings.warn(
            f"profile {profile!r}: storage_provider {named} is not used for signing and is ignored; "
            f"options that shape a URL are {', '.join(shaping)}",
            IgnoredOptionWarning,
            stacklevel=2,
        )
