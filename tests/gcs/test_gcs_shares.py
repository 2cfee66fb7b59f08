"""A GCS prefix share: a signed manifest of V4 URLs (read-only, one object each, all signed at one
instant), written create-only to the profile's own bucket, checked by the spec verifier, and
opened by a recipient with zarr and fsspec alone."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from support.recipient import build_zarr_dataset, run_recipient

import msc_notebook as msc
from msc_notebook.demo.gcs_edge import GCSEdge
from msc_notebook.frontends._facts import result_facts

KEY = json.loads((Path(__file__).parent / "test_service_account.not-a-test.json").read_text())
BUCKET = "share-bucket"
PREFIX = "datasets/ocean data.zarr"
SHARE = f"msc://gs/{PREFIX}/*"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    local = tmp_path_factory.mktemp("gcs-dataset") / "ocean.zarr"
    arrays = build_zarr_dataset(local)
    files = {f"pre/{PREFIX}/{path.relative_to(local).as_posix()}": path.read_bytes() for path in local.rglob("*")
             if path.is_file()}  # fmt: skip
    return arrays, files


@pytest.fixture(scope="module")
def edge(dataset):
    public = serialization.load_pem_private_key(KEY["private_key"].encode(), None).public_key()
    with GCSEdge({KEY["client_email"]: public}) as server:
        yield server


@pytest.fixture
def gs(edge, dataset, write_config, monkeypatch):
    """Profile 'gs': the dataset on the stand-in; its key's token (for listing) from the stand-in too."""
    edge.objects.clear()
    edge.objects.update({(BUCKET, name): (body, "") for name, body in dataset[1].items()})
    edge.objects[(BUCKET, "pre/datasets/outside.bin")] = (b"not shared", "")
    monkeypatch.setattr("msc_notebook._client.LIST_PAGE_SIZE", 7)  # several listing pages
    info = {**KEY, "token_uri": f"{edge.endpoint_url}/token"}
    write_config({"gs": {
        "storage_provider": {"type": "gcs", "options": {"base_path": f"{BUCKET}/pre", "endpoint_url": edge.endpoint_url}},
        "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": info}},
    }})  # fmt: skip
    return edge


def test_a_gcs_share_is_a_signed_manifest_of_read_only_urls(gs):
    share = msc.share_prefix(SHARE, expires_in=900, progress=False)
    stored = {name for bucket, name in gs.objects if bucket == BUCKET and name.startswith(f"pre/{PREFIX}/")}
    assert isinstance(share, msc.ManifestShare) and share.signer_type == "gcs" and share.count == len(stored)
    assert share.details.manifest_location.startswith("msc://gs/.msc_notebook/shares/ocean data.zarr-")
    assert requests.get(share, timeout=10).json()["msc_notebook"]["count"] == share.count
    urls = share.urls
    assert "outside.bin" not in " ".join(urls) and len({u.split("X-Goog-Date=")[1][:16] for u in urls.values()}) == 1
    first = next(iter(urls.values()))
    assert requests.get(first, timeout=10).status_code == 200
    assert requests.put(first, data=b"x", timeout=10).status_code == 403 and requests.put(share, data=b"x", timeout=10).status_code == 403
    assert share.effective_expiry == share.signed_at + timedelta(seconds=900) and not share.limited_by_credentials
    assert "X-Goog-Expires=900" in first


def test_the_manifest_is_written_create_only(gs, monkeypatch):
    from msc_notebook.shares import _manifest

    monkeypatch.setattr(_manifest, "_manifest_name", lambda *_: "fixed.json")
    gs.objects[(BUCKET, "pre/.msc_notebook/shares/fixed.json")] = (b"an earlier share", "application/json")
    with pytest.raises(msc.ObjectExistsError, match="new manifest names .* were all taken"):
        msc.share_prefix(SHARE, progress=False)
    assert gs.objects[(BUCKET, "pre/.msc_notebook/shares/fixed.json")][0] == b"an earlier share"
    with pytest.raises(msc.ObjectExistsError, match="already exists and was left as it is"):
        msc.share_prefix(SHARE, manifest_url="msc://gs/.msc_notebook/shares/fixed.json", progress=False)
    share = msc.share_prefix(SHARE, manifest_url="msc://gs/.msc_notebook/shares/fixed.json", overwrite=True,
                             progress=False)  # fmt: skip
    assert requests.get(share, timeout=10).json()["msc_notebook"]["count"] == share.count


@pytest.mark.e2e  # a separate recipient process
def test_a_recipient_with_only_the_link_reads_every_array(gs, dataset, tmp_path):
    share = msc.share_prefix(SHARE, progress=False)
    result = run_recipient(tmp_path, result_facts(share).zarr_snippet)
    assert result["imported"] == []
    for path, expected in dataset[0].items():
        assert (result["arrays"][path] == expected).all(), path


def test_the_magic_shares_a_gcs_prefix(gs, ip):
    from conftest import run_cell

    executed, captured = run_cell(ip, f'%presign "{SHARE}" -e 20m')
    share = executed.result
    assert isinstance(share, msc.ManifestShare) and share.expires_in == 1200
    text = captured.outputs[0].data["text/plain"]
    assert text.startswith(f"share of {SHARE} (gcs signer), valid until") and f"{share.count} objects" in text


def test_revoking_a_gcs_share_deletes_its_manifest(gs):
    share = msc.share_prefix(SHARE, progress=False)
    url = next(iter(share.urls.values()))
    assert "its manifest is deleted" in share.revoke()
    assert requests.get(share, timeout=10).status_code == 404 and requests.get(url, timeout=10).status_code == 200


def test_a_gcs_share_is_revoked_from_its_bare_link_or_its_manifest_after_a_restart(gs):
    first, second = msc.share_prefix(SHARE, progress=False), msc.share_prefix(SHARE, progress=False)
    msc.clear_client_cache()
    assert "its manifest is deleted, so the link no longer opens" in msc.revoke(str(first))
    assert "its manifest is deleted" in msc.revoke(second.details.manifest_location)
    assert {requests.get(share, timeout=10).status_code for share in (first, second)} == {404}
