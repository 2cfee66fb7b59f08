"""share_prefix end to end on a local S3 server, against listing alone; and the memory of a big share.

Run: python tests/benchmarks/bench_prefix_share.py [--objects 10000] [--keys 100000]
1. Puts ``--objects`` small objects under one prefix of a local SeaweedFS (concurrently),
   then times, best of a few runs: listing the prefix alone (StorageClient.list, pages of
   1,000), and share_prefix end to end (list + sign every URL at one instant + write the
   manifest + upload it through a presigned PUT + sign the link), with its parts measured
   on their own: signing (sign_many), the manifest's JSON, the upload. Goal: signing is
   noise next to listing.
2. Builds a share of ``--keys`` generated keys (the listing is generated, nothing is put)
   under tracemalloc and prints its peak memory beside the manifest's size.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_signing import bench_config

import msc_notebook as msc
from msc_notebook.core import _times as times
from msc_notebook.core._listing import ObjectMetadata
from msc_notebook.demo.seaweedfs import SeaweedFS
from msc_notebook.shares._manifest import ManifestDestination

BUCKET, PREFIX = "bench-bucket", "datasets/ocean.zarr"
RUNS = 3


def best_of(action, runs: int = RUNS) -> float:
    """Seconds: the best of ``runs`` timed calls (the least disturbed, on a shared machine)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def chunk_key(i: int) -> str:
    return f"temperature/c/{i // 400}/{i // 20 % 20}/{i % 20}"


def put_objects(server: SeaweedFS, count: int) -> None:
    client = server.client()
    client.create_bucket(Bucket=BUCKET)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{chunk_key(i)}", Body=b"x" * 64),
                      range(count)))  # fmt: skip


def end_to_end(server: SeaweedFS, count: int) -> None:
    started = time.perf_counter()
    put_objects(server, count)
    print(f"put {count:,} objects in {time.perf_counter() - started:.1f} s\n")
    client = msc.storage_client("bench")
    url = f"msc://bench/{PREFIX}/*"
    listed = [entry.key for entry in client.list(PREFIX + "/")]  # warm: client, credentials, connections
    assert len(listed) == count, len(listed)
    listing = best_of(lambda: list(client.list(PREFIX + "/")))
    shares: list[msc.PrefixShare] = []
    share = best_of(lambda: shares.append(msc.share_prefix(url, progress=False)))
    assert shares[-1].count == count
    signer = client.signer()
    signed_at = times.utcnow().replace(microsecond=0)
    signing = best_of(lambda: signer.sign_many(listed, expires_in=3600, signed_at=signed_at))
    manifest = shares[-1].manifest
    body = json.dumps(manifest, separators=(",", ":")).encode()
    encoding = best_of(lambda: json.dumps(manifest, separators=(",", ":")).encode())
    destination = ManifestDestination("msc://bench/.bench/manifest.json", client, ".bench/manifest.json")
    upload = best_of(lambda: destination.write(body, expires_in=3600, signed_at=signed_at))

    rows = [
        ("listing alone (ListObjectsV2)", listing),
        ("share_prefix, end to end", share),
        ("  of which: signing (sign_many)", signing),
        ("  of which: manifest JSON", encoding),
        ("  of which: upload (PUT) and link", upload),
    ]
    print(f"share_prefix of {count:,} objects on a local SeaweedFS (best of {RUNS}), manifest {len(body) / 2**20:.1f} MiB")
    print(f"{'':36} {'seconds':>8} {'µs/object':>10} {'× listing':>10}")
    for name, seconds in rows:
        print(f"{name:36} {seconds:8.3f} {seconds / count * 1e6:10.1f} {seconds / listing:10.2f}")
    print()


def memory(keys: int) -> None:
    """Peak memory of a share of ``keys`` generated keys: listing generated, manifest uploaded."""
    client = msc.storage_client("bench")
    entries = [ObjectMetadata(f"big/{chunk_key(i)}", 64) for i in range(keys)]
    client.list = lambda prefix, **_: iter(entries)  # this client only: a listing without 100k objects
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    share = msc.share_prefix("msc://bench/big/*", max_objects=keys, progress=False)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    body = len(json.dumps(share.manifest, separators=(",", ":")).encode())
    print(f"a share of {keys:,} generated keys (listing generated; manifest uploaded), under tracemalloc:")
    print(f"{'manifest (JSON bytes)':36} {body / 2**20:8.1f} MiB {body / keys:8.0f} bytes/key")
    print(f"{'peak memory of share_prefix':36} {peak / 2**20:8.1f} MiB {peak / keys:8.0f} bytes/key"
          f"   ({peak / body:.1f}x the manifest)")  # fmt: skip
    print(f"{'time (tracemalloc slows it)':36} {seconds:8.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SeaweedFS(Path(tmp) / "seaweedfs") as server:
        profile = {
            "storage_provider": {"type": "s3", "options": {
                "base_path": BUCKET, "endpoint_url": server.endpoint_url, "region_name": "us-east-1"}},
            "credentials_provider": {"type": "S3Credentials", "options": {
                "access_key": server.access_key, "secret_key": server.secret_key}},
        }  # fmt: skip
        with bench_config(profile):
            end_to_end(server, args.objects)
            memory(args.keys)

if __name__ == "__main__":
    main()
