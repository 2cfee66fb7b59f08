"""Keyless GCS signing (a service account signs through IAM's signBlob: impersonation, workload
identities), against a local token endpoint and signBlob in Google's shapes
(tests/support/gcs_iam.py), the URLs checked by the spec verifier; who cannot sign is told what
can; every call bounded. Listing goes to fake-gcs-server (a GCS JSON API; it checks no
signatures), paged, in MSC's ObjectMetadata shape.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.gcs_iam import FakeIAM

import msc_notebook as msc
from msc_notebook.demo.fake_gcs import FakeGCS
from msc_notebook.demo.gcs_edge import GCSEdge

KEY = json.loads((Path(__file__).parent / "test_service_account.not-a-test.json").read_text())
CALLER = KEY["client_email"]
SIGNER = "data-signer@dummy-project-id.iam.gserviceaccount.com"
BUCKET = "test-bucket"


@pytest.fixture(scope="module")
def signer_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def iam(signer_key):
    with FakeIAM({SIGNER: signer_key}, grants={CALLER: {SIGNER}}) as server:
        yield server


@pytest.fixture(scope="module")
def verifier(signer_key):
    caller = serialization.load_pem_private_key(KEY["private_key"].encode(), None).public_key()
    with GCSEdge({CALLER: caller, SIGNER: signer_key.public_key()}) as server:
        yield server


def keyless_profile(iam: FakeIAM, endpoint_url: str, *, service_account: str | None = SIGNER, **options) -> dict:
    """A profile whose own key only authenticates (its token from the local endpoint); SIGNER signs."""
    caller = {**KEY, "token_uri": f"{iam.endpoint_url}/token"}
    presign = {"iam_endpoint": iam.endpoint_url, **({"service_account": service_account} if service_account else {})}
    return {
        "storage_provider": {"type": "gcs", "options": {"base_path": BUCKET, "endpoint_url": endpoint_url, **options}},
        "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": caller}},
        "presign": {"gcs": presign},
    }


@pytest.fixture
def reset(iam):
    iam.hold = False
    iam.calls.clear()
    yield iam
    iam.hold = False


def test_impersonation_signs_through_sign_blob_and_the_url_verifies(reset, verifier, write_config):
    write_config({"imp": keyless_profile(reset, verifier.endpoint_url)})
    verifier.objects[(BUCKET, "data/x y.bin")] = (b"keyless", "application/octet-stream")
    url = msc.generate_presigned_url("msc://imp/data/x y.bin")
    assert requests.get(url, timeout=10).content == b"keyless", verifier.refusals
    assert url.details.signed_by == SIGNER and "IAM signBlob" in url.details.credential_source
    assert "each call bounded: 5 s to connect, 15 s to answer" in url.details.credential_source
    assert any(call.endswith(f"{SIGNER}:signBlob") for call in reset.calls) and "/token" in reset.calls
    assert url.warning is None and url.effective_expiry == url.requested_expiry


def test_a_refused_sign_blob_is_a_credentials_error(reset, verifier, write_config):
    write_config({"imp": keyless_profile(reset, verifier.endpoint_url, service_account="stranger@x.iam.gserviceaccount.com")})
    with pytest.raises(msc.CredentialsError, match="IAM signBlob as stranger@x.iam.gserviceaccount.com failed"):
        msc.generate_presigned_url("msc://imp/data/x")


def test_a_sign_blob_that_never_answers_ends_within_the_bound(reset, verifier, write_config):
    write_config({"imp": keyless_profile(reset, verifier.endpoint_url, connect_timeout=1, read_timeout=1)})
    reset.hold = True
    started = time.monotonic()
    with pytest.raises(msc.CredentialsError):
        msc.generate_presigned_url("msc://imp/data/x")
    assert time.monotonic() - started < 15


def test_a_users_own_credentials_are_told_what_can_sign(tmp_path, write_config, monkeypatch):
    user = tmp_path / "adc.json"
    user.write_text(json.dumps({"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(user))
    write_config({"adc": {"storage_provider": {"type": "gcs", "options": {"base_path": BUCKET}}}})
    with pytest.raises(msc.CredentialsError, match="a user's own Google credentials cannot sign URLs.*service_account"):
        msc.generate_presigned_url("msc://adc/x")


def test_a_workload_identity_needs_a_service_account_to_sign_as(write_config):
    write_config({"wif": {
        "storage_provider": {"type": "gcs", "options": {"base_path": BUCKET}},
        "credentials_provider": {"type": "GoogleIdentityPoolCredentialsProvider",
                                 "options": {"audience": "//iam.googleapis.com/x", "token_supplier": "t"}},
    }})  # fmt: skip
    with pytest.raises(msc.CredentialsError, match="a workload identity cannot sign by itself"):
        msc.generate_presigned_url("msc://wif/x")


@pytest.fixture(scope="module")
def fake_gcs(tmp_path_factory):
    with FakeGCS(tmp_path_factory.mktemp("fake-gcs")) as server:
        server.create_bucket(BUCKET)
        for index in range(7):
            server.upload(BUCKET, f"pre/data/item-{index}.bin", b"x" * index)
        server.upload(BUCKET, "pre/data/sub dir/ü.txt", b"u")
        server.upload(BUCKET, "outside.txt", b"o")
        yield server


def test_listing_pages_through_the_json_api_in_msc_shape(reset, fake_gcs, write_config):
    write_config({"g": keyless_profile(reset, fake_gcs.endpoint_url, service_account=None, base_path=f"{BUCKET}/pre")})
    client = msc.storage_client("g")
    everything = list(client.list("data/"))
    assert [entry.key for entry in everything] == [f"data/item-{i}.bin" for i in range(7)] + ["data/sub dir/ü.txt"]
    assert everything[3].content_length == 3 and everything[3].last_modified is not None
    pages, token = [], None
    while True:
        page = client.list_page("data/", delimiter=True, page_size=3, token=token)
        pages.append(page)
        token = page.next_token
        if token is None:
            break
    files = [entry.key for page in pages for entry in page.entries if entry.type == "file"]
    assert len(pages) == 3 and files == [f"data/item-{i}.bin" for i in range(7)]  # one level: not sub dir/ü.txt
    # fake-gcs-server repeats the sub-prefixes on every page (GCS counts them in max_results)
    assert {entry.key for page in pages for entry in page.entries if entry.type == "directory"} == {"data/sub dir/"}


def test_without_the_gcs_extra_a_keyless_profile_says_how_to_install_it(write_config, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "google.auth", None)  # as if google-auth were not installed
    write_config({"adc": {"storage_provider": {"type": "gcs", "options": {"base_path": BUCKET}}}})
    with pytest.raises(msc.CredentialsError, match=r"pip install 'msc-notebook\[gcs\]'"):
        msc.generate_presigned_url("msc://adc/x")
