"""The presign API's checks: URLs, methods, signer types and options, providers, the extension point."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest

import msc_notebook as msc
from msc_notebook import SigningRequest, URLSigner, register_signer

PROFILE = {
    "storage_provider": {"type": "s3", "options": {"base_path": "team-bucket", "region_name": "us-east-1"}},
    "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "AKIAX", "secret_key": "s"}},
}


@pytest.fixture
def client():
    return msc.StorageClient(msc.StorageClientConfig.from_dict({"profiles": {"p": PROFILE}}, "p"))


@pytest.mark.parametrize(
    "url, match",
    [
        ("https://example.com/x", "not an object URL"),
        ("msc:p/x", "not an object URL"),  # msc:/p/x is MSC's one-slash form: tests/msc_compat/test_msc_compat.py
        ("msc:///x", "names no profile"),
        ("msc://p", "names no object"),
        ("msc://p/", "names no object"),
        ("s3://", "names no bucket"),
        (42, "as a string"),
    ],
)
def test_bad_object_urls(url, match):
    with pytest.raises(msc.InvalidStorageURLError, match=match):
        msc.generate_presigned_url(url)


def test_url_parsing_is_literal():
    assert msc.parse_storage_url("msc://p/a?b#c//d %e") == ("msc", "p", "a?b#c//d %e")
    assert msc.parse_storage_url("MSC://p/x") == ("msc", "p", "x")
    assert msc.parse_storage_url("s3://bucket/k/") == ("s3", "bucket", "k/")


@pytest.mark.parametrize("method", ["POST", "DELETE", "", None])
def test_unsupported_methods_list_the_supported(client, method):
    with pytest.raises(msc.SignerOptionError, match="use one of GET, PUT, HEAD"):
        client.generate_presigned_url("k", method=method)


def test_method_is_case_insensitive(client):
    assert client.generate_presigned_url("k", method="put").method == "PUT"


@pytest.mark.parametrize("signer_type", [msc.SignerType.S3, "s3", "S3", " s3 "])
def test_signer_type_spellings(client, signer_type):
    assert client.generate_presigned_url("k", signer_type=signer_type).signer_type == "s3"


def test_unknown_signer_type(client):
    with pytest.raises(msc.SignerOptionError, match="signer type 'azure' is not available .* use one of cloudfront, s3"):
        client.generate_presigned_url("k", signer_type="azure")


def test_unknown_option_is_named_with_the_known_ones(client):
    with pytest.raises(msc.SignerOptionError) as info:
        client.generate_presigned_url("k", signer_options={"expire_in": 60, "expires_in": 60})
    assert "unknown signer option 'expire_in' for the s3 signer" in str(info.value)
    assert "expires_in" in str(info.value).split("known options:")[1]


@pytest.mark.parametrize("value", [0, -5, 604801, 10**9, 1.5, "3600", True, None])
def test_expires_in_bounds_and_type(client, value):
    with pytest.raises(msc.SignerOptionError, match="expires_in"):
        client.generate_presigned_url("k", signer_options={"expires_in": value})


@pytest.mark.parametrize("value, seconds", [(1, 1), (604800, 604800), (timedelta(minutes=15), 900)])
def test_expires_in_accepted(client, value, seconds):
    url = client.generate_presigned_url("k", signer_options={"expires_in": value})
    assert url.expires_in == seconds and f"X-Amz-Expires={seconds}&" in url


@pytest.mark.parametrize(
    "method, options, match",
    [
        ("GET", {"content_type": "text/plain"}, "'content_type' applies to PUT URLs, not GET"),
        ("PUT", {"content_disposition": "attachment"}, "applies to GET URLs, not PUT"),
        ("HEAD", {"response_content_type": "text/plain"}, "applies to GET URLs, not HEAD"),
        ("PUT", {"content_type": ""}, "non-empty string"),
        ("GET", {"content_disposition": "attachment\r\nX-Evil: 1"}, "single line"),
    ],
)
def test_method_specific_options(client, method, options, match):
    with pytest.raises(msc.SignerOptionError, match=match):
        client.generate_presigned_url("k", method=method, signer_options=options)


def test_wildcard_on_s3_signer_points_to_cloudfront(client):
    with pytest.raises(msc.SignerOptionError, match="exactly one object.*cloudfront"):
        client.generate_presigned_url("results/experiment.zarr/*")


@pytest.mark.parametrize("provider", ["oci", "ais", "file", "huggingface", "made_up"])
def test_unsupported_providers_raise_not_implemented(provider):
    config = msc.StorageClientConfig.from_dict(
        {"profiles": {"other": {"storage_provider": {"type": provider, "options": {"base_path": "x"}}}}}, "other"
    )
    with pytest.raises(NotImplementedError) as info:
        msc.StorageClient(config).generate_presigned_url("k")
    assert isinstance(info.value, msc.UnsupportedProviderError)
    assert repr(provider) in str(info.value) and "'other'" in str(info.value)
    assert "s3, s8k" in str(info.value) or "ais_s3, gcs_s3, s3, s8k" in str(info.value)


def test_provider_bundle_profiles_are_explained():
    with pytest.raises(NotImplementedError, match="single 'storage_provider'"):
        msc.StorageClientConfig.from_dict({"profiles": {"b": {"provider_bundle": {"type": "x"}}}}, "b")


def test_s8k_and_ais_s3_sign_against_their_endpoint():
    for provider in ("s8k", "ais_s3"):
        profile = {**PROFILE, "storage_provider": {"type": provider, "options": {
            "base_path": "bkt", "endpoint_url": "https://objects.example.org:8443/s3"}}}  # fmt: skip
        config = msc.StorageClientConfig.from_dict({"profiles": {"p": profile}}, "p")
        url = msc.StorageClient(config).generate_presigned_url("a/b")
        assert url.startswith("https://objects.example.org:8443/s3/bkt/a/b?X-Amz-Algorithm=AWS4-HMAC-SHA256")
        assert "%2Fus-east-1%2Fs3%2F" in url


def test_presigned_url_is_a_str_with_its_facts(client):
    url = client.generate_presigned_url("datasets/model.bin", signer_options={"expires_in": 900})
    assert isinstance(url, str) and url.url == str(url)
    assert url.source == "msc://p/datasets/model.bin"
    assert url.method == "GET" and url.signer_type == "s3" and url.expires_in == 900
    assert url.requested_expiry == url.signed_at + timedelta(seconds=900) == url.effective_expiry
    assert url.credential_expiry is None and url.warning is None and not url.limited_by_credentials
    assert 890 < url.seconds_left() <= 900 and not url.expired
    assert url.seconds_left(now=url.signed_at + timedelta(seconds=1000)) == -100
    assert url.details.key == "datasets/model.bin" and url.details.bucket == "team-bucket"
    copy = pickle.loads(pickle.dumps(url))
    assert copy == url and copy.effective_expiry == url.effective_expiry and copy.method == "GET"
    assert "PresignedURL('https://team-bucket.s3.amazonaws.com/datasets/model.bin?" in repr(url)


def test_effective_expiry_is_the_earlier_one():
    signed = datetime(2026, 1, 1, tzinfo=timezone.utc)
    common = dict(method="GET", source="msc://p/k", signer_type="s3", signed_at=signed, expires_in=3600)
    later = msc.PresignedURL("u", **common, credential_expiry=signed + timedelta(hours=2))
    earlier = msc.PresignedURL("u", **common, credential_expiry=signed + timedelta(minutes=10))
    assert later.effective_expiry == signed + timedelta(hours=1) and later.warning is None
    assert earlier.effective_expiry == signed + timedelta(minutes=10)
    assert earlier.lifetime_lost == timedelta(minutes=50)
    assert "10 min, not the 1 h requested (50 min less)" in earlier.warning


class EchoSigner(URLSigner):
    """A toy backend for a made-up provider type, to prove the extension point."""

    signer_type = "echo"
    methods = ("GET",)
    option_names = frozenset({"expires_in"})

    def sign(self, request: SigningRequest) -> msc.PresignedURL:
        return msc.PresignedURL(
            f"https://echo.example/{request.path}",
            method=request.method,
            source=request.source,
            signer_type=self.signer_type,
            signed_at=datetime.now(timezone.utc),
            expires_in=request.options.get("expires_in", 60),
        )


def test_a_provider_type_can_be_given_a_signer_without_touching_the_core(monkeypatch):
    from msc_notebook.core import _signer as registry

    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    monkeypatch.setattr(registry, "_registered_native", dict(registry._registered_native))
    register_signer(EchoSigner, ["echo_store"], native=True)
    config = msc.StorageClientConfig.from_dict(
        {"profiles": {"e": {"storage_provider": {"type": "echo_store", "options": {}}}}}, "e"
    )
    url = msc.StorageClient(config).generate_presigned_url("a/b", signer_options={"expires_in": 5})
    assert url == "https://echo.example/a/b" and url.signer_type == "echo" and url.expires_in == 5
    with pytest.raises(msc.SignerOptionError, match="unknown signer option 'ttl' for the echo signer"):
        msc.StorageClient(config).generate_presigned_url("a/b", signer_options={"ttl": 5})
    with pytest.raises(msc.SignerOptionError, match="use one of GET"):
        msc.StorageClient(config).generate_presigned_url("a/b", method="PUT")
