"""Bulk SigV4 signing (a prefix share's GET URLs) and one warm URL, against boto3, botocore and obstore.

Run: python tests/benchmarks/bench_bulk_signing.py
Prints, measured in the same run, the time per URL for 10,000 GET URLs of one bucket
signed at one instant: our bulk path (S3URLSigner.sign_many), boto3's
generate_presigned_url with a cached client, botocore's S3SigV4QueryAuth called
directly, and obstore's sign (Rust; `pip install 'msc-notebook[bench]'`); then one
warm msc.generate_presigned_url("msc://...") against boto3 (and a StorageClient's,
which skips finding the profile). Goals: bulk >= 50x faster than boto3 and faster
than obstore; a warm single URL <= 0.3x boto3's time.
No network: nothing is fetched.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote

import boto3
from bench_signing import bench_config
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials

import msc_notebook as msc
from msc_notebook.core import _times as times

URLS = 10_000
BOTO_URLS = 1_000  # the slow ones sign fewer per batch; the figure is per URL
BATCHES = 5
ENDPOINT, REGION, BUCKET, PREFIX = "http://127.0.0.1:9", "us-east-1", "bench-bucket", "datasets/ocean.zarr"
ACCESS_KEY, SECRET_KEY = "AKIABENCH", "secret"
PROFILE = {
    "storage_provider": {
        "type": "s3",
        "options": {"base_path": f"{BUCKET}/{PREFIX}", "region_name": REGION, "endpoint_url": ENDPOINT},
    },
    "credentials_provider": {"type": "S3Credentials", "options": {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}},
}
PATHS = [f"temperature/c/{i // 400}/{i // 20 % 20}/{i % 20}" for i in range(URLS)]  # zarr chunk keys


def per_url(sign_batch, urls: int) -> float:
    """Seconds per URL: the best of BATCHES runs of ``sign_batch()``, which signs ``urls`` URLs."""
    sign_batch()  # warm up (clients, probes, imports)
    best = float("inf")
    for _ in range(BATCHES):  # the least disturbed batch on a noisy machine
        start = time.perf_counter()
        sign_batch()
        best = min(best, time.perf_counter() - start)
    return best / urls


def obstore_signer():
    """obstore's bulk sign over the same bucket, or None if obstore is not installed."""
    try:
        import obstore
        from obstore.store import S3Store
    except ImportError:
        return None
    store = S3Store(BUCKET, endpoint=ENDPOINT, region=REGION, access_key_id=ACCESS_KEY,
                    secret_access_key=SECRET_KEY, virtual_hosted_style_request=False)  # fmt: skip
    keys = [f"{PREFIX}/{path}" for path in PATHS]
    return lambda: obstore.sign(store, "GET", keys, timedelta(seconds=3600))


def main() -> None:
    with bench_config(PROFILE):

        plain = boto3.client(
            "s3", aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION,
            endpoint_url=ENDPOINT, config=Config(signature_version="s3v4"),
        )  # fmt: skip
        storage = msc.StorageClient(msc.StorageClientConfig.from_file("bench"))
        signer = storage.signer()
        signed_at = times.utcnow()
        signer.sign_many(PATHS[:1], expires_in=3600, signed_at=signed_at)
        if signer._presigner is None:
            raise SystemExit("the SigV4 fast path is off for the benchmark profile: nothing to measure")

        keys = [f"{PREFIX}/{path}" for path in PATHS[:BOTO_URLS]]
        auth = S3SigV4QueryAuth(ReadOnlyCredentials(ACCESS_KEY, SECRET_KEY, None), "s3", REGION, expires=3600)

        def botocore_direct():
            for key in keys:
                request = AWSRequest(method="GET", url=f"{ENDPOINT}/{BUCKET}/{quote(key, safe='/~')}")
                auth.add_auth(request)

        bulk = {
            "bulk path, S3URLSigner.sign_many": per_url(
                lambda: signer.sign_many(PATHS, expires_in=3600, signed_at=signed_at), URLS
            ),
            "boto3 generate_presigned_url, cached client": per_url(
                lambda: [
                    plain.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=3600)
                    for key in keys
                ],
                BOTO_URLS,
            ),  # fmt: skip
            "botocore S3SigV4QueryAuth called directly": per_url(botocore_direct, BOTO_URLS),
        }
        obstore_batch = obstore_signer()
        if obstore_batch is not None:
            bulk["obstore sign (Rust), one call for all"] = per_url(obstore_batch, URLS)

        single = {
            'msc.generate_presigned_url("msc://bench/...")': per_url(
                lambda: msc.generate_presigned_url(f"msc://bench/{PATHS[0]}"), 1
            ),
            "StorageClient.generate_presigned_url (no lookup)": per_url(
                lambda: storage.generate_presigned_url(PATHS[0]), 1
            ),
            "boto3 generate_presigned_url, cached client": per_url(
                lambda: plain.generate_presigned_url(
                    "get_object", Params={"Bucket": BUCKET, "Key": f"{PREFIX}/{PATHS[0]}"}, ExpiresIn=3600
                ),
                1,
            ),
        }

    boto = bulk["boto3 generate_presigned_url, cached client"]
    fast = bulk["bulk path, S3URLSigner.sign_many"]
    print(f"{URLS:,} GET URLs in one bucket, one instant {'per URL':>12} {'boto3 / this':>13}")
    for name, seconds in bulk.items():
        print(f"{name:48} {seconds * 1e6:9.1f} us {boto / seconds:12.1f}x")
    print(f"goal: bulk >= 50x faster than boto3: {'met' if boto / fast >= 50 else 'NOT met'} ({boto / fast:.0f}x)")
    if obstore_batch is None:
        print("obstore is not installed (pip install 'msc-notebook[bench]'): no obstore figure")
    else:
        obstore_time = bulk["obstore sign (Rust), one call for all"]
        print(f"goal: bulk faster than obstore: {'met' if fast < obstore_time else 'NOT met'} "
              f"({obstore_time / fast:.1f}x)")  # fmt: skip

    boto_single = single["boto3 generate_presigned_url, cached client"]
    print(f"\n{'one warm URL':48} {'per URL':>12} {'this / boto3':>13}")
    for name, seconds in single.items():
        print(f"{name:48} {seconds * 1e6:9.1f} us {seconds / boto_single:12.2f}x")
    ratio = single['msc.generate_presigned_url("msc://bench/...")'] / boto_single
    print(f"goal: a warm single URL <= 0.3x boto3: {'met' if ratio <= 0.3 else 'NOT met'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
