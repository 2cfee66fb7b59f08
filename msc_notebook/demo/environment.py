"""The demo environment: a local S3 server with sample data, a CloudFront-style edge, and
an MSC config naming them.

* ``demo``: the bucket on SeaweedFS (a real S3 server that checks signatures), static keys;
* ``demo-sts``: the same bucket through temporary credentials from the server's own STS
  (a ``credential_process`` in the demo's AWS config file calls AssumeRole); they last
  STS_LIFETIME_SECONDS, and the server refuses URLs signed with them from then on;
* ``demo-cdn``: the same bucket behind a local edge that enforces CloudFront signed URLs
  and cookies, signed with a key pair generated for the demo;
* ``demo-azure`` (when Azurite and the azure extra are installed): the sample objects on a
  local Azure Blob service, signed as Azure SAS URLs;
* ``demo-gcs``: the bucket's objects on a local Google Cloud Storage stand-in that checks V4
  signed URLs, signed with a service-account key made for the demo.

Everything lives in one directory of its own: the user's ~/.msc_config.yaml and AWS
files are never written (processes get $MSC_CONFIG and $AWS_CONFIG_FILE pointing here).
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .azure_demo import AZURE_PROFILE, azure_profile, start_azure_demo
from .azurite import Azurite
from .cloudfront_edge import CloudFrontEdge, CloudFrontVerifier, s3_origin
from .gcs_demo import GCS_PROFILE, gcs_profile, start_gcs_demo
from .gcs_edge import GCSEdge
from .local_server import Progress
from .seaweedfs import SeaweedFS, write_private
from .sts import WRITER_ROLE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

DEMO_BUCKET = "msc-demo"
DEMO_PROFILE = "demo"
STS_PROFILE = "demo-sts"
CDN_PROFILE = "demo-cdn"
AWS_PROFILE_FOR_STS = "msc-demo-sts"
STS_LIFETIME_SECONDS = 15  # short enough to watch a link die; long enough to sign and use it first
ZARR_PREFIX = "datasets/ocean.zarr"
SAMPLE_OBJECTS = {
    "hello.txt": b"Hello from msc_notebook! This object was fetched with a presigned URL.\n",
    "datasets/iris-sample.csv": (
        b"sepal_length,sepal_width,petal_length,petal_width,species\n"
        b"5.1,3.5,1.4,0.2,setosa\n7.0,3.2,4.7,1.4,versicolor\n6.3,3.3,6.0,2.5,virginica\n"
    ),
    "reports/quarterly report (final).txt": b"Keys with spaces and parentheses work too.\n",
}


@dataclass
class DemoEnvironment:
    """A running demo: the S3 server, the edge, and the files that name them."""

    directory: Path
    server: SeaweedFS
    edge: CloudFrontEdge
    config_path: Path
    aws_config_path: Path
    azurite: Azurite | None = None  # the optional demo-azure service
    gcs: GCSEdge | None = None  # the demo-gcs stand-in
    stopped: bool = field(default=False)

    @classmethod
    def start(cls, directory: str | os.PathLike[str], *, progress: Progress = lambda message: None) -> DemoEnvironment:
        directory = Path(directory).absolute()
        directory.mkdir(parents=True, exist_ok=True)
        progress("Starting a local S3 server (SeaweedFS, 127.0.0.1 only) ...")
        server = SeaweedFS(directory / "seaweedfs", sts_token_seconds=STS_LIFETIME_SECONDS).start()
        edge = azurite = gcs = None
        try:
            progress(f"  S3 endpoint {server.endpoint_url}; creating bucket {DEMO_BUCKET!r} with sample objects ...")
            server.client().create_bucket(Bucket=DEMO_BUCKET)
            seed_bucket(server, SAMPLE_OBJECTS)
            progress(f"  writing a small Zarr dataset to {ZARR_PREFIX}/ ...")
            dataset = zarr_dataset()
            seed_bucket(server, dataset, content_type="application/octet-stream")
            key_pair_id, key_path, public_key = make_cloudfront_key(directory)
            progress("Starting a local CloudFront-style edge that enforces signed URLs and cookies ...")
            edge = start_edge(server, {key_pair_id: public_key})
            progress(f"  edge {edge.url}")
            azurite = start_azure_demo(directory / "azurite", {**SAMPLE_OBJECTS, **dataset}, progress)
            gcs, gcs_key = start_gcs_demo(directory, server, DEMO_BUCKET, progress)
            aws_config = write_aws_config(directory)
            config = write_demo_config(
                directory, server, edge, key_pair_id, key_path, azurite, {GCS_PROFILE: gcs_profile(gcs, gcs_key)}
            )
        except BaseException:
            for service in (gcs, azurite, edge):
                if service is not None:
                    service.stop()
            server.stop()
            raise
        return cls(directory, server, edge, config, aws_config, azurite, gcs)

    def environ(self) -> dict[str, str]:
        """Environment variables for processes (Jupyter, kernels) that should use the demo."""
        return {"MSC_CONFIG": str(self.config_path), "AWS_CONFIG_FILE": str(self.aws_config_path)}

    def stop(self, *, progress: Progress = lambda message: None) -> None:
        if not self.stopped:
            progress("  the CloudFront-style edge and the GCS stand-in ...")
            self.edge.stop()
            if self.gcs is not None:
                self.gcs.stop()
            if self.azurite is not None:
                progress("  Azurite ...")
                self.azurite.stop()
            progress("  SeaweedFS (it flushes its volumes first: a few seconds) ...")
            self.server.stop(progress=progress)
            self.stopped = True

    def __enter__(self) -> DemoEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def seed_bucket(server: SeaweedFS, objects: dict[str, bytes], *, content_type: str = "text/plain; charset=utf-8") -> None:
    client = server.client()
    for key, body in objects.items():
        client.put_object(Bucket=DEMO_BUCKET, Key=key, Body=body, ContentType=content_type)


def zarr_dataset() -> dict[str, bytes]:
    """A small consolidated Zarr group (temperature and salinity grids): its objects under ZARR_PREFIX/."""
    import tempfile

    import numpy as np
    import zarr

    with tempfile.TemporaryDirectory() as scratch:
        local = Path(scratch) / "ocean.zarr"
        group = zarr.open_group(str(local), mode="w")
        group.attrs["title"] = "Ocean sample (synthetic) for the msc_notebook demo"
        lat, lon = np.meshgrid(np.linspace(-60, 60, 24), np.linspace(-180, 180, 48), indexing="ij")
        data = {
            "temperature": (28 - 0.4 * np.abs(lat) + np.cos(np.radians(lon))).astype("float32"),
            "salinity": (35 + 0.01 * lat + 0.2 * np.sin(np.radians(lon))).astype("float32"),
        }
        for name, values in data.items():
            array = group.create_array(name, shape=values.shape, dtype=values.dtype, chunks=(8, 16))
            array[:] = values
            array.attrs["units"] = "degC" if name == "temperature" else "PSU"
        with warnings.catch_warnings():  # "consolidated metadata is not in the v3 spec": wanted anyway
            warnings.simplefilter("ignore", UserWarning)
            zarr.consolidate_metadata(str(local))
        return {f"{ZARR_PREFIX}/{path.relative_to(local).as_posix()}": path.read_bytes()
                for path in sorted(p for p in local.rglob("*") if p.is_file())}  # fmt: skip


def make_cloudfront_key(directory: Path) -> tuple[str, Path, RSAPublicKey]:
    """An RSA key pair like a CloudFront key group's, made for this demo only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "cloudfront-demo-key.pem"
    write_private(
        path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return "KDEMO" + secrets.token_hex(5).upper(), path, key.public_key()


def start_edge(server: SeaweedFS, public_keys: Mapping[str, RSAPublicKey]) -> CloudFrontEdge:
    return CloudFrontEdge(CloudFrontVerifier(public_keys), s3_origin(server.client(), DEMO_BUCKET)).start()


def write_aws_config(directory: Path) -> Path:
    """An AWS config whose profile gets temporary credentials from a credential_process (AssumeRole)."""
    path = directory / "aws_config"
    command = shlex.join([sys.executable, "-m", "msc_notebook.demo.sts_process", "--config",
                          str(directory / "msc_config.yaml"), "--profile", DEMO_PROFILE,
                          "--role", WRITER_ROLE.name])  # fmt: skip
    path.write_text(f"[profile {AWS_PROFILE_FOR_STS}]\nregion = us-east-1\ncredential_process = {command}\n")
    return path


def write_demo_config(
    directory: Path,
    server: SeaweedFS,
    edge: CloudFrontEdge,
    key_pair_id: str,
    key_path: Path,
    azurite: Azurite | None = None,
    more_profiles: Mapping[str, Any] | None = None,
) -> Path:
    """The demo's MSC config (readable by MSC itself too, apart from our presign keys)."""
    options: dict[str, Any] = {
        "base_path": DEMO_BUCKET,
        "endpoint_url": server.endpoint_url,
        "region_name": "us-east-1",
        "s3": {"addressing_style": "path"},
    }
    provider = {"type": "s3", "options": options}
    keys = {"type": "S3Credentials", "options": {"access_key": server.access_key, "secret_key": server.secret_key}}
    config = {
        "profiles": {
            DEMO_PROFILE: {
                "comment": "the demo bucket on a local SeaweedFS, static keys",
                "storage_provider": provider,
                "credentials_provider": keys,
            },
            STS_PROFILE: {
                "comment": f"the same bucket through STS credentials that expire {STS_LIFETIME_SECONDS} s after they are issued",
                "storage_provider": {**provider, "options": {**options, "profile_name": AWS_PROFILE_FOR_STS}},
            },
            CDN_PROFILE: {
                "comment": "the same bucket behind a local CloudFront-style edge",
                "storage_provider": provider,
                "credentials_provider": keys,
                "presign": {
                    "signer_type": "cloudfront",
                    "cloudfront": {"key_pair_id": key_pair_id, "private_key_path": str(key_path), "domain": edge.url},
                },
            },
        }
    }
    if azurite is not None:
        config["profiles"][AZURE_PROFILE] = azure_profile(azurite)
    config["profiles"].update(more_profiles or {})
    path = directory / "msc_config.yaml"
    write_private(path, yaml.safe_dump(config, sort_keys=False))  # it holds the demo server's secret key
    return path

