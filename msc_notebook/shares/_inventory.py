"""Listing without listing: the objects of an S3 Inventory report, for a prefix share.

An S3 Inventory report is what S3 writes daily or weekly instead of a listing: a
``manifest.json`` (AWS's documented layout: ``sourceBucket``, ``destinationBucket`` as an ARN,
``version``, ``creationTimestamp`` in milliseconds, ``fileFormat`` CSV, ORC or Parquet,
``fileSchema``, and ``files``) naming data files in the destination bucket. `inventory_objects`
reads one with the credentials of the profile it is named through, each object through a
presigned GET, as a recipient would (no ListObjectsV2 call at all), checks that it reports the
shared profile's bucket, and streams the objects under the shared prefix: CSV.gz through gzip
and csv, Parquet (a row group's needed columns at a time) and ORC (a stripe decoded in batches)
through pyarrow, imported only for those two formats, so a report of 100M objects is never in
memory whole. Each object is read with ranged GETs: a broken answer is resumed where it stopped
(``If-Match`` its first ETag, so two versions are never mixed), with the profile's bounds and
retries as `core._fetch` has them. The data files' MD5checksum is kept, not checked: a columnar
file is read only in part.

What it yields is what `StorageClient.list` yields (`ObjectMetadata`, keys relative to the
profile, folder markers included): of a versioned report ("all versions") only current
versions (``IsLatest``) that are not delete markers; ``Size`` and ``LastModifiedDate`` when the
report has them (None otherwise). Keys in CSV reports are URL-encoded as HTML forms are (a
space is ``+``, a ``+`` is ``%2B``), so they are decoded with ``unquote_plus``; ORC and Parquet
keys are plain text.

Order: the report's own. Data files in the manifest's order, rows in each file's order; AWS
documents no order (it writes the files in parallel), so a share made from a report lists its
objects in that order, not in ListObjectsV2's sorted order, and nothing is sorted here (that
would need every key in memory). A report is a snapshot from when its scan began
(``creationTimestamp``), eventually consistent even then: objects written or deleted since are
not reflected (`InventoryFacts.age_text` says how old it is, for the share to warn). Nothing in
``manifest.json`` says which prefix the report's configuration filters on: a report of
``logs/`` asked for ``data/`` yields nothing, and a share of it finds nothing to share.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import http.client
import importlib
import importlib.util
import io
import json
import random
import re
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from ..core import _times as times
from ..core._bounds import StorageBounds
from ..core._config import StorageClientConfig
from ..core._errors import (
    CredentialsError,
    InvalidStorageURLError,
    PrefixShareError,
    PresignError,
    StorageError,
    StorageTimeoutError,
)
from ..core._fetch import TRANSIENT, error_code
from ..core._listing import ObjectMetadata
from ..core._signer import S3_PROVIDER_TYPES, BulkSigner
from ..core._storage_url import parse_storage_url
from ..s3._location import S3Location

if TYPE_CHECKING:
    from .._client import StorageClient  # the share calls this module; it is only a type here

FIELD = "inventory"  # the share_prefix argument every error here names
FORMATS = {"csv": "CSV", "orc": "ORC", "parquet": "Parquet"}  # fileFormat, as AWS spells it
URL_SECONDS = 300  # each GET of the report is signed for this long, anew for every request
MAX_MANIFEST_BYTES = 16 << 20  # a manifest names data files only: a 100M-object report's is ~100 kB
CSV_BUFFER = 1 << 20  # bytes read from the storage at a time for gzip
ARROW_BATCH = 65_536  # rows of a Parquet row group or an ORC stripe decoded and converted at a time
CHUNK = 64 << 10
ANSWER_PIECE = 64 << 10  # bytes taken from an answer at a time: a connection cut then loses at most this much

_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/:]+)$")
_PARQUET_FIELD = re.compile(r"\b(?:required|optional|repeated)\s+\w+\s+(\w+)")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class InventoryError(PrefixShareError):
    """An S3 Inventory report cannot be read as a listing: not a report, a report of another
    bucket, out of the profile's reach, or damaged. ``field`` is ``"inventory"``."""

    def __init__(self, message: str, *, field: str | None = FIELD) -> None:
        super().__init__(message, field=field)


class InventoryDependencyError(InventoryError, ImportError):
    """Reading an ORC or Parquet report needs pyarrow, which is not installed."""


@dataclass(frozen=True)
class InventoryFile:
    """One data file of a report, as its manifest names it (a key in the destination bucket)."""

    key: str
    size: int
    md5: str | None  # MD5checksum: kept, not checked (a columnar file is read in part)


