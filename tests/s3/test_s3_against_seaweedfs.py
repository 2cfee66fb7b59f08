"""URLs made by the library, used by a recipient with no credentials, against a real S3
server that verifies SigV4 (SeaweedFS)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import BUCKET, seaweed_profile
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.testing import freeze_clock


def test_get_returns_the_object(demo_profile, s3):
    s3.put_object(Bucket=BUCKET, Key="datasets/model.bin", Body=b"\x00weights\xff")
    url = msc.generate_presigned_url("msc://demo/datasets/model.bin")
    response = fetch(url)
    assert response.status_code == 200, response.text
    assert response.content == b"\x00weights\xff"


def test_put_uploads_bytes_a_later_get_returns(demo_profile, s3):
    put_url = msc.generate_presigned_url("msc://demo/uploads/data.tar", method="PUT")
    assert put_url.method == "PUT"
    assert fetch(put_url, "PUT", data=b"uploaded bytes").status_code == 200
    assert s3.get_object(Bucket=BUCKET, Key="uploads/data.tar")["Body"].read() == b"uploaded bytes"
    assert fetch(msc.generate_presigned_url("msc://demo/uploads/data.tar")).content == b"uploaded bytes"


def test_head_works_and_get_url_is_not_a_head_url(demo_profile, s3):
    s3.put_object(Bucket=BUCKET, Key="head/me.txt", Body=b"12345")
    head_url = msc.generate_presigned_url("msc://demo/head/me.txt", method="head")
    assert head_url.method == "HEAD"
    response = fetch(head_url, "HEAD")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "5"
    assert fetch(head_url, "GET").status_code == 403  # the method is part of the signature


def test_signed_content_type_is_enforced(demo_profile, s3):
    url = msc.generate_presigned_url(
        "msc://demo/typed.json", method="PUT", signer_options={"content_type": "application/json"}
    )
    assert fetch(url, "PUT", data=b"{}", headers={"Content-Type": "text/plain"}).status_code == 403
    assert fetch(url, "PUT", data=b"{}", headers={"Content-Type": "application/json"}).status_code == 200
    assert s3.head_object(Bucket=BUCKET, Key="typed.json")["ContentType"] == "application/json"


def test_get_response_headers_are_signed(demo_profile, s3):
    s3.put_object(Bucket=BUCKET, Key="report.csv", Body=b"a,b\n")
    url = msc.generate_presigned_url(
        "msc://demo/report.csv",
        signer_options={"content_disposition": 'attachment; filename="r.csv"', "response_content_type": "text/csv"},
    )
    response = fetch(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="r.csv"'
    assert response.headers["Content-Type"].startswith("text/csv")


def _replace_query(url: str, name: str, value: str) -> str:
    old = parse_qs(urlsplit(url).query)[name][0]
    return url.replace(f"{name}={old}", f"{name}={value}")


def test_tampered_signature_is_refused(demo_profile, s3):
    s3.put_object(Bucket=BUCKET, Key="secret.txt", Body=b"s")
    url = msc.generate_presigned_url("msc://demo/secret.txt")
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert fetch(url).status_code == 200
    assert fetch(_replace_query(url, "X-Amz-Signature", flipped)).status_code == 403


def test_raised_expiry_is_refused(demo_profile, s3):
    s3.put_object(Bucket=BUCKET, Key="short.txt", Body=b"s")
    url = msc.generate_presigned_url("msc://demo/short.txt", signer_options={"expires_in": 60})
    assert fetch(_replace_query(url, "X-Amz-Expires", "3600")).status_code == 403


def test_signature_does_not_open_another_key(demo_profile, s3):
    s3.put_object(Bucket=BUCKET, Key="public/a.txt", Body=b"a")
    s3.put_object(Bucket=BUCKET, Key="private/b.txt", Body=b"b")
    url = msc.generate_presigned_url("msc://demo/public/a.txt")
    assert fetch(url).status_code == 200
    assert fetch(url.replace("/public/a.txt?", "/private/b.txt?")).status_code == 403
    put_url = msc.generate_presigned_url("msc://demo/public/new.txt", method="PUT")
    assert fetch(put_url.replace("/public/new.txt?", "/private/b.txt?"), "PUT", data=b"x").status_code == 403
    assert s3.get_object(Bucket=BUCKET, Key="private/b.txt")["Body"].read() == b"b"


def test_expired_url_is_refused(demo_profile, s3, monkeypatch):
    s3.put_object(Bucket=BUCKET, Key="brief.txt", Body=b"s")
    ten_seconds_ago = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=10)
    with freeze_clock(ten_seconds_ago.replace(tzinfo=timezone.utc)):  # signed 10 s ago, for 2 s: expired 8 s ago
        url = msc.generate_presigned_url("msc://demo/brief.txt", signer_options={"expires_in": 2})
        still_valid = msc.generate_presigned_url("msc://demo/brief.txt", signer_options={"expires_in": 60})
    assert url.expires_in == 2 and url.expired and not still_valid.expired
    assert fetch(url).status_code == 403
    assert fetch(still_valid).status_code == 200  # the same instant, a longer life: refused only for expiry


@pytest.mark.parametrize(
    "credentials", [{"secret_key": "not-the-secret"}, {"access_key": "AKIAUNKNOWNKEY0000"}], ids=["wrong-secret", "unknown-key"]
)
def test_wrong_credentials_make_urls_that_are_refused(seaweedfs, write_config, s3, credentials):
    s3.put_object(Bucket=BUCKET, Key="guarded.txt", Body=b"g")
    write_config({"bad": seaweed_profile(seaweedfs, **credentials)})
    assert fetch(msc.generate_presigned_url("msc://bad/guarded.txt")).status_code == 403


AWKWARD_KEYS = [
    "with space.txt",
    "plus+equals=amp&.txt",
    "tilde~paren(s)!'.txt",
    "question?mark.txt",
    "hash#tag.txt",
    "percent%20literal%.txt",
    "unicodé/данные/数据.txt",
    "double//slash.txt",
    "trailing.dot.",
]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_keys_round_trip(demo_profile, s3, key):
    put_url = msc.generate_presigned_url(f"msc://demo/{key}", method="PUT")
    assert fetch(put_url, "PUT", data=key.encode()).status_code == 200
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == key.encode()  # stored under the exact key
    response = fetch(msc.generate_presigned_url(f"msc://demo/{key}"))
    assert response.status_code == 200
    assert response.content == key.encode()


def test_base_path_prefix_is_joined_once(seaweedfs, write_config, s3):
    write_config({"nested": seaweed_profile(seaweedfs, base_path=f"/{BUCKET}/team/")})
    s3.put_object(Bucket=BUCKET, Key="team/data/x.bin", Body=b"x")
    url = msc.generate_presigned_url("msc://nested/data/x.bin")
    assert f"/{BUCKET}/team/data/x.bin?" in url
    assert fetch(url).content == b"x"


def test_storage_client_api_and_profile_defaults(seaweedfs, write_config, s3):
    profile = seaweed_profile(seaweedfs)
    profile["presign"] = {"s3": {"expires_in": 900}}
    write_config({"team": profile})
    s3.put_object(Bucket=BUCKET, Key="datasets/model.bin", Body=b"m")
    client = msc.StorageClient(msc.StorageClientConfig.from_file("team"))
    url = client.generate_presigned_url("datasets/model.bin")
    assert url.expires_in == 900  # from the profile's presign defaults
    assert "X-Amz-Expires=900" in url
    assert client.generate_presigned_url("datasets/model.bin", signer_options={"expires_in": 60}).expires_in == 60
    assert fetch(url).content == b"m"
