"""What a display shows about a signed result: one typed record, the only facts builder.

The browser widget gets it as its synced state (`ResultFacts.state`, the keys the JS
reads), the static HTML and text fallbacks read its attributes, and ``msc-notebook presign
--json`` prints it. Strings are raw here; each renderer escapes for its medium. Nothing
secret is in it: URLs and cookies are what is handed out anyway.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from msc_notebook import (
    CloudFrontDetails,
    ManifestShare,
    MultipartUpload,
    PrefixShare,
    PrefixShareDetails,
    PresignedPost,
    PresignedURL,
    SignedCookies,
    azcopy_command,
    azure_block_upload_script,
    describe_duration,
    describe_size,
    fsspec_storage_options,
    signed_query,
    utc_text,
)

if TYPE_CHECKING:
    from msc_notebook import SignedResult

from ._recipes import recipe_snippets, zarr_snippet
from ._uploads import DROP_BOX_NOTE, file_name_of, html_form_snippet, requests_snippet, upload_file_name


@dataclass(frozen=True)
class ResultFacts:
    kind: str  # "url", "cookies" or "share" (a share that lists its objects: a signed manifest)
    url: str  # the signed URL, the Resource signed cookies authorize, or a share's link
    method: str
    source: str  # msc://profile/path
    signer_type: str
    signed_at: str  # ISO-8601 UTC, as are the expiries
    expires_in: int  # seconds, as requested
    requested_expiry: str
    credential_expiry: str | None  # None: the credentials do not expire (or say nothing)
    effective_expiry: str
    signed_at_ms: int
    effective_expiry_ms: int
    effective_expiry_utc: str
    expires_in_text: str
    limited_by_credentials: bool
    lifetime_lost_text: str
    warning: str | None
    clickable: bool  # a link only where following it does what was signed
    details: dict[str, Any]  # the signer's details (bucket and key, distribution, ...), JSON-able
    not_before_utc: str | None = None
    not_before_ms: int | None = None
    ip_range: str | None = None
    curl: str | None = None  # PUT: a ready-to-paste upload
    wildcard_base: str | None = None  # a CloudFront prefix share: what it covers
    query: str | None = None  # ... and the parameters to append to each object URL
    zarr_snippet: str | None = None  # ... and how the recipient opens it
    recipes: dict[str, str] | None = None  # a share: more that the recipient can run (xarray, pandas), by name
    cookie_header: str | None = None
    cookies: dict[str, str] | None = None  # ... and the cookies themselves
    object_count: int | None = None  # a share that lists its objects: how many
    total_bytes: int | None = None  # ... their total size in bytes
    total_size_text: str | None = None  # ... and in words
    manifest_location: str | None = None  # ... where the manifest is
    snapshot_note: str | None = None  # ... that it is a snapshot of the listing
    url_list_note: str | None = None  # ... and how to get every object's URL
    access_policy: str | None = None  # ... the stored access policy all its URLs name (Azure, revocable)
    revoke_note: str | None = None  # a share: what revoking it does, and what it cannot
    revoked: str | None = None  # ... once revoked: what that did
    post_fields: dict[str, str] | None = None  # an upload policy: the form fields to send, before the file
    upload_limits: str | None = None  # ... what it lets through, in words
    html_form: str | None = None  # ... a page the uploader can save and open
    requests_snippet: str | None = None  # ... and Python with requests
    drop_box_note: str | None = None  # ... that uploaders of a drop box can replace each other's files
    part_count: int | None = None  # a multipart upload: how many parts
    upload_plan: str | None = None  # ... its size and parts in words
    python_script: str | None = None  # ... the recipient's upload (None: too long to show; see script_note)
    shell_script: str | None = None
    script_note: str | None = None  # ... how to get the scripts when they are too long to show
    abort_url: str | None = None  # ... its presigned abort (the history's Abort uses it)
    abort_command: str | None = None
    unfinished_note: str | None = None  # ... what an unfinished upload costs
    aborted: str | None = None  # ... once aborted: what that did
    block_upload_script: str | None = None  # an Azure PUT SAS: a file of any size, in blocks (Python)
    azcopy_command: str | None = None  # ... or with azcopy

    def state(self) -> dict[str, Any]:
        """The JSON-able form the widget syncs to the browser."""
        return asdict(self)


def result_facts(result: SignedResult) -> ResultFacts:
    """The facts of a signed URL, signed cookies or a prefix share, for display.

    A share that lists nothing (a CloudFront wildcard) is its wildcard URL and shows as one.
    """
    if isinstance(result, PrefixShare) and result.count is not None:
        return _share_facts(result)
    if isinstance(result, PresignedPost):
        return _post_facts(result)
    if isinstance(result, MultipartUpload):
        return _multipart_facts(result)
    if isinstance(result, SignedCookies):
        base = _wildcard_base(result.details)
        return ResultFacts(
            kind="cookies",
            url=result.resource,
            **_signed_facts(result),
            clickable=False,
            **_cloudfront_facts(result.details),
            wildcard_base=base,
            zarr_snippet=zarr_snippet(base, fsspec_storage_options(result)) if base else None,
            cookie_header=result.cookie_header(),
            cookies=dict(result),
        )
    return _url_facts(result)


def _wildcard_base(details: object) -> str | None:
    """What a CloudFront wildcard policy covers (None for everything else)."""
    return details.wildcard_base if isinstance(details, CloudFrontDetails) else None


def _url_facts(url: PresignedURL) -> ResultFacts:
    details = url.details
    base = _wildcard_base(details)
    text = str(url)
    return ResultFacts(
        kind="url",
        url=text,
        **_signed_facts(url),
        clickable=url.method != "PUT" and not base and text.lower().startswith(("https://", "http://")),
        **_cloudfront_facts(details),
        curl=curl_upload_command(url) if url.method == "PUT" else None,
        block_upload_script=_azure_large_upload(url, azure_block_upload_script),
        azcopy_command=_azure_large_upload(url, azcopy_command),
        wildcard_base=base,
        query=signed_query(url) if base else None,
        zarr_snippet=zarr_snippet(base, fsspec_storage_options(url)) if base else None,
        revoke_note=url.revoke_note if isinstance(url, PrefixShare) else None,
    )


def _post_facts(post: PresignedPost) -> ResultFacts:
    name = upload_file_name(post)
    return ResultFacts(
        kind="post",
        url=post.url,
        **_signed_facts(post),
        clickable=False,
        curl=post.curl(name),
        post_fields=dict(post.fields),
        upload_limits=post.limits_text,
        html_form=html_form_snippet(post),
        requests_snippet=requests_snippet(post, name),
        drop_box_note=DROP_BOX_NOTE if post.drop_box else None,
    )


SHOWN_PARTS = 200  # past this many parts the scripts (about 440 bytes a part) are written to files, not shown


def _multipart_facts(upload: MultipartUpload) -> ResultFacts:
    count = len(upload.parts)
    shown = count <= SHOWN_PARTS
    return ResultFacts(
        kind="multipart",
        url=upload.parts[0].url,
        **_signed_facts(upload),
        clickable=False,
        part_count=count,
        upload_plan=f"{describe_size(upload.size)} ({upload.size:,} bytes) in {count:,} part{'s' if count != 1 else ''} "
                    f"of {describe_size(upload.part_size)}",
        python_script=upload.python_script() if shown else None,
        shell_script=upload.shell_script() if shown else None,
        script_note=None if shown else (
            f"{count:,} parts make long scripts: write them with open('upload.py', 'w').write(upload.python_script()) "
            f"or upload.shell_script(), and send the file"
        ),
        abort_url=upload.abort_url,
        abort_command=upload.abort_command(),
        unfinished_note=upload.unfinished_note,
    )  # fmt: skip


def _azure_large_upload(url: PresignedURL, make: Callable[[str, str], str]) -> str | None:
    """An Azure PUT SAS also writes a blob of any size in blocks: how (``make``: Python, or azcopy)."""
    if url.method != "PUT" or url.signer_type != "azure":
        return None
    return make(url, curl_upload_file_name(url))


def _cloudfront_facts(details: object) -> dict[str, Any]:
    """A CloudFront policy's conditions: not before, and the IP range."""
    if not isinstance(details, CloudFrontDetails):
        return {}
    not_before = details.not_before
    return {
        "not_before_utc": utc_text(not_before) if not_before else None,
        "not_before_ms": _ms(not_before) if not_before else None,
        "ip_range": details.ip_range,
    }


