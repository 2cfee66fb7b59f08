"""MSC 1.3.1's presign tests, ported to our public API.

Source: NVIDIA/multi-storage-client, multi-storage-client/tests/test_multistorageclient/unit/
test_presigned_url.py (S3, CloudFront, dispatch, unsupported provider, delegation, shortcut) and
the presign round trips of tests/test_multistorageclient/e2e/common.py. MSC's assertions are
kept where our public API can express them; tests that mock MSC internals (a boto3 client, a
provider) are re-expressed through the public API, with botocore's clock frozen so that a URL
can be compared with plain boto3's. Where an assertion is not shared, a comment says why.
The Azure tests belong with the Azure signer (SignerType.AZURE) and are ported there.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from botocore.config import Config
from conftest import BUCKET, seaweed_profile
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA1
from support.cloudfront import DOMAIN, KEY_PAIR_ID

import msc_notebook as msc
from msc_notebook import SignerType, StorageClient, StorageClientConfig

FROZEN = datetime(2026, 4, 5, 6, 7, 8)  # naive UTC, as botocore's clock
S3_PROFILE = {
    "storage_provider": {"type": "s3", "options": {"base_path": "my-bucket/prefix", "region_name": "us-east-1"}},
    "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "AKIAPORT", "secret_key": "s"}},
}


@pytest.fixture
def frozen(monkeypatch, clock):
    clock(FROZEN.replace(tzinfo=timezone.utc))


def _client(profile: dict = S3_PROFILE) -> StorageClient:
    return StorageClient(StorageClientConfig.from_dict({"profiles": {"p": profile}}, profile="p"))


def _boto3_url(client_method: str, params: dict, expires_in: int) -> str:
    """What MSC's S3URLSigner asks boto3 for (its mock asserted these arguments)."""
    s3 = boto3.Session(aws_access_key_id="AKIAPORT", aws_secret_access_key="s").client(
        "s3", region_name="us-east-1", config=Config(signature_version="s3v4")
    )
    return s3.generate_presigned_url(ClientMethod=client_method, Params=params, ExpiresIn=expires_in)


# --- TestS3URLSigner -------------------------------------------------------------------------


def test_s3_generate_presigned_url_get(frozen):
    url = _client().generate_presigned_url("data/file.bin", signer_options={"expires_in": 900})
    # MSC: generate_presigned_url called once with ClientMethod="get_object", Params={Bucket, Key}, ExpiresIn=900.
    assert url == _boto3_url("get_object", {"Bucket": "my-bucket", "Key": "prefix/data/file.bin"}, 900)


def test_s3_generate_presigned_url_put(frozen):
    url = _client().generate_presigned_url("data/file.bin", method="PUT")
    # MSC: ClientMethod="put_object", ExpiresIn=3600 (the default).
    assert url == _boto3_url("put_object", {"Bucket": "my-bucket", "Key": "prefix/data/file.bin"}, 3600)


def test_s3_unsupported_method_raises():
    # MSC matches "Unsupported method"; our message names the methods that work instead
    # (it is a SignerOptionError, a ValueError, as MSC's is).
    with pytest.raises(ValueError, match="DELETE"):
        _client().generate_presigned_url("key", method="DELETE")


def test_s3_is_url_signer():
    assert isinstance(_client().signer(SignerType.S3), msc.URLSigner)


# --- TestCloudFrontURLSigner (real RSA signing, no mocks) -------------------------------------


def _cloudfront(client: StorageClient, path: str, **options) -> str:
    options = {"key_pair_id": KEY_PAIR_ID, "domain": DOMAIN, **options}
    return client.generate_presigned_url(path, signer_type=SignerType.CLOUDFRONT, signer_options=options)


@pytest.fixture
def cf_client(cloudfront_key_file):
    profile = {**S3_PROFILE, "storage_provider": {"type": "s3", "options": {"base_path": "my-bucket"}},
               "presign": {"cloudfront": {"private_key_path": str(cloudfront_key_file)}}}  # fmt: skip
    return _client(profile)


def test_cloudfront_url_structure(cf_client):
    parsed = urlparse(_cloudfront(cf_client, "data/file.bin", expires_in=7200))
    assert (parsed.scheme, parsed.netloc, parsed.path) == ("https", DOMAIN, "/data/file.bin")
    params = parse_qs(parsed.query)
    assert "Expires" in params and "Signature" in params
    assert params["Key-Pair-Id"] == [KEY_PAIR_ID]


def test_cloudfront_signature_is_cryptographically_valid(cf_client, rsa_private_key):
    parsed = urlparse(_cloudfront(cf_client, "path/to/object.bin", domain="cdn.example.com", key_pair_id="KTEST123"))
    params = parse_qs(parsed.query)
    epoch = int(params["Expires"][0])
    policy = json.dumps(
        {"Statement": [{"Resource": "https://cdn.example.com/path/to/object.bin",
                        "Condition": {"DateLessThan": {"AWS:EpochTime": epoch}}}]},
        separators=(",", ":"),
    )  # fmt: skip
    raw_signature = base64.b64decode(params["Signature"][0].replace("-", "+").replace("_", "=").replace("~", "/"))
    rsa_private_key.public_key().verify(raw_signature, policy.encode("utf-8"), PKCS1v15(), SHA1())


def test_cloudfront_expiry_is_in_future(cf_client):
    before = int(time.time())
    url = _cloudfront(cf_client, "file.bin", expires_in=1800)
    after = int(time.time())
    epoch = int(parse_qs(urlparse(url).query)["Expires"][0])
    assert before + 1800 <= epoch <= after + 1800


