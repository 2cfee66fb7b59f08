"""`MultipartUpload`: one large file uploaded in parts through presigned URLs, and how to finish it.

One presigned PUT writes at most 5 GiB. Beyond that (and for any upload that should survive a
broken connection without starting over), S3 has multipart uploads: the profile's credentials
create the upload (CreateMultipartUpload), and the recipient gets one presigned PUT per part
(UploadPart), a presigned POST that assembles the parts (CompleteMultipartUpload) and a
presigned DELETE that throws them away (AbortMultipartUpload). The storage keeps, and bills,
the uploaded parts of an unfinished upload until it is completed or aborted.

`plan_parts` cuts a size into parts within S3's limits; `MultipartUpload` carries the URLs, the
completion body the storage expects, and ready-to-run recipient scripts (Python with only
``requests``, or POSIX sh with curl).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from . import _times as times
from ._errors import SignerOptionError, StorageError
from ._result import ExpiryFacts, SignerDetails
from ._sizes import describe_bytes, describe_size, parse_size

if TYPE_CHECKING:
    from ._check import CheckReport

MiB = 2**20
GiB = 2**30
TiB = 2**40
MIN_PART_SIZE = 5 * MiB  # S3: every part but the last is at least this
MAX_PART_SIZE = 5 * GiB  # S3: no part is larger
MAX_PUT_SIZE = 5 * GiB  # S3: the most one PUT writes (past it, a multipart upload)
MAX_PARTS = 10_000  # S3: part numbers 1 ... 10,000
MAX_UPLOAD_SIZE = 5 * TiB  # S3: the largest object
# With no part size asked: 8 MiB, doubled until the parts are at most 10,000. That is exactly
# what the AWS CLI and boto3's upload_file (s3transfer: 8 MiB multipart_chunksize, then
# ChunksizeAdjuster doubles it) choose, so an object uploaded through these URLs gets the same
# multipart ETag ("<md5 of the parts' md5s>-<count>") as one those tools upload, and the tools
# that check a download against it (with their default 8 MiB) agree. Powers of two are also
# whole MiB, so the shell recipient reads each part with dd in 1 MiB blocks, at most twice the
# smallest size that fits (5 TiB: 1 GiB parts, 5,120 of them), and 8 MiB parts up to 78 GiB: small
# parts cost little to retry.
DEFAULT_PART_SIZE = 8 * MiB
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
_DD_BLOCK = MiB  # the shell recipient's dd reads in blocks of at most this
_MIN_DD_BLOCK = 64 * 1024  # below this, tail | head reads faster than dd


def check_size(size: int | str) -> int:
    """The upload's size in bytes: 1 byte ... 5 TiB (text such as ``"20GB"`` accepted)."""
    value = parse_size(size, field="size")
    if value <= 0:
        raise SignerOptionError(f"size must be at least 1 byte, got {value}: there is nothing to upload", field="size")
    if value > MAX_UPLOAD_SIZE:
        raise SignerOptionError(
            f"size is {describe_bytes(value)}; S3 stores objects of at most 5 TiB ({MAX_UPLOAD_SIZE:,} bytes)",
            field="size",
        )
    return value


def check_part_size(part_size: int | str) -> int:
    """A part size in bytes: 5 MiB ... 5 GiB (text such as ``"8MiB"`` accepted)."""
    value = parse_size(part_size, field="part_size")
    if not MIN_PART_SIZE <= value <= MAX_PART_SIZE:
        raise SignerOptionError(
            f"part_size must be between 5 MiB ({MIN_PART_SIZE:,} bytes) and 5 GiB ({MAX_PART_SIZE:,} bytes), "
            f"S3's limits for a part, got {describe_bytes(value)}",
            field="part_size",
        )
    return value


