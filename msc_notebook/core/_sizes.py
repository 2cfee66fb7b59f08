"""Sizes in bytes, as people write and read them: ``100MB`` (10**6 bytes each), ``2GiB`` (2**30)."""

from __future__ import annotations

import re
from decimal import Decimal

from ._errors import SignerOptionError

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)([a-z]*)")


def parse_size(value: str | int, *, field: str) -> int:
    """Bytes in ``1048576``, ``100MB``, ``1.5GiB``, ``5 TiB`` (MB: 10**6 bytes; MiB: 2**20)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise SignerOptionError(f"{field} must be a size in bytes or a text such as 100MB or 2GiB, got {value!r}",
                                field=field)  # fmt: skip
    found = _SIZE.fullmatch(value.strip().lower().replace(" ", ""))
    if not found or found.group(2) not in _UNITS:
        raise SignerOptionError(
            f"cannot read {value!r} as a size; write bytes (1048576) or a number with a unit: 100MB, 2GB "
            f"(10**6, 10**9 bytes), 512MiB, 2GiB (2**20, 2**30 bytes)",
            field=field,
        )
    exact = Decimal(found.group(1)) * _UNITS[found.group(2)]  # Decimal: 5.5TiB stays exact
    if exact != exact.to_integral_value():
        raise SignerOptionError(f"{value!r} is not a whole number of bytes", field=field)
    return int(exact)


def describe_size(size: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"


def describe_bytes(size: int) -> str:
    """``100000000`` -> ``"100,000,000 bytes (95.4 MiB)"``: exact, and readable."""
    return f"{size:,} bytes ({describe_size(size)})" if size >= 1024 else describe_size(size)
