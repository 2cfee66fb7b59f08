"""share_prefix end to end on a local S3 server and a local Azurite, against listing alone; and
the memory of a big share.

Run: python tests/benchmarks/bench_prefix_share.py [--objects 10000] [--keys 100000]
1. Puts ``--objects`` small objects under one prefix of a local SeaweedFS (concurrently),
   then times, best of a few runs: listing the prefix alone (StorageClient.list, pages of
   1,000), and share_prefix end to end (list + sign every URL at one instant + write the
   manifest + upload it through a presigned PUT + sign the link), with its parts measured
   on their own: signing (sign_many), the manifest's JSON, the upload. Goal: signing is
   noise next to listing (at most 10% of it). Then the same on Azurite (tests/js's), blobs
   and account-key SAS tokens.
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
from msc_notebook.demo.azurite import Azurite, find_azurite_blob
from msc_notebook.demo.seaweedfs import SeaweedFS
from msc_notebook.shares._manifest import ManifestDestination

BUCKET, CONTAINER, PREFIX = "bench-bucket", "bench-container", "datasets/ocean.zarr"
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


def end_to_end(profile: str, count: int, where: str) -> None:
    """Time listing alone against share_prefix end to end, and share_prefix's parts, on ``profile``."""
    client = msc.storage_client(profile)
    url = f"msc://{profile}/{PREFIX}/*"
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
    destination = ManifestDestination(f"msc://{profile}/.bench/manifest.json", url, profile, client,
                                      ".bench/manifest.json")  # fmt: skip
    upload = best_of(lambda: destination.write(lambda _: body, expires_in=3600, signed_at=signed_at))

    rows = [
        ("listing alone", listing),
        ("share_prefix, end to end", share),
        ("  of which: signing (sign_many)", signing),
        ("  of which: manifest JSON", encoding),
        ("  of which: upload (PUT) and link", upload),
    ]
    print(f"share_prefix of {count:,} objects on {where} (best of {RUNS}), manifest {len(body) / 2**20:.1f} MiB")
    print(f"{'':36} {'seconds':>8} {'µs/object':>10} {'× listing':>10}")
    for name, seconds in rows:
        print(f"{name:36} {seconds:8.3f} {seconds / count * 1e6:10.1f} {seconds / listing:10.2f}")
    print()


def put_blobs(azurite: Azurite, count: int) -> None:
    container = azurite.service_client().create_container(CONTAINER)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: container.upload_blob(f"{PREFIX}/{chunk_key(i)}", b"x" * 64), range(count)))


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
    azurite_blob = find_azurite_blob([Path(__file__).resolve().parents[1] / "js" / "node_modules" / ".bin"])
    with tempfile.TemporaryDirectory() as tmp, SeaweedFS(Path(tmp) / "seaweedfs") as server:
        profile = {
            "storage_provider": {"type": "s3", "options": {
                "base_path": BUCKET, "endpoint_url": server.endpoint_url, "region_name": "us-east-1"}},
            "credentials_provider": {"type": "S3Credentials", "options": {
                "access_key": server.access_key, "secret_key": server.secret_key}},
        }  # fmt: skip
        with bench_config(profile):
            timed(lambda: put_objects(server, args.objects), f"put {args.objects:,} objects into SeaweedFS")
            end_to_end("bench", args.objects, "a local SeaweedFS (ListObjectsV2, pages of 1,000)")
            memory(args.keys)
    if azurite_blob is None:
        print("Azurite not found (npm ci --prefix tests/js): no Azure figures")
        return
    with tempfile.TemporaryDirectory() as tmp, Azurite(Path(tmp) / "azurite", executable=azurite_blob) as azurite:
        profile = {
            "storage_provider": {"type": "azure", "options": {"endpoint_url": azurite.endpoint_url,
                                                              "base_path": CONTAINER}},
            "credentials_provider": {"type": "AzureCredentials", "options": {"connection": azurite.connection_string}},
        }  # fmt: skip
        with bench_config(profile):
            timed(lambda: put_blobs(azurite, args.objects), f"put {args.objects:,} blobs into Azurite")
            end_to_end("bench", args.objects, "a local Azurite (List Blobs, pages of 1,000)")


def timed(action, what: str) -> None:
    started = time.perf_counter()
    action()
    print(f"{what} in {time.perf_counter() - started:.1f} s\n")

if __name__ == "__main__":
    main()
