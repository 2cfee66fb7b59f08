"""The demo's Google Cloud Storage part: profile ``demo-gcs``, a local GCS stand-in that checks V4
signatures (`GCSEdge`) holding a copy of the demo bucket, signed with a service-account key
made for this demo (its token_uri is the stand-in's, so nothing reaches Google).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .gcs_edge import GCSEdge
from .seaweedfs import SeaweedFS, write_private

GCS_PROFILE = "demo-gcs"
GCS_BUCKET = "msc-demo"
SERVICE_ACCOUNT = "msc-demo@msc-demo-project.iam.gserviceaccount.com"


def start_gcs_demo(directory: Path, server: SeaweedFS, bucket: str, progress: Callable[[str], None]) -> tuple[GCSEdge, Path]:
    """The stand-in, holding every object of ``bucket`` on ``server``, and the key file that signs for it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    progress("Starting a local Google Cloud Storage stand-in that checks V4 signed URLs ...")
    edge = GCSEdge({SERVICE_ACCOUNT: key.public_key()}).start()
    client = server.client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            answer = client.get_object(Bucket=bucket, Key=entry["Key"])
            edge.objects[(GCS_BUCKET, entry["Key"])] = (answer["Body"].read(), answer.get("ContentType", "binary/octet-stream"))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_path = directory / "gcs-demo-service-account.json"
    write_private(key_path, json.dumps({
        "type": "service_account", "project_id": "msc-demo-project", "private_key_id": "demo",
        "private_key": pem.decode(), "client_email": SERVICE_ACCOUNT, "client_id": "0",
        "token_uri": f"{edge.endpoint_url}/token",
    }, indent=2))  # fmt: skip
    progress(f"  GCS endpoint {edge.endpoint_url}; bucket {GCS_BUCKET!r} with the demo's objects")
    return edge, key_path


def gcs_profile(edge: GCSEdge, key_path: Path) -> dict[str, Any]:
    """The ``demo-gcs`` profile, as MSC writes gcs profiles (a service-account key file)."""
    return {
        "comment": "the demo's objects on a local GCS stand-in, V4 signed URLs from a service-account key",
        "storage_provider": {
            "type": "gcs",
            "options": {"base_path": GCS_BUCKET, "project_id": "msc-demo-project", "endpoint_url": edge.endpoint_url},
        },
        "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"file": str(key_path)}},
    }
