"""Where a profile's AWS credentials come from, and when they expire.

Every source ends up as a botocore credential object inside a botocore session, so
the S3 client signs with exactly the credentials whose expiry we read:

* ``S3Credentials`` (static keys in the config, optional ``session_token`` and
  ``expiration``, the latter our addition to MSC's options);
* ``FileBasedCredentials`` (MSC's JSON file in the AWS credential_process format);
* nothing: the AWS default chain (environment incl. ``AWS_CREDENTIAL_EXPIRATION``,
  shared files, ``credential_process``, assume-role, SSO, container, IMDS),
  optionally for a named AWS ``profile_name``.

Expiry comes from botocore's credential object itself (botocore tracks it but has no public
accessor): `_botocore_internals` reads it, as it makes every other use of a botocore private
name, each guarded so that a botocore without it still signs, with the expiry reported unknown.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..core import _times as times
from ..core._bounds import CREDENTIALS_TIMEOUT_ENV, credentials_timeout
from ..core._config import FILE_CREDENTIALS
from ..core._errors import ConfigParseError, CredentialsError, CredentialsExpiredError, PresignError
from ..core._result import CredentialStatus
from . import _botocore_internals as internals

if TYPE_CHECKING:
    import botocore.session
    from botocore.credentials import CredentialProvider, CredentialResolver, Credentials

    from ..core._config import StorageClientConfig

_T = TypeVar("_T")

STATIC_CREDENTIALS = "S3Credentials"
# ais_s3 without a credentials_provider: MSC signs with placeholder keys, which an
# AIStore without authentication accepts; the result's credential source says so.
AIS_NO_CREDENTIALS = "ais-no-credentials"
_AIS_PLACEHOLDER_KEYS = {"access_key": "FAKEKEY", "secret_key": "FAKESECRET", "token": None, "expiry_time": None}
_OPTIONS = {
    STATIC_CREDENTIALS: ({"access_key", "secret_key"}, {"session_token", "expiration"}),
    FILE_CREDENTIALS: ({"credential_file_path"}, set()),
}

# botocore's provider METHOD names, as a user would recognise the source.
_SOURCE_NAMES = {
    "env": "environment variables (AWS_ACCESS_KEY_ID, ...)",
    "shared-credentials-file": "AWS shared credentials file",
    "config-file": "AWS config file",
    "custom-process": "credential_process in the AWS config",
    "assume-role": "assumed IAM role",
    "assume-role-with-web-identity": "IAM role via web identity",
    "sso": "AWS IAM Identity Center (SSO)",
    "login": "AWS console login session",
    "container-role": "container credentials (ECS/EKS)",
    "iam-role": "EC2 instance profile (IMDS)",
    "boto-config": "boto config file",
    "ec2-credentials-file": "EC2 credentials file",
    "explicit": "explicit keys",
    "msc-config": "keys in the MSC config",
    "msc-credential-file": "MSC credential file",
    AIS_NO_CREDENTIALS: "no credentials (MSC's placeholder keys: AIStore without authentication ignores the signature)",
}


def parse_expiration(value: Any, where: str) -> datetime:
    """An ISO-8601 expiration (string or YAML timestamp) as aware UTC."""
    parsed = times.parse_time(value)
    if parsed is None:
        raise ConfigParseError(f"{where}: expiration is not an ISO-8601 time such as 2026-01-31T12:00:00Z")
    return parsed


class AWSCredentials:
    """A profile's AWS credentials: a botocore session that holds them, and their status.

    Loading them may run a credential_process or call SSO, STS, a container endpoint or
    IMDS; every such wait is bounded by `credentials_timeout`, and a credential_process
    still running at the bound is killed. Safe to use from many threads.
    """

    def __init__(self, config: StorageClientConfig, *, read_files: bool = True) -> None:
        """``read_files=False``: the session never reads the AWS config and credential files (a
        worker of a Dask share, which signs with credentials it was sent)."""
        self._config = config
        self._where = f"profile {config.profile!r}"
        self._lock = threading.Lock()
        self._loaded: Credentials | None = None
        self.session = _new_session(config.provider_options.get("profile_name") or None)
        if not read_files:
            for variable in ("config_file", "credentials_file"):  # botocore reads these paths lazily
                self.session.set_config_variable(variable, os.devnull)

    def status(self) -> CredentialStatus:
        """Load (refreshing if due) the credentials and report their expiry.

        Raises CredentialsExpiredError if they have already expired, so no URL that is
        dead on arrival is ever handed out.
        """
        return self.current()[0]

    def current(self) -> tuple[CredentialStatus, Any]:
        """The credentials to sign with now (botocore's frozen triple) and their status, from one
        load: botocore refreshes credentials with under 15 minutes left on every use, so two
        loads could give two sets, and the URL would outlive the expiry shown."""
        with self._lock:  # a botocore session is not thread-safe; loading is rare, so one at a time
            credentials, frozen = self._load()
            expiry = internals.credential_expiry(credentials)  # set by the same refresh as `frozen`
        if frozen is None or not frozen.access_key:
            raise CredentialsError(
                f"no AWS credentials found for {self._where}: add a credentials_provider to the profile, "
                f"or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an AWS profile, SSO or a role"
            )
        if expiry is not None:
            expiry = expiry.astimezone(timezone.utc)
            if expiry <= times.utcnow():
                raise CredentialsExpiredError(
                    f"the credentials of {self._where} expired at {times.utc_text(expiry)}; {_REFRESH_HINT}"
                )
        method = getattr(credentials, "method", None) or ""
        return CredentialStatus(frozen.access_key, _SOURCE_NAMES.get(method, method or "unknown"), expiry), frozen

    def _load(self) -> tuple[Credentials | None, Any]:
        from botocore.credentials import RefreshableCredentials

        credentials = self._loaded
        if credentials is None:
            credentials = self._loaded = self._bounded(self._resolve)
        if credentials is None:
            return None, None
        if isinstance(credentials, RefreshableCredentials) and credentials.refresh_needed():
            return credentials, self._bounded(credentials.get_frozen_credentials)
        return credentials, credentials.get_frozen_credentials()  # static, or fresh enough: no wait

    def resolve(self) -> None:
        """Find the credentials (once; no refresh): a client made from `session` then signs with them."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._bounded(self._resolve)

    def _resolve(self) -> Credentials | None:
        # Reading the AWS config (profile_name, credential_process, ...) happens here, within the bound.
        from botocore.credentials import RefreshableCredentials

        self.session.register_component("credential_provider", _resolver(self.session, self._config, self._where))
        credentials = self.session.get_credentials()
        if isinstance(credentials, RefreshableCredentials):
            internals.wrap_refresh(credentials, _SameAnswerPause)  # without it, every refresh asks the source
        return credentials

    def _bounded(self, load: Callable[[], _T]) -> _T:
        """``load()``, translated to our errors, given at most `credentials_timeout` seconds."""
        import botocore.exceptions

        bound = _LoadBound(credentials_timeout())
        outcome: dict[str, Any] = {}

        def run() -> None:
            _current_load.bound = bound  # this thread runs this load only: its credential_process ends at the deadline
            try:
                outcome["value"] = load()
            except BaseException as exc:  # handed to the waiting thread below
                outcome["error"] = exc

        # A daemon thread, so a wait that outlives the bound cannot keep the process alive;
        # botocore's own network calls end by themselves, a credential_process is killed.
        worker = threading.Thread(target=run, name="msc-notebook-credentials", daemon=True)
        worker.start()
        worker.join(bound.timeout)
        if worker.is_alive() and bound.processes:
            worker.join(_KILL_GRACE)  # it is being killed now: let it say which program it was
        if worker.is_alive():
            raise CredentialsError(
                f"loading the credentials of {self._where} took longer than {bound.timeout:g} s and was "
                f"abandoned; check the network and the credential source (SSO, role, container or "
                f"instance credentials), or set ${CREDENTIALS_TIMEOUT_ENV} to wait longer"
            )
        error = outcome.get("error")
        if error is None:
            value: _T = outcome["value"]  # run() ended without an error: it set the value
            return value
        if isinstance(error, PresignError):
            raise error
        if isinstance(error, RuntimeError):  # botocore: "refreshed credentials are still expired"
            raise CredentialsExpiredError(f"the credentials of {self._where} have expired; {_REFRESH_HINT}") from None
        if isinstance(error, botocore.exceptions.ProfileNotFound):
            raise CredentialsError(f"{self._where}: {error}; check profile_name against ~/.aws/config") from None
        if isinstance(error, botocore.exceptions.CredentialRetrievalError):
            # Its message carries the source's output (stderr), which may hold secrets.
            raise CredentialsError(
                f"cannot load the credentials of {self._where}: {error.kwargs.get('provider', 'the source')} "
                f"failed (its output is not shown, as it may hold secrets; run it by hand to see why). "
                f"{_REFRESH_HINT}"
            ) from None
        if isinstance(error, (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError, ValueError)):
            raise CredentialsError(f"cannot load the credentials of {self._where}: {error}. {_REFRESH_HINT}") from None
        raise error


_loaders: dict[str | None, Any] = {}
_builtin_events: list[Any] = []  # one emitter holding botocore's builtin handlers, copied per session
_shared_lock = threading.Lock()


def _new_session(profile: str | None) -> botocore.session.Session:
    """A botocore session for one MSC profile, as ``botocore.session.Session(profile=...)`` makes it,
    but built from parts shared by every session (a new profile's first client is quicker):

    - the builtin event handlers are registered once and copied: registering them inspects
      each handler, 15 ms a session, against 1.3 ms for the copy (botocore copies emitters
      the same way for each client);
    - one data loader caches the parsed service models: a fresh one parses S3's 1 MB model again.
    """
    import botocore.session
    from botocore.hooks import HierarchicalEmitter

    with _shared_lock:
        if not _builtin_events:
            events = HierarchicalEmitter()
            botocore.session.Session(event_hooks=events)  # registers the builtin handlers into it
            _builtin_events.append(events)
        data_path = os.environ.get("AWS_DATA_PATH")  # what botocore's own session would read
        if data_path not in _loaders:
            from botocore.loaders import create_loader

            _loaders[data_path] = create_loader(data_path)
        events, loader = copy.copy(_builtin_events[0]), _loaders[data_path]
    session = botocore.session.Session(event_hooks=events, include_builtin_handlers=False, profile=profile)
    session.register_component("data_loader", loader)
    return session


_REFRESH_HINT = (
    "refresh them (e.g. `aws sso login`, a new STS session, or new keys in the config) and sign again"
)
_KILL_GRACE = 2.0  # seconds for a credential_process killed at the bound to be reported before the thread is abandoned


SAME_ANSWER_PAUSE = 30.0  # seconds a source that answered the same credentials twice is not asked again


class _SameAnswerPause:
    """A refreshable credential's refresh function that does not ask a source with nothing new.

    botocore refreshes credentials with under 15 minutes left on every use. A source that
    serves a cache (a credential_process around ``aws configure export-credentials``, SSO)
    answers the same credentials each time, and a credential_process takes 0.7–3 s here:
    every URL signed in those 15 minutes would wait for it. Once two answers in a row are the
    same, the source is not asked again for `SAME_ANSWER_PAUSE` seconds, unless that answer
    has expired. A source with new credentials each time (STS AssumeRole) is asked every
    time, so each URL still gets the longest life there is.
    """

    def __init__(self, refresh: Callable[..., dict[str, Any]]) -> None:
        self._refresh = refresh
        self._lock = threading.Lock()  # botocore refreshes under its own lock; this one guards our fields
        self._last: dict[str, Any] | None = None
        self._paused_until = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:  # a botocore that passes arguments: what they mean is unknown, so no pause
            return self._refresh(*args, **kwargs)
        with self._lock:
            if self._last is not None and time.monotonic() < self._paused_until and not _answer_expired(self._last):
                return self._last
            answer = self._refresh()
            self._paused_until = time.monotonic() + SAME_ANSWER_PAUSE if answer == self._last else 0.0
            self._last = answer
            return answer


def _answer_expired(answer: Mapping[str, Any]) -> bool:
    """Whether a refresh answer (botocore's metadata, ``expiry_time``) has expired; one whose
    expiry cannot be read counts as expired, so the source is asked again."""
    expiry = times.parse_time(answer.get("expiry_time"))
    return expiry is None or expiry <= times.utcnow()


class _LoadBound:
    """One credentials load's deadline, shared by the wait for it and by any credential_process it runs."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.processes = 0  # credential_process runs under way


_current_load = threading.local()  # .bound: the _LoadBound of the load running on this thread, if any


def _resolver(session: botocore.session.Session, config: StorageClientConfig, where: str) -> CredentialResolver:
    """The profile's credential provider(s): the explicit one, or botocore's default chain with
    every credential_process bounded (where this botocore lets it be)."""
    from botocore.credentials import AssumeRoleProvider, CredentialResolver, ProcessProvider, create_credential_resolver

    explicit = _explicit_provider(config)
    if explicit is not None:
        return CredentialResolver(providers=[explicit])
    resolver = create_credential_resolver(session)
    popen = functools.partial(_BoundedProcess, where)
    for provider in resolver.providers:
        if isinstance(provider, ProcessProvider):
            internals.set_popen(provider, popen)
        elif isinstance(provider, AssumeRoleProvider):
            # A role's source profile may use a credential_process too; botocore builds that
            # provider on demand, without a popen argument: it gets ours once built.
            internals.set_source_profile_popen(provider, popen)
    return resolver


class _BoundedProcess(subprocess.Popen[bytes]):
    """The ``Popen`` botocore runs a credential_process with: it gets `credentials_timeout`
    seconds, then it and its children are killed, and nothing it printed is repeated."""

    def __init__(self, where: str, args: Any, **kwargs: Any) -> None:
        self._where = where
        # Its own process group, so that it is killed with its children.
        super().__init__(args, **{**kwargs, "start_new_session": True})

    def communicate(
        self, input: bytes | None = None, timeout: float | None = None  # noqa: A002 (Popen's own signature)
    ) -> tuple[Any, Any]:
        bound = getattr(_current_load, "bound", None)  # None when botocore refreshes while signing
        limit = bound.timeout if bound else credentials_timeout()
        if bound:
            bound.processes += 1  # only this load's thread counts
        try:
            return super().communicate(input, timeout=max(0.0, bound.deadline - time.monotonic()) if bound else limit)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.wait(_KILL_GRACE)
            program = self.args[0] if isinstance(self.args, (list, tuple)) and self.args else str(self.args).split()[0]
            raise CredentialsError(
                f"the credential_process of {self._where} ({program}) did not finish within {limit:g} s and "
                f"was stopped (its output is not shown); fix or speed it up, or set "
                f"${CREDENTIALS_TIMEOUT_ENV} to wait longer"
            ) from None
        finally:
            if bound:
                bound.processes -= 1


def _explicit_provider(config: StorageClientConfig) -> CredentialProvider | None:
    """A botocore CredentialProvider for the profile's credentials_provider, or None."""
    kind = config.credentials_type
    if kind is None and config.provider_type == "ais_s3":
        return _metadata_provider(AIS_NO_CREDENTIALS, lambda: _AIS_PLACEHOLDER_KEYS)
    if kind is None:
        return None
    where = f"profile {config.profile!r} credentials_provider"
    if kind not in _OPTIONS:
        # The type is not repeated: in a credentials section any value may be a secret.
        raise ConfigParseError(
            f"{where}: this type cannot sign S3 URLs; use {STATIC_CREDENTIALS}, "
            f"{FILE_CREDENTIALS}, or leave credentials_provider out for the AWS default chain",
            field="profile",
        )
    required, optional = _OPTIONS[kind]
    options = config.credentials_options
    missing = sorted(required - set(options))
    unknown = set(options) - required - optional
    if missing or unknown:
        # Unknown names are counted, not shown: a typo such as "secret_key SECRET" makes the
        # secret part of a key name.
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"{len(unknown)} unknown option{'s' if len(unknown) > 1 else ''} (not shown: "
                     f"a typo may hold a secret)"] if unknown else []  # fmt: skip
        raise ConfigParseError(
            f"{where} ({kind}): {'; '.join(problems)}; options are {', '.join(sorted(required | optional))}",
            field="profile",
        )
    for name in sorted(options):
        value = options[name]
        if name == "expiration" or (value is None and name in optional):
            continue
        if not isinstance(value, str) or (name in required and not value):
            # Never str() a mapping or a number into a key: that signs wrongly, silently.
            raise ConfigParseError(
                f"{where} ({kind}): {name} must be a non-empty string, not a {type(value).__name__} "
                f"(quote it in YAML)",
                field="profile",
            )
    if kind == STATIC_CREDENTIALS:
        metadata = {
            "access_key": options["access_key"],
            "secret_key": options["secret_key"],
            "token": options.get("session_token") or None,
            "expiry_time": options.get("expiration"),
        }
        if metadata["expiry_time"] is not None:
            metadata["expiry_time"] = parse_expiration(metadata["expiry_time"], where).isoformat()
        return _metadata_provider("msc-config", lambda: metadata)
    path = Path(options["credential_file_path"]).expanduser()
    return _metadata_provider("msc-credential-file", lambda: _read_credential_file(path, where))


