"""botocore's private names, taken away one at a time: each optimisation built on one turns itself
off with one warning, and URLs still work on a real S3 server (SeaweedFS), with the same expiry
facts or an expiry honestly unknown (None).

A name is "taken away" as a botocore release that renamed or reshaped it would take it: msc_notebook's
code no longer finds it (or finds something of another shape), while botocore's own code still does,
so botocore itself works as before (see `hide`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import pytest
from botocore.credentials import AssumeRoleProvider, ProcessProvider, ProfileProviderBuilder, RefreshableCredentials
from conftest import BUCKET, STS_TOKEN_SECONDS, seaweed_profile, write_credential_process
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.core import _times as times
from msc_notebook.demo.seaweedfs import SeaweedFS
from msc_notebook.demo.sts import READER_ROLE
from msc_notebook.s3 import _botocore_internals as internals
from msc_notebook.s3 import _credentials
from msc_notebook.testing import freeze_clock

KEY = "botocore-internals/object.txt"
BODY = b"signed without botocore's private names\n"
SIGNS_PER_CLIENT = 4  # URLs signed with each of the two clients of a refresh test
ABSENT = object()  # `hide`: the name is not there at all


def hide(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, seen_as: Any = ABSENT) -> None:
    """Make ``name`` of ``owner`` (a botocore class, for its instances; or a botocore module) absent,
    or ``seen_as``, to code in msc_notebook; botocore's own code still finds it."""

    def look_up(attr: str, default: Callable[[str], Any]) -> Any:
        if attr == name and sys._getframe(2).f_globals.get("__name__", "").startswith("msc_notebook."):
            if seen_as is ABSENT:
                raise AttributeError(attr)
            return seen_as
        return default(attr)

    if isinstance(owner, type):

        def __getattribute__(self: Any, attr: str) -> Any:
            return look_up(attr, lambda a: object.__getattribute__(self, a))

        monkeypatch.setattr(owner, "__getattribute__", __getattribute__)
    else:

        class Module(types.ModuleType):
            def __getattribute__(self, attr: str) -> Any:
                return look_up(attr, lambda a: types.ModuleType.__getattribute__(self, a))

        monkeypatch.setattr(owner, "__class__", Module)


@pytest.fixture(autouse=True)
def warned_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: nothing warned about yet."""
    monkeypatch.setattr(internals, "_warned", set())


@contextlib.contextmanager
def warnings_about_botocore() -> Iterator[list[str]]:
    """The messages of the BotocoreInternalsWarnings given in the block (from any thread)."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", internals.BotocoreInternalsWarning)
        yield messages
    messages += [str(w.message) for w in caught if issubclass(w.category, internals.BotocoreInternalsWarning)]


def assert_one_warning(messages: list[str], name: str, server: SeaweedFS) -> None:
    assert len(messages) == 1, messages
    assert name in messages[0] and "Signing still works" in messages[0], messages[0]
    assert server.secret_key not in messages[0]


def bounded_processes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The profiles whose credential_process ran through msc_notebook's bounded Popen, one entry a run."""
    runs: list[str] = []

    class Counted(_credentials._BoundedProcess):
        def __init__(self, where: str, args: Any, **kwargs: Any) -> None:
            runs.append(where)
            super().__init__(where, args, **kwargs)

    monkeypatch.setattr(_credentials, "_BoundedProcess", Counted)
    return runs


def _in(seconds: float) -> datetime:
    return (times.utcnow() + timedelta(seconds=seconds)).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _amz_date(url: str) -> str:
    return parse_qs(urlsplit(url).query)["X-Amz-Date"][0]


def assert_works(urls: list[msc.PresignedURL]) -> None:
    for url in urls:
        response = fetch(url)
        assert response.status_code == 200, response.text
        assert response.content == BODY


def sign_with_two_clients(source: str, count: int = 1, **options: Any) -> list[msc.PresignedURL]:
    """``count`` URLs with one client, then ``count`` with a new one: each loads the credentials afresh."""
    urls = []
    for _ in range(2):
        msc.clear_client_cache()
        urls += [msc.generate_presigned_url(source, **options) for _ in range(count)]
    return urls


# The profiles, each signing through one of the paths a private name serves.