def test_cloudfront_leading_slash_normalised(cf_client):
    assert urlparse(_cloudfront(cf_client, "/leading/slash/file.bin")).path == "/leading/slash/file.bin"


def test_cloudfront_is_url_signer(cf_client):
    assert isinstance(cf_client.signer(SignerType.CLOUDFRONT), msc.URLSigner)


def test_cloudfront_origin_path_stripped_from_url(cf_client):
    assert urlparse(_cloudfront(cf_client, "cloudfront/a.bin", origin_path="/cloudfront")).path == "/a.bin"


def test_cloudfront_origin_path_stripped_with_leading_slash_on_path(cf_client):
    url = _cloudfront(cf_client, "/cloudfront/subdir/a.bin", origin_path="cloudfront")  # no leading slash
    assert urlparse(url).path == "/subdir/a.bin"


def test_cloudfront_origin_path_mismatch_raises(cf_client):
    # MSC matches "origin path"; ours names the option, "origin_path", and the key that is not under it.
    with pytest.raises(ValueError, match="not under origin_path"):
        _cloudfront(cf_client, "other/a.bin", origin_path="/cloudfront")


def test_cloudfront_no_origin_path_unchanged(cf_client):
    assert urlparse(_cloudfront(cf_client, "cloudfront/a.bin")).path == "/cloudfront/a.bin"


# --- TestS3StorageProviderPresign: dispatch by signer type -------------------------------------


def test_native_presign_default(frozen):
    url = _client().generate_presigned_url("data/file.bin")
    # MSC: one boto3 call with ClientMethod "get_object"; here: the URL boto3 makes for it.
    assert url == _boto3_url("get_object", {"Bucket": "my-bucket", "Key": "prefix/data/file.bin"}, 3600)
    assert url.signer_type == "s3"


def test_native_presign_explicit_s3_type(frozen):
    assert _client().generate_presigned_url("data/file.bin", signer_type=SignerType.S3) == (
        _client().generate_presigned_url("data/file.bin")
    )


def test_cloudfront_dispatch(cloudfront_key_file):
    url = _client().generate_presigned_url(
        "data/file.bin",
        signer_type=SignerType.CLOUDFRONT,
        signer_options={"key_pair_id": "KEYPAIR", "private_key_path": str(cloudfront_key_file),
                        "domain": "d123.cloudfront.net"},
    )  # fmt: skip
    # MSC mocks CloudFrontURLSigner and checks it was called; the result says which signer made it.
    assert url.signer_type == "cloudfront" and url.startswith("https://d123.cloudfront.net/prefix/data/file.bin?")


def test_unsupported_signer_type_raises():
    # MSC matches "Unsupported signer type"; ours lists the signer types that exist.
    with pytest.raises(ValueError, match="'unknown'"):
        _client().generate_presigned_url("data/file.bin", signer_type="unknown")


# --- TestUnsupportedProvider --------------------------------------------------------------------


def test_posix_provider_raises():
    config = StorageClientConfig.from_yaml(
        """
        profiles:
          test-posix:
            storage_provider:
              type: file
              options:
                base_path: /tmp/test
        """,
        profile="test-posix",
    )
    # MSC matches "does not support presigned URL"; ours says the same in its words and names the type.
    with pytest.raises(NotImplementedError, match="presigned URLs are not implemented .* 'file'"):
        StorageClient(config).generate_presigned_url("some/path")


# --- TestClientDelegation -----------------------------------------------------------------------


def test_single_client_delegates_to_provider(frozen):
    # MSC swaps in a mock provider and checks the arguments it receives; here the result
    # carries them: the path, method and signer type reach the signer unchanged.
    url = _client().generate_presigned_url("path/to/obj", method="PUT", signer_type=SignerType.S3)
    assert (url.method, url.signer_type, url.details.key) == ("PUT", "s3", "prefix/path/to/obj")


# --- TestGeneratePresignedUrlShortcut -----------------------------------------------------------


def test_generate_presigned_url_shortcut(write_config, frozen):
    write_config({"profile": S3_PROFILE})
    client, path = msc.resolve_storage_client("msc://profile/prefix/file.bin")
    assert path == "prefix/file.bin"  # MSC: resolve_storage_client called with the URL, then the client with the path
    url = msc.generate_presigned_url("msc://profile/prefix/file.bin", method="GET")
    assert url == client.generate_presigned_url("prefix/file.bin", method="GET", signer_type=None, signer_options=None)
    assert url.source == "msc://profile/prefix/file.bin"


# --- e2e/common.py test_presigned_url, against a real S3 server ----------------------------------


def test_presigned_url_round_trip(seaweedfs, s3, write_config):
    write_config({"profile": seaweed_profile(seaweedfs)})
    client, _ = msc.resolve_storage_client("msc://profile/")
    key = "presigned-round-trip/testfile.bin"
    body = b"presigned-url integration test content"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)  # MSC: client.write (we only sign)

    with urllib.request.urlopen(client.generate_presigned_url(key, method="GET"), timeout=10) as response:
        assert response.read() == body

    put_key = "presigned-round-trip/put-testfile.bin"
    put_body = b"uploaded via presigned PUT"
    request = urllib.request.Request(client.generate_presigned_url(put_key, method="PUT"), data=put_body, method="PUT")
    with urllib.request.urlopen(request, timeout=10):
        pass
    assert s3.get_object(Bucket=BUCKET, Key=put_key)["Body"].read() == put_body  # MSC: client.read
