"""Hostile and unlucky input: no secret in any message, every wait bounded, every bad value
caught before signing with an error that names its field, CloudFront inputs and keys checked."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from conftest import BUCKET, seaweed_profile, write_credential_process
from IPython.utils.capture import capture_output
from support.cloudfront import DOMAIN, KEY_PAIR_ID, cloudfront_profile, verifier_for
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.frontends.notebook._form import PresignForm

SECRET = "Zq9SECRETvalue/xyz+42"


def _all_messages(profile: str) -> list[str]:
    """Every message the user could see for a profile: library, summary, %presign, the form."""
    messages = []
    try:
        msc.generate_presigned_url(f"msc://{profile}/k.txt", warn=False)
    except msc.PresignError as exc:
        messages.append(str(exc))
    else:
        pytest.fail("a hostile config signed")
    _, summaries = msc.summarize_profiles()
    messages += [s.problem or "" for s in summaries]
    return messages


def _write_yaml(home: Path, monkeypatch, text: str) -> Path:
    path = home / "hostile.yaml"
    path.write_text(textwrap.dedent(text))
    monkeypatch.setenv("MSC_CONFIG", str(path))
    msc.clear_client_cache()
    return path


PROVIDER = "storage_provider: {type: s3, options: {base_path: bkt, region_name: us-east-1}}"


@pytest.mark.parametrize(
    "credentials",
    [
        f"{{access_key: AKIA, secret_key {SECRET}}}",  # a missing colon: the secret becomes a key name
        f'{{access_key: AKIA, "secret_key={SECRET}": null, secret_key: x}}',
        f"{{access_key: AKIA, secret_key: {{nested: {SECRET}}}}}",  # a mapping, not a string
        f"{{access_key: AKIA, secret_key: [{SECRET}]}}",
        "{access_key: AKIA, secret_key: 12345678901234567890}",  # a number: would be str()-ed into a key
    ],
)
def test_a_typo_in_credentials_never_shows_the_secret(isolated_env, monkeypatch, credentials):
    _write_yaml(isolated_env, monkeypatch, f"""
        profiles:
          p:
            {PROVIDER}
            credentials_provider: {{type: S3Credentials, options: {credentials}}}
    """)
    for message in _all_messages("p"):
        assert SECRET not in message and "12345678901234567890" not in message, message
    with pytest.raises(msc.ConfigParseError, match="profile 'p' credentials_provider"):
        msc.generate_presigned_url("msc://p/k.txt")


def test_a_secret_given_as_the_credentials_type_is_not_repeated(isolated_env, monkeypatch):
    _write_yaml(isolated_env, monkeypatch, f"""
        profiles:
          p:
            {PROVIDER}
            credentials_provider: {{type: {SECRET}, options: {{}}}}
    """)
    for message in _all_messages("p"):
        assert SECRET not in message


@pytest.mark.parametrize("endpoint", [f"https://AKIA:{SECRET}@s3.example.com", f"http://{SECRET}@127.0.0.1:9000"])
def test_userinfo_in_an_endpoint_is_refused_without_repeating_it(isolated_env, monkeypatch, endpoint):
    _write_yaml(isolated_env, monkeypatch, f"""
        profiles:
          p:
            storage_provider: {{type: s3, options: {{base_path: bkt, endpoint_url: "{endpoint}"}}}}
            credentials_provider: {{type: S3Credentials, options: {{access_key: A, secret_key: S}}}}
    """)
    for message in _all_messages("p"):
        assert SECRET not in message
    with pytest.raises(msc.ConfigParseError, match="endpoint_url must be an http"):
        msc.generate_presigned_url("msc://p/k.txt")


# -- every wait has a bound --------------------------------------------------------------------


def _aws_profile(write_config, seaweedfs) -> None:
    provider = seaweed_profile(seaweedfs)["storage_provider"]
    write_config({"aws": {"storage_provider": {**provider, "options": {**provider["options"], "profile_name": "slow"}}}})


def test_a_hanging_credential_process_is_stopped_at_the_bound(isolated_env, write_config, seaweedfs, monkeypatch):
    pid_file = isolated_env / "pid"
    write_credential_process(isolated_env, f"""
        import os, sys, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        print("{SECRET}", flush=True)
        print("{SECRET}", file=sys.stderr, flush=True)
        time.sleep(600)
    """, profile="slow")
    _aws_profile(write_config, seaweedfs)
    monkeypatch.setenv(msc.CREDENTIALS_TIMEOUT_ENV, "1")
    started = time.monotonic()
    with pytest.raises(msc.CredentialsError) as caught:
        msc.generate_presigned_url("msc://aws/k.txt")
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert 0.9 < elapsed < 10, elapsed
    assert "profile 'aws'" in message and sys.executable in message and "within 1 s" in message
    assert SECRET not in message and msc.CREDENTIALS_TIMEOUT_ENV in message
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # no process left running
        os.kill(pid, 0)
    # The profile is not broken: once the process answers, it signs.
    write_credential_process(isolated_env, """
        import json
        print(json.dumps({"Version": 1, "AccessKeyId": "AKIAOK", "SecretAccessKey": "s"}))
    """, profile="slow")
    msc.clear_client_cache()
    assert "AKIAOK" in msc.generate_presigned_url("msc://aws/k.txt")


def test_a_failing_credential_process_does_not_echo_its_output(isolated_env, write_config, seaweedfs):
    write_credential_process(isolated_env, f"""
        import sys
        print("token={SECRET}", file=sys.stderr)
        sys.exit(3)
    """, profile="slow")
    _aws_profile(write_config, seaweedfs)
    with pytest.raises(msc.CredentialsError, match="not shown") as caught:
        msc.generate_presigned_url("msc://aws/k.txt")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "100000"])
def test_the_bound_must_be_sane(isolated_env, write_config, seaweedfs, monkeypatch, value):
    write_credential_process(isolated_env, "print('{}')", profile="slow")
    _aws_profile(write_config, seaweedfs)
    monkeypatch.setenv(msc.CREDENTIALS_TIMEOUT_ENV, value)
    with pytest.raises(msc.CredentialsError, match=msc.CREDENTIALS_TIMEOUT_ENV):
        msc.generate_presigned_url("msc://aws/k.txt")


# -- every config value is checked before signing --------------------------------------------

BAD_OPTIONS = [
    ({"endpoint_url": "ftp://s3.example.com"}, "endpoint_url must be an http"),
    ({"endpoint_url": "s3.example.com"}, "endpoint_url must be an http"),
    ({"endpoint_url": "http://"}, "endpoint_url must be an http"),
    ({"endpoint_url": "http://127.0.0.1:notaport"}, "endpoint_url must be an http"),
    ({"endpoint_url": 8333}, "endpoint_url must be an http"),
    ({"region_name": "us east 1"}, "region_name must be a region name"),
    ({"region_name": 5}, "region_name must be a region name"),
    ({"region_name": ["us-east-1"]}, "region_name must be a region name"),
    ({"base_path": "bad bucket!/prefix"}, "not a bucket name S3 accepts"),
    ({"base_path": 42}, "base_path"),
]


@pytest.fixture
def bad_profile(seaweedfs, write_config):
    def write(options: dict) -> None:
        profile = seaweed_profile(seaweedfs)
        profile["storage_provider"]["options"].update(options)
        write_config({"bad": profile, "demo": seaweed_profile(seaweedfs)})

    return write


@pytest.mark.parametrize("options, match", BAD_OPTIONS)
def test_bad_config_values_are_config_errors_naming_profile_and_field(bad_profile, options, match):
    bad_profile(options)
    with pytest.raises(msc.ConfigParseError, match=match) as caught:
        msc.generate_presigned_url("msc://bad/k.txt")
    assert "profile 'bad'" in str(caught.value)


@pytest.mark.parametrize("options, match", BAD_OPTIONS[:2] + BAD_OPTIONS[5:6] + BAD_OPTIONS[8:9])
def test_bad_config_values_are_one_line_in_the_magic_and_inline_in_the_form(ipython_shell, bad_profile, options, match):
    bad_profile(options)
    ipython_shell.run_line_magic("load_ext", "msc_notebook")
    try:
        with capture_output() as captured:
            ipython_shell.run_cell("%presign msc://bad/k.txt", store_history=True)
        assert "Traceback" not in captured.stdout + captured.stderr
        assert match in captured.stderr + captured.stdout and "UsageError" in captured.stderr + captured.stdout
    finally:
        ipython_shell.run_line_magic("unload_ext", "msc_notebook")
    form = PresignForm()
    form.profile.value = "bad"
    form.path.value = "k.txt"
    assert form.sign() is None  # no exception escapes the click
    assert match in form.error_messages.get("profile", "") + form.error_messages.get("general", "")


# -- CloudFront inputs ---------------------------------------------------------------------------


@pytest.fixture
def cf(write_config, cloudfront_key_file, seaweedfs):
    write_config({"cf": cloudfront_profile(cloudfront_key_file), "demo": seaweed_profile(seaweedfs)})
    return msc.storage_client("cf")


@pytest.mark.parametrize(
    "domain, match",
    [
        ("*.cloudfront.net", "wildcard"),
        ("d1.cloudfront.*", "wildcard"),
        ("https://*.example.com", "wildcard"),
        ("d1 .cloudfront.net", "not a host name"),
        ("<b>d1</b>.cloudfront.net", "not a host name"),
        ("javascript:alert(1)", "not a host name"),
        (f"https://user:{SECRET}@{DOMAIN}", "user name or password"),
        (f"{SECRET}@{DOMAIN}", "user name or password"),
        (f"https://{DOMAIN}/path", "origin_path"),
        (f"https://{DOMAIN}/?q=1", "path, query or fragment"),
        (f"{DOMAIN}:99999", "invalid port"),
    ],
)
def test_cloudfront_domains_must_be_plain_hosts(cf, domain, match):
    with pytest.raises(msc.SignerOptionError, match=match) as caught:
        cf.generate_presigned_url("a.txt", signer_type="cloudfront", signer_options={"domain": domain})
    assert caught.value.field == "domain" and SECRET not in str(caught.value)
    assert "invalid port" not in str(caught.value) or match == "invalid port"


@pytest.mark.parametrize("key_pair_id", ["K²JCJ", "k2jcjmdehxqw5f", "K2 JCJ", "K2JCJ<img>"])
def test_key_pair_ids_are_ascii_upper_case_letters_and_digits(cf, key_pair_id):
    with pytest.raises(msc.SignerOptionError, match="upper-case ASCII") as caught:
        cf.generate_presigned_url("a.txt", signer_type="cloudfront", signer_options={"key_pair_id": key_pair_id})
    assert caught.value.field == "key_pair_id"


# -- keys ------------------------------------------------------------------------------------------

STAR_KEY = "keys/(paren)*star!.txt"


def test_a_star_inside_a_key_is_signed_literally_with_s3(seaweedfs, s3, demo_profile):
    s3.put_object(Bucket=BUCKET, Key=STAR_KEY, Body=b"star")
    url = msc.generate_presigned_url(f"msc://demo/{STAR_KEY}")
    assert fetch(url).content == b"star"


def test_a_star_inside_a_key_is_one_object_with_cloudfront(cf, rsa_private_key):
    url = cf.generate_presigned_url(STAR_KEY, signer_type="cloudfront")
    assert url.details.policy == "canned" and url.details.wildcard_base is None
    assert "%2Astar" in url and "*" not in url.partition("?")[0]
    verifier = verifier_for(rsa_private_key)
    verifier.verify(url, client_ip="192.0.2.1")  # the edge accepts it for exactly that object
    with pytest.raises(Exception, match="does not match|not cover"):
        verifier.verify(url.replace("%2Astar", "%2Astars", 1), client_ip="192.0.2.1")


@pytest.mark.parametrize("path", ["a/./b.txt", "a/../b.txt", "./b.txt", "..", "a/.."])
def test_dot_segments_are_refused_with_the_reason(cf, path):
    with pytest.raises(msc.InvalidStorageURLError, match="resolve those segments"):
        msc.generate_presigned_url(f"msc://demo/{path}")
    with pytest.raises(msc.InvalidStorageURLError, match="resolve those segments"):
        cf.generate_presigned_url(path, signer_type="cloudfront")


def test_keys_longer_than_s3_allows_are_refused(demo_profile):
    msc.generate_presigned_url("msc://demo/" + "é" * 512)  # 1,024 bytes: the limit itself
    with pytest.raises(msc.InvalidStorageURLError, match="1025 bytes .* at most 1024"):
        msc.generate_presigned_url("msc://demo/" + "é" * 512 + "x")


def test_only_a_trailing_star_means_a_prefix(cf):
    with pytest.raises(msc.SignerOptionError, match="trailing '\\*'"):
        msc.generate_presigned_url("msc://demo/datasets/ocean.zarr/*")
    url = cf.generate_presigned_url("datasets/ocean.zarr/*", signer_type="cloudfront")
    assert url.details.wildcard_base == f"https://{DOMAIN}/datasets/ocean.zarr/"
    assert url.details.policy == "custom" and url.details.resource.endswith("/*")


def test_history_and_widget_state_never_hold_a_secret(ipython_shell, write_config, seaweedfs, cloudfront_key_file):
    """The request a widget keeps for Sign again stays in the kernel; its synced state has no key path."""
    from msc_notebook.frontends.notebook._result_widget import PresignResultWidget

    write_config({"cf": cloudfront_profile(cloudfront_key_file, base_path=BUCKET)})
    request = msc.PresignRequest.from_inputs("msc://cf/a.txt", signer="cloudfront")
    widget = PresignResultWidget.for_result(request.sign(), request=request)
    state = yaml.safe_dump(widget.get_state())
    assert str(cloudfront_key_file) not in state and KEY_PAIR_ID in state  # the id is in the URL anyway


def test_a_silent_credentials_endpoint_is_abandoned_at_the_bound(write_config, seaweedfs, monkeypatch):
    """Container credentials (as IMDS and SSO would be) from an endpoint that accepts and never answers."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:  # accept every connection and say nothing
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        provider = seaweed_profile(seaweedfs)["storage_provider"]
        write_config({"container": {"storage_provider": provider}})
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{listener.getsockname()[1]}/creds")
        monkeypatch.setenv(msc.CREDENTIALS_TIMEOUT_ENV, "1.5")
        started = time.monotonic()
        with pytest.raises(msc.CredentialsError, match="took longer than 1.5 s") as caught:
            msc.generate_presigned_url("msc://container/k.txt")
        # Abandoned at the bound: no grace (that is for a credential_process being killed).
        assert 1.5 <= time.monotonic() - started < 3.4 and "profile 'container'" in str(caught.value)
        assert accepted, "botocore did ask the endpoint"
    finally:
        stop.set()
        holder.join(timeout=5)
        listener.close()
        for connection in accepted:
            connection.close()
