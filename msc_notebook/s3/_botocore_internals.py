"""Every botocore private name msc_notebook uses, each behind a guard: this is the only module
that touches them.

botocore offers no public way to do these things, and each buys something users see:

* ``RefreshableCredentials._expiry_time``: when the credentials that sign a URL expire. botocore
  keeps it for its own refreshes and has no accessor for it. A URL's credential_expiry and
  effective expiry, the CredentialExpiryWarning, the expiry countdown in the displays, and the
  refusal to sign with credentials that have already expired all come from it.
* ``RefreshableCredentials._refresh_using``: the refresh function, wrapped in the same-answer pause
  (`_credentials._SameAnswerPause`): a credential_process that serves a cache is not run again
  (0.7-3 s each time) for every URL signed in botocore's 15-minute refresh window.
* ``ProcessProvider._popen``: how botocore starts a credential_process, replaced by
  `_credentials._BoundedProcess`: the process gets ``credentials_timeout`` seconds, then it and its
  children are killed, and nothing it printed is repeated.
* ``AssumeRoleProvider._profile_provider_builder`` and ``ProfileProviderBuilder._create_process_provider``:
  where botocore makes, on demand, the credential_process provider of a role's source_profile;
  wrapped so that provider is bounded the same way.
* ``botocore.auth.get_current_datetime``: botocore's SigV4 clock (a module attribute, not documented
  API), which `msc_notebook.testing.freeze_clock` sets so that URLs botocore signs carry the frozen time;
  and ``botocore.signers.get_current_datetime``, the same clock where its POST presigner dates a
  policy's expiration (set with it when it is there).

botocore is deliberately not capped (``boto3>=1.34``, no upper bound): it releases almost daily, and a
cap breaks the environments users install this library into. So every use first checks that the name
is there with the shape relied on. If it is not, that optimisation turns itself off, with one
`BotocoreInternalsWarning` per name per process, and signing goes on through botocore's public API:
the expiry is reported as unknown (``None``), every refresh asks the source, a credential_process runs
as botocore runs it (the credentials load still waits for it at most ``credentials_timeout`` seconds),
and freeze_clock freezes only msc_notebook's own clock.

botocore is imported only inside the functions: importing msc_notebook stays free of it.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

EXPIRY_TIME = "RefreshableCredentials._expiry_time"
REFRESH_USING = "RefreshableCredentials._refresh_using"
POPEN = "ProcessProvider._popen"
PROFILE_PROVIDER_BUILDER = "AssumeRoleProvider._profile_provider_builder"
CREATE_PROCESS_PROVIDER = "ProfileProviderBuilder._create_process_provider"
SIGNING_CLOCK = "botocore.auth.get_current_datetime"

_SOURCE_PROFILE_UNBOUNDED = (
    "the credential_process of an assumed role's source_profile is no longer stopped at the credentials "
    "timeout (the wait for the credentials still ends there)"
)
_WHAT_IS_OFF = {  # what a user loses, said after "so"
    EXPIRY_TIME: "the credentials' expiry is reported as unknown (None): a URL's effective_expiry does not "
    "account for it and no CredentialExpiryWarning is given (botocore still refuses expired credentials)",
    REFRESH_USING: "the same-answer pause is off: a credential source is asked again at every refresh, "
    "and signing may wait for it each time",
    POPEN: "a credential_process is no longer stopped at the credentials timeout (the wait for the "
    "credentials still ends there)",
    PROFILE_PROVIDER_BUILDER: _SOURCE_PROFILE_UNBOUNDED,
    CREATE_PROCESS_PROVIDER: _SOURCE_PROFILE_UNBOUNDED,
    SIGNING_CLOCK: "freeze_clock cannot freeze botocore's own SigV4 clock: URLs that botocore signs (where "
    "the fast path does not) carry the real time",
}


class BotocoreInternalsWarning(UserWarning):
    """A botocore private name msc_notebook relies on is missing or changed shape in this botocore:
    the optimisation built on it is off, and signing goes on through botocore's public API."""


_MISSING = object()
_warned: set[str] = set()  # the names warned about in this process
_warned_lock = threading.Lock()  # credentials load on worker threads, many at a time


def _turn_off(name: str) -> None:
    """Say once per process that the optimisation built on ``name`` is off."""
    with _warned_lock:
        if name in _warned:
            return
        _warned.add(name)
    import botocore

    warnings.warn(
        f"botocore {botocore.__version__} has no usable {name}, so {_WHAT_IS_OFF[name]}. "
        f"Signing still works, through botocore's public API.",
        BotocoreInternalsWarning,
        stacklevel=3,  # the caller of the function that found the name missing
    )


