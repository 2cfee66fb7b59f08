"""Writing a local file the way the library writes everything: whole or not at all, and never
over something that exists unless asked.

The body goes to a private temporary file beside the target first, then takes the target's
name in one step: ``os.link`` when nothing may be replaced (it fails if the name exists, even
as a dangling symbolic link, and never follows one), ``os.replace`` when the caller said
``overwrite=True``. An interrupted write (Ctrl-C, a full disk) leaves no partial file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ._errors import ObjectExistsError, PresignError, SignerOptionError

# Where no file a person means to keep lives: kernel and device file systems.
_SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


def remove_file(path: Path) -> bool:
    """Delete the file at ``path``; whether it was there."""
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


def write_new_file(path: Path, body: bytes, *, overwrite: bool = False, field: str | None = None) -> None:
    """Write ``body`` to ``path``, readable by its owner only (0600); an existing file is replaced
    only with ``overwrite``. Refused, whatever ``overwrite`` says: a symbolic link (writing through
    it would change a file that was not named), anything that is not a regular file (a device, a
    FIFO, a folder), and places under /proc, /sys and /dev."""
    folder = path.parent.resolve()
    if any(folder == root or root in folder.parents for root in _SPECIAL_ROOTS):
        raise PresignError(f"{path} is on a system file system ({folder}); write it to a folder of yours", field=field)
    existing = _lstat(path)
    if existing is not None:
        if stat.S_ISLNK(existing.st_mode):
            raise PresignError(
                f"{path} is a symbolic link; name the file itself (the link is never written through)", field=field
            )
        if not stat.S_ISREG(existing.st_mode):
            raise PresignError(f"{path} exists and is not a regular file; choose a file name", field=field)
        if not overwrite:
            raise _exists(path, field)
    temporary = folder / f".{path.name[:64]}.{secrets.token_hex(4)}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path, follow_symlinks=False)
            except FileExistsError:  # made by someone else since the check above
                raise _exists(path, field) from None
    except PresignError:
        raise
    except OSError as exc:
        raise PresignError(f"cannot write {path}: {exc.strerror or exc}", field=field) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _exists(path: Path, field: str | None) -> ObjectExistsError:
    return ObjectExistsError(
        f"{path} already exists and was left as it is; choose another name, or pass overwrite=True to replace it",
        field=field,
    )


def local_path(file_url: str) -> Path:
    """The path a ``file://`` URL names (this host only)."""
    parts = urlsplit(file_url)
    if parts.netloc not in ("", "localhost"):
        raise SignerOptionError(
            f"manifest_url {file_url!r} names another host; write file:///PATH.json for a local file",
            field="manifest_url",
        )
    return Path(unquote(parts.path))
