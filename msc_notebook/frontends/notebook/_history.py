"""What was signed in this session, newest first (for %presign_history).

It keeps each result's display facts (`ResultFacts`), not the result: what the history
shows is what a display shows, and a prefix share's URLs and manifest (about 70 MB for
100,000 objects) stay the caller's to keep or drop, however long the session runs.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from msc_notebook import SignedResult

    from .._facts import ResultFacts



class SigningHistory:
    """An in-memory list of the facts of signed results; nothing is written to disk."""

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit
        self._entries: list[ResultFacts] = []
        self._lock = threading.Lock()

    def add(self, result: SignedResult) -> None:
        from .._facts import result_facts  # the facts builder loads with the first result

        facts = result_facts(result)
        with self._lock:
            self._entries.append(facts)
            del self._entries[: max(0, len(self._entries) - self.limit)]

    def record(self, field: str, value: str, **changes: Any) -> None:
        """Record ``changes`` (``revoked=...``, ``aborted=...``) on the facts whose ``field`` is ``value``:
        the share with that manifest, the upload with that abort URL."""
        with self._lock:
            self._entries = [replace(f, **changes) if getattr(f, field) == value else f for f in self._entries]

    def newest_first(self) -> list[ResultFacts]:
        with self._lock:
            return self._entries[::-1]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def __len__(self) -> int:
        return len(self._entries)


history = SigningHistory()
