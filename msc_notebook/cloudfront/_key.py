"""CloudFront private keys: loaded once per file (again when the file changes), never shown.

The RSA signing itself is handed to botocore's CloudFrontSigner as a callable, as
botocore intends: policy building stays apart from the key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..core._cache import Built, FileCache, stamped, unless_changed
from ..core._errors import PrivateKeyError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

_keys: FileCache[RSAPrivateKey] = FileCache()


def rsa_signer(private_key_path: str) -> Callable[[bytes], bytes]:
    """An RSA PKCS#1 v1.5 SHA-1 signer (what CloudFront expects) over the key in the file."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = load_private_key(private_key_path)

    def sign(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    return sign


def load_private_key(private_key_path: str) -> RSAPrivateKey:
    """The RSA private key in a PEM file, cached until the file changes."""
    if "PRIVATE KEY" in private_key_path or len(private_key_path) > 1024:
        # The key itself was passed (e.g. from an environment variable): never echo it.
        raise PrivateKeyError("private_key_path must be the path of the PEM file, not the key itself")
    path = Path(private_key_path).expanduser().absolute()
    return _keys.get(path, lambda: _load(path))


def _load(path: Path) -> Built[RSAPrivateKey]:
    file = stamped(path)  # before reading: a key rotated during the read is loaded again next time
    try:
        path.stat()
    except FileNotFoundError:
        raise PrivateKeyError(f"CloudFront private key file {path} does not exist; check private_key_path") from None
    except OSError as exc:
        raise PrivateKeyError(f"cannot read CloudFront private key file {path}: {exc.strerror}") from None
    return Built(_parse(path), [unless_changed(file)])


def _parse(path: Path) -> RSAPrivateKey:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PrivateKeyError(f"cannot read CloudFront private key file {path}: {exc.strerror}") from None
    # Messages below never include the file's contents, nor cryptography's (which may quote them).
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise PrivateKeyError(
            f"CloudFront private key {path} is encrypted; CloudFront needs an unencrypted RSA key "
            f"(decrypt it with: openssl rsa -in KEY -out KEY.unencrypted)"
        ) from None
    except Exception:  # ValueError, UnsupportedAlgorithm, ...: all mean "not a usable PEM key"
        raise PrivateKeyError(
            f"{path} is not a PEM private key; CloudFront needs the RSA private key of the key pair "
            f"(-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PrivateKeyError(
            f"CloudFront private key {path} is not an RSA key ({_kind(key)}); CloudFront key pairs are RSA"
        )
    return key


def _kind(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519

    kinds = {ec.EllipticCurvePrivateKey: "EC", ed25519.Ed25519PrivateKey: "Ed25519",
             ed448.Ed448PrivateKey: "Ed448", dsa.DSAPrivateKey: "DSA"}  # fmt: skip
    return next((name for cls, name in kinds.items() if isinstance(key, cls)), "another type")
