"""A local Azure Blob service that really verifies SAS tokens: Azurite's ``azurite-blob``.

Used by the demo (when Azurite is installed) and by the test suite. It binds to
127.0.0.1 on a free port, with telemetry off, and is stopped with SIGINT (it
ignores SIGTERM for a while), then killed if it has not exited shortly after.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .local_server import LocalServer
from .seaweedfs import free_ports

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

# Azurite's development account: the name and key Microsoft publishes for emulators.
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
INSTALL_HINT = "install Azurite (node >= 20) with: npm install -g azurite@3.37.0"


class AzuriteError(RuntimeError):
    """The local Azure Blob service could not be started."""


def find_azurite_blob(extra_dirs: list[Path] | None = None) -> str | None:
    """The ``azurite-blob`` executable in ``extra_dirs`` or on PATH, or None."""
    for directory in extra_dirs or []:
        candidate = Path(directory) / "azurite-blob"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("azurite-blob")


class Azurite(LocalServer):
    """``azurite-blob`` serving the development account from ``directory``; a context manager.

    With ``cert``/``key`` it serves HTTPS; with ``oauth`` too it accepts bearer
    tokens (its "basic" OAuth checks audience, issuer and lifetime, not the
    signature), which user delegation keys need.
    """

    name = "Azurite"
    error = AzuriteError
    stop_signal = signal.SIGINT  # what Azurite shuts down on (it ignores SIGTERM for a while)
    stop_timeout = 5.0
    log_name = "azurite.log"

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        executable: str | None = None,
        oauth: bool = False,
        cert: Path | None = None,
        key: Path | None = None,
    ) -> None:
        super().__init__(directory)
        self.executable = executable
        self.cert, self.key, self.oauth = cert, key, oauth

    @property
    def endpoint_url(self) -> str:
        """The account URL, path style: ``http://127.0.0.1:PORT/devstoreaccount1``."""
        scheme = "https" if self.cert else "http"
        return f"{scheme}://127.0.0.1:{self.port}/{ACCOUNT_NAME}"

    @property
    def connection_string(self) -> str:
        protocol = "https" if self.cert else "http"
        return (
            f"DefaultEndpointsProtocol={protocol};AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.endpoint_url};"
        )

    def start(self) -> Azurite:
        executable = self.executable or find_azurite_blob()
        if executable is None:
            raise AzuriteError(f"azurite-blob was not found; {INSTALL_HINT}")
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        [self.port] = free_ports(1)
        command = [
            executable, "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
            "--location", str(self.directory / "data"), "--skipApiVersionCheck", "--loose",
            "--disableTelemetry",
        ]  # fmt: skip
        if self.cert:
            command += ["--cert", str(self.cert), "--key", str(self.key)]
        if self.oauth:
            command += ["--oauth", "basic"]
        self.launch(command, self.service_client().get_service_properties)  # an authenticated call
        return self

    def service_client(self, **kwargs: Any) -> BlobServiceClient:
        """An azure-storage-blob BlobServiceClient on the development account's key."""
        from azure.storage.blob import BlobServiceClient

        credential = {"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY}
        if self.cert:
            kwargs.setdefault("connection_verify", str(self.cert))
        return BlobServiceClient(
            self.endpoint_url, credential=credential, retry_total=0, connection_timeout=5, read_timeout=10, **kwargs
        )

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
