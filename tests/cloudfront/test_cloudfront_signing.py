"""CloudFront signed URLs and cookies: policies, options, errors, checked by an independent verifier
written from the CloudFront developer guide (msc_notebook/demo/cloudfront_edge.py)."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import pem_bytes
from support.cloudfront import DOMAIN, KEY_PAIR_ID, cloudfront_profile, verifier_for

import msc_notebook as msc
from msc_notebook.demo.cloudfront_edge import AccessDenied, _url_b64decode

CLIENT_IP = "203.0.113.7"


@pytest.fixture
def cf(write_config, cloudfront_key_file):
    write_config({"cf": cloudfront_profile(cloudfront_key_file)})
    return msc.StorageClient(msc.StorageClientConfig.from_file("cf"))


def sign(client, path, **options):
    return client.generate_presigned_url(path, signer_type="cloudfront", signer_options=options or None)


def _policy(url) -> dict:
    return json.loads(_url_b64decode(msc.signed_parameters(url)["Policy"]))


def test_plain_path_gets_a_canned_policy(cf, rsa_private_key):
    url = sign(cf, "datasets/model.bin", expires_in=900)
    assert url.startswith(f"https://{DOMAIN}/datasets/model.bin?Expires=")
    params = msc.signed_parameters(url)
    assert set(params) == {"Expires", "Signature", "Key-Pair-Id"} and params["Key-Pair-Id"] == KEY_PAIR_ID
    assert int(params["Expires"]) == int(url.effective_expiry.timestamp()) == int(url.signed_at.timestamp()) + 900
    assert url.signer_type == "cloudfront" and url.credential_expiry is None and url.details.policy == "canned"
    verifier_for(rsa_private_key).verify(url, client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied, match="does not match"):  # canned covers that one URL only
        verifier_for(rsa_private_key).verify(url.replace("model.bin", "other.bin"), client_ip=CLIENT_IP)


def test_wildcard_gets_a_custom_policy_covering_the_prefix(cf, rsa_private_key):
    url = sign(cf, "results/experiment.zarr/*", expires_in=7200)
    policy = _policy(url)
    assert policy == {"Statement": [{"Resource": f"https://{DOMAIN}/results/experiment.zarr/*",
                                     "Condition": {"DateLessThan": {"AWS:EpochTime": int(url.effective_expiry.timestamp())}}}]}  # fmt: skip
    assert url.details.policy == "custom"
    assert msc.wildcard_base(url) == url.details.wildcard_base == f"https://{DOMAIN}/results/experiment.zarr/"
    verifier = verifier_for(rsa_private_key)
    for relative in ("zarr.json", "temperature/c/0/0", "deep/er/chunk.bin", "with space.txt"):
        verifier.verify(msc.object_url(url, relative), client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied, match="Resource does not cover"):
        verifier.verify(msc.object_url(url, "x").replace("experiment.zarr/", "experiment.zarr2/"), client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied, match="Resource does not cover"):
        verifier.verify(msc.object_url(url, "x").replace(DOMAIN, "d222222.cloudfront.net"), client_ip=CLIENT_IP)


def test_verifier_refuses_tampering_expiry_and_other_keys(cf, rsa_private_key):
    from cryptography.hazmat.primitives.asymmetric import rsa

    url = sign(cf, "results/experiment.zarr/*", expires_in=60)
    target = msc.object_url(url, "zarr.json")
    params = msc.signed_parameters(url)
    verifier_for(rsa_private_key).verify(target, client_ip=CLIENT_IP)
    flipped = params["Signature"].replace(params["Signature"][10], "A" if params["Signature"][10] != "A" else "B", 1)
    with pytest.raises(AccessDenied, match="signature does not match"):
        verifier_for(rsa_private_key).verify(target.replace(params["Signature"], flipped), client_ip=CLIENT_IP)
    # A policy edited to cover more (a later expiry) no longer matches its signature.
    widened = json.dumps(_policy(url) | {}).replace(str(int(url.effective_expiry.timestamp())), "4102444800")
    from msc_notebook.cloudfront._signer import _url_b64

    with pytest.raises(AccessDenied, match="signature does not match"):
        verifier_for(rsa_private_key).verify(target.replace(params["Policy"], _url_b64(widened.encode())), client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied, match="expired"):
        verifier_for(rsa_private_key, now=url.effective_expiry.timestamp()).verify(target, client_ip=CLIENT_IP)
    verifier_for(rsa_private_key, now=url.effective_expiry.timestamp() - 1).verify(target, client_ip=CLIENT_IP)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AccessDenied, match="signature does not match"):
        verifier_for(other_key).verify(target, client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied, match="unknown Key-Pair-Id"):
        verifier_for(rsa_private_key, key_pair_id="KOTHERKEYPAIR").verify(target, client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied, match="missing signature"):
        verifier_for(rsa_private_key).verify(target.partition("?")[0], client_ip=CLIENT_IP)


def test_not_before_and_ip_range_make_a_custom_policy(cf, rsa_private_key):
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=5)
    url = sign(cf, "datasets/model.bin", not_before=start.isoformat(), ip_range="203.0.113.0/24")
    condition = _policy(url)["Statement"][0]["Condition"]
    assert condition["DateGreaterThan"] == {"AWS:EpochTime": int(start.timestamp())}
    assert condition["IpAddress"] == {"AWS:SourceIp": "203.0.113.0/24"}
    assert url.details.not_before == start and url.details.ip_range == "203.0.113.0/24"
    with pytest.raises(AccessDenied, match="not yet valid"):
        verifier_for(rsa_private_key).verify(url, client_ip=CLIENT_IP)
    later = verifier_for(rsa_private_key, now=start.timestamp() + 1)
    later.verify(url, client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied, match="outside 203.0.113.0/24"):
        later.verify(url, client_ip="198.51.100.1")
    single = sign(cf, "datasets/model.bin", ip_range="2001:db8::1", not_before=datetime.now(timezone.utc))
    assert _policy(single)["Statement"][0]["Condition"]["IpAddress"] == {"AWS:SourceIp": "2001:db8::1/128"}


@pytest.mark.parametrize("wildcard", [True, False])
def test_signed_cookies_for_the_same_policies(cf, rsa_private_key, wildcard, monkeypatch, clock):
    from msc_notebook.core import _times as times

    now = times.utcnow()
    clock(now)  # the URL below is signed in the same second
    path = "results/experiment.zarr/*" if wildcard else "datasets/model.bin"
    cookies = cf.generate_signed_cookies(path, signer_options={"expires_in": 600})
    expected = {"CloudFront-Policy" if wildcard else "CloudFront-Expires", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    assert set(cookies) == expected and cookies["CloudFront-Key-Pair-Id"] == KEY_PAIR_ID
    assert cookies.effective_expiry == cookies.signed_at + timedelta(seconds=600) and cookies.expires_in == 600
    target = f"https://{DOMAIN}/results/experiment.zarr/zarr.json" if wildcard else f"https://{DOMAIN}/datasets/model.bin"
    verifier = verifier_for(rsa_private_key)
    verifier.verify(target, client_ip=CLIENT_IP, cookies=cookies)
    tampered = dict(cookies, **{"CloudFront-Signature": cookies["CloudFront-Signature"][::-1]})
    with pytest.raises(AccessDenied):
        verifier.verify(target, client_ip=CLIENT_IP, cookies=tampered)
    with pytest.raises(AccessDenied, match="Resource does not cover|does not match"):
        verifier.verify(f"https://{DOMAIN}/results/elsewhere/zarr.json", client_ip=CLIENT_IP, cookies=cookies)
    # The same policy as the URL signer would use.
    url = sign(cf, path, expires_in=600)
    if wildcard:
        assert cookies["CloudFront-Policy"] == msc.signed_parameters(url)["Policy"]
    assert msc.fsspec_storage_options(cookies) == {"headers": {"Cookie": cookies.cookie_header()}}


def test_shortcut_for_cookies(cf):
    cookies = msc.generate_signed_cookies("msc://cf/results/experiment.zarr/*")
    assert cookies.source == "msc://cf/results/experiment.zarr/*" and "CloudFront-Policy" in cookies
    assert "Signature" not in repr(cookies).split("[")[0]


@pytest.mark.parametrize(
    "domain, origin",
    [
        (DOMAIN, f"https://{DOMAIN}"),
        (f"https://{DOMAIN}", f"https://{DOMAIN}"),
        (f"https://{DOMAIN}/", f"https://{DOMAIN}"),
        ("  D111111ABCDEF8.cloudfront.net ", f"https://{DOMAIN}"),
        ("cdn.example.com:8443", "https://cdn.example.com:8443"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        ("http://localhost:9", "http://localhost:9"),
    ],
)
def test_domain_forms(cf, domain, origin):
    url = sign(cf, "a.txt", domain=domain)
    assert url.startswith(f"{origin}/a.txt?") and url.count("://") == 1


@pytest.mark.parametrize(
    "domain, match",
    [
        (f"http://{DOMAIN}", "https only"),
        ("ftp://x.example", "distribution's host"),
        (f"https://{DOMAIN}/sub/path", "distribution's host"),
        (f"https://{DOMAIN}?x=1", "distribution's host"),
        (f"https://user:pw@{DOMAIN}", "distribution's host"),
        ("https://", "distribution's host"),
        ("", "needs domain"),
        ("cdn.example.com:notaport", "invalid port"),
    ],
)
def test_bad_domains(cf, domain, match):
    with pytest.raises(msc.SignerOptionError, match=match):
        sign(cf, "a.txt", domain=domain)


def test_paths_are_percent_encoded_the_same_in_url_and_policy(cf, rsa_private_key):
    url = sign(cf, "odd/a b?c#d%e+f=g&h/ünï/数据/*")
    encoded = "odd/a%20b%3Fc%23d%25e%2Bf%3Dg%26h/%C3%BCn%C3%AF/%E6%95%B0%E6%8D%AE/*"
    assert url.startswith(f"https://{DOMAIN}/{encoded}?Policy=")
    assert _policy(url)["Statement"][0]["Resource"] == f"https://{DOMAIN}/{encoded}"
    verifier_for(rsa_private_key).verify(msc.object_url(url, "x y.bin"), client_ip=CLIENT_IP)
    canned = sign(cf, "odd/a b?c#d.txt")
    assert canned.startswith(f"https://{DOMAIN}/odd/a%20b%3Fc%23d.txt?Expires=")
    verifier_for(rsa_private_key).verify(canned, client_ip=CLIENT_IP)


def test_origin_path_is_stripped(write_config, cloudfront_key_file):
    write_config({"cf": cloudfront_profile(cloudfront_key_file, base_path="data-bucket/published", origin_path="/published")})
    url = msc.generate_presigned_url("msc://cf/results/x.bin", signer_type="cloudfront")
    assert url.startswith(f"https://{DOMAIN}/results/x.bin?")
    with pytest.raises(msc.SignerOptionError, match="not under origin_path 'elsewhere'"):
        msc.generate_presigned_url("msc://cf/x.bin", signer_type="cloudfront", signer_options={"origin_path": "elsewhere"})


def test_put_is_refused_with_the_reason(cf):
    with pytest.raises(msc.SignerOptionError, match="does not bind the HTTP method.*signer_type='s3'"):
        cf.generate_presigned_url("uploads/x", method="PUT", signer_type="cloudfront")
    assert sign(cf, "x").method == "GET"
    assert cf.generate_presigned_url("x", method="HEAD", signer_type="cloudfront").method == "HEAD"


def test_missing_options_point_to_the_profile(write_config):
    write_config({"plain": cloudfront_profile("unused") | {"presign": {}}})
    with pytest.raises(msc.SignerOptionError, match="needs key_pair_id, private_key_path, domain.*presign.cloudfront"):
        msc.generate_presigned_url("msc://plain/x", signer_type="cloudfront")


def test_explicit_options_win_over_profile_defaults(cf):
    url = sign(cf, "x", domain="cdn.example.org", expires_in=120)
    assert url.startswith("https://cdn.example.org/x?") and url.expires_in == 120
    with pytest.raises(msc.SignerOptionError, match="unknown signer option 'keypair_id' for the cloudfront signer"):
        sign(cf, "x", keypair_id="K")


def test_profile_can_make_cloudfront_its_default_signer(write_config, cloudfront_key_file):
    profile = cloudfront_profile(cloudfront_key_file)
    profile["presign"]["signer_type"] = "cloudfront"
    write_config({"cf": profile})
    assert msc.generate_presigned_url("msc://cf/x").signer_type == "cloudfront"
    assert msc.generate_presigned_url("msc://cf/x", signer_type="s3").signer_type == "s3"


@pytest.mark.parametrize(
    "options, match",
    [
        ({"expires_in": 0}, "expires_in"),
        ({"expires_in": 366 * 86400}, "1 and 31536000 seconds"),
        ({"not_before": "soon"}, "not_before must be"),
        ({"not_before": "2999-01-01T00:00:00Z"}, "earlier than the expiry"),
        ({"ip_range": "10.0.0.1/24"}, "CIDR"),
        ({"ip_range": "everyone"}, "CIDR"),
        ({"key_pair_id": "K2J CJ"}, "K2JCJMDEHXQW5F"),
    ],
)
def test_bad_option_values(cf, options, match):
    with pytest.raises(msc.SignerOptionError, match=match):
        sign(cf, "x", **options)


def test_cloudfront_allows_longer_than_s3(cf):
    assert sign(cf, "x", expires_in=30 * 86400).expires_in == 30 * 86400


def _key_error(cf, path):
    with pytest.raises(msc.PrivateKeyError) as info:
        sign(cf, "x", private_key_path=str(path))
    return str(info.value)


def test_private_key_problems_name_the_path_never_the_contents(cf, tmp_path, rsa_private_key):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    assert "does not exist" in _key_error(cf, tmp_path / "missing.pem")
    assert "cannot read" in _key_error(cf, tmp_path)  # a directory: unreadable as a file
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(rsa_private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")))  # fmt: skip
    assert "is encrypted" in _key_error(cf, encrypted)
    ec_key = tmp_path / "ec.pem"
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())  # fmt: skip
    ec_key.write_bytes(ec_pem)
    assert "not an RSA key (EC)" in _key_error(cf, ec_key)
    garbage = tmp_path / "garbage.pem"
    pem = pem_bytes(rsa_private_key)
    garbage.write_bytes(pem[:200] + b"corrupted" + pem[300:])
    message = _key_error(cf, garbage)
    assert "is not a PEM private key" in message and str(garbage) in message
    for secret_line in pem.decode().splitlines()[1:-1] + ec_pem.decode().splitlines()[1:-1]:
        for msg in (message, _key_error(cf, ec_key)):
            assert secret_line not in msg


def test_key_material_passed_as_a_path_is_never_echoed(cf, cloudfront_key_file):
    pem = cloudfront_key_file.read_text()
    one_line = pem.replace("\n", "\\n")  # as kept in an environment variable
    for value in (one_line, pem.splitlines()[1] * 30):
        message = _key_error(cf, value)
        assert "not the key itself" in message
        assert all(line not in message for line in pem.splitlines()[1:-1])


def test_not_before_must_say_its_timezone(cf):
    for naive in (datetime.now(), "2026-12-01T10:00:00"):
        with pytest.raises(msc.SignerOptionError, match="timezone-aware"):
            sign(cf, "x", not_before=naive)
    assert sign(cf, "x", not_before="2026-01-01T10:00:00+01:00").details.not_before.hour == 9


def test_key_is_reloaded_when_the_file_changes(write_config, rsa_private_key, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    key_file = tmp_path / "rotated.pem"
    key_file.write_bytes(pem_bytes(rsa_private_key))
    write_config({"cf": cloudfront_profile(key_file)})
    client = msc.StorageClient(msc.StorageClientConfig.from_file("cf"))
    first = sign(client, "x")
    verifier_for(rsa_private_key).verify(first, client_ip=CLIENT_IP)
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file.write_bytes(pem_bytes(new_key))
    os.utime(key_file, ns=(time.time_ns(), time.time_ns() + 1))
    second = sign(client, "x")
    verifier_for(new_key).verify(second, client_ip=CLIENT_IP)
    with pytest.raises(AccessDenied):
        verifier_for(rsa_private_key).verify(second, client_ip=CLIENT_IP)


def test_key_is_loaded_once_per_file(cf, monkeypatch):
    from msc_notebook.cloudfront import _key as cloudfront_key

    sign(cf, "x")
    calls = []
    monkeypatch.setattr(cloudfront_key, "_parse", lambda path: calls.append(path))
    for _ in range(5):
        sign(cf, "x")
    assert calls == []


def test_no_private_key_material_anywhere_in_results(cf, cloudfront_key_file):
    pem = cloudfront_key_file.read_text()
    body = "".join(pem.splitlines()[1:-1])
    url = sign(cf, "results/x.zarr/*")
    cookies = cf.generate_signed_cookies("results/x.zarr/*")
    for text in (str(url), repr(url), repr(url.details), repr(cookies), str(dict(cookies)), repr(cf.config)):
        for chunk in (body[i : i + 40] for i in range(0, len(body), 40)):
            assert chunk not in text


def test_recipient_helpers_refuse_what_they_cannot_use(cf):
    with pytest.raises(msc.SignerOptionError, match="single object"):
        msc.wildcard_base(sign(cf, "x.bin"))
    with pytest.raises(msc.SignerOptionError, match="not a CloudFront signed URL"):
        msc.signed_parameters("https://example.com/x?a=1")
    with pytest.raises(msc.SignerOptionError, match="not CloudFront signed cookies"):
        msc.fsspec_storage_options({"session": "x"})


def test_the_verifier_is_independent_of_the_signer():
    import ast
    from pathlib import Path

    import msc_notebook.demo.cloudfront_edge as edge

    tree = ast.parse(Path(edge.__file__).read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any("msc_notebook" in name or name.startswith(".") for name in imported)
    assert all(n.level == 0 for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