def default_part_size(size: int) -> int:
    """8 MiB, doubled until ``size`` takes at most 10,000 parts (see `DEFAULT_PART_SIZE`)."""
    part_size = DEFAULT_PART_SIZE
    while -(-size // part_size) > MAX_PARTS:
        part_size *= 2
    return part_size


def choose_part_size(size: int | str, part_size: int | str | None) -> tuple[int, int]:
    """``(size, part_size)`` in bytes, both checked: the part size asked, or the default one."""
    total = check_size(size)
    if part_size is None:
        return total, default_part_size(total)
    chosen = check_part_size(part_size)
    count = -(-total // chosen)
    if count > MAX_PARTS:
        fits = -(-total // MAX_PARTS)
        raise SignerOptionError(
            f"part_size {describe_bytes(chosen)} cuts {describe_bytes(total)} into {count:,} parts; S3 allows at "
            f"most {MAX_PARTS:,}: use a part_size of at least {fits:,} bytes ({describe_size(fits)}), e.g. "
            f"{describe_size(default_part_size(total))}, or leave part_size unset to get that",
            field="part_size",
        )
    return total, chosen


def plan_parts(size: int | str, part_size: int | str | None = None) -> list[tuple[int, int]]:
    """``(offset, length)`` of each part of an upload of ``size`` bytes: every part but the last
    ``part_size`` bytes (None: 8 MiB, doubled until at most 10,000 parts), the last the rest.
    Sizes may be text (``"20GB"``, ``"8MiB"``); anything outside S3's limits is a SignerOptionError
    naming ``size`` or ``part_size``."""
    total, chosen = choose_part_size(size, part_size)
    return [(offset, min(chosen, total - offset)) for offset in range(0, total, chosen)]


@dataclass(frozen=True)
class UploadPart:
    """One part: its number (1-based), its presigned PUT, and the file's bytes it carries."""

    number: int
    url: str
    offset: int
    length: int

    def __repr__(self) -> str:  # the URL is a credential for this part: not shown
        return f"UploadPart(number={self.number}, offset={self.offset}, length={self.length})"


@dataclass(frozen=True)
class MultipartDetails(SignerDetails):
    """Where a multipart upload goes and how it is cut."""

    bucket: str
    key: str
    upload_id: str
    part_size: int
    part_count: int


class MultipartUpload(ExpiryFacts):
    """A multipart upload the profile's credentials created, with everything its uploader needs:
    a presigned PUT per part (``parts``), the presigned completion (``complete_url``, a POST whose
    body `complete_body` makes) and abort (``abort_url``, a DELETE), all signed at one instant for
    the same lifetime. ``effective_expiry`` is when they stop working; an upload not completed by
    then can still be aborted with the profile's credentials (`unfinished_note`)."""

    method = "PUT"  # what the parts' URLs are for

    def __init__(
        self,
        *,
        upload_id: str,
        source: str,
        signer_type: str,
        bucket: str,
        key: str,
        size: int,
        part_size: int,
        parts: Sequence[UploadPart],
        complete_url: str,
        abort_url: str,
        signed_at: datetime,
        expires_in: int,
        credential_expiry: datetime | None = None,
        content_type: str | None = None,
    ) -> None:
        self.upload_id = upload_id
        self.source = source
        self.signer_type = str(signer_type)
        self.bucket = bucket
        self.key = key
        self.size = size
        self.part_size = part_size
        self.parts: tuple[UploadPart, ...] = tuple(parts)
        self.complete_url = complete_url
        self.abort_url = abort_url
        self.signed_at = signed_at
        self.expires_in = expires_in
        self.credential_expiry = credential_expiry
        self.content_type = content_type  # set at creation: the object gets it when completed

    @property
    def details(self) -> MultipartDetails:
        return MultipartDetails(self.bucket, self.key, self.upload_id, self.part_size, len(self.parts))

    def complete_body(self, etags: Sequence[str] | Mapping[int, str]) -> bytes:
        """The CompleteMultipartUpload XML for the parts' ETags (as their PUTs answered, quoted or
        not): in part order, or part number -> ETag. One ETag per part, none missing."""
        count = len(self.parts)
        if isinstance(etags, Mapping):
            numbers = sorted(etags)
            if numbers != list(range(1, count + 1)):
                missing = sorted(set(range(1, count + 1)) - set(numbers))
                extra = [n for n in numbers if not (isinstance(n, int) and 1 <= n <= count)]
                raise SignerOptionError(
                    f"etags must give one ETag for each of the {count} parts (numbers 1 to {count})"
                    + (f"; missing: {_few(missing)}" if missing else "")
                    + (f"; not parts of this upload: {_few(extra)}" if extra else ""),
                    field="etags",
                )
            ordered = [etags[number] for number in numbers]
        elif isinstance(etags, str) or not isinstance(etags, Sequence):
            raise SignerOptionError(
                f"etags must be a list of the parts' ETags in part order, or a mapping of part number to ETag, "
                f"got {type(etags).__name__}",
                field="etags",
            )
        else:
            ordered = list(etags)
            if len(ordered) != count:
                raise SignerOptionError(
                    f"etags has {len(ordered)} ETag{'s' if len(ordered) != 1 else ''}; this upload has {count} "
                    f"part{'s' if count != 1 else ''}: give one per part, in part order",
                    field="etags",
                )
        for number, etag in enumerate(ordered, 1):
            if not isinstance(etag, str) or not etag.strip('" '):
                raise SignerOptionError(f"the ETag of part {number} is {etag!r}, not an ETag", field="etags")
        parts = "".join(
            f"<Part><PartNumber>{number}</PartNumber><ETag>{escape(_quoted(etag))}</ETag></Part>"
            for number, etag in enumerate(ordered, 1)
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="{S3_XMLNS}">{parts}'
            f"</CompleteMultipartUpload>"
        ).encode()

    def check(self) -> CheckReport:
        """Its URLs are not fetched (that would upload, or abort): their endpoint is asked for the time."""
        from ._check import probe, report

        return report([probe(self.parts[0].url, "PUT", "the part URLs")])

    def abort(self) -> str:
        """Abort the upload through its presigned DELETE (its parts are deleted); what happened, in words."""
        return abort_upload(self.abort_url, self.source)

    def abort_command(self) -> str:
        """A ready-to-paste abort of the upload (its parts are deleted; the storage answers 204)."""
        return f"curl --fail -sS --connect-timeout 15 --max-time 300 -X DELETE {shlex.quote(self.abort_url)}"

    @property
    def unfinished_note(self) -> str:
        """What an unfinished upload costs, and how to end it."""
        return (
            f"An unfinished upload costs storage until it is completed or aborted: abort with "
            f"{self.abort_command()} (until {times.utc_text(self.effective_expiry)}; after that, with the "
            f"profile's credentials: AbortMultipartUpload of key {self.key!r} in bucket {self.bucket!r}, upload id "
            f"{self.upload_id}, e.g. aws s3api abort-multipart-upload). A lifecycle rule with "
            f"AbortIncompleteMultipartUpload ends forgotten uploads by itself."
        )

    def _headline(self) -> str:
        """The scripts' first comment line (one line, whatever the key holds)."""
        count = len(self.parts)
        text = (
            f"Uploads a file of {describe_bytes(self.size)} to {self.source} in {count} part{'s' if count != 1 else ''} "
            f"of {describe_size(self.part_size)}. The URLs work until {times.utc_text(self.effective_expiry)}."
        )
        return "".join(c if c.isprintable() else "?" for c in text)

    def python_script(self, path: str = "FILE") -> str:
        """A recipient's upload of the file at ``path``: Python with only ``requests``. It checks the
        file's size, PUTs each part's byte range (streamed, a few at a time, each retried on a 5xx or a
        broken connection), completes the upload (an answer with an ``<Error>``, even a 200, is a
        failure) and prints the result; on failure it says how to abort (``--abort`` does)."""
        rows = "\n".join(f"    ({p.number}, {p.offset}, {p.length}, {json.dumps(p.url)})," for p in self.parts)
        return _PYTHON_SCRIPT.format(
            headline=self._headline(),
            path=repr(path),
            size=self.size,
            target=json.dumps(self.source),
            rows=rows,
            complete_url=json.dumps(self.complete_url),
            abort_url=json.dumps(self.abort_url),
            abort_command=json.dumps(self.abort_command()),
            xmlns=S3_XMLNS,
            file_range=FILE_RANGE_SCRIPT,
        )

    def shell_script(self, path: str = "FILE") -> str:
        """The same upload in POSIX sh with curl: each part read with dd (or tail and head) and PUT
        with its Content-Length, retried on a 5xx or no answer; then the completion, its answer checked."""
        block = _dd_block(self.part_size)
        if block:
            read = f'dd if="$file" bs={block} skip="$1" count="$2" 2>/dev/null'
            lines = [
                f"put_part {p.number} {p.offset // block} {-(-p.length // block)} {p.length} {shlex.quote(p.url)}"
                for p in self.parts
            ]
        else:  # a part size with no large divisor: any offset, read through tail
            read = 'tail -c "+$1" -- "$file" | head -c "$2"'
            lines = [
                f"put_part {p.number} {p.offset + 1} {p.length} {p.length} {shlex.quote(p.url)}" for p in self.parts
            ]
        return _SHELL_SCRIPT.format(
            headline=self._headline(),
            path=shlex.quote(path),
            size=self.size,
            target=shlex.quote(self.source),
            read=read,
            parts="\n".join(lines),
            complete_url=shlex.quote(self.complete_url),
            abort_command=shlex.quote(self.abort_command()),
            xmlns=S3_XMLNS,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(vars(self)),))

    def __repr__(self) -> str:  # no URL: each one is a credential
        return (
            f"MultipartUpload(source={self.source!r}, upload_id={self.upload_id!r}, size={self.size}, "
            f"part_size={self.part_size}, parts={len(self.parts)}, signer_type={self.signer_type!r}, "
            f"effective_expiry={self.effective_expiry.isoformat()!r})"
        )


def abort_upload(abort_url: str, what: str = "the upload") -> str:
    """Abort a multipart upload through its presigned DELETE (the history keeps only that URL)."""
    from ._fetch import error_code, send

    answer = send("DELETE", abort_url, what=f"the abort of {what}")
    if answer.status in (200, 204):
        return f"{what}: aborted, its parts are deleted"
    code = error_code(answer.body)
    if answer.status == 404:
        return f"{what}: already gone ({code or 404}): it was completed or aborted"
    raise StorageError(
        f"the abort of {what} was refused ({answer.status} {code}".rstrip() + "): its URL may have expired; abort it "
        "with the profile's credentials (AbortMultipartUpload, its key and upload id)",
        field="path",
    )


def _rebuild(fields: dict[str, Any]) -> MultipartUpload:
    return MultipartUpload(**fields)


def _quoted(etag: str) -> str:
    """An ETag as S3 answers it: in double quotes."""
    etag = etag.strip()
    return etag if len(etag) >= 2 and etag.startswith('"') and etag.endswith('"') else f'"{etag.strip(chr(34))}"'


def _few(numbers: Sequence[Any]) -> str:
    shown = ", ".join(map(str, numbers[:5]))
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def _dd_block(part_size: int) -> int | None:
    """The largest divisor of ``part_size`` up to 1 MiB (every part's offset is a multiple of it), or
    None when it is too small for dd to read fast."""
    best = 1
    divisor = 1
    while divisor * divisor <= part_size:
        if part_size % divisor == 0:
            for candidate in (divisor, part_size // divisor):
                if best < candidate <= _DD_BLOCK:
                    best = candidate
        divisor += 1
        if best == _DD_BLOCK:
            break
    return best if best >= _MIN_DD_BLOCK else None


# The recipient scripts' upload of one byte range of the file (the S3 parts' and the Azure blocks'),
# inserted as it is (its braces are not format fields).
FILE_RANGE_SCRIPT = '''\
class FileRange:
    """Bytes [offset, offset + length) of the file, read while requests sends them."""

    def __init__(self, handle, offset, length):
        handle.seek(offset)
        self.handle, self.left = handle, length

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data

    def __len__(self):  # requests sends it as the Content-Length
        return self.left


def put_range(url, offset, length, what):
    """PUT the file's bytes [offset, offset + length) to url, retried on a 5xx or no answer."""
    error = "not sent"
    for _ in range(ATTEMPTS):
        try:
            with open(PATH, "rb") as handle:
                answer = requests.put(url, data=FileRange(handle, offset, length), timeout=(15, 300))
        except requests.RequestException as exc:
            error = f"no answer ({exc})"
            continue
        if answer.status_code in (200, 201):
            return answer
        error = f"{answer.status_code} {answer.text[:300]}"
        if answer.status_code < 500:
            break  # refused (403: the URL expired or was changed): trying again cannot help
    raise RuntimeError(f"{what} was not uploaded: {error}")
'''

_PYTHON_SCRIPT = '''\
# {headline}
# Needs Python 3.9+ and requests (pip install requests); no credentials.
# Run it with --abort to give the upload up (its parts are deleted).
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

PATH = {path}
SIZE = {size}
TARGET = {target}
PARTS = [  # (part number, offset, length, presigned PUT)
{rows}
]
COMPLETE_URL = {complete_url}
ABORT_URL = {abort_url}
ABORT_COMMAND = {abort_command}
WORKERS = 4  # parts in flight at once
ATTEMPTS = 3  # per part, when the storage answers 5xx or the connection breaks


{file_range}

def put_part(number, offset, length, url):
    answer = put_range(url, offset, length, f"part {{number}}")
    if not answer.headers.get("ETag"):
        raise RuntimeError(f"part {{number}}: the storage answered {{answer.status_code}} without an ETag")
    return answer.headers["ETag"]


def complete(etags):
    parts = "".join(
        f"<Part><PartNumber>{{number}}</PartNumber><ETag>{{etag}}</ETag></Part>"
        for number, etag in zip((part[0] for part in PARTS), etags)
    )
    body = f'<?xml version="1.0" encoding="UTF-8"?>\\n<CompleteMultipartUpload xmlns="{xmlns}">{{parts}}</CompleteMultipartUpload>'
    answer = requests.post(COMPLETE_URL, data=body.encode(), headers={{"Content-Type": "application/xml"}}, timeout=(15, 900))
    # S3 may answer 200 and still fail: the error is then in the body
    if answer.status_code != 200 or "<Error>" in answer.text or "CompleteMultipartUploadResult" not in answer.text:
        raise RuntimeError(f"the upload was not completed: {{answer.status_code}} {{answer.text[:500]}}")
    return answer.text


def abort():
    answer = requests.delete(ABORT_URL, timeout=(15, 300))
    if answer.status_code not in (200, 204):
        sys.exit(f"the abort was refused: {{answer.status_code}} {{answer.text[:300]}}")
    print("upload aborted: its parts are deleted")


def main():
    if "--abort" in sys.argv[1:]:
        return abort()
    size = os.path.getsize(PATH)
    if size != SIZE:
        sys.exit(f"{{PATH}} has {{size:,}} bytes; these URLs upload exactly {{SIZE:,}} bytes")
    pool = ThreadPoolExecutor(WORKERS)
    try:
        etags = list(pool.map(lambda part: put_part(*part), PARTS))
        complete(etags)
    except (Exception, KeyboardInterrupt) as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        print(f"upload failed: {{exc}}", file=sys.stderr)
        print("The parts uploaded so far cost storage until the upload is completed or aborted; abort it with", file=sys.stderr)
        print(f"  {{ABORT_COMMAND}}", file=sys.stderr)
        print("or run this script again with --abort.", file=sys.stderr)
        sys.exit(1)
    pool.shutdown()
    print(f"uploaded {{SIZE:,}} bytes in {{len(PARTS)}} parts to {{TARGET}}")


main()
'''

_SHELL_SCRIPT = """\
#!/bin/sh
# {headline}
# Needs a POSIX sh, curl, and dd or tail and head; no credentials.
file={path}
complete_url={complete_url}
abort_command={abort_command}

fail() {{
  printf 'upload failed: %s\\n' "$1" >&2
  printf '%s\\n' 'The parts uploaded so far cost storage until the upload is completed or aborted; abort it with' >&2
  printf '  %s\\n' "$abort_command" >&2
  exit 1
}}

read_part() {{
  {read}
}}

[ -f "$file" ] || fail "$file is not a file"
size=$(wc -c < "$file" | tr -d ' ')
[ "$size" = {size} ] || fail "$file has $size bytes; these URLs upload exactly {size} bytes"

body='<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="{xmlns}">'
put_part() {{  # number, where to read (2 numbers), length, presigned PUT
  attempt=0
  while :; do
    attempt=$((attempt + 1))
    answer=$(read_part "$2" "$3" | curl -sS --connect-timeout 15 --speed-limit 1 --speed-time 300 -T - \\
      -H "Content-Length: $4" -H 'Transfer-Encoding:' -H 'Expect:' -D - -o /dev/null -w 'status=%{{http_code}}\\n' "$5" 2>&1)
    status=$(printf '%s\\n' "$answer" | sed -n 's/^status=//p')
    [ "$status" = 200 ] && break
    case "$status" in
      5*|000|'') [ "$attempt" -lt 3 ] || fail "part $1 was not uploaded: $answer"; sleep "$attempt" ;;
      *) fail "part $1 was refused ($status): $answer" ;;  # 403: the URL expired or was changed
    esac
  done
  etag=$(printf '%s\\n' "$answer" | tr -d '\\r' | sed -n 's/^[Ee][Tt][Aa][Gg]:[[:space:]]*//p' | tail -n 1)
  [ -n "$etag" ] || fail "part $1: the answer has no ETag"
  body="$body<Part><PartNumber>$1</PartNumber><ETag>$etag</ETag></Part>"
}}

{parts}

body="$body</CompleteMultipartUpload>"
answer=$(printf '%s' "$body" | curl -sS --connect-timeout 15 --max-time 900 -X POST -H 'Content-Type: application/xml' --data-binary @- \\
  -w '\\nstatus=%{{http_code}}' "$complete_url" 2>&1) || fail "the completion got no answer: $answer"
# S3 may answer 200 and still fail: the error is then in the body
case "$answer" in
  *'<Error>'*) fail "the upload was not completed: $answer" ;;
  *CompleteMultipartUploadResult*'status=200') ;;
  *) fail "the upload was not completed: $answer" ;;
esac
printf 'uploaded %s bytes to %s\\n' {size} {target}
"""
