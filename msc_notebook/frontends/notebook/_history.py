"""What was signed in this session, newest first (for %presign_history).

It keeps each result's display facts (`ResultFacts`), not the result: what the history
shows is what a display shows, and a prefix share's URLs and manifest (about 70 MB for
100,000 objects) stay the caller's to keep or drop, however long the session runs.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

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

    def mark_revoked(self, manifest_location: str, text: str) -> None:
        """Record that the share whose manifest is at ``manifest_location`` was revoked, and how."""
        with self._lock:
            self._entries = [
                replace(facts, revoked=text) if facts.manifest_location == manifest_location else facts
                for facts in self._entries
            ]

    def mark_aborted(self, abort_url: str, text: str) -> None:
        """Record that the multipart upload whose abort URL is ``abort_url`` was aborted, and how."""
        with self._lock:
            self._entries = [replace(f, aborted=text) if f.abort_url == abort_url else f for f in self._entries]

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