SNAPSHOT_NOTE = "The listing is a snapshot: objects added under the prefix later are not in the share."
URL_LIST_NOTE = "Every object's URL, one a line (wget -i, aria2c -i): share.url_list(), or %presign ... --list"


def _share_facts(share: PrefixShare) -> ResultFacts:
    details = share.details
    link = str(share)
    return ResultFacts(
        kind="share",
        url=link,
        **_signed_facts(share),
        clickable=link.lower().startswith(("https://", "http://")),
        zarr_snippet=zarr_snippet(share.fsspec_url, share.storage_options()),
        recipes=_more_recipes(share),
        object_count=share.count,
        total_bytes=share.total_bytes,
        total_size_text=None if share.total_bytes is None else describe_size(share.total_bytes),
        manifest_location=details.manifest_location if isinstance(details, PrefixShareDetails) else None,
        snapshot_note=SNAPSHOT_NOTE,
        url_list_note=URL_LIST_NOTE,
        access_policy=details.access_policy if isinstance(details, PrefixShareDetails) else None,
        revoke_note=share.revoke_note,
    )


def _more_recipes(share: PrefixShare) -> dict[str, str] | None:
    """The recipes beyond the zarr snippet that fit what the share holds (None if none do)."""
    formats = share.formats if isinstance(share, ManifestShare) else ()
    more = {name: text for name, text in recipe_snippets(formats, share.fsspec_url, share.storage_options()).items()
            if name != "zarr"}  # fmt: skip
    return more or None


