"""The one cache of the library: values built from files, reused while those files are unchanged.

Configs, storage clients and CloudFront keys all go through `FileCache`, so they share
one locking rule and one staleness rule:

* an entry is fresh while its ``version`` is the one asked for and every file it was
  built from has the stamp it had when it was read (inode, size, mtime, ctime);
* one build per key at a time (first use included): threads asking for the same key
  wait for the one build instead of racing it, threads asking for other keys don't wait;
* a key holds one entry, so a changed file or version replaces it: nothing grows.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

V = TypeVar("V")
Stamp = tuple[int, int, int, int]
StampedFile = tuple[Path, Stamp]


def file_stamp(path: Path) -> Stamp:
    """What changes when a file is rewritten in place or replaced (os.replace); zeros if absent."""
    try:
        stat = os.stat(path)
    except OSError:
        return (0, 0, 0, 0)
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def stamped(path: Path) -> StampedFile:
    """``path`` with its stamp now: take it *before* reading, so an edit during the read is seen."""
    return (path, file_stamp(path))


def unless_changed(file: StampedFile) -> StampedFile:
    """``file`` as stamped before a read, or a stamp no file has if it changed during the read:
    what was read then may be half of a rewrite, so it is not reused."""
    path, before = file
    return file if file_stamp(path) == before else (path, (-1, -1, -1, -1))


@dataclass(frozen=True)
class Built(Generic[V]):
    """A value and the files (stamped before they were read) it was built from."""

    value: V
    files: Sequence[StampedFile] = ()


@dataclass(frozen=True)
class _Entry(Generic[V]):
    version: Hashable
    built: Built[V]

    def fresh(self, version: Hashable) -> bool:
        return self.version == version and all(file_stamp(path) == stamp for path, stamp in self.built.files)


class FileCache(Generic[V]):
    """``key -> value``, rebuilt when the version asked for or a file it came from changes."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, _Entry[V]] = {}
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Built[V]], version: Hashable = None) -> V:
        entry = self._entries.get(key)  # a dict read is atomic; freshness is checked outside the lock
        if entry is not None and entry.fresh(version):
            return entry.built.value
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            entry = self._entries.get(key)
            if entry is not None and entry.fresh(version):  # built by the thread we waited for
                return entry.built.value
            built = build()  # may raise: nothing is stored, the next call tries again
            with self._lock:
                self._entries[key] = _Entry(version, built)
            return built.value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
