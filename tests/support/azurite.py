"""Azurite for the Azure tests: a self-signed certificate for its HTTPS mode, and a token
credential its "basic" OAuth accepts (it checks audience, issuer and lifetime, not the
signature), so user delegation keys can be issued by a real server."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from msc_notebook.demo.azurite import find_azurite_blob

NODE_BIN = Path(__file__).resolve().parents[1] / "js" / "node_modules" / ".bin"

CONTAINER = "msc-test"  # made in each Azurite the tests start
SHARED = "datasets/ocean data.zarr"  # where the shared dataset is put

TENANT = "72f988bf-0000-4000-8000-2d7cd011db47"
OBJECT_ID = "0b1f1c2d-0000-4000-8000-6f0e3a1c2b3d"


def azurite_executable() -> str:
    """The pinned azurite-blob from tests/js (or PATH); a failure under CI, a skip elsewhere."""
    found = find_azurite_blob([NODE_BIN])
    if found is None:
        message = "azurite-blob not found: run `npm ci --prefix tests/js` (.ci/install does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def write_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and localhost) and its key, as PEM files in ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "azurite-cert.pem", directory / "azurite-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class AzuriteTokenCredential:
    """An azure-core TokenCredential handing out unsigned JWTs for Azure Storage."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.lifetime = lifetime

    def get_token(self, *scopes: str, **kwargs):
        from azure.core.credentials import AccessToken

        now = int(time.time())
        claims = {
            "aud": "https://storage.azure.com",
            "iss": f"https://sts.windows.net/{TENANT}/",
            "tid": TENANT,
            "oid": OBJECT_ID,
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + self.lifetime,
        }
        return AccessToken(f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}.", now + self.lifetime)


def azure_profile(server: Any, *, base_path: str = CONTAINER, credentials: dict | None = None) -> dict:
    """An azure profile exactly as MSC 1.3.1 reads it."""
    return {
        "storage_provider": {"type": "azure", "options": {"endpoint_url": server.endpoint_url, "base_path": base_path}},
        "credentials_provider": credentials
        or {"type": "AzureCredentials", "options": {"connection": server.connection_string}},
    }
