"""What the Azure service answered, in words: its status and error code, as far as an error has them."""

from __future__ import annotations


def answer(exc: Exception) -> str:
    """``"403 AuthorizationFailure"``: azure-storage-blob's errors carry ``status_code`` and an
    ``error_code`` enum (its value is the service's code); azure-identity's carry neither."""
    code = getattr(exc, "error_code", None)
    code = getattr(code, "value", code) or getattr(exc, "reason", None)
    return " ".join(str(part) for part in (getattr(exc, "status_code", None), code) if part) or type(exc).__name__