def credential_expiry(credentials: Any) -> datetime | None:
    """When ``credentials`` (a botocore credential object, or None) expire: an aware datetime, or None
    when they do not expire or when this botocore does not let it be read (warned once)."""
    from botocore.credentials import RefreshableCredentials

    if not isinstance(credentials, RefreshableCredentials):
        return None  # static credentials: botocore keeps no expiry, they have none
    expiry = getattr(credentials, "_expiry_time", _MISSING)
    if expiry is None:
        return None  # refreshable, but botocore was given no expiry
    if isinstance(expiry, datetime) and expiry.utcoffset() is not None:
        return expiry
    _turn_off(EXPIRY_TIME)  # a naive time or another type: which zone or unit is anyone's guess
    return None


def wrap_refresh(credentials: Any, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    """Replace the refresh function of ``credentials`` (RefreshableCredentials) with ``wrap(it)``;
    False (warned once) when this botocore has no such function to wrap."""
    refresh = getattr(credentials, "_refresh_using", None)
    if not callable(refresh):
        _turn_off(REFRESH_USING)
        return False
    return _replace(credentials, "_refresh_using", wrap(refresh), REFRESH_USING)


def set_popen(provider: Any, popen: Callable[..., Any]) -> bool:
    """Make the ProcessProvider ``provider`` start its credential_process with ``popen`` (called as
    ``subprocess.Popen`` is); False (warned once) when this botocore starts it some other way."""
    # Setting an attribute botocore no longer reads would do nothing, silently: check it is there first.
    if not callable(getattr(provider, "_popen", None)):
        _turn_off(POPEN)
        return False
    return _replace(provider, "_popen", popen, POPEN)


def set_source_profile_popen(provider: Any, popen: Callable[..., Any]) -> bool:
    """Make the credential_process providers that the AssumeRoleProvider ``provider`` builds for a
    source_profile start their process with ``popen``; False (warned once) when this botocore builds
    them some other way."""
    builder = getattr(provider, "_profile_provider_builder", None)
    if builder is None:  # create_credential_resolver always gives one: None means it is kept elsewhere
        _turn_off(PROFILE_PROVIDER_BUILDER)
        return False
    original: Any = getattr(builder, "_create_process_provider", None)
    if not _parameters_are(original, "profile_name"):  # botocore calls it with the profile name alone
        _turn_off(CREATE_PROCESS_PROVIDER)
        return False

    def create_process_provider(profile_name: str) -> Any:
        made = original(profile_name)  # botocore's own provider, as it would make it
        set_popen(made, popen)  # the same guard as for the default chain's provider
        return made

    return _replace(builder, "_create_process_provider", create_process_provider, CREATE_PROCESS_PROVIDER)


@contextlib.contextmanager
def botocore_signing_clock(clock: Callable[..., datetime]) -> Iterator[bool]:
    """Within the block, botocore's SigV4 signing reads the time from ``clock`` (called as
    ``botocore.compat.get_current_datetime`` is). Yields False (warned once) when this botocore's
    clock cannot be set: botocore then signs at the real time."""
    import botocore.auth

    saved = getattr(botocore.auth, "get_current_datetime", None)
    if not callable(saved):
        _turn_off(SIGNING_CLOCK)
        yield False
        return
    import botocore.signers

    post_saved = getattr(botocore.signers, "get_current_datetime", None)  # the POST policy's expiration
    setattr(botocore.auth, "get_current_datetime", clock)  # noqa: B010 (not in its typed public API)
    if callable(post_saved):
        setattr(botocore.signers, "get_current_datetime", clock)  # noqa: B010
    try:
        yield True
    finally:
        setattr(botocore.auth, "get_current_datetime", saved)  # noqa: B010
        if callable(post_saved):
            setattr(botocore.signers, "get_current_datetime", post_saved)  # noqa: B010


def _replace(owner: Any, attribute: str, value: Any, name: str) -> bool:
    """Set ``owner.attribute`` to ``value``; False (warned once about ``name``) if it cannot be set."""
    try:
        setattr(owner, attribute, value)
    except (AttributeError, TypeError):  # a read-only property, __slots__, a frozen object
        _turn_off(name)
        return False
    return True


def _parameters_are(function: Any, *names: str) -> bool:
    """Whether ``function`` is callable with exactly the parameters ``names`` (a bound method's self excluded)."""
    if not callable(function):
        return False
    try:
        return list(inspect.signature(function).parameters) == list(names)
    except (TypeError, ValueError):  # no signature to be read: not the function we know
        return False