@dataclass(frozen=True)
class InventoryFacts:
    """What a report's ``manifest.json`` says, checked; and how old the report is."""

    location: str  # msc://profile/.../manifest.json, as it was named
    source_bucket: str  # the bucket the report lists
    destination_bucket: str  # where its data files are (the bucket of destinationBucket's ARN)
    version: str  # the manifest's version ("2016-11-30")
    creation_time: datetime  # creationTimestamp, UTC: when the report's scan began
    file_format: str  # "CSV", "ORC" or "Parquet"
    columns: tuple[str, ...]  # the fields of fileSchema, in its order
    files: tuple[InventoryFile, ...]
    versioned: bool  # an "all versions" report (IsLatest, and delete markers)

    @property
    def report_bytes(self) -> int:
        """The data files' size in all (what reading the report downloads, at most)."""
        return sum(file.size for file in self.files)

    def age(self, now: datetime | None = None) -> timedelta:
        """How long ago the report's scan began (negative if this machine's clock says it has not yet)."""
        return (now or times.utcnow()) - self.creation_time

    def age_text(self, now: datetime | None = None) -> str:
        """``the inventory is 3 days old (created 2026-11-29 01:00:00 UTC): objects added or
        deleted since are not reflected``: for the share to show as a warning."""
        age = self.age(now)
        created = times.utc_text(self.creation_time)
        if age < -timedelta(minutes=5):
            return (
                f"the inventory was created at {created}, {_duration(-age)} after this machine's clock: check the "
                f"clock; objects added or deleted since the report was made are not reflected"
            )
        return f"the inventory is {_duration(age)} old (created {created}): objects added or deleted since are not reflected"


def inventory_objects(
    client: StorageClient, inventory_url: str, prefix: str, *, reader: StorageClient | None = None
) -> tuple[InventoryFacts, Iterator[ObjectMetadata]]:
    """The objects under ``prefix`` (relative to ``client``'s profile, e.g. ``"data.zarr/"`` or
    ``""``) as the S3 Inventory report at ``inventory_url`` (``msc://PROFILE/.../manifest.json``)
    lists them: the report's facts, read and checked now (an unreadable, malformed or foreign
    report raises here, before anything is listed), and an iterator that streams its data files
    as it is consumed, in the report's order, yielding what `StorageClient.list` would.

    The manifest and data files are read with the credentials of the URL's profile (``client``
    itself when it names the shared profile, else that profile from the same config file, or
    ``reader``); its endpoint must reach the report's destination bucket. Errors are
    `InventoryError` (a PrefixShareError, ``field="inventory"``), CredentialsError for a refusal,
    StorageError once retries are spent."""
    source = _s3_location(client, "the shared profile")
    bucket, selection = _selection(client, source, prefix)
    reader, manifest_path = _reader(client, inventory_url, reader)
    location = reader.config.source_url(manifest_path)
    target = _s3_location(reader, "the inventory's profile")
    signer = reader.signer()
    if not isinstance(signer, BulkSigner):  # every S3-family profile's native signer is
        raise InventoryError(f"{location}: profile {reader.profile!r} cannot sign the GETs that read the report")
    bounds = getattr(signer, "bounds", None) or StorageBounds()
    where = f"profile {reader.profile!r}"
    manifest = _ObjectReader(_signing(signer, manifest_path), what=f"the inventory manifest {location}",
                             where=where, size=None, bounds=bounds)  # fmt: skip
    facts = parse_manifest(_read_all(manifest, MAX_MANIFEST_BYTES, location), location)
    if facts.source_bucket != bucket:
        raise InventoryError(
            f"the inventory at {location} reports bucket {facts.source_bucket!r} (its sourceBucket), not "
            f"{bucket!r}, the bucket of {client.config.source_url(prefix + '*')}: name the report of bucket "
            f"{bucket!r} (DESTINATION-PREFIX/{bucket}/CONFIG-ID/YYYY-MM-DDTHH-MMZ/manifest.json)"
        )
    paths = [_data_path(target, reader.profile, facts, file.key) for file in facts.files]  # refused now, not midway
    for module in _NEEDS.get(facts.file_format, ()):  # a missing pyarrow is said before anything is read
        _arrow(facts.file_format, module)

    def objects() -> Iterator[ObjectMetadata]:
        for file, path in zip(facts.files, paths, strict=True):
            what = f"the inventory data file {reader.config.source_url(path)}"
            data = _ObjectReader(_signing(signer, path), what=what, where=where, size=file.size, bounds=bounds)
            try:
                yield from _READERS[facts.file_format](data, facts, selection, what)
            finally:
                data.close()

    return facts, objects()