def through_aws_profile(server: SeaweedFS, aws_profile: str) -> dict[str, Any]:
    """An MSC profile on the server whose credentials are those of AWS profile ``aws_profile``."""
    storage = seaweed_profile(server)["storage_provider"]
    return {"storage_provider": {**storage, "options": {**storage["options"], "profile_name": aws_profile}}}


def expiring_static_profile(server: SeaweedFS, write_config: Callable[..., Path], left: float) -> datetime:
    """Profile 'expiring': the server's keys with an expiration ``left`` seconds away (returned)."""
    expiration = _in(left)
    write_config({"expiring": seaweed_profile(server, expiration=_iso(expiration))})
    return expiration


def process_profile(home: Path, server: SeaweedFS, write_config: Callable[..., Path], left: float) -> datetime:
    """Profile 'process': the AWS profile's credential_process answers the server's keys, expiring
    ``left`` seconds away (returned), and counts its runs in ``home/runs``."""
    expiration = _in(left)
    answer = {"Version": 1, "AccessKeyId": server.access_key, "SecretAccessKey": server.secret_key,
              "Expiration": _iso(expiration)}  # fmt: skip
    write_credential_process(home, f"""
        import pathlib
        runs = pathlib.Path({str(home / "runs")!r})
        runs.write_text(str(int(runs.read_text()) + 1 if runs.exists() else 1))
        print({json.dumps(json.dumps(answer))})
    """, profile="process")  # fmt: skip
    write_config({"process": through_aws_profile(server, "process")})
    return expiration


def runs(home: Path) -> int:
    return int((home / "runs").read_text())


