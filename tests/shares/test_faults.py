"""Faults, through a fault-injecting proxy in front of the real SeaweedFS: transient answers are
retried, final ones are named for what they are, every wait ends within its bound, Ctrl-C
works at any point, and nothing is left half-written or unaccounted for.

The proxy passes the client's Host through, so every request it lets by is checked by the
server against the signature made for the proxy's address: the share's URLs are fetched
through it too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import BUCKET, seaweed_profile
from support import fault_proxy as faults
from support.fault_proxy import FaultProxy
from support.http_client import fetch

import msc_notebook as msc

pytestmark = pytest.mark.e2e  # waits out retries and timeouts (about 25 s in all)

ROOT = "faults"  # the profiles' base_path is BUCKET/faults: their shares' manifests stay in here
SHARE = "msc://faulty/data/*"
FILES = {"data/a.txt": b"alpha", "data/sub/b.txt": b"bravo", "data/c d.txt": b"charlie"}
MANIFESTS = f"{ROOT}/.msc_notebook/shares/"
LISTING = "list-type=2"  # ListObjectsV2's query: the proxy's rules match the listing by it
SHORT = 1  # the test profile's connect and read timeouts, seconds: a stalled call ends quickly


@pytest.fixture(scope="module")
def proxy(seaweedfs):
    admin = seaweedfs.client()
    for key, body in FILES.items():
        admin.put_object(Bucket=BUCKET, Key=f"{ROOT}/{key}", Body=body)
    with FaultProxy(seaweedfs.port) as proxy:
        yield proxy


def proxied_profile(seaweedfs, proxy: FaultProxy, **options) -> dict:
    raw = seaweed_profile(seaweedfs, base_path=f"{BUCKET}/{ROOT}")
    raw["storage_provider"]["options"].update(endpoint_url=proxy.endpoint_url, **options)
    return raw


@pytest.fixture
def faulty(proxy, seaweedfs, write_config):
    """Profile 'faulty' through the proxy (1 s timeouts, 3 attempts); 'patient' with the defaults."""
    proxy.clear()
    config = write_config({
        "faulty": proxied_profile(seaweedfs, proxy, connect_timeout=SHORT, read_timeout=SHORT),
        "patient": proxied_profile(seaweedfs, proxy),
    })  # fmt: skip
    yield config
    proxy.clear()


def manifests(s3) -> set[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=MANIFESTS).get("Contents", [])
    return {entry["Key"] for entry in listed}


def assert_works(share: msc.PrefixShare) -> None:
    """The share opens through the proxy: its link and one of its URLs, as a recipient sees them."""
    assert fetch(str(share)).json()["msc_notebook"]["count"] == len(FILES)
    assert fetch(share.urls["a.txt"]).content == b"alpha"


# Listing


def test_a_slowdown_while_listing_is_retried_and_the_share_works(faulty, proxy, s3):
    proxy.add(faults.answer(503, "SlowDown"), method="GET", contains=LISTING)
    share = msc.share_prefix(SHARE, progress=False)
    assert proxy.count("GET", LISTING) == 2
    assert_works(share)


@pytest.mark.parametrize("fault", [faults.reset, faults.cut_body], ids=["reset", "cut-mid-body"])
def test_a_broken_connection_while_listing_is_retried(faulty, proxy, fault):
    proxy.add(fault(), method="GET", contains=LISTING)
    assert_works(msc.share_prefix(SHARE, progress=False))
    assert proxy.count("GET", LISTING) == 2


@pytest.mark.parametrize(("status", "code"), [(503, "SlowDown"), (500, "InternalError")])
def test_a_listing_that_keeps_failing_ends_with_the_storages_own_answer(faulty, proxy, s3, status, code):
    before = manifests(s3)
    proxy.add(faults.answer(status, code), method="GET", contains=LISTING, times=None)
    with pytest.raises(msc.StorageError) as caught:
        msc.share_prefix(SHARE, progress=False)
    message = str(caught.value)
    assert f"{status} {code} after 3 attempts" in message and "the listing of 'data/'" in message, message
    assert "credential" not in message and caught.value.field == "path"
    assert proxy.count("GET", LISTING) == 3 and manifests(s3) == before  # tried 3 times in all; nothing written


def test_a_refused_listing_speaks_of_credentials(faulty, proxy):
    proxy.add(faults.answer(403, "AccessDenied"), method="GET", contains=LISTING)
    with pytest.raises(msc.CredentialsError, match="403 AccessDenied.*credentials of profile 'faulty'"):
        msc.share_prefix(SHARE, progress=False)
    assert proxy.count("GET", LISTING) == 1  # a refusal is final: not retried


def test_a_listing_that_stops_answering_ends_within_its_bound(faulty, proxy, s3):
    before = manifests(s3)
    proxy.add(faults.hold(60), method="GET", contains=LISTING, times=None)
    started = time.monotonic()
    with pytest.raises(msc.StorageTimeoutError) as caught:
        msc.share_prefix(SHARE, progress=False)
    waited = time.monotonic() - started
    assert isinstance(caught.value, TimeoutError) and waited < 3 * SHORT + 8, waited  # 3 tries + backoff
    message = str(caught.value)
    assert proxy.endpoint_url in message and "did not answer the listing of 'data/'" in message
    assert f"within {SHORT} s (3 attempts, " in message and "read_timeout" in message
    assert manifests(s3) == before


# Waits out the default bounds: about 48 s.
def test_with_the_default_bounds_a_stalled_listing_ends_within_a_minute(faulty, proxy):
    proxy.add(faults.hold(120), method="GET", contains=LISTING, times=None)
    started = time.monotonic()
    with pytest.raises(msc.StorageTimeoutError, match=r"within 15 s \(3 attempts, \d+ s in all\)"):
        msc.share_prefix("msc://patient/data/*", progress=False)
    assert time.monotonic() - started < 60


# Writing the manifest


def test_a_slowdown_on_the_manifest_upload_is_retried(faulty, proxy, s3):
    before = manifests(s3)
    proxy.add(faults.answer(503, "SlowDown"), method="PUT", contains=".msc_notebook/shares/")
    share = msc.share_prefix(SHARE, progress=False)
    assert proxy.count("PUT") == 2 and len(manifests(s3) - before) == 1
    assert_works(share)


@pytest.mark.parametrize(("status", "code"), [(503, "SlowDown"), (500, "InternalError")])
def test_a_manifest_upload_that_keeps_failing_names_the_storages_answer(faulty, proxy, s3, status, code):
    before = manifests(s3)
    proxy.add(faults.answer(status, code), method="PUT", times=None)
    with pytest.raises(msc.StorageWriteError) as caught:
        msc.share_prefix(SHARE, progress=False)
    message = str(caught.value)
    assert f"{status} {code} after 3 attempts" in message and "msc://faulty/.msc_notebook/shares/" in message
    assert "credential" not in message and caught.value.field == "manifest_url"
    assert proxy.count("PUT") == 3 and manifests(s3) == before


def test_only_a_refused_upload_blames_the_credentials(faulty, proxy, s3):
    proxy.add(faults.answer(403, "AccessDenied"), method="PUT")
    with pytest.raises(msc.PrefixShareError, match="credentials of profile 'faulty' cannot write the share's manifest"):
        msc.share_prefix(SHARE, progress=False)
    assert proxy.count("PUT") == 1


def test_an_upload_whose_answer_was_lost_meets_itself_and_counts_as_written(faulty, proxy, s3):
    before = manifests(s3)
    proxy.add(faults.lose_answer(), method="PUT")
    share = msc.share_prefix(SHARE, progress=False)
    assert proxy.count("PUT") == 2 and len(manifests(s3) - before) == 1  # the retry met a 412: its own bytes
    assert_works(share)


def test_an_upload_whose_every_answer_was_lost_is_found_stored_and_counts_as_written(faulty, proxy, s3):
    before = manifests(s3)
    proxy.add(faults.lose_answer(), method="PUT", times=None)
    share = msc.share_prefix(SHARE, progress=False)
    assert proxy.count("PUT") == 3 and len(manifests(s3) - before) == 1
    assert_works(share)


def test_an_upload_that_cannot_be_confirmed_says_where_it_may_lie(faulty, proxy, s3):
    before = manifests(s3)
    proxy.add(faults.lose_answer(), contains=".msc_notebook/shares/", times=None)  # the PUTs and the HEAD
    with pytest.raises(msc.StorageError) as caught:
        msc.share_prefix(SHARE, progress=False)
    message = str(caught.value)
    [orphan] = manifests(s3) - before  # stored by the first attempt
    assert f"if msc://faulty/{orphan.removeprefix(ROOT + '/')} exists, it is complete" in message, message
    assert "credential" not in message and caught.value.field == "manifest_url"


def test_an_upload_that_is_never_answered_ends_within_its_bound(faulty, proxy, s3):
    proxy.add(faults.hold(60), method="PUT", times=None)
    started = time.monotonic()
    with pytest.raises(msc.StorageTimeoutError, match="did not answer the write of msc://faulty/.msc_notebook/"):
        msc.share_prefix(SHARE, progress=False)
    assert time.monotonic() - started < 3 * SHORT + 8


def test_a_local_manifest_is_not_touched_by_storage_faults(faulty, proxy, tmp_path):
    proxy.add(faults.answer(503, "SlowDown"), method="GET", contains=LISTING, times=None)
    target = tmp_path / "share.json"
    with pytest.raises(msc.StorageError):
        msc.share_prefix(SHARE, manifest_url=target.as_uri(), progress=False)
    assert list(tmp_path.iterdir()) == []


# Many at once, and Ctrl-C


def test_parallel_shares_through_intermittent_slowdowns_all_work(faulty, proxy, s3):
    before = manifests(s3)
    proxy.add(faults.answer(503, "SlowDown"), method="GET", contains=LISTING, times=4)
    proxy.add(faults.answer(503, "SlowDown"), method="PUT", times=4)
    barrier = threading.Barrier(8)

    def share(_: int) -> msc.PrefixShare:
        barrier.wait(timeout=10)
        return msc.share_prefix(SHARE, progress=False)

    with ThreadPoolExecutor(8) as pool:
        shares = list(pool.map(share, range(8)))
    assert len({str(s) for s in shares}) == 8 and len(manifests(s3) - before) == 8
    for each in shares:
        assert_works(each)


CTRL_C_CHILD = textwrap.dedent("""
    import msc_notebook as msc
    print("started", flush=True)
    msc.share_prefix("msc://patient/data/*", progress=False)