def parse_manifest(body: bytes, location: str) -> InventoryFacts:
    """The facts of a ``manifest.json`` (its bytes), checked against AWS's documented layout."""
    try:
        manifest = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _malformed(location, "it is not JSON") from None
    if not isinstance(manifest, dict):
        raise _malformed(location, "it is not a JSON object")
    text = {name: _text_field(manifest, name, location)
            for name in ("sourceBucket", "destinationBucket", "version", "fileFormat", "fileSchema")}  # fmt: skip
    arn = _ARN.match(text["destinationBucket"])
    destination = arn.group(1) if arn else text["destinationBucket"]
    if "/" in destination or ":" in destination:
        raise _malformed(location, f"destinationBucket {text['destinationBucket']!r} is not arn:aws:s3:::BUCKET")
    file_format = FORMATS.get(text["fileFormat"].lower())
    if file_format is None:
        raise _malformed(location, f"fileFormat is {text['fileFormat']!r}, not CSV, ORC or Parquet")
    columns = _schema_columns(file_format, text["fileSchema"], location)
    names = {_normal(column) for column in columns}
    if "key" not in names:
        raise _malformed(location, f"its fileSchema names no Key field: {text['fileSchema'][:200]!r}")
    return InventoryFacts(
        location=location,
        source_bucket=text["sourceBucket"],
        destination_bucket=destination,
        version=text["version"],
        creation_time=_creation_time(manifest.get("creationTimestamp"), location),
        file_format=file_format,
        columns=columns,
        files=_files(manifest.get("files"), location),
        versioned="islatest" in names,
    )


# Where things are: the shared bucket and prefix, the report's profile, its data files.


@dataclass(frozen=True)
class _Selection:
    """Which keys of the report a share wants, and how each becomes a profile path."""

    bucket: str  # the report's rows must all be of this bucket
    within: str  # the S3 key prefix of the shared prefix
    strip: int  # characters of the profile's base_path prefix taken off each key
    shown: str  # put in front of each key: "BUCKET/" for a profile whose paths start with their bucket

    def path(self, key: str) -> str:
        return self.shown + key[self.strip :]


def _s3_location(client: StorageClient, which: str) -> S3Location:
    config = client.config
    if config.provider_type not in S3_PROVIDER_TYPES:
        raise InventoryError(
            f"an S3 Inventory report lists an S3 bucket; {which}, {config.profile!r}, is {config.provider_type!r} "
            f"storage: share it without inventory (a listing)"
        )
    location = getattr(client.signer(), "location", None)  # the S3 signer's, already checked
    if isinstance(location, S3Location):
        return location
    return S3Location.from_config(config.provider_type, config.provider_options, config.profile)


def _selection(client: StorageClient, location: S3Location, prefix: str) -> tuple[str, _Selection]:
    """The shared bucket, and the keys of it under ``prefix`` (a profile path)."""
    if location.bucket:
        root = f"{location.prefix}/" if location.prefix else ""
        return location.bucket, _Selection(location.bucket, root + prefix, len(root), "")
    # A profile whose paths start with their bucket: the prefix's first segment, as its listing reads it.
    bucket, _, within = prefix.partition("/")
    if not bucket:
        raise InvalidStorageURLError(
            f"profile {client.profile!r} names no bucket in its base_path: share BUCKET/PREFIX/* with an inventory "
            f"of that bucket"
        )
    return bucket, _Selection(bucket, within, 0, f"{bucket}/")


def _reader(client: StorageClient, url: str, reader: StorageClient | None) -> tuple[StorageClient, str]:
    """The client that reads the report (its URL's profile) and the manifest's path in it."""
    if not isinstance(url, str) or not url.strip():
        raise InventoryError(f"inventory must be msc://PROFILE/PATH/manifest.json, got {url!r}")
    try:
        where = parse_storage_url(url)
    except InvalidStorageURLError as exc:
        raise InventoryError(f"inventory: {exc}") from None
    if where.scheme != "msc":
        raise InventoryError(f"inventory {url!r}: name the report's manifest as msc://PROFILE/PATH/manifest.json")
    if not where.path.endswith(".json"):
        raise InventoryError(
            f"inventory {url!r}: name the report's manifest.json (DESTINATION-PREFIX/SOURCE-BUCKET/CONFIG-ID/"
            f"YYYY-MM-DDTHH-MMZ/manifest.json), not a folder or a data file"
        )
    if reader is not None:
        return reader, where.path
    if where.profile == client.profile:
        return client, where.path
    paths = [client.config.config_path] if client.config.config_path else None
    try:
        config = StorageClientConfig.from_file(where.profile, config_file_paths=paths)
    except PresignError as exc:  # an unknown or bad profile: the inventory argument is at fault
        raise type(exc)(f"inventory {url!r}: {exc}", field=FIELD) from None
    return type(client)(config), where.path  # the caller's kind of client