def role_profile(
    home: Path, server: SeaweedFS, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Profile 'role': AssumeRole(ReaderRole) on the server's STS, with a source_profile whose
    credential_process answers the server's keys."""
    answer = {"Version": 1, "AccessKeyId": server.access_key, "SecretAccessKey": server.secret_key}
    write_credential_process(home, f"print({json.dumps(json.dumps(answer))})", profile="source")
    with (home / ".aws" / "config").open("a") as config:
        config.write(f"\n[profile role]\nregion = us-east-1\nrole_arn = {READER_ROLE.arn}\nsource_profile = source\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.endpoint_url)
    write_config({"role": through_aws_profile(server, "role")})


def assert_role_credentials(urls: list[msc.PresignedURL]) -> None:
    for url in urls:  # STS's own expiry: the URL is cut short to it
        assert url.signed_at < url.credential_expiry <= url.signed_at + timedelta(seconds=STS_TOKEN_SECONDS + 1)
        assert url.effective_expiry == url.credential_expiry
        assert parse_qs(urlsplit(url).query)["X-Amz-Credential"][0].startswith("ASIA")


def two_clocks_profiles(server: SeaweedFS, write_config: Callable[..., Path]) -> tuple[str, str]:
    """A source the fast path signs, and one botocore signs (its paths name their bucket)."""
    write_config({"fast": seaweed_profile(server), "any-bucket": seaweed_profile(server, base_path="")})
    return f"msc://fast/{KEY}", f"msc://any-bucket/{BUCKET}/{KEY}"


def sign_frozen(sources: tuple[str, str], frozen: datetime) -> list[msc.PresignedURL]:
    urls = []
    for _ in range(2):
        with freeze_clock(frozen):
            msc.clear_client_cache()
            urls += [msc.generate_presigned_url(source) for source in sources]
    return urls


@pytest.fixture
def stored(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=BODY)


@pytest.fixture
def sts_stored(sts_seaweedfs: SeaweedFS) -> SeaweedFS:
    sts_seaweedfs.client().put_object(Bucket=BUCKET, Key=KEY, Body=BODY)
    return sts_seaweedfs


# Everything there: nothing turned off.


def test_with_everything_present_nothing_is_turned_off(
    isolated_env, seaweedfs, stored, sts_stored, write_config, monkeypatch
):
    bounded = bounded_processes(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", internals.BotocoreInternalsWarning)
        expiration = expiring_static_profile(seaweedfs, write_config, 7200)
        static = sign_with_two_clients("msc://expiring/" + KEY)
        assert {url.credential_expiry for url in static} == {expiration}
        assert_works(static)

        expiration = process_profile(isolated_env, seaweedfs, write_config, 600)  # botocore refreshes at each use
        processed = sign_with_two_clients("msc://process/" + KEY, SIGNS_PER_CLIENT, signer_options={"expires_in": 300})
        assert {url.credential_expiry for url in processed} == {expiration}
        assert runs(isolated_env) <= 2 * 3  # each client: its load, then two refreshes with the same answer
        assert bounded == ["profile 'process'"] * runs(isolated_env)
        assert_works(processed)

        bounded.clear()
        role_profile(isolated_env, sts_stored, write_config, monkeypatch)
        roles = sign_with_two_clients("msc://role/" + KEY, warn=False)
        assert bounded and set(bounded) == {"profile 'role'"}  # the source_profile's process, bounded
        assert_role_credentials(roles)
        assert_works(roles)

        frozen = _in(-30)
        fast, slow = sign_frozen(two_clocks_profiles(seaweedfs, write_config), frozen)[:2]
        assert fast.signed_at == slow.signed_at == frozen
        assert _amz_date(slow) == frozen.strftime("%Y%m%dT%H%M%SZ")
        assert_works([fast, slow])


# Each name taken away, or of another shape.


@pytest.mark.parametrize("seen_as", [ABSENT, "2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12)],
                         ids=["absent", "text", "naive"])  # fmt: skip
def test_without_the_expiry_it_is_unknown(seaweedfs, stored, write_config, monkeypatch, seen_as):
    expiring_static_profile(seaweedfs, write_config, 7200)
    hide(monkeypatch, RefreshableCredentials, "_expiry_time", seen_as)
    with warnings_about_botocore() as messages:
        urls = sign_with_two_clients("msc://expiring/" + KEY)
        status = msc.StorageClient(msc.StorageClientConfig.from_file("expiring")).signer().credentials()
    assert_one_warning(messages, internals.EXPIRY_TIME, seaweedfs)
    assert status.expiry is None and status.access_key == seaweedfs.access_key
    for url in urls:
        assert url.credential_expiry is None and url.effective_expiry == url.requested_expiry
    assert_works(urls)


def test_without_the_expiry_expired_credentials_are_still_refused(seaweedfs, write_config, monkeypatch):
    expiring_static_profile(seaweedfs, write_config, -60)
    hide(monkeypatch, RefreshableCredentials, "_expiry_time")
    with pytest.raises(msc.CredentialsExpiredError, match="profile 'expiring'"):
        msc.generate_presigned_url("msc://expiring/" + KEY)  # botocore's own refresh finds them expired


@pytest.mark.parametrize("seen_as", [ABSENT, None], ids=["absent", "not callable"])
def test_without_the_refresh_function_every_refresh_asks_the_source(
    isolated_env, seaweedfs, stored, write_config, monkeypatch, seen_as
):
    expiration = process_profile(isolated_env, seaweedfs, write_config, 600)  # botocore refreshes at each use
    hide(monkeypatch, RefreshableCredentials, "_refresh_using", seen_as)
    with warnings_about_botocore() as messages:
        urls = sign_with_two_clients("msc://process/" + KEY, SIGNS_PER_CLIENT, signer_options={"expires_in": 300})
    assert_one_warning(messages, internals.REFRESH_USING, seaweedfs)
    assert runs(isolated_env) >= 2 * (1 + SIGNS_PER_CLIENT)  # no pause: asked for every URL
    assert {url.credential_expiry for url in urls} == {expiration}
    assert_works(urls)


@pytest.mark.parametrize("seen_as", [ABSENT, "subprocess.Popen"], ids=["absent", "not callable"])
def test_without_the_popen_botocore_runs_the_credential_process(
    isolated_env, seaweedfs, stored, write_config, monkeypatch, seen_as
):
    bounded = bounded_processes(monkeypatch)
    expiration = process_profile(isolated_env, seaweedfs, write_config, 7200)
    hide(monkeypatch, ProcessProvider, "_popen", seen_as)
    with warnings_about_botocore() as messages:
        urls = sign_with_two_clients("msc://process/" + KEY)
    assert_one_warning(messages, internals.POPEN, seaweedfs)
    assert runs(isolated_env) == 2 and bounded == []  # it ran, botocore's way
    assert {url.credential_expiry for url in urls} == {expiration}
    assert_works(urls)


def test_without_the_popen_the_wait_for_credentials_is_still_bounded(
    isolated_env, seaweedfs, write_config, monkeypatch
):
    pid_file = isolated_env / "pid"
    write_credential_process(isolated_env, f"""
        import os, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(600)
    """, profile="slow")  # fmt: skip
    write_config({"slow": through_aws_profile(seaweedfs, "slow")})
    monkeypatch.setenv(msc.CREDENTIALS_TIMEOUT_ENV, "1")
    hide(monkeypatch, ProcessProvider, "_popen")
    started = time.monotonic()
    try:
        with pytest.warns(internals.BotocoreInternalsWarning, match=internals.POPEN):
            with pytest.raises(msc.CredentialsError, match="took longer than 1 s"):
                msc.generate_presigned_url("msc://slow/" + KEY)
        assert time.monotonic() - started < 5
    finally:
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)  # botocore's Popen does not stop it: we do


@pytest.mark.parametrize(
    ("owner", "name", "seen_as", "warned"),
    [
        (AssumeRoleProvider, "_profile_provider_builder", ABSENT, internals.PROFILE_PROVIDER_BUILDER),
        (AssumeRoleProvider, "_profile_provider_builder", None, internals.PROFILE_PROVIDER_BUILDER),
        (AssumeRoleProvider, "_profile_provider_builder", object(), internals.CREATE_PROCESS_PROVIDER),
        (ProfileProviderBuilder, "_create_process_provider", ABSENT, internals.CREATE_PROCESS_PROVIDER),
        (ProfileProviderBuilder, "_create_process_provider", lambda profile_name, disable_env_vars: None,
         internals.CREATE_PROCESS_PROVIDER),
    ],
    ids=["builder absent", "builder None", "builder of another shape", "method absent", "method of another shape"],
)  # fmt: skip
def test_without_the_source_profile_builder_botocore_runs_its_process(
    isolated_env, sts_stored, write_config, monkeypatch, owner, name, seen_as, warned
):
    bounded = bounded_processes(monkeypatch)
    role_profile(isolated_env, sts_stored, write_config, monkeypatch)
    hide(monkeypatch, owner, name, seen_as)
    with warnings_about_botocore() as messages:
        urls = sign_with_two_clients("msc://role/" + KEY, warn=False)
    assert_one_warning(messages, warned, sts_stored)
    assert bounded == []  # the source_profile's process ran, botocore's way
    assert_role_credentials(urls)
    assert_works(urls)


@pytest.mark.parametrize("seen_as", [ABSENT, "a clock that cannot be called"], ids=["absent", "not callable"])
def test_without_botocore_s_clock_freeze_clock_freezes_ours(seaweedfs, stored, write_config, monkeypatch, seen_as):
    sources = two_clocks_profiles(seaweedfs, write_config)
    hide(monkeypatch, botocore.auth, "get_current_datetime", seen_as)
    frozen = _in(-30)
    with warnings_about_botocore() as messages:
        urls = sign_frozen(sources, frozen)
    assert_one_warning(messages, internals.SIGNING_CLOCK, seaweedfs)
    fast, slow = urls[:2]
    assert fast.signed_at == frozen and _amz_date(fast) == frozen.strftime("%Y%m%dT%H%M%SZ")
    assert slow.signed_at > frozen  # botocore signed at the real time
    assert_works(urls)


# The warning itself, and a refresh function called in a way botocore does not call it today.


def test_each_name_is_warned_about_once_from_many_threads():
    with warnings_about_botocore() as messages:
        threads = [threading.Thread(target=internals._turn_off, args=(name,))
                   for name in (internals.POPEN, internals.EXPIRY_TIME) for _ in range(8)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(messages) == 2, messages
    assert {internals.POPEN in messages[0], internals.POPEN in messages[1]} == {True, False}
    assert any(internals.EXPIRY_TIME in message for message in messages)


def test_a_refresh_called_with_arguments_is_passed_on_without_a_pause():
    asked = []
    answer = {"access_key": "A", "secret_key": "s", "token": None, "expiry_time": _iso(_in(600))}
    refresh = _credentials._SameAnswerPause(lambda *args, **kwargs: asked.append((args, kwargs)) or dict(answer))
    for _ in range(3):
        assert refresh("mandatory", lenient=True) == answer
    assert asked == [(("mandatory",), {"lenient": True})] * 3
