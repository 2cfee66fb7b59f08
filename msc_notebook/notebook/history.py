"""The URLs signed in this session, newest first (for %presign_history and the form)."""

from __future__ import annotations

import threading

from ..signing import PrefixShare, PresignedURL, SignedCookies

Signed = PresignedURL | SignedCookies | PrefixShare


class SigningHistory:
    """An in-memory list of signed results; nothing is written to disk."""

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit
        self._entries: list[Signed] = []
        self._lock = threading.Lock()

    def add(self, result: Signed) -> None:
        with self._lock:
            self._entries.append(result)
            del self._entries[: max(0, len(self._entries) - self.limit)]

    def newest_first(self) -> list[Signed]:
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