def _data_path(location: S3Location, profile: str, facts: InventoryFacts, key: str) -> str:
    """The path, in the report's profile, of data file ``key`` of the destination bucket."""
    bucket = facts.destination_bucket
    if not location.bucket:
        return f"{bucket}/{key}"
    if bucket != location.bucket:
        raise InventoryError(
            f"the data files of the inventory at {facts.location} are in bucket {bucket!r} (its destinationBucket), "
            f"but profile {profile!r} reads bucket {location.bucket!r}: name the manifest through a profile whose "
            f"base_path is {bucket!r} (or that has no bucket in its base_path, msc://PROFILE/{bucket}/...), with an "
            f"endpoint and credentials that can read that bucket"
        )
    root = f"{location.prefix}/" if location.prefix else ""
    if not key.startswith(root):
        raise InventoryError(
            f"the inventory data file {key!r} is outside profile {profile!r}'s base_path {bucket}/{location.prefix}: "
            f"name the manifest through a profile whose base_path is the bucket {bucket!r} alone"
        )
    return key[len(root) :]


def _signing(signer: BulkSigner, path: str) -> Callable[[], str]:
    """A GET of ``path`` signed now, for every request (a long read never meets an expired URL)."""

    def sign() -> str:
        return signer.sign_many([path], expires_in=URL_SECONDS, signed_at=times.utcnow().replace(microsecond=0))[0]

    return sign


# The manifest.


def _malformed(location: str, why: str) -> InventoryError:
    return InventoryError(
        f"{location} is not an S3 Inventory manifest.json as AWS writes it: {why}. Name the manifest.json of a "
        f"delivered report (DESTINATION-PREFIX/SOURCE-BUCKET/CONFIG-ID/YYYY-MM-DDTHH-MMZ/manifest.json)"
    )


def _text_field(manifest: Mapping[str, Any], name: str, location: str) -> str:
    value = manifest.get(name)
    if not isinstance(value, str) or not value.strip():
        missing = "has no" if value is None else f"has {type(value).__name__} {str(value)[:40]!r} as its"
        raise _malformed(location, f"it {missing} {name} (text)")
    return value.strip()


def _creation_time(value: object, location: str) -> datetime:
    """creationTimestamp: milliseconds since the epoch, as text ("1514944800000")."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise _malformed(location, f'creationTimestamp {value!r} is not milliseconds since 1970 (e.g. "1514944800000")')
    return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)


def _files(value: object, location: str) -> tuple[InventoryFile, ...]:
    if not isinstance(value, list):
        raise _malformed(location, "its files is not a list of {key, size, MD5checksum}")
    files = []
    for number, entry in enumerate(value, 1):
        key = entry.get("key") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key or isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise _malformed(
                location, f"file {number} of its files is not {{key, size, MD5checksum}}: {str(entry)[:100]}"
            )
        checksum = entry.get("MD5checksum")
        files.append(InventoryFile(key, size, checksum if isinstance(checksum, str) else None))
    return tuple(files)


def _schema_columns(file_format: str, schema: str, location: str) -> tuple[str, ...]:
    """The field names of fileSchema: "Bucket, Key, Size, ..." (CSV), ``struct<bucket:string,...>``
    (ORC), ``message s3.inventory { required binary bucket (UTF8); ... }`` (Parquet)."""
    if file_format == "CSV":
        columns = tuple(name.strip() for name in schema.split(","))
    elif file_format == "ORC":
        inner = re.fullmatch(r"\s*struct\s*<(.*)>\s*", schema, re.DOTALL)
        columns = tuple(field.split(":", 1)[0].strip() for field in _top_level(inner.group(1))) if inner else ()
    else:
        columns = tuple(_PARQUET_FIELD.findall(schema)) if schema.lstrip().startswith("message") else ()
    if not columns or not all(columns):
        raise _malformed(location, f"its {file_format} fileSchema cannot be read: {schema[:200]!r}")
    return columns


def _top_level(fields: str) -> list[str]:
    """``a:string,b:map<string,int>`` split at its top-level commas."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(fields):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(fields[start:index])
            start = index + 1
    return [*parts, fields[start:]]


