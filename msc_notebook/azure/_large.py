"""Large files through one Azure write SAS: a block blob uploaded in blocks.

Azure needs no multipart setup: a PUT SAS (``msc.generate_presigned_url("msc://az/...",
method="PUT")``, permissions create and write) authorizes Put Block (``comp=block``: one block,
up to 4,000 MiB, named by a base64 block id) and Put Block List (``comp=blocklist``: the blocks,
in order, committed as the blob), for a blob of any size up to 50,000 blocks. Nothing is visible
until the block list is committed; blocks never committed are discarded by the service after a
week, so a failed upload needs no abort. A SAS request runs at the SAS's own service version
(its ``sv``; an ``x-ms-version`` header is ignored), so the recipient sends none.
"""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..core._errors import SignerOptionError
from ..core._multipart import FILE_RANGE_SCRIPT, MiB
from ..core._sizes import describe_size, parse_size

DEFAULT_BLOCK_SIZE = 8 * MiB
MAX_BLOCK_SIZE = 4000 * MiB  # service versions 2019-12-12 and later
MAX_BLOCKS = 50_000  # committed blocks per blob


def _check(url: Any, block_size: int | str) -> tuple[str, int]:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or "sig=" not in url:
        raise SignerOptionError(
            "url must be an Azure blob SAS URL (a presigned PUT from an azure profile)", field="url"
        )
    granted = parse_qs(urlsplit(url).query).get("sp", [""])[0]
    if not set(granted) & set("cw"):  # a read SAS cannot write blocks
        raise SignerOptionError(f"url is a SAS that may not write (permissions {granted!r}); blocks need a PUT SAS: "
                                f"generate_presigned_url('msc://AZURE-PROFILE/path', method='PUT')", field="url")  # fmt: skip
    method = getattr(url, "method", "PUT")
    signer_type = getattr(url, "signer_type", "azure")
    if method != "PUT" or signer_type != "azure":
        raise SignerOptionError(
            f"url is a {signer_type} {method} URL; blocks are written through an azure PUT SAS: "
            f"generate_presigned_url('msc://AZURE-PROFILE/path', method='PUT')",
            field="url",
        )
    size = parse_size(block_size, field="block_size")
    if not 1 <= size <= MAX_BLOCK_SIZE:
        raise SignerOptionError(
            f"block_size must be between 1 byte and 4000 MiB (Azure's largest block), got {size}", field="block_size"
        )
    return str(url), size


def block_upload_script(url: str, path: str = "FILE", block_size: int | str = DEFAULT_BLOCK_SIZE) -> str:
    """Python (with only ``requests``) that uploads the file at ``path`` through the PUT SAS ``url``
    in blocks of ``block_size`` (raised at run time when the file needs more than 50,000), a few at a
    time, each retried on a 5xx or a broken connection, then commits them in order."""
    sas_url, size = _check(url, block_size)
    return _BLOCK_SCRIPT.format(
        file_range=FILE_RANGE_SCRIPT,
        path=repr(path), url=repr(sas_url), block_size=size, shown=describe_size(size), max_blocks=MAX_BLOCKS,
        max_block_size=MAX_BLOCK_SIZE,
    )  # fmt: skip


def azcopy_command(url: str, path: str = "FILE", block_size: int | str = DEFAULT_BLOCK_SIZE) -> str:
    """The same upload with azcopy (which picks up where it stopped, with ``azcopy jobs resume``)."""
    sas_url, size = _check(url, block_size)
    return f"azcopy copy {shlex.quote(path)} {shlex.quote(sas_url)} --block-size-mb {size / MiB:g}"


_BLOCK_SCRIPT = '''\
# Uploads the file to an Azure blob in blocks of {shown} through one write SAS; nothing shows
# until the last step commits the blocks. Needs Python 3.9+ and requests; no credentials.
import base64
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests

PATH = {path}
URL = {url}
BLOCK_SIZE = {block_size}
MAX_BLOCKS = {max_blocks}  # Azure commits at most this many blocks per blob
WORKERS = 4  # blocks in flight at once
ATTEMPTS = 3  # per block, when the service answers 5xx or the connection breaks


def block_id(index):  # base64, all of one length, as Azure requires
    return base64.b64encode(f"block-{{index:06d}}".encode()).decode()


def with_query(extra):
    return f"{{URL}}&{{extra}}"


{file_range}

def put_block(index, offset, length):
    put_range(with_query(f"comp=block&blockid={{quote(block_id(index), safe='')}}"), offset, length, f"block {{index}}")


def main():
    size = os.path.getsize(PATH)
    block_size = max(BLOCK_SIZE, -(-size // MAX_BLOCKS))
    if block_size > {max_block_size}:
        sys.exit(f"{{PATH}} is too large for one block blob ({{MAX_BLOCKS}} blocks of at most 4000 MiB)")
    blocks = [(index, offset, min(block_size, size - offset)) for index, offset in enumerate(range(0, size, block_size))]
    pool = ThreadPoolExecutor(WORKERS)
    try:
        list(pool.map(lambda block: put_block(*block), blocks))
        ids = "".join(f"<Latest>{{block_id(index)}}</Latest>" for index, _, _ in blocks)
        body = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{{ids}}</BlockList>'
        answer = requests.put(with_query("comp=blocklist"), data=body.encode(), timeout=(15, 900))
        if answer.status_code != 201:
            raise RuntimeError(f"the blocks were not committed: {{answer.status_code}} {{answer.text[:500]}}")
    except (Exception, KeyboardInterrupt) as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        print(f"upload failed: {{exc}}", file=sys.stderr)
        print("Nothing was committed: run this again to upload the file (blocks never committed are", file=sys.stderr)
        print("discarded by Azure after a week).", file=sys.stderr)
        sys.exit(1)
    pool.shutdown()
    print(f"uploaded {{size:,}} bytes in {{len(blocks)}} blocks")


main()
'''
