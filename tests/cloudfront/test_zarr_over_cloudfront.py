"""End to end: a Zarr dataset in S3 (SeaweedFS) behind a local edge that enforces CloudFront
signatures; zarr-python opens it with nothing but what a wildcard share hands out."""

from __future__ import annotations

import time
import warnings

import aiohttp
import numpy as np
import pytest
import zarr
from conftest import BUCKET, seaweed_profile
from support.cloudfront import KEY_PAIR_ID, cloudfront_profile

import msc_notebook as msc
from msc_notebook.demo.cloudfront_edge import CloudFrontEdge, CloudFrontVerifier, s3_origin

pytestmark = pytest.mark.e2e  # slow: zarr reading a dataset end to end through the local edge

PREFIX = "results/experiment.zarr"


@pytest.fixture(scope="module")
def dataset(seaweedfs, tmp_path_factory):
    """A small Zarr group uploaded to the bucket (and a sibling the share must not open)."""
    local = tmp_path_factory.mktemp("zarr") / "experiment.zarr"
    group = zarr.open_group(str(local), mode="w")
    arrays = {
        "temperature": np.arange(24 * 36, dtype="float32").reshape(24, 36) / 7,
        "labels": np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype="int16"),
    }
    for name, data in arrays.items():
        group.create_array(name, shape=data.shape, dtype=data.dtype, chunks=tuple(max(1, n // 3) for n in data.shape))[:] = data
    group.attrs["title"] = "sea surface temperature (test)"
    with warnings.catch_warnings():  # "consolidated metadata is not in the v3 spec": we want it anyway
        warnings.simplefilter("ignore", UserWarning)
        zarr.consolidate_metadata(str(local))
    client = seaweedfs.client()
    files = [p for p in local.rglob("*") if p.is_file()]
    for prefix in (PREFIX, PREFIX + "2"):
        for path in files:
            client.put_object(Bucket=BUCKET, Key=f"{prefix}/{path.relative_to(local).as_posix()}", Body=path.read_bytes())
    return arrays, len(files)


class Clock:
    """The edge's clock, which a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def edge(seaweedfs, rsa_private_key):
    clock = Clock()
    verifier = CloudFrontVerifier({KEY_PAIR_ID: rsa_private_key.public_key()}, clock)
    with CloudFrontEdge(verifier, s3_origin(seaweedfs.client(), BUCKET)) as server:
        server.clock = clock
        yield server


@pytest.fixture
def share_profile(write_config, cloudfront_key_file, edge):
    write_config({"cf": cloudfront_profile(cloudfront_key_file, base_path=BUCKET, domain=edge.url)})
    return "cf"


def _open(url_or_cookies, root: str):
    return zarr.open_group(root, mode="r", storage_options=msc.fsspec_storage_options(url_or_cookies))


def _assert_same(group, arrays) -> None:
    assert group.attrs["title"] == "sea surface temperature (test)"
    for name, data in arrays.items():
        np.testing.assert_array_equal(group[name][:], data)


def test_zarr_reads_the_dataset_with_only_the_wildcard_url(dataset, share_profile, edge):
    arrays, file_count = dataset
    url = msc.generate_presigned_url(f"msc://cf/{PREFIX}/*", signer_type="cloudfront")
    assert url.details.policy == "custom"
    _assert_same(_open(url, msc.wildcard_base(url).rstrip("/")), arrays)
    served = [entry for entry in edge.log if entry[2] == 200]
    assert len({path for _, path, _, _ in served}) >= 4  # metadata and several chunks, one signature
    assert all(status != 403 for _, _, status, _ in edge.log)


def test_zarr_reads_the_dataset_with_signed_cookies(dataset, share_profile, edge):
    arrays, _ = dataset
    cookies = msc.generate_signed_cookies(f"msc://cf/{PREFIX}/*")
    _assert_same(_open(cookies, f"{edge.url}/{PREFIX}"), arrays)
    assert {status for _, _, status, _ in edge.log} <= {200, 404}


def test_the_share_does_not_open_a_sibling_prefix(dataset, share_profile, edge):
    url = msc.generate_presigned_url(f"msc://cf/{PREFIX}/*", signer_type="cloudfront")
    with pytest.raises(aiohttp.ClientResponseError, match="403"):  # fsspec passes the edge's 403 on
        _open(url, f"{edge.url}/{PREFIX}2")
    assert any(status == 403 and "Resource does not cover" in reason for _, _, status, reason in edge.log)


def test_tampered_signature_gets_403_and_zarr_fails(dataset, share_profile, edge):
    url = msc.generate_presigned_url(f"msc://cf/{PREFIX}/*", signer_type="cloudfront")
    signature = msc.signed_parameters(url)["Signature"]
    tampered = url.replace(signature, signature[:-8] + ("AAAAAAAA" if not signature.endswith("AAAAAAAA") else "BBBBBBBB"))
    with pytest.raises(aiohttp.ClientResponseError, match="403"):  # fsspec passes the edge's 403 on
        _open(tampered, msc.wildcard_base(url).rstrip("/"))
    assert edge.log and all(status == 403 for _, _, status, _ in edge.log)


def test_expired_share_gets_403_and_zarr_fails(dataset, share_profile, edge):
    url = msc.generate_presigned_url(f"msc://cf/{PREFIX}/*", signer_type="cloudfront", signer_options={"expires_in": 60})
    edge.clock.offset = 61
    with pytest.raises(aiohttp.ClientResponseError, match="403"):  # fsspec passes the edge's 403 on
        _open(url, msc.wildcard_base(url).rstrip("/"))
    assert edge.log and all(status == 403 and "expired" in reason for _, _, status, reason in edge.log)


def test_a_single_object_url_fetches_through_the_edge(dataset, share_profile, edge):
    from support.http_client import fetch

    url = msc.generate_presigned_url(f"msc://cf/{PREFIX}/zarr.json", signer_type="cloudfront")
    response = fetch(url)
    assert response.status_code == 200 and b'"zarr_format"' in response.content
    assert fetch(url, "HEAD").status_code == 200
    assert fetch(url.replace("zarr.json", "labels/zarr.json")).status_code == 403  # canned: that URL only


def test_a_wildcard_share_checks_objects_listed_with_the_profiles_credentials(dataset, edge, seaweedfs, write_config,
                                                                               cloudfront_key_file):  # fmt: skip
    raw = seaweed_profile(seaweedfs)
    raw["presign"] = {"cloudfront": {"key_pair_id": KEY_PAIR_ID, "private_key_path": str(cloudfront_key_file),
                                     "domain": edge.url}}  # fmt: skip
    write_config({"cfs": raw})
    share = msc.share_prefix(f"msc://cfs/{PREFIX}/*", signer_type="cloudfront")
    assert isinstance(share, msc.WildcardShare) and share.count is None
    report = share.check(sample=3)
    assert report.works and len(report.probes) == 3 and all(p.what.startswith("object ") for p in report.probes)
    edge.clock.offset = 7200  # two hours later at the edge: the wildcard has expired there
    expired = share.check(sample=1)
    assert not expired.works and expired.probes[0].status == 403
