"""Repeated Azure signing costs about what azure-storage-blob's own generate_blob_sas costs.

Run: python tests/benchmarks/bench_azure_signing.py
Prints per-call times for plain generate_blob_sas (URL built as MSC builds it), our
StorageClient, the msc.generate_presigned_url shortcut and the bulk path a share uses
(sign_many, per URL), measured in the same run, and their ratios to the plain call. No network: the endpoint is a closed local port (the
one-time container check fails fast and is not repeated).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from azure.storage.blob import generate_blob_sas
from bench_signing import bench_config, per_call

import msc_notebook as msc

ACCOUNT, KEY = "benchacct", "c2VjcmV0LWJlbmNobWFyay1rZXk="
ENDPOINT = f"http://127.0.0.1:9/{ACCOUNT}"
PROFILE = {
    "storage_provider": {"type": "azure", "options": {"endpoint_url": ENDPOINT, "base_path": "bench/prefix"}},
    "credentials_provider": {
        "type": "AzureCredentials",
        "options": {"connection": f"AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={ENDPOINT}"},
    },
}


PATHS = [f"data/chunk-{i}" for i in range(1000)]
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def plain_sas_url() -> str:
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    sas = generate_blob_sas(ACCOUNT, "bench", "prefix/data/x.bin", account_key=KEY, permission="r", expiry=expiry)
    return f"{ENDPOINT}/bench/{quote('prefix/data/x.bin', safe='~/')}?{sas}"


def main() -> None:
    with bench_config(PROFILE):
        client = msc.StorageClient(msc.StorageClientConfig.from_file("bench"))
        timings = {
            "generate_blob_sas": per_call(plain_sas_url),
            "StorageClient.generate_presigned_url": per_call(lambda: client.generate_presigned_url("data/x.bin")),
            "msc.generate_presigned_url (msc:// URL)": per_call(
                lambda: msc.generate_presigned_url("msc://bench/data/x.bin")
            ),
            "sign_many, a share's bulk path (per URL)": per_call(
                lambda: client.signer().sign_many(PATHS, expires_in=3600, signed_at=NOW), rounds=20
            ) / len(PATHS),
        }
    baseline = timings["generate_blob_sas"]
    print(f"{'':42} {'per call':>10} {'vs plain':>9}")
    for name, seconds in timings.items():
        print(f"{name:42} {seconds * 1e6:8.1f} us {seconds / baseline:8.2f}x")


if __name__ == "__main__":
    main()
