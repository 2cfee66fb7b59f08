"""S3 upload policies (POST Object), made by botocore's own ``generate_presigned_post``.

botocore builds the policy and its SigV4 signature; what is added here is what a policy must
say to limit an upload: the key (one, or a drop box: ``starts-with $key PREFIX/`` with the
uploader's ``${filename}``, which botocore adds itself for a key ending in it), the size range
(``content-length-range``), an exact Content-Type (its field already filled, so a plain form
passes). The policy's expiration and signing time are read back from the policy itself, so
the expiry shown is the one S3 enforces.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

from ..core._post import FILENAME, PresignedPost
from ..core._result import CredentialStatus, SignerDetails

MAX_POST_SIZE = 5 * 2**30  # S3's limit for one POST (as for one PUT): 5 GiB


def presigned_post(
    client: Any,  # a botocore S3 client that signs with ``credentials``
    status: CredentialStatus,
    *,
    bucket: str,
    key: str,  # the storage key, or a drop box's key prefix ending in "/"
    source: str,
    drop_box: bool,
    max_size: int,
    min_size: int,
    content_type: str | None,
    expires_in: int,
    max_size_is_default: bool,
    details: SignerDetails,
) -> PresignedPost:
    """The upload policy for ``key`` (or everything under it, for a drop box) in ``bucket``."""
    fields: dict[str, str] = {}
    conditions: list[Any] = [["content-length-range", min_size, max_size]]
    if content_type is not None:
        fields["Content-Type"] = content_type
        conditions.append({"Content-Type": content_type})
    form_key = key + FILENAME if drop_box else key  # botocore adds ["starts-with", "$key", key] for ${filename}
    post = client.generate_presigned_post(
        bucket, form_key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )
    signed_at, expiration = _policy_times(post["fields"])
    return PresignedPost(
        post["url"],
        post["fields"],
        source=source,
        signer_type="s3",
        signed_at=signed_at,
        expires_in=int((expiration - signed_at).total_seconds()),
        max_size=max_size,
        min_size=min_size,
        key_prefix=key if drop_box else None,
        content_type=content_type,
        max_size_is_default=max_size_is_default,
        credential_expiry=status.expiry,
        details=details,
    )


def _policy_times(fields: dict[str, str]) -> tuple[datetime, datetime]:
    """When the policy was signed (``x-amz-date``) and when it expires (its ``expiration``)."""
    signed_at = datetime.strptime(fields["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    policy = json.loads(base64.b64decode(fields["policy"]))
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return signed_at, expiration