def _normal(name: str) -> str:
    """A field name as both schemas can be compared: "IsLatest" and "is_latest" are "islatest"."""
    return name.replace("_", "").lower()


def _duration(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


# Reading an object of the report: ranged GETs through presigned URLs, resumed where they broke.


class _Transient(Exception):
    """An answer worth trying again (5xx, 429, a reset, a timeout, a body cut short)."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


class _ObjectReader(io.RawIOBase):
    """One object, read through presigned GETs as a seekable file: reading on streams one
    answer; a seek elsewhere opens another there (``Range: bytes=N-``); a broken answer is
    resumed where it stopped, ``If-Match`` the ETag of the first, within ``bounds.attempts``
    failures in a row (the bound is on time without progress). ``size``: what the manifest
    says the object holds (checked against the storage's answer), or None to learn it."""

    def __init__(
        self, sign: Callable[[], str], *, what: str, where: str, size: int | None, bounds: StorageBounds
    ) -> None:
        super().__init__()
        self._sign, self._what, self._where, self._bounds = sign, what, where, bounds
        self._size = size
        self._known = size is not None  # the size came from the manifest: the storage must agree
        self._pos = 0
        self._answer: http.client.HTTPResponse | None = None
        self._answer_pos = 0
        self._etag: str | None = None
        self.failure: PresignError | None = None  # what ended a read pyarrow then reported as its own error
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Only moves the position: the next read opens a GET there, if it is not where the last one is."""
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._pos + offset
        elif whence == io.SEEK_END:
            position = self.size() + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._pos = position
        return position

    def size(self) -> int:
        if self._size is None:
            self._attempt(self._open)
        assert self._size is not None  # an answer told it
        return self._size

    def readinto(self, buffer: Any) -> int:  # a writable buffer (bytearray, memoryview)
        """Fill ``buffer`` (pyarrow wants whole reads), short only at the object's end."""
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view):
            count = self._attempt(partial(self._read_some, view[done:]))
            if count == 0:
                break
            done += count
        return done

    def close(self) -> None:
        self._drop()
        super().close()

    def _read_some(self, view: memoryview) -> int:
        if self._size is not None and self._pos >= self._size:
            return 0
        if self._answer is None or self._answer_pos != self._pos:
            self._open()
            if self._answer is None:  # an empty object
                return 0
        try:
            count = self._answer.readinto(view[:ANSWER_PIECE])  # a reset mid-piece loses the piece
        except (OSError, http.client.HTTPException) as exc:  # a reset, a timeout, a body cut short
            raise _transient(exc) from None
        if count == 0:
            raise _Transient(f"the answer ended at byte {self._pos:,} of {self._size:,}")
        self._pos += count
        self._answer_pos += count
        return count

    def _attempt(self, step: Callable[[], int | None]) -> int:
        """``step``, tried again after what is transient, with botocore's backoff (full jitter)."""
        for attempt in range(1, self._bounds.attempts + 1):
            try:
                return step() or 0
            except _Transient as exc:
                self._drop()
                if attempt == self._bounds.attempts:
                    kind = StorageTimeoutError if exc.timed_out else StorageError
                    self.failure = kind(
                        f"no whole answer from the storage to {self._what} after {attempt} attempts ({exc})",
                        field=FIELD,
                    )
                    raise self.failure from None
            except PresignError as exc:
                self._drop()
                self.failure = exc
                raise
            time.sleep(random.uniform(0, 2 ** (attempt - 1)))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _open(self) -> None:
        """A GET from the current position on; the size and ETag of the object, from its answer."""
        self._drop()
        headers = {"Range": f"bytes={self._pos}-", **({"If-Match": self._etag} if self._etag else {})}
        request = urllib.request.Request(self._sign(), headers=headers)  # refused credentials raise here, once
        self.requests += 1
        try:
            answer = urllib.request.urlopen(request, timeout=self._bounds.read_timeout)
        except urllib.error.HTTPError as exc:
            with exc:
                code = error_code(exc.read(2000))
            if exc.code == 416 and self._pos == 0:  # "bytes=0-" of an empty object
                self._check_size(0)
                return
            if exc.code in TRANSIENT:
                raise _Transient(f"{exc.code} {code}".rstrip()) from None
            raise self._refusal(exc.code, code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise _transient(exc) from None
        try:
            start, total = self._extent(answer)
            self._check_size(total)
        except BaseException:
            answer.close()
            raise
        self._etag = self._etag or answer.headers.get("ETag")
        self._answer, self._answer_pos = answer, start
        if start < self._pos:  # a 200: the storage ignored the range; read up to the position
            self._skip(self._pos - start)

    def _extent(self, answer: http.client.HTTPResponse) -> tuple[int, int]:
        """Where the answer's body starts in the object, and the object's size."""
        if answer.status == 206:
            found = _CONTENT_RANGE.match(answer.headers.get("Content-Range", ""))
            if found is None or int(found.group(1)) != self._pos:
                raise InventoryError(f"the storage answered a range of {self._what} that was not asked for")
            return self._pos, int(found.group(3))
        if answer.status == 200 and (answer.headers.get("Content-Length") or "").isdigit():
            return 0, int(answer.headers["Content-Length"])
        raise InventoryError(f"the storage answered {answer.status} to a GET of {self._what}")

    def _check_size(self, total: int) -> None:
        if self._size is not None and total != self._size:
            said = "the manifest says" if self._known else "it was"
            raise InventoryError(
                f"{self._what} is {total:,} bytes, but {said} {self._size:,}: it was replaced or damaged after the "
                f"report was written; name a newer report"
            )
        self._size = total

    def _skip(self, count: int) -> None:
        assert self._answer is not None
        while count:
            chunk = self._answer.read(min(count, CHUNK))
            if not chunk:
                raise _Transient("the answer ended early")
            count -= len(chunk)
            self._answer_pos += len(chunk)

    def _refusal(self, status: int, code: str) -> PresignError:
        answered = f"{status} {code}".rstrip()
        if status == 403:
            return CredentialsError(
                f"the storage refused to read {self._what} ({answered}): the credentials of {self._where} are not "
                f"allowed to read it",
                field=FIELD,
            )
        if status == 404:
            return InventoryError(
                f"{self._what} is not there ({answered}): a report whose files were since deleted (a lifecycle rule "
                f"expires old reports), or a path that is not one; name a delivered report's manifest.json"
            )
        if status == 412:
            return InventoryError(f"{self._what} changed while it was read ({answered}): read it again")
        return InventoryError(f"the storage refused to read {self._what}: {answered}")

    def _drop(self) -> None:
        if self._answer is not None:
            self._answer.close()
            self._answer = None


def _transient(exc: BaseException) -> _Transient:
    """A failed connection or answer (urllib wraps some in URLError) as what it was."""
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, TimeoutError):
        return _Transient("timed out", timed_out=True)
    if isinstance(exc, http.client.IncompleteRead):
        return _Transient("the answer was cut short")
    return _Transient(str(reason) or type(reason).__name__)


def _read_all(data: _ObjectReader, limit: int, location: str) -> bytes:
    """All of a small object, refusing one over ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    with data:
        while total <= limit:
            chunk = data.read(CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
    raise _malformed(location, f"it is over {limit >> 20} MiB, far more than a manifest of data files")


# The data files: CSV.gz, Parquet and ORC, each streamed, filtered to the shared prefix.


def _csv_objects(
    data: _ObjectReader, facts: InventoryFacts, selection: _Selection, what: str
) -> Iterator[ObjectMetadata]:
    """The rows of a CSV data file (gzip, as AWS writes them; a plain one is read too): no header,
    every field quoted, the columns of fileSchema, keys URL-encoded as forms are."""
    index = {_normal(name): number for number, name in enumerate(facts.columns)}
    key_at, bucket_at, size_at = index["key"], index.get("bucket"), index.get("size")
    modified_at, latest_at, marker_at = (
        index.get("lastmodifieddate"),
        index.get("islatest"),
        index.get("isdeletemarker"),
    )
    header = [_normal(name) for name in facts.columns]
    width, within = len(facts.columns), selection.within
    buffered = io.BufferedReader(data, CSV_BUFFER)
    number = 0
    try:
        raw: Any = gzip.GzipFile(fileobj=buffered, mode="rb") if buffered.peek(2)[:2] == b"\x1f\x8b" else buffered
        for number, row in enumerate(csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")), 1):
            if len(row) != width:
                if not row:
                    continue
                raise _damaged(what, number, f"has {len(row)} fields where its fileSchema has {width}")
            if number == 1 and [_normal(value) for value in row] == header:
                continue  # a header someone added (AWS writes none)
            if bucket_at is not None and row[bucket_at] != selection.bucket:
                raise _damaged(
                    what, number, f"is an object of bucket {row[bucket_at][:64]!r}, not {selection.bucket!r}"
                )
            key = row[key_at]
            if "%" in key or "+" in key:
                key = unquote_plus(key, errors="strict")  # ValueError if it is not UTF-8
            if not key.startswith(within):
                continue
            if latest_at is not None and row[latest_at].lower() != "true":
                continue  # an older version
            if marker_at is not None and row[marker_at].lower() == "true":
                continue
            size = row[size_at] if size_at is not None else ""
            modified = row[modified_at] if modified_at is not None else ""
            try:
                entry = ObjectMetadata(selection.path(key), int(size) if size else None,
                                       _csv_time(modified) if modified else None)  # fmt: skip
            except ValueError as exc:
                raise _damaged(what, number, f"has a Size or LastModifiedDate that is not one ({exc})") from None
            yield entry
    except PresignError:
        raise
    except (OSError, EOFError, zlib.error, csv.Error, ValueError) as exc:  # ValueError: a key that is not UTF-8
        if data.failure is not None:
            raise data.failure from None
        why = str(_transient(exc)) if isinstance(exc, OSError) else str(exc)[:200] or type(exc).__name__
        raise _damaged(what, number + 1, f"cannot be read ({why})") from None


def _csv_time(text: str) -> datetime:
    """LastModifiedDate: ``2016-11-06T21:32:43.000Z``."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is timezone.utc:  # what "...Z" gives
        return moment
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _parquet_objects(
    data: _ObjectReader, facts: InventoryFacts, selection: _Selection, what: str
) -> Iterator[ObjectMetadata]:
    """A Parquet data file, one row group at a time (only the columns a listing needs)."""
    parquet = _arrow("Parquet", "pyarrow.parquet")
    with _arrow_errors(data, what, "Parquet"):
        opened = parquet.ParquetFile(data, pre_buffer=True)  # neighbouring columns in one GET
        columns = _arrow_columns(opened.schema_arrow, what)
        batches = opened.iter_batches(batch_size=ARROW_BATCH, columns=list(columns.values()))
    yield from _arrow_objects(batches, columns, data, selection, what, "Parquet")


def _orc_objects(
    data: _ObjectReader, facts: InventoryFacts, selection: _Selection, what: str
) -> Iterator[ObjectMetadata]:
    """An ORC data file, in batches (only the columns a listing needs): pyarrow's dataset reader
    decodes a stripe batch by batch, where ``ORCFile.read_stripe`` would hold a whole stripe
    (one of 2M rows: +145 MiB against +53 MiB measured here)."""
    _arrow("ORC", "pyarrow.orc")
    dataset = _arrow("ORC", "pyarrow.dataset")
    with _arrow_errors(data, what, "ORC"):
        fragment = dataset.OrcFileFormat().make_fragment(data)
        columns = _arrow_columns(fragment.physical_schema, what)
        batches = fragment.to_batches(columns=list(columns.values()), batch_size=ARROW_BATCH, use_threads=False)
    yield from _arrow_objects(batches, columns, data, selection, what, "ORC")


_WANTED = {"key": "key", "bucket": "bucket", "size": "size", "lastmodifieddate": "modified",
           "islatest": "latest", "isdeletemarker": "marker"}  # fmt: skip


def _arrow_columns(schema: Any, what: str) -> dict[str, str]:
    """What each needed column is named in the file: {"key": "key", "modified": "last_modified_date", ...}."""
    pyarrow = _arrow("")
    columns = {_WANTED[_normal(name)]: name for name in schema.names if _normal(name) in _WANTED}
    kinds = {"key": pyarrow.types.is_string, "bucket": pyarrow.types.is_string, "size": pyarrow.types.is_integer,
             "modified": pyarrow.types.is_timestamp, "latest": pyarrow.types.is_boolean,
             "marker": pyarrow.types.is_boolean}  # fmt: skip
    if "key" not in columns:
        raise InventoryError(f"{what} has no key column: it is not an S3 Inventory data file")
    for role, name in columns.items():
        kind = schema.field(name).type
        if not (kinds[role](kind) or (role in ("key", "bucket") and pyarrow.types.is_large_string(kind))):
            raise InventoryError(f"{what}: its column {name!r} is {kind}, not what S3 Inventory writes there")
    return columns


def _arrow_objects(
    batches: Iterator[Any],
    columns: Mapping[str, str],
    data: _ObjectReader,
    selection: _Selection,
    what: str,
    file_format: str,
) -> Iterator[ObjectMetadata]:
    """The rows of each batch that the share wants (filtered in pyarrow), as ObjectMetadata."""
    pyarrow, compute = _arrow(""), _arrow("", "pyarrow.compute")
    iterator = iter(batches)
    while True:
        with _arrow_errors(data, what, file_format):
            batch = next(iterator, None)
            if batch is None:
                return
            if "bucket" in columns:
                foreign = compute.any(compute.not_equal(batch.column(columns["bucket"]), selection.bucket)).as_py()
                if foreign:
                    raise InventoryError(f"{what} lists objects of another bucket than {selection.bucket!r}")
            keep = (
                [compute.starts_with(batch.column(columns["key"]), pattern=selection.within)]
                if selection.within
                else []
            )
            if "latest" in columns:
                keep.append(compute.fill_null(batch.column(columns["latest"]), False))
            if "marker" in columns:
                keep.append(compute.invert(compute.fill_null(batch.column(columns["marker"]), False)))
            if keep:
                mask = keep[0]
                for condition in keep[1:]:
                    mask = compute.and_(mask, condition)
                batch = batch.filter(mask)  # a null (a null key) drops the row
            keys = batch.column(columns["key"]).to_pylist()
            count = len(keys)
            sizes = batch.column(columns["size"]).to_pylist() if "size" in columns else [None] * count
            if "modified" in columns:  # as whole milliseconds since 1970: pyarrow's datetimes are 10x slower to make
                stamps = batch.column(columns["modified"])  # Parquet's are ms, with tz UTC; ORC's ns, zoneless UTC
                millis = stamps.cast(pyarrow.timestamp("ms", tz=stamps.type.tz), safe=False).cast(pyarrow.int64())
                modified = millis.to_pylist()
            else:
                modified = [None] * count
        for key, size, milli in zip(keys, sizes, modified, strict=True):
            moment = None if milli is None else datetime.fromtimestamp(milli / 1000, timezone.utc)
            yield ObjectMetadata(selection.path(key), size, moment)


@contextlib.contextmanager
def _arrow_errors(data: _ObjectReader, what: str, file_format: str) -> Iterator[None]:
    """pyarrow's errors as an InventoryError naming the file; the reader's own (a refusal, no
    answer) as they were, which pyarrow's ORC reader reports as an OSError of its own."""
    try:
        yield
    except PresignError:
        raise
    except Exception as exc:
        if data.failure is not None:
            raise data.failure from None
        text = str(exc).split("\n", 1)[0][:200] or type(exc).__name__
        raise InventoryError(f"{what} cannot be read as {file_format}: {text}") from None


def _damaged(what: str, row: int, why: str) -> InventoryError:
    """``why`` says what is wrong with row ``row``: "has 3 fields where ...", "cannot be read (...)"."""
    return InventoryError(f"{what} is not an S3 Inventory data file as AWS writes it: row {row:,} {why}")


def _arrow(file_format: str, module: str = "pyarrow") -> ModuleType:
    """pyarrow (or one of its modules), imported when an ORC or Parquet report is read."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        kind = file_format or "ORC or Parquet"
        if module != "pyarrow" and _installed("pyarrow"):
            raise InventoryDependencyError(
                f"the pyarrow installed here cannot read {kind} ({module} does not import: {exc}); install a pyarrow "
                f"build with it, or have the inventory written as CSV"
            ) from None
        raise InventoryDependencyError(
            f"reading an S3 Inventory report in {kind} needs pyarrow: pip install pyarrow (or have the inventory "
            f"written as CSV, which needs nothing more)"
        ) from None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_NEEDS = {
    "Parquet": ("pyarrow.parquet", "pyarrow.compute"),
    "ORC": ("pyarrow.orc", "pyarrow.dataset", "pyarrow.compute"),
}
_READERS: dict[str, Callable[[_ObjectReader, InventoryFacts, _Selection, str], Iterator[ObjectMetadata]]] = {
    "CSV": _csv_objects,
    "Parquet": _parquet_objects,
    "ORC": _orc_objects,
}

__all__ = (
    "InventoryDependencyError", "InventoryError", "InventoryFacts", "InventoryFile", "inventory_objects", "parse_manifest",
)  # fmt: skip