""")


@pytest.mark.parametrize(
    ("method", "contains"), [("GET", LISTING), ("PUT", ".msc_notebook/shares/")], ids=["listing", "manifest"]
)
def test_ctrl_c_stops_a_share_at_once_and_leaves_nothing(faulty, proxy, s3, method, contains):
    before = manifests(s3)
    proxy.add(faults.hold(60), method=method, contains=contains, times=None)
    child = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_CHILD], env={**os.environ, "MSC_CONFIG": str(faulty)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while proxy.count(method, contains) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.count(method, contains) == 1, "the child never reached the held request"
        interrupted = time.monotonic()
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=10)
        assert time.monotonic() - interrupted < 5 and "KeyboardInterrupt" in stderr, stderr
        assert child.returncode != 0
    finally:
        child.kill()
    assert manifests(s3) == before
    proxy.clear()
    assert_works(msc.share_prefix("msc://patient/data/*", progress=False))  # the next call works


# The same harness in front of the GCS stand-in: a GCS share's manifest is a signed PUT.

GCS_KEY = json.loads((Path(__file__).parents[1] / "gcs" / "test_service_account.not-a-test.json").read_text())
GCS_BUCKET = "fault-bucket"


@pytest.fixture(scope="module")
def gcs_edge():
    from cryptography.hazmat.primitives import serialization

    from msc_notebook.demo.gcs_edge import GCSEdge

    public = serialization.load_pem_private_key(GCS_KEY["private_key"].encode(), None).public_key()
    with GCSEdge({GCS_KEY["client_email"]: public}) as edge, FaultProxy(int(edge.endpoint_url.rsplit(":", 1)[1])) as proxy:
        for key, body in FILES.items():
            edge.objects[(GCS_BUCKET, key)] = (body, "")
        yield edge, proxy


@pytest.fixture
def gcs_faulty(gcs_edge, write_config):
    edge, proxy = gcs_edge
    proxy.clear()
    for name in [n for bucket, n in edge.objects if n.startswith(".msc_notebook/")]:
        del edge.objects[(GCS_BUCKET, name)]
    info = {**GCS_KEY, "token_uri": f"{edge.endpoint_url}/token"}  # listing's token straight from the stand-in
    write_config({"gfault": {
        "storage_provider": {"type": "gcs", "options": {"base_path": GCS_BUCKET, "endpoint_url": proxy.endpoint_url,
                                                        "connect_timeout": SHORT, "read_timeout": SHORT}},
        "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": info}},
    }})  # fmt: skip
    return edge, proxy


def gcs_manifests(edge) -> list[str]:
    return [name for bucket, name in edge.objects if name.startswith(".msc_notebook/shares/")]


def test_a_gcs_manifest_upload_retries_a_slowdown_and_meets_its_own_lost_answer(gcs_faulty):
    edge, proxy = gcs_faulty
    proxy.add(faults.answer(503, "SlowDown"), method="PUT")
    proxy.add(faults.lose_answer(), method="PUT")
    share = msc.share_prefix("msc://gfault/data/*", progress=False)
    assert proxy.count("PUT") == 3 and len(gcs_manifests(edge)) == 1  # 503, stored but lost, then 412: its own
    assert fetch(share.urls["a.txt"]).content == b"alpha"


def test_a_gcs_manifest_upload_that_keeps_failing_or_stalls_says_so_within_its_bound(gcs_faulty):
    edge, proxy = gcs_faulty
    rule = proxy.add(faults.answer(500, "InternalError"), method="PUT", times=None)
    with pytest.raises(msc.StorageWriteError, match="500 after 3 attempts") as caught:
        msc.share_prefix("msc://gfault/data/*", progress=False)
    assert "credential" not in str(caught.value) and gcs_manifests(edge) == []
    proxy.clear()
    proxy.add(faults.hold(60), method="PUT", times=None)
    started = time.monotonic()
    with pytest.raises(msc.StorageError, match="It may have been written: if msc://gfault/.msc_notebook/shares/"):
        msc.share_prefix("msc://gfault/data/*", progress=False)
    assert time.monotonic() - started < 3 * SHORT + 8 and rule.hits == 3
