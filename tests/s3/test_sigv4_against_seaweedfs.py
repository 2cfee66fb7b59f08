"""URLs from the hand-written SigV4 path, one at a time and in bulk, against a real S3
server that verifies signatures (SeaweedFS): they work, and altered ones are refused."""

from __future__ import annotations

import string
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import BUCKET
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.core import _times as times

# Keys the server stores and serves as they are, after a prefix of up to 7 bytes.
# (SeaweedFS takes keys of up to 1,024 bytes in segments of up to 255, and stores a
# key ending in "/" as a directory.)
AWKWARD_KEYS = [
    "every printable/" + string.printable[:95],
    "spaces and + plus/a b+c.txt",
    "unicodé/данные/数据/😀.bin",
    "double//slash/x",
    "tilde~star*quote'(paren)!.txt",
    "/".join(["ü" * 120] * 4) + "/" + "x" * 53,  # 1,017 bytes
]
# One URL at a time, '*' is refused (it would mean a prefix); bulk URLs take keys as listed.
SINGLE_KEYS = [key.replace("*", "") for key in AWKWARD_KEYS]


@pytest.fixture
def signer(demo_profile):
    """The demo profile's S3 signer, with its fast path on."""
    signer = msc.StorageClient(msc.StorageClientConfig.from_file(demo_profile)).signer()
    signer.sign_many(["probe"], expires_in=60, signed_at=times.utcnow())
    assert signer._presigner is not None, "SeaweedFS (path style, custom endpoint) is on the fast path"
    return signer


def _flip_signature(url: str) -> str:
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    return url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])


def test_bulk_urls_read_every_object(signer, s3):
    keys = [f"bulk/{key}" for key in AWKWARD_KEYS] + [f"bulk/c/{i}" for i in range(20)]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    urls = signer.sign_many(keys, expires_in=300, signed_at=times.utcnow())
    for key, url in zip(keys, urls, strict=True):
        response = fetch(url)
        assert response.status_code == 200, (key, response.text)
        assert response.content == key.encode()


@pytest.mark.parametrize("key", SINGLE_KEYS, ids=range(len(SINGLE_KEYS)))
def test_put_head_and_get_urls_work_for_awkward_keys(demo_profile, signer, s3, key):
    key = f"single/{key}"
    put = msc.generate_presigned_url(f"msc://demo/{key}", method="PUT", signer_options={"content_type": "text/x-ünï"})
    assert fetch(put, "PUT", data=b"payload", headers={"Content-Type": "text/x-ünï".encode()}).status_code == 200
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"payload"  # stored under the exact key
    head = fetch(msc.generate_presigned_url(f"msc://demo/{key}", method="HEAD"), "HEAD")
    assert head.status_code == 200 and head.headers["Content-Length"] == "7"
    get = msc.generate_presigned_url(
        f"msc://demo/{key}", signer_options={"content_disposition": 'attachment; filename="ü b.bin"'}
    )
    response = fetch(get)
    assert response.status_code == 200 and response.content == b"payload"
    assert response.headers["Content-Disposition"].encode("latin-1").decode() == 'attachment; filename="ü b.bin"'


def test_altered_urls_are_refused(signer, s3):
    keys = ["tamper/a b.txt", "tamper/other.txt"]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"secret")
    url, other = signer.sign_many(keys, expires_in=300, signed_at=times.utcnow())
    assert fetch(url).status_code == 200
    query = parse_qs(urlsplit(url).query)
    signed_at = query["X-Amz-Date"][0]
    later = signed_at[:-3] + f"{(int(signed_at[-3:-1]) + 1) % 60:02d}Z"
    altered = {
        "signature": _flip_signature(url),
        "another key": url.replace("/tamper/a%20b.txt?", "/tamper/other.txt?"),
        "longer expiry": url.replace("X-Amz-Expires=300", "X-Amz-Expires=3600"),
        "another time": url.replace(f"X-Amz-Date={signed_at}", f"X-Amz-Date={later}"),
        "another signer": url.replace(parse_qs(urlsplit(url).query)["X-Amz-Credential"][0].split("/")[0], "AKIAOTHER"),
    }
    for what, bad in altered.items():
        assert bad != url, what
        assert fetch(bad).status_code == 403, what
    assert fetch(url, "HEAD").status_code == 403  # signed for GET
    assert fetch(other).status_code == 200


def test_urls_signed_long_enough_ago_have_expired(signer, s3):
    s3.put_object(Bucket=BUCKET, Key="old.txt", Body=b"o")
    now = times.utcnow()
    expired, fresh = (
        signer.sign_many(["old.txt"], expires_in=60, signed_at=now - timedelta(seconds=seconds))[0]
        for seconds in (120, 0)
    )
    assert fetch(expired).status_code == 403
    assert fetch(fresh).status_code == 200


def test_a_put_url_is_bound_to_its_content_type(demo_profile, signer):
    url = msc.generate_presigned_url("msc://demo/typed.csv", method="PUT", signer_options={"content_type": "text/csv"})
    assert fetch(url, "PUT", data=b"a", headers={"Content-Type": "text/plain"}).status_code == 403
    assert fetch(_flip_signature(url), "PUT", data=b"a", headers={"Content-Type": "text/csv"}).status_code == 403
    assert fetch(url, "PUT", data=b"a", headers={"Content-Type": "text/csv"}).status_code == 200
