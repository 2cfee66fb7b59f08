"""Expiring credentials through real botocore machinery: the effective expiry, the warning,
SigV4 with the session token, and no URL at all once they have expired.

SeaweedFS knows only its static keys, so these URLs are checked for their content."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import write_credential_process

import msc_notebook as msc
from msc_notebook.core import _times as times

TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN+/=="


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _in(seconds: int) -> datetime:
    return (times.utcnow() + timedelta(seconds=seconds)).replace(microsecond=0)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _aws_profile(write_config, **options) -> None:
    write_config(
        {"aws": {"storage_provider": {"type": "s3", "options": {"base_path": "bkt", "region_name": "us-east-1", **options}}}}
    )


def _assert_sigv4_with_token(url: str) -> None:
    query = _query(url)
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Security-Token"] == TOKEN
    assert "Signature" not in query and "AWSAccessKeyId" not in query  # no SigV2


def _credential_process(home, *, key: str, token: str, expiration: str) -> None:
    """AWS profile 'process': a credential_process that counts its runs in ``home/runs``.
    ``key``, ``token`` and ``expiration`` are Python expressions over ``run``, its run number."""
    write_credential_process(home, f"""
        import json, pathlib
        from datetime import datetime, timedelta, timezone
        counter = pathlib.Path({str(home / "runs")!r})
        run = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(run))
        print(json.dumps({{"Version": 1, "AccessKeyId": {key}, "SecretAccessKey": "s",
                          "SessionToken": {token}, "Expiration": {expiration}}}))
    """, profile="process")  # fmt: skip


def _write_credential_process(home, expiration: datetime) -> None:
    """AWS profile 'process': the same credentials (ASIAPROCESS, TOKEN) each run, expiring at ``expiration``."""
    _credential_process(home, key='"ASIAPROCESS"', token=repr(TOKEN), expiration=repr(_iso(expiration)))


def test_credential_process_expiry_cuts_the_url_short(isolated_env, write_config):
    expiration = _in(1200)
    _write_credential_process(isolated_env, expiration)
    _aws_profile(write_config, profile_name="process")
    with pytest.warns(msc.CredentialExpiryWarning, match="expire") as caught:
        url = msc.generate_presigned_url("msc://aws/data.bin", signer_options={"expires_in": 7200})
    assert caught[0].filename == __file__  # points at the caller's line, not the library's
    assert url.credential_expiry == expiration
    assert url.effective_expiry == expiration
    assert url.requested_expiry == url.signed_at + timedelta(seconds=7200)
    assert url.limited_by_credentials
    assert 1100 < url.seconds_left() <= 1200
    assert re.search(r"stops working after (19|20) min, not the 2 h requested", url.warning), url.warning
    assert url.details.credential_source == "credential_process in the AWS config"
    _assert_sigv4_with_token(url)
    assert _query(url)["X-Amz-Credential"].startswith("ASIAPROCESS/")


def test_the_expiry_is_that_of_the_credentials_that_signed(isolated_env, write_config):
    """botocore refreshes credentials with under 15 min left on every use, so the process runs
    again between our expiry check and the signing: the URL carries the newer credentials,
    and its expiry must be theirs."""
    _credential_process(  # each run: a new key, expiring a minute later than the last
        isolated_env, key='f"ASIARUN{run}"', token='f"token-{run}"',
        expiration="(datetime.now(timezone.utc) + timedelta(minutes=run)).isoformat()",
    )  # fmt: skip
    _aws_profile(write_config, profile_name="process")
    with pytest.warns(msc.CredentialExpiryWarning):
        url = msc.generate_presigned_url("msc://aws/k", signer_options={"expires_in": 7200})
    runs = int((isolated_env / "runs").read_text())
    assert runs >= 2  # the process ran again for the signing
    assert _query(url)["X-Amz-Credential"].startswith(f"ASIARUN{runs}/")
    assert _query(url)["X-Amz-Security-Token"] == f"token-{runs}"
    lifetime = url.credential_expiry - url.signed_at  # signed_at is whole seconds
    assert timedelta(minutes=runs, seconds=-30) < lifetime < timedelta(minutes=runs, seconds=1)


def test_aws_credential_expiration_env_var(isolated_env, write_config, monkeypatch):
    expiration = _in(1800)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", _iso(expiration))
    _aws_profile(write_config)
    with pytest.warns(msc.CredentialExpiryWarning):
        url = msc.generate_presigned_url("msc://aws/data.bin")  # default 3600 s > 1800 s left
    assert url.effective_expiry == expiration
    _assert_sigv4_with_token(url)
    # A URL shorter than the credentials is not cut short and does not warn.
    short = msc.generate_presigned_url("msc://aws/data.bin", signer_options={"expires_in": 600})
    assert not short.limited_by_credentials and short.warning is None
    assert short.effective_expiry == short.signed_at + timedelta(seconds=600)
    assert short.credential_expiry == expiration


def test_static_credentials_without_expiry_never_limit(isolated_env, write_config, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASTATIC")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "static-secret")
    _aws_profile(write_config)
    url = msc.generate_presigned_url("msc://aws/x", signer_options={"expires_in": 604800})
    assert url.credential_expiry is None
    assert url.effective_expiry == url.requested_expiry
    assert url.warning is None
    assert url.details.credential_source.startswith("environment variables")


def test_expired_credential_process_gives_no_url(isolated_env, write_config):
    _write_credential_process(isolated_env, _in(-60))
    _aws_profile(write_config, profile_name="process")
    with pytest.raises(msc.CredentialsExpiredError, match="expired.*refresh them"):
        msc.generate_presigned_url("msc://aws/data.bin")


def test_expired_env_credentials_give_no_url(write_config, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", _iso(_in(-5)))
    _aws_profile(write_config)
    with pytest.raises(msc.CredentialsExpiredError):
        msc.generate_presigned_url("msc://aws/data.bin")


def _static_profile(**options):
    return {
        "storage_provider": {"type": "s3", "options": {"base_path": "bkt", "region_name": "us-east-1"}},
        "credentials_provider": {"type": "S3Credentials", "options": options},
    }


def test_static_config_credentials_with_expiration(write_config):
    expiration = _in(300)
    write_config(
        {"sts": _static_profile(access_key="ASIACONFIG", secret_key="cfg-secret", session_token=TOKEN,
                                expiration=_iso(expiration))}
    )  # fmt: skip
    client = msc.StorageClient(msc.StorageClientConfig.from_file("sts"))
    with pytest.warns(msc.CredentialExpiryWarning) as caught:
        url = client.generate_presigned_url("k")
    assert caught[0].filename == __file__
    assert url.effective_expiry == expiration
    _assert_sigv4_with_token(url)


def test_static_config_credentials_already_expired(write_config):
    write_config({"sts": _static_profile(access_key="A", secret_key="S", expiration=_iso(_in(-1)))})
    with pytest.raises(msc.CredentialsExpiredError, match="profile 'sts'"):
        msc.generate_presigned_url("msc://sts/k")


def _file_profile(path):
    return {
        "storage_provider": {"type": "s3", "options": {"base_path": "bkt", "region_name": "us-east-1"}},
        "credentials_provider": {"type": "FileBasedCredentials", "options": {"credential_file_path": str(path)}},
    }


def test_file_based_credentials_expiry_and_rotation(isolated_env, write_config):
    path = isolated_env / "creds.json"
    expiration = _in(900)
    path.write_text(json.dumps({"Version": 1, "AccessKeyId": "ASIAFILE1", "SecretAccessKey": "f1",
                                "SessionToken": TOKEN, "Expiration": _iso(expiration)}))  # fmt: skip
    write_config({"filecreds": _file_profile(path)})
    with pytest.warns(msc.CredentialExpiryWarning):
        url = msc.generate_presigned_url("msc://filecreds/k")
    assert url.effective_expiry == expiration
    assert _query(url)["X-Amz-Credential"].startswith("ASIAFILE1/")
    assert url.details.credential_source == "MSC credential file"

    # Rotated in place, without an expiry: picked up at the next call.
    path.write_text(json.dumps({"Version": 1, "AccessKeyId": "ASIAFILE2", "SecretAccessKey": "f2"}))
    import os

    os.utime(path, ns=(1, 1))
    url = msc.generate_presigned_url("msc://filecreds/k")
    assert _query(url)["X-Amz-Credential"].startswith("ASIAFILE2/")
    assert url.credential_expiry is None


def test_file_based_credentials_errors(isolated_env, write_config):
    path = isolated_env / "creds.json"
    write_config({"filecreds": _file_profile(path)})
    with pytest.raises(msc.CredentialsError, match="cannot read"):
        msc.generate_presigned_url("msc://filecreds/k")
    path.write_text(json.dumps({"Version": 1, "AccessKeyId": "A"}))
    msc.clear_client_cache()
    with pytest.raises(msc.CredentialsError, match="has no SecretAccessKey"):
        msc.generate_presigned_url("msc://filecreds/k")


def test_no_credentials_anywhere(write_config):
    _aws_profile(write_config)
    with pytest.raises(msc.CredentialsError, match="no AWS credentials found for profile 'aws'"):
        msc.generate_presigned_url("msc://aws/k")


def test_unknown_aws_profile_name(write_config):
    _aws_profile(write_config, profile_name="nope")
    with pytest.raises(msc.CredentialsError, match="nope"):
        msc.generate_presigned_url("msc://aws/k")


def test_s3_scheme_uses_the_default_chain(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIADEFAULTCHAIN")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    url = msc.generate_presigned_url("s3://some-bucket/path/to/obj.bin")  # no MSC config at all
    assert url.source == "s3://some-bucket/path/to/obj.bin"
    assert url.startswith("https://some-bucket.s3.amazonaws.com/path/to/obj.bin?")  # as boto3 does
    assert _query(url)["X-Amz-Credential"].startswith("AKIADEFAULTCHAIN/")
    assert "/eu-west-1/s3/aws4_request" in _query(url)["X-Amz-Credential"]


def test_s3_scheme_uses_the_profile_path_mapping_names(write_config):
    write_config({"team": _static_profile(access_key="AKIAFROMPROFILE", secret_key="s") | {
        "storage_provider": {"type": "s3", "options": {"base_path": "team-bucket", "region_name": "us-east-1"}}}},
        path_mapping={"s3://team-bucket/": "msc://team/"})
    url = msc.generate_presigned_url("s3://team-bucket/k")
    assert _query(url)["X-Amz-Credential"].startswith("AKIAFROMPROFILE/")


def test_effective_expiry_uses_timezone_aware_utc(write_config):
    write_config({"sts": _static_profile(access_key="A", secret_key="S", expiration=_iso(_in(4000)))})
    url = msc.generate_presigned_url("msc://sts/k")
    for moment in (url.signed_at, url.requested_expiry, url.effective_expiry, url.credential_expiry):
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert url.effective_expiry == url.requested_expiry < url.credential_expiry
    assert url.signed_at <= datetime.now(timezone.utc)


def _handlers(session, event: str) -> list:
    return list(session.get_component("event_emitter")._emitter._handlers.prefix_search(event))


def test_a_profile_session_has_exactly_botocore_s_own_handlers(isolated_env):
    """Profiles' sessions get botocore's builtin handlers by copying one registered emitter (quicker):
    each must hold what ``botocore.session.Session()`` holds, and its own copy of it."""
    import botocore.handlers
    import botocore.session

    from msc_notebook.s3._credentials import _new_session

    ours, theirs, other = _new_session("work"), botocore.session.Session(profile="work"), _new_session(None)
    events = sorted({spec[0] for spec in botocore.handlers.BUILTIN_HANDLERS})
    assert len(events) > 50
    for event in events:
        assert _handlers(ours, event) == _handlers(theirs, event), event
    assert ours.profile == "work" and other.profile is None
    assert ours.get_component("data_loader") is other.get_component("data_loader")  # parsed models, shared

    def extra(**kwargs) -> None:
        pass

    ours.register("before-sign.s3", extra)  # a client's own handler stays in its session
    assert extra in _handlers(ours, "before-sign.s3") and extra not in _handlers(other, "before-sign.s3")
    assert extra not in _handlers(_new_session(None), "before-sign.s3")


def test_a_source_with_nothing_new_is_not_asked_at_every_signing(isolated_env, write_config):
    """Credentials with 10 minutes left are in botocore's refresh window: it would run the process
    for every URL. Once it has answered the same twice, it is left alone (SAME_ANSWER_PAUSE)."""
    expiration = _in(600)
    _credential_process(isolated_env, key='"ASIASAME"', token='"token"', expiration=repr(_iso(expiration)))
    _aws_profile(write_config, profile_name="process")
    urls = [msc.generate_presigned_url(f"msc://aws/k{i}", warn=False) for i in range(6)]
    assert int((isolated_env / "runs").read_text()) <= 3  # the load, then two refreshes: the same answer
    assert all(_query(url)["X-Amz-Credential"].startswith("ASIASAME/") for url in urls)
    assert {url.credential_expiry for url in urls} == {expiration}


def test_a_source_with_new_credentials_is_asked_at_every_signing(isolated_env, write_config):
    _credential_process(isolated_env, key='f"ASIARUN{run}"', token='"token"',
                                 expiration=repr(_iso(_in(600))))  # fmt: skip
    _aws_profile(write_config, profile_name="process")
    keys = [_query(msc.generate_presigned_url(f"msc://aws/k{i}", warn=False))["X-Amz-Credential"] for i in range(4)]
    assert len(set(keys)) == 4  # each URL signed with the newest credentials there are
    assert int((isolated_env / "runs").read_text()) == 1 + 4  # the load, then one run per URL, not two
    # A thousand URLs at one instant: one run, and every URL carries the same credentials.
    signer = msc.StorageClient(msc.StorageClientConfig.from_file("aws")).signer()
    urls = signer.sign_many([f"k{i}" for i in range(1000)], expires_in=60, signed_at=times.utcnow().replace(microsecond=0))
    assert int((isolated_env / "runs").read_text()) <= 1 + 4 + 2  # a new client: its load, then one refresh
    assert len({_query(url)["X-Amz-Credential"] for url in urls}) == 1


def test_the_pause_ends_in_time_and_never_outlives_the_answer(monkeypatch, clock):
    from msc_notebook.s3 import _credentials as credentials

    monkeypatch.setattr(credentials, "SAME_ANSWER_PAUSE", 0.3)
    asked = []
    answer = {"access_key": "A", "secret_key": "s", "token": "t", "expiry_time": _iso(_in(600))}
    refresh = credentials._SameAnswerPause(lambda: asked.append(1) or dict(answer))
    for _ in range(5):
        assert refresh() == answer
    assert len(asked) == 2  # the second answer was the first one again: paused
    time.sleep(0.35)
    refresh()
    assert len(asked) == 3  # asked again once the pause is over
    later = times.utcnow() + timedelta(seconds=601)
    clock(later)  # the answer has expired: it is never reused
    refresh(), refresh(), refresh()
    assert len(asked) == 6
