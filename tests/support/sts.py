"""Support for the tests against SeaweedFS's STS: MSC profiles whose credentials come from a
real AssumeRole, a recipient who uses a URL until it is refused, and MSC 1.3.1's S3 client."""

from __future__ import annotations

import json
import re
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from conftest import BUCKET

from msc_notebook.demo.seaweedfs import SeaweedFS, write_private
from msc_notebook.demo.sts import READER_ROLE, WRITER_ROLE
from support.http_client import fetch

ADMIN_PROFILE = "sts-admin"  # the server's static keys, which the credential_process assumes roles with
READER_PROFILE = "sts-reader"  # credential_process -> AssumeRole(ReaderRole)
WRITER_PROFILE = "sts-writer"  # credential_process -> AssumeRole(WriterRole)
FILE_PROFILE = "sts-file"  # FileBasedCredentials: a file holding one AssumeRole(ReaderRole) answer
POLL_INTERVAL = 0.25


def write_sts_config(server: SeaweedFS, home: Path) -> Path:
    """The MSC config (returned) and the AWS config for the four profiles.

    The AWS config is where the isolated environment's AWS_CONFIG_FILE points; FILE_PROFILE's
    credentials are in credential_file(home), written by write_credential_file.
    """
    config_path = home / "msc_config.yaml"
    storage = {
        "type": "s3",
        "options": {"base_path": BUCKET, "endpoint_url": server.endpoint_url, "region_name": "us-east-1"},
    }

    def through_aws_profile(name: str) -> dict:
        return {"storage_provider": {**storage, "options": {**storage["options"], "profile_name": name}}}

    profiles = {
        ADMIN_PROFILE: {
            "storage_provider": storage,
            "credentials_provider": {
                "type": "S3Credentials",
                "options": {"access_key": server.access_key, "secret_key": server.secret_key},
            },
        },
        READER_PROFILE: through_aws_profile(READER_PROFILE),
        WRITER_PROFILE: through_aws_profile(WRITER_PROFILE),
        FILE_PROFILE: {
            "storage_provider": storage,
            "credentials_provider": {
                "type": "FileBasedCredentials",
                "options": {"credential_file_path": str(credential_file(home))},
            },
        },
    }
    write_private(config_path, yaml.safe_dump({"profiles": profiles}, sort_keys=False))
    sections = []
    for profile, role in ((READER_PROFILE, READER_ROLE), (WRITER_PROFILE, WRITER_ROLE)):
        process = [sys.executable, "-m", "msc_notebook.demo.sts_process", "--config", str(config_path)]
        process += ["--profile", ADMIN_PROFILE, "--role", role.name]
        sections.append(f"[profile {profile}]\nregion = us-east-1\ncredential_process = {shlex.join(process)}\n")
    aws_config = home / ".aws" / "config"
    aws_config.parent.mkdir(exist_ok=True)
    aws_config.write_text("".join(sections))
    return config_path


def credential_file(home: Path) -> Path:
    return home / "sts-credentials.json"


def write_credential_file(server: SeaweedFS, home: Path) -> Path:
    """FILE_PROFILE's credentials: a fresh AssumeRole(ReaderRole) answer, as a credential helper writes it."""
    path = credential_file(home)
    write_private(path, json.dumps(server.assume_role(READER_ROLE)))
    return path


@dataclass(frozen=True)
class Attempt:
    """One request a recipient sent with a URL, and the answer."""

    sent: datetime
    answered: datetime
    status: int
    error_code: str | None  # S3's <Code> of a refusal


def use_until_refused(url: str, method: str = "GET", *, until: datetime) -> list[Attempt]:
    """Send ``url`` every POLL_INTERVAL until it is refused, or ``until`` has passed."""
    attempts = []
    while True:
        sent = datetime.now(timezone.utc)
        response = fetch(url, method, data=b"uploaded through a temporary-credential URL" if method == "PUT" else None)
        code = re.search(r"<Code>([^<]+)</Code>", response.text) if response.status_code >= 300 else None
        attempts.append(Attempt(sent, datetime.now(timezone.utc), response.status_code, code and code.group(1)))
        if response.status_code >= 300 or attempts[-1].answered > until:
            return attempts
        time.sleep(POLL_INTERVAL)


def msc_1_3_1_s3_client(server: SeaweedFS, credential_file: Path):
    """The S3 client MSC 1.3.1 builds for FileBasedCredentials whose file has an Expiration.

    The steps of multistorageclient/providers/s3.py ``S3StorageProvider._create_s3_client``
    that decide how it presigns (its pool size and timeouts, left out here, do not):
    refreshable credentials in a fresh botocore session, then an early ``return`` that
    skips merging ``signature_version="s3v4"`` into the client config. Its presigner
    (``S3URLSigner.generate_presigned_url``) then calls ``generate_presigned_url`` on it.
    """
    import boto3
    from botocore.credentials import RefreshableCredentials
    from botocore.session import get_session

    def fetch_credentials() -> dict:  # FileBasedCredentialsProvider + _fetch_credentials
        data = json.loads(credential_file.read_text())
        return {
            "access_key": data["AccessKeyId"],
            "secret_key": data["SecretAccessKey"],
            "token": data.get("SessionToken"),
            "expiry_time": data.get("Expiration"),
        }

    config = boto3.session.Config(retries={"mode": "standard"})
    botocore_session = get_session()
    botocore_session._credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch_credentials(), refresh_using=fetch_credentials, method="custom-refresh"
    )
    return boto3.Session(botocore_session=botocore_session).client(
        "s3", config=config, region_name="us-east-1", endpoint_url=server.endpoint_url
    )


def seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 2)
