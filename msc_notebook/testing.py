"""Helpers for tests of code that signs: a frozen signing clock.

    from datetime import datetime, timezone
    import msc_notebook as msc
    from msc_notebook.testing import freeze_clock

    with freeze_clock(datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)):
        url = msc.generate_presigned_url("msc://my-profile/data.bin")
    assert "X-Amz-Date=20260131T120000Z" in url
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from .core import _times
from .s3._botocore_internals import botocore_signing_clock


@contextlib.contextmanager
def freeze_clock(when: datetime | Callable[[], datetime]) -> Iterator[None]:
    """Sign as if it were ``when`` (timezone-aware), on every path, until the block ends.

    msc_notebook's clock (CloudFront, Azure, GCS, the SigV4 fast path, every expiry shown) and
    botocore's own SigV4 clock (``botocore.auth.get_current_datetime``) read the same instant,
    so a URL is byte-identical whichever path signs it. ``when`` may also be a function that
    returns the time (a clock that runs, e.g. one skewed by hours). Blocks nest; the clock is
    process-wide, so use it in tests, not beside signing threads that must see real time.

    botocore's clock is not public API: a botocore whose clock cannot be set signs at the real
    time, and a ``BotocoreInternalsWarning`` says so once.
    """
    read = when if callable(when) else (lambda: when)
    if not callable(when) and when.tzinfo is None:
        raise ValueError("freeze_clock needs a timezone-aware time (e.g. tzinfo=timezone.utc)")

    def botocore_clock(remove_tzinfo: bool = True) -> datetime:  # botocore.compat.get_current_datetime's shape
        now = read().astimezone(timezone.utc)
        return now.replace(tzinfo=None) if remove_tzinfo else now

    saved = _times.clock
    _times.clock = read
    try:
        with botocore_signing_clock(botocore_clock):
            yield
    finally:
        _times.clock = saved
