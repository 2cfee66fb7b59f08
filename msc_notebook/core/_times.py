"""Time in one place: the one clock, durations as people write them, and times as text.

Internally every time is timezone-aware UTC, read from `utcnow`; `msc_notebook.testing.freeze_clock`
sets `clock` for tests (and for users' tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ._errors import SignerOptionError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_HAS_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


clock: Callable[[], datetime] = _system_clock  # replaced by freeze_clock, restored after it


def utcnow() -> datetime:
    """The library's clock: the current time, timezone-aware UTC (what every expiry is measured against)."""
    return clock()


def utc_text(moment: datetime) -> str:
    """``2026-11-29 12:00:00 UTC``: how every message and display writes a time."""
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


def describe_duration(seconds: float) -> str:
    """``5400`` -> ``"1 h 30 min"``: short, for warnings and displays."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {unit}")
    return " ".join(parts[:2])


def parse_duration(text: str | int, *, field: str = "expires_in") -> int:
    """Seconds in ``900``, ``90s``, ``15m``, ``2h``, ``7d``, ``1h30m``; a bare number is seconds."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    compact = str(text).strip().lower().replace(" ", "")
    if re.fullmatch(r"[0-9]+", compact):  # not isdigit(): it accepts "²", which int() refuses
        return int(compact)
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise SignerOptionError(
            f"cannot read {text!r} as a duration; write seconds (900) or a number with a unit: "
            f"90s, 15m, 2h, 7d, 1h30m",
            field=field,
        )
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def parse_time(value: Any, *, require_timezone: bool = False) -> datetime | None:
    """An ISO-8601 time (string or datetime) as aware UTC; None if it cannot be read.

    A naive time is taken as UTC (as AWS expirations are) unless ``require_timezone``:
    then it is refused, because guessing local time or UTC shifts it by hours.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if require_timezone and not _HAS_OFFSET.search(text):
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        if require_timezone:
            return None
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
