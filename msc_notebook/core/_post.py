"""`PresignedPost`: an upload policy (an HTML form POST) that limits what may be uploaded, and until when.

A presigned PUT lets its holder write one object of any size. An upload policy (S3's POST
Object, GCS's POST policy V4) says more: a size range, an exact Content-Type, and either one
key or a *drop box*, any key under a prefix, the uploader's file name filling ``${filename}``.
The storage checks the policy's signature and every condition in it; the form's ``fields``
must all be sent, before the file.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._errors import InvalidStorageURLError, SignerOptionError
from ._keys import check_url_segments
from ._result import ExpiryFacts, SignerDetails
from ._sizes import describe_bytes, parse_size

if TYPE_CHECKING:
    from ._check import CheckReport

FILENAME = "${filename}"  # in a drop box's key: replaced by the storage with the uploaded file's name


class PresignedPost(ExpiryFacts):
    """Where to POST (``url``), the form ``fields`` to send with the file (boto3's shape), the
    limits the policy sets, and the expiry facts every signed result has."""

    method = "POST"

    def __init__(
        self,
        url: str,
        fields: dict[str, str],
        *,
        source: str,
        signer_type: str,
        signed_at: datetime,
        expires_in: int,
        max_size: int,
        min_size: int = 0,
        key_prefix: str | None = None,
        content_type: str | None = None,
        max_size_is_default: bool = False,
        credential_expiry: datetime | None = None,
        details: SignerDetails | None = None,
    ) -> None:
        self.url = url
        self.fields = dict(fields)
        self.source = source
        self.signer_type = str(signer_type)
        self.signed_at = signed_at
        self.expires_in = expires_in
        self.max_size = max_size
        self.min_size = min_size
        self.key_prefix = key_prefix  # a drop box: every upload's key starts with it; None: one key
        self.content_type = content_type
        self.max_size_is_default = max_size_is_default  # no max_size asked: the storage's own POST limit
        self.credential_expiry = credential_expiry
        self.details = details or SignerDetails()

    @property
    def key(self) -> str:
        """The key the form names (with ``${filename}`` in a drop box)."""
        return self.fields["key"]

    @property
    def drop_box(self) -> bool:
        return self.key_prefix is not None

    @property
    def limits_text(self) -> str:
        """The policy's limits in words: "at most 100 MB (100,000,000 bytes), type text/csv"."""
        default = " (the storage's limit for one POST)" if self.max_size_is_default else ""
        size = f"at most {describe_bytes(self.max_size)}{default}"
        if self.min_size:
            size = f"at least {describe_bytes(self.min_size)} and {size}"
        return size + (f", type {self.content_type} only" if self.content_type else "")

    def curl(self, path: str = "FILE") -> str:
        """A ready-to-paste upload of the file at ``path``: every field as a literal string
        (``--form-string``: no ``@`` or ``<`` in a value reads a file), the file last, as the
        storage requires, its name quoted for curl (``;`` and ``"`` are curl's own syntax there)
        and every argument single-quoted for the shell (so ``${filename}`` reaches the storage).
        In a drop box the file's own name names the upload; curl sends a ``"`` in it as ``%22``
        and a ``\\`` as a folder separator, as browsers do."""
        parts = ["curl", "--fail"]
        for name, value in self.fields.items():
            parts += ["--form-string", shlex.quote(f"{name}={value}")]
        quoted = path.replace("\\", "\\\\").replace('"', '\\"')
        parts += ["-F", shlex.quote(f'file=@"{quoted}"'), shlex.quote(self.url)]
        return " ".join(parts)

    def check(self) -> CheckReport:
        """A policy is not fetched (that would upload): its endpoint is asked for the time (clock skew)."""
        from ._check import probe, report

        return report([probe(self.url, "POST", "the upload policy")])

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.url, self.fields, {name: value for name, value in vars(self).items()
                                                   if name not in ("url", "fields")}))  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"PresignedPost({self.url!r}, key={self.key!r}, source={self.source!r}, signer_type={self.signer_type!r}, "
            f"max_size={self.max_size}, effective_expiry={self.effective_expiry.isoformat()!r})"
        )


def _rebuild(url: str, fields: dict[str, str], rest: dict[str, Any]) -> PresignedPost:
    return PresignedPost(url, fields, **rest)


@dataclass(frozen=True)
class PostTerms:
    """What an upload policy allows, checked: the key (or a drop box's prefix), sizes and type."""

    path: str  # a profile path: one key, or a drop box's prefix ending in "/" ("" for the whole profile)
    drop_box: bool
    max_size: int
    min_size: int
    content_type: str | None
    max_size_is_default: bool

    @classmethod
    def check(
        cls, path: str, source: str, *, max_size: Any, min_size: Any, content_type: Any, limit: int
    ) -> PostTerms:
        """Every argument, before anything is signed; each error names its field."""
        drop_box = path.endswith("*")
        if "*" in path[:-1] or (drop_box and path not in ("*",) and not path.endswith("/*")):
            raise InvalidStorageURLError(
                f"{source}: a drop box is a prefix ending in /* (e.g. msc://PROFILE/inbox/*); one upload names "
                f"one key without *"
            )
        path = path[:-1] if drop_box else path
        check_url_segments(path, source)
        maximum = limit if max_size is None else parse_size(max_size, field="max_size")
        minimum = parse_size(0 if min_size is None else min_size, field="min_size")
        if isinstance(maximum, bool) or not 1 <= maximum <= limit:
            raise SignerOptionError(
                f"max_size must be from 1 byte to {describe_bytes(limit)} (the storage's limit for one POST), "
                f"got {max_size!r}",
                field="max_size",
            )
        if isinstance(minimum, bool) or not 0 <= minimum <= maximum:
            raise SignerOptionError(
                f"min_size must be from 0 to max_size ({maximum:,} bytes), got {min_size!r}", field="min_size"
            )
        return cls(path, drop_box, maximum, minimum, _content_type(content_type), max_size is None)


def _content_type(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or any(ord(c) < 32 or ord(c) == 127 for c in value) or "/" not in value:
        raise SignerOptionError(f"content_type must be a media type such as text/csv, got {value!r}",
                                field="content_type")  # fmt: skip
    return value.strip()
