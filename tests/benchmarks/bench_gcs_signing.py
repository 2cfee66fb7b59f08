"""GCS V4 signing: what we add on top of the RSA signature itself, and google-cloud-storage beside it.

Run: python tests/benchmarks/bench_gcs_signing.py
One RSA-2048 PKCS#1 v1.5 signature dominates every V4 URL. Printed per URL, in one run: a bare
``private_key.sign(...)`` of a string to sign, our StorageClient.generate_presigned_url and
sign_many (the bulk path shares use: one parsed key), and google-cloud-storage's
Blob.generate_signed_url(version="v4"); then our overhead above the bare signature (goal: at
most 10 us per URL). Then a share-sized batch signed in this process and in worker processes.
No network: the key is Google's conformance dummy.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_signing import bench_config, per_call
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import msc_notebook as msc
from msc_notebook.gcs import _bulk

KEY = json.loads((Path(__file__).parents[1] / "gcs" / "test_service_account.not-a-test.json").read_text())
PROFILE = {
    "storage_provider": {"type": "gcs", "options": {"base_path": "bench-bucket/prefix"}},
    "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": KEY}},
}
GOAL_US = 10.0
BULK = 2000
PARALLEL = 20000


def main() -> None:
    from google.cloud import storage
    from google.oauth2 import service_account

    private_key = serialization.load_pem_private_key(KEY["private_key"].encode(), None)
    message = b"GOOG4-RSA-SHA256\n20261202T120000Z\n20261202/auto/storage/goog4_request\n" + b"0" * 64
    blob = storage.Client(
        project="p", credentials=service_account.Credentials.from_service_account_info(KEY)
    ).bucket("bench-bucket").blob("prefix/data/x.bin")
    with bench_config(PROFILE):
        client = msc.StorageClient(msc.StorageClientConfig.from_file("bench"))
        signer = client.signer()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        paths = [f"data/chunk-{i}" for i in range(BULK)]
        timings = {
            "private_key.sign (RSA-2048, bare)": per_call(
                lambda: private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
            ),
            "StorageClient.generate_presigned_url": per_call(lambda: client.generate_presigned_url("data/x.bin")),
            "sign_many (per URL)": per_call(lambda: signer.sign_many(paths, expires_in=3600, signed_at=now), rounds=2) / BULK,
            "google-cloud-storage generate_signed_url": per_call(
                lambda: blob.generate_signed_url(version="v4", expiration=timedelta(hours=1))
            ),
        }
    bare = timings["private_key.sign (RSA-2048, bare)"]
    print(f"{'':42} {'per URL':>10} {'above bare sign':>16}")
    for name, seconds in timings.items():
        print(f"{name:42} {seconds * 1e6:8.1f} us {(seconds - bare) * 1e6:12.1f} us")
    worst = max(timings["StorageClient.generate_presigned_url"], timings["sign_many (per URL)"]) - bare
    print(f"our overhead above the signature: {worst * 1e6:.1f} us per URL (goal: at most {GOAL_US:g} us)")
    parallel_paths = [f"data/chunk-{i}" for i in range(PARALLEL)]
    with bench_config(PROFILE):
        signer = msc.StorageClient(msc.StorageClientConfig.from_file("bench")).signer()
        _bulk.PARALLEL_FROM = 10**9
        serial = _once(lambda: signer.sign_many(parallel_paths, expires_in=3600, signed_at=now))
        _bulk.PARALLEL_FROM = 4000
        processes = _once(lambda: signer.sign_many(parallel_paths, expires_in=3600, signed_at=now))
    print(f"a share of {PARALLEL:,} URLs: {serial:.2f} s in this process, {processes:.2f} s in "
          f"{min(os.cpu_count() or 1, 8)} worker processes ({serial / processes:.2f}x)")


def _once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