def _read_credential_file(path: Path, where: str) -> dict[str, Any]:
    """MSC's FileBasedCredentials file: the AWS credential_process JSON format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialsError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise CredentialsError(f"{where}: {path} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, Mapping) or data.get("Version") != 1:
        raise CredentialsError(f"{where}: {path} must be a JSON object with \"Version\": 1")
    for key in ("AccessKeyId", "SecretAccessKey"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise CredentialsError(f"{where}: {path} has no {key}")
    expiration = data.get("Expiration")
    return {
        "access_key": data["AccessKeyId"],
        "secret_key": data["SecretAccessKey"],
        "token": data.get("SessionToken") or None,
        "expiry_time": parse_expiration(expiration, f"{where} {path}").isoformat() if expiration else None,
    }


def _metadata_provider(method: str, fetch: Callable[[], dict[str, Any]]) -> CredentialProvider:
    """A botocore CredentialProvider over a metadata function (refreshable if it expires).

    The class is made here, not at module level, so importing this module stays
    free of botocore.
    """
    from botocore.credentials import CredentialProvider, Credentials, RefreshableCredentials

    class MetadataProvider(CredentialProvider):
        METHOD = method

        def load(self) -> Credentials:
            metadata = fetch()
            if metadata["expiry_time"] is None:
                return Credentials(metadata["access_key"], metadata["secret_key"], metadata["token"], method=method)
            return RefreshableCredentials.create_from_metadata(metadata, refresh_using=fetch, method=method)

    return MetadataProvider()
