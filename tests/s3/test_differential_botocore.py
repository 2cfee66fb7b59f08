"""With botocore's clock frozen, our URLs equal what plain boto3 (s3v4) makes for the same inputs."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from botocore.config import Config

import msc_notebook as msc

FROZEN = datetime(2026, 3, 14, 15, 9, 26)  # botocore's SigV4 signer uses naive UTC


@pytest.fixture
def frozen_botocore(monkeypatch, clock):
    """botocore's clock and ours (the fast SigV4 path reads ours) stopped at FROZEN."""
    clock(FROZEN.replace(tzinfo=timezone.utc))


CASES = [
    # (provider options, method, signer options, boto3 client method, boto3 params)
    ({"base_path": "my-bucket", "region_name": "us-west-2"}, "GET", {}, "get_object", {}),
    ({"base_path": "my-bucket", "region_name": "us-east-1"}, "GET", {"expires_in": 900}, "get_object", {}),
    ({"base_path": "my-bucket/pre/fix", "region_name": "eu-central-1"}, "PUT",
     {"content_type": "application/x-tar"}, "put_object", {"ContentType": "application/x-tar"}),
    ({"base_path": "my-bucket", "region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:9000"}, "HEAD",
     {}, "head_object", {}),
    ({"base_path": "my-bucket", "region_name": "us-east-1", "s3": {"addressing_style": "path"}}, "GET",
     {"content_disposition": "attachment; filename=\"m.bin\"", "response_content_type": "application/octet-stream"},
     "get_object", {"ResponseContentDisposition": "attachment; filename=\"m.bin\"",
                    "ResponseContentType": "application/octet-stream"}),
    ({"base_path": "my-bucket", "region_name": "us-east-1", "s3": {"addressing_style": "virtual"},
      "endpoint_url": "https://s3.example.com"}, "GET", {}, "get_object", {}),
]  # fmt: skip


def _bucket_and_prefix(base_path: str) -> tuple[str, str]:
    bucket, _, prefix = base_path.partition("/")
    return bucket, prefix + "/" if prefix else ""


@pytest.mark.parametrize("options, method, signer_options, client_method, extra", CASES)
@pytest.mark.parametrize("key", ["datasets/model.bin", "a b/c+d?e#f%g~h/ünï//x"])
@pytest.mark.parametrize("session_token", [None, "FwoGZXIvYXdzEJr//////////wEaDOPx+=="])
def test_same_url_as_plain_boto3(frozen_botocore, options, method, signer_options, client_method, extra, key, session_token):
    credentials = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    if session_token:
        credentials["session_token"] = session_token
    config = msc.StorageClientConfig.from_dict(
        {"profiles": {"p": {"storage_provider": {"type": "s3", "options": options},
                            "credentials_provider": {"type": "S3Credentials", "options": credentials}}}},
        "p",
    )  # fmt: skip
    ours = msc.StorageClient(config).generate_presigned_url(key, method=method, signer_options=signer_options)

    bucket, prefix = _bucket_and_prefix(options["base_path"])
    plain = boto3.client(
        "s3",
        aws_access_key_id=credentials["access_key"],
        aws_secret_access_key=credentials["secret_key"],
        aws_session_token=session_token,
        region_name=options["region_name"],
        endpoint_url=options.get("endpoint_url"),
        config=Config(signature_version="s3v4", s3=options.get("s3")),
    )
    theirs = plain.generate_presigned_url(
        client_method,
        Params={"Bucket": bucket, "Key": prefix + key, **extra},
        ExpiresIn=signer_options.get("expires_in", 3600),
        HttpMethod=method,
    )
    assert str(ours) == theirs
    assert ours.signed_at == FROZEN.replace(tzinfo=timezone.utc)
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in ours


def test_gcs_s3_defaults_to_the_gcs_xml_endpoint(frozen_botocore):
    config = msc.StorageClientConfig.from_dict(
        {"profiles": {"g": {"storage_provider": {"type": "gcs_s3", "options": {"base_path": "gbucket"}},
                            "credentials_provider": {"type": "S3Credentials",
                                                     "options": {"access_key": "GOOG1E", "secret_key": "s"}}}}},
        "g",
    )  # fmt: skip
    url = msc.StorageClient(config).generate_presigned_url("o.txt")
    assert url.startswith("https://storage.googleapis.com/gbucket/o.txt?")
    assert "%2Fauto%2Fs3%2Faws4_request" in url
