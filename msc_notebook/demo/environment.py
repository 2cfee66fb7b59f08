"""The demo environment: SeaweedFS with a bucket of sample objects and an MSC config for it.

Everything lives in one directory of its own; the user's ~/.msc_config.yaml and
AWS files are never read or written (the demo points $MSC_CONFIG at its config).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from .seaweedfs import SeaweedFS

DEMO_BUCKET = "msc-demo"
DEMO_PROFILE = "demo"
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
    """A running demo: the S3 server and the config that names it."""

    directory: Path
    server: SeaweedFS
    config_path: Path

    @classmethod
    def start(cls, directory: str | os.PathLike) -> DemoEnvironment:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        server = SeaweedFS(directory / "seaweedfs").start()
        try:
            seed_bucket(server)
            config_path = write_demo_config(directory / "msc_config.yaml", server)
        except BaseException:
            server.stop()
            raise
        return cls(directory, server, config_path)

    def environ(self) -> dict[str, str]:
        """Environment variables for processes that should use the demo config."""
        return {"MSC_CONFIG": str(self.config_path)}

    def stop(self) -> None:
        self.server.stop()


def seed_bucket(server: SeaweedFS) -> None:
    client = server.client()
    client.create_bucket(Bucket=DEMO_BUCKET)
    for key, body in SAMPLE_OBJECTS.items():
        client.put_object(Bucket=DEMO_BUCKET, Key=key, Body=body)


def write_demo_config(path: Path, server: SeaweedFS) -> Path:
    """An MSC config with the ``demo`` profile; readable by MSC itself too."""
    config = {
        "profiles": {
            DEMO_PROFILE: {
                "comment": "local SeaweedFS started by `msc-notebook demo`",
                "storage_provider": {
                    "type": "s3",
                    "options": {
                        "base_path": DEMO_BUCKET,
                        "endpoint_url": server.endpoint_url,
                        "region_name": "us-east-1",
                        "s3": {"addressing_style": "path"},
                    },
                },
                "credentials_provider": {
                    "type": "S3Credentials",
                    "options": {"access_key": server.access_key, "secret_key": server.secret_key},
                },
            }
        }
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)  # it holds the demo server's secret key
    return path
