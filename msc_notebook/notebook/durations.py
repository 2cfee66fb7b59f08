"""Durations as people type them: ``900``, ``90s``, ``15m``, ``2h``, ``7d``, ``1h30m``."""

from __future__ import annotations

import re

from ..signing.errors import SignerOptionError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")


def parse_duration(text: str | int) -> int:
    """Seconds in ``text``; a bare number is seconds. Raises SignerOptionError with examples."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    compact = str(text).strip().lower().replace(" ", "")
    if re.fullmatch(r"[0-9]+", compact):  # not isdigit(): it accepts "²", which int() refuses
        return int(compact)
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise SignerOptionError(
            f"cannot read {text!r} as a duration; write seconds (900) or a number with a unit: "
            f"90s, 15m, 2h, 7d, 1h30m"
        )
    return sum(int(number) * _UNITS[unit] for number, unit in parts)