def _signed_facts(result: SignedResult) -> dict[str, Any]:
    """What every kind of result shows: what was signed, by which signer, and until when."""
    credential_expiry = result.credential_expiry
    return {
        "method": result.method,
        "source": result.source,
        "signer_type": result.signer_type,
        "signed_at": result.signed_at.isoformat(),
        "expires_in": result.expires_in,
        "requested_expiry": result.requested_expiry.isoformat(),
        "credential_expiry": credential_expiry.isoformat() if credential_expiry else None,
        "effective_expiry": result.effective_expiry.isoformat(),
        "details": json.loads(json.dumps(asdict(result.details), default=str)),  # datetimes inside become text
        "signed_at_ms": _ms(result.signed_at),
        "effective_expiry_ms": _ms(result.effective_expiry),
        "effective_expiry_utc": utc_text(result.effective_expiry),
        "expires_in_text": describe_duration(result.expires_in),
        "limited_by_credentials": result.limited_by_credentials,
        "lifetime_lost_text": describe_duration(result.lifetime_lost.total_seconds()),
        "warning": result.warning,
    }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def curl_upload_file_name(url: PresignedURL) -> str:
    """The file a PUT's snippets send: its key's (S3, GCS) or blob's (Azure) last part."""
    return file_name_of(str(getattr(url.details, "key", None) or getattr(url.details, "blob", None) or url.source))


def curl_upload_command(url: PresignedURL) -> str:
    """A ready-to-paste upload, with the signed Content-Type when one was signed."""
    details = url.details
    parts = ["curl", "--fail", "--upload-file", shlex.quote(curl_upload_file_name(url))]
    content_type = getattr(details, "content_type", None)  # a signed header: the upload must send it
    if content_type:
        parts += ["-H", shlex.quote(f"Content-Type: {content_type}")]
    for name, value in getattr(details, "upload_headers", {}).items():  # e.g. Azure's x-ms-blob-type
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    parts.append(shlex.quote(str(url)))
    return " ".join(parts)
