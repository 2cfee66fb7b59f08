"""Temporary credentials, refused for real: URLs signed with credentials from a real
AssumeRole against SeaweedFS's STS stop working at the moment our effective_expiry says.

The credentials reach msc_notebook the ways users' do: a credential_process in the AWS
config (the demo's own, msc_notebook.demo.sts_process), and MSC's FileBasedCredentials.
They live STS_TOKEN_SECONDS. The URLs that must be watched until they die are signed
once per module and watched concurrently, so the module waits one credential lifetime.
"""

from __future__ import annotations

import base64
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from conftest import BUCKET, STS_TOKEN_SECONDS, isolate
from support.http_client import fetch
from support.sts import (
    FILE_PROFILE,
    READER_PROFILE,
    WRITER_PROFILE,
    Attempt,
    msc_1_3_1_s3_client,
    seconds,
    use_until_refused,
    write_credential_file,
    write_sts_config,
)

import msc_notebook as msc

pytestmark = pytest.mark.e2e  # slow: waits for real STS credentials to expire on SeaweedFS

SHORT_EXPIRES_IN = 3  # s: a URL that ends before its credentials do
# How long after the effective expiry a URL may still be accepted: the recipient polls every
# 0.25 s and a request takes a moment (measured: refused 0.04-0.45 s after it).
LATE_BY_AT_MOST = timedelta(seconds=1.5)
WATCH_BEYOND = timedelta(seconds=10)  # the bound on watching a URL that is never refused
HELLO = b"hello from a temporary-credential test\n"


@dataclass
class Watched:
    url: msc.PresignedURL
    warnings: list[str]  # the CredentialExpiryWarnings signing it raised
    attempts: Future[list[Attempt]]  # a recipient using it until it is refused

    def outcome(self) -> list[Attempt]:
        return self.attempts.result(timeout=STS_TOKEN_SECONDS + 60)


@pytest.fixture(scope="module")
def hello(sts_seaweedfs) -> None:
    """The object the GET URLs point at."""
    sts_seaweedfs.client().put_object(Bucket=BUCKET, Key="hello.txt", Body=HELLO)


@pytest.fixture(scope="module")
def watched(sts_seaweedfs, hello, tmp_path_factory):
    """Sign each URL the expiry tests look at, and start a recipient on each at once."""
    signed: dict[str, Watched] = {}
    with ThreadPoolExecutor(max_workers=5) as pool:
        with pytest.MonkeyPatch.context() as monkeypatch:
            home = tmp_path_factory.mktemp("sts-home")
            isolate(monkeypatch, home)
            monkeypatch.setenv("MSC_CONFIG", str(write_sts_config(sts_seaweedfs, home)))
            msc.clear_client_cache()

            def sign(name: str, source: str, method: str, expires_in: int) -> None:
                options = {"expires_in": expires_in}
                if expires_in > STS_TOKEN_SECONDS:
                    with pytest.warns(msc.CredentialExpiryWarning) as caught:
                        url = msc.generate_presigned_url(source, method=method, signer_options=options)
                else:  # pyproject turns any CredentialExpiryWarning into an error: none may fire here
                    caught = []
                    url = msc.generate_presigned_url(source, method=method, signer_options=options)
                until = url.effective_expiry + WATCH_BEYOND
                signed[name] = Watched(url, [str(w.message) for w in caught],
                                       pool.submit(use_until_refused, url, method, until=until))  # fmt: skip

            sign("get", f"msc://{READER_PROFILE}/hello.txt", "GET", 3600)
            sign("get-short", f"msc://{READER_PROFILE}/hello.txt", "GET", SHORT_EXPIRES_IN)
            sign("put", f"msc://{WRITER_PROFILE}/uploads/long.txt", "PUT", 3600)
            sign("put-short", f"msc://{WRITER_PROFILE}/uploads/short.txt", "PUT", SHORT_EXPIRES_IN)
            write_credential_file(sts_seaweedfs, home)
            sign("file", f"msc://{FILE_PROFILE}/hello.txt", "GET", 3600)
        msc.clear_client_cache()
        yield signed


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def assert_refused_when_due(attempts: list[Attempt], due: datetime, error_code: str) -> None:
    """Accepted at first, refused with ``error_code`` from ``due`` on: never before, at most
    LATE_BY_AT_MOST after."""
    timeline = [(seconds(a.sent - due), a.status) for a in attempts]  # shown if an assertion fails
    assert attempts[0].status in (200, 201), timeline
    refusal = attempts[-1]
    assert refusal.status == 403, timeline
    assert refusal.error_code == error_code, (refusal.error_code, timeline)
    assert refusal.answered >= due, timeline  # alive for as long as the countdown promised
    assert refusal.sent <= due + LATE_BY_AT_MOST, timeline  # and dead when it reached zero


def test_the_credentials_come_from_a_real_assume_role(watched):
    for name, source in (("get", "credential_process in the AWS config"), ("file", "MSC credential file")):
        url = watched[name].url
        query = _query(url)
        assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
        assert query["X-Amz-Credential"].startswith("ASIA")  # a temporary key from STS
        assert query["X-Amz-Security-Token"].count(".") == 2  # SeaweedFS's session token is a JWT
        assert url.details.credential_source == source
        lifetime = (url.credential_expiry - url.signed_at).total_seconds()  # both whole seconds
        assert 0 < lifetime <= STS_TOKEN_SECONDS, (name, lifetime)
        if name == "get":  # the credential_process ran during the signing: the credentials are new
            assert lifetime >= STS_TOKEN_SECONDS - 2, lifetime
        # The expiry shown is the one the server enforces for this URL's session: its token's exp.
        claims = query["X-Amz-Security-Token"].split(".")[1]
        exp = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["exp"]
        assert url.credential_expiry == datetime.fromtimestamp(exp, timezone.utc), name


def test_a_get_url_is_refused_when_its_credentials_expire(watched):
    get = watched["get"]
    assert get.url.limited_by_credentials and get.url.effective_expiry == get.url.credential_expiry
    assert _query(get.url)["X-Amz-Expires"] == "3600"  # the URL itself claims an hour
    assert get.warnings == [get.url.warning] and "not the 1 h requested" in get.url.warning
    # SeaweedFS says InvalidAccessKeyId for expired session credentials (AWS: ExpiredToken).
    assert_refused_when_due(get.outcome(), get.url.effective_expiry, "InvalidAccessKeyId")


def test_a_get_url_shorter_than_its_credentials_dies_at_its_own_expiry(watched):
    short = watched["get-short"]
    assert not short.url.limited_by_credentials and short.url.warning is None and short.warnings == []
    assert short.url.effective_expiry == short.url.signed_at + timedelta(seconds=SHORT_EXPIRES_IN)
    assert short.url.effective_expiry < short.url.credential_expiry
    assert_refused_when_due(short.outcome(), short.url.effective_expiry, "AccessDenied")


def test_a_put_url_is_refused_when_its_credentials_expire(watched, sts_seaweedfs):
    put = watched["put"]
    assert put.url.limited_by_credentials and put.warnings == [put.url.warning]
    assert_refused_when_due(put.outcome(), put.url.effective_expiry, "InvalidAccessKeyId")
    uploaded = sts_seaweedfs.client().get_object(Bucket=BUCKET, Key="uploads/long.txt")["Body"].read()
    assert uploaded == b"uploaded through a temporary-credential URL"


def test_a_put_url_shorter_than_its_credentials_dies_at_its_own_expiry(watched):
    short = watched["put-short"]
    assert not short.url.limited_by_credentials and short.warnings == []
    assert_refused_when_due(short.outcome(), short.url.effective_expiry, "AccessDenied")


def test_file_based_credentials_sign_sigv4_urls_that_die_with_them(watched):
    file = watched["file"]
    assert file.url.limited_by_credentials and file.warnings == [file.url.warning]
    assert_refused_when_due(file.outcome(), file.url.effective_expiry, "InvalidAccessKeyId")


@pytest.fixture
def sts_config(sts_seaweedfs, hello, isolated_env, monkeypatch):
    """The STS profiles, for tests that need no waiting; returns the credential file."""
    monkeypatch.setenv("MSC_CONFIG", str(write_sts_config(sts_seaweedfs, isolated_env)))
    return write_credential_file(sts_seaweedfs, isolated_env)


def test_msc_1_3_1_presigns_sigv2_with_expiring_file_credentials_and_the_server_refuses_it(sts_seaweedfs, sts_config):
    theirs = msc_1_3_1_s3_client(sts_seaweedfs, sts_config).generate_presigned_url(
        ClientMethod="get_object", Params={"Bucket": BUCKET, "Key": "hello.txt"}, ExpiresIn=3600
    )
    assert {"AWSAccessKeyId", "Signature", "x-amz-security-token"} <= set(_query(theirs))  # SigV2
    assert fetch(theirs).status_code == 403
    with pytest.warns(msc.CredentialExpiryWarning):
        ours = msc.generate_presigned_url(f"msc://{FILE_PROFILE}/hello.txt", signer_options={"expires_in": 3600})
    assert _query(ours)["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert fetch(ours).content == HELLO


def _with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {**_query(url), **changes}
    return urlunsplit(parts._replace(query=urlencode({k: v for k, v in query.items() if v is not None})))


def test_the_server_checks_the_session_token_and_the_role(sts_config):
    """The refusals above are the server's judgement: it checks the token and the role's policy."""
    with pytest.warns(msc.CredentialExpiryWarning):
        url = msc.generate_presigned_url(f"msc://{READER_PROFILE}/hello.txt", signer_options={"expires_in": 60})
    assert fetch(url).status_code == 200
    token = _query(url)["X-Amz-Security-Token"]
    assert fetch(_with_query(url, **{"X-Amz-Security-Token": None})).status_code == 403
    assert fetch(_with_query(url, **{"X-Amz-Security-Token": token[:-4] + "AAAA"})).status_code == 403
    with pytest.warns(msc.CredentialExpiryWarning):
        put = msc.generate_presigned_url(f"msc://{READER_PROFILE}/uploads/x.txt", method="PUT")
    assert fetch(put, "PUT", data=b"x").status_code == 403  # ReaderRole may not s3:PutObject
