"""Test helpers for CloudFront: a profile with CloudFront defaults and a verifier for the test key."""

from __future__ import annotations

import time

from msc_notebook.demo.cloudfront_edge import CloudFrontVerifier

KEY_PAIR_ID = "K2JCJMDEHXQW5F"
DOMAIN = "d111111abcdef8.cloudfront.net"


def cloudfront_profile(key_file, *, base_path: str = "data-bucket", **defaults) -> dict:
    return {
        "storage_provider": {"type": "s3", "options": {"base_path": base_path, "region_name": "us-east-1"}},
        "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "AKIAX", "secret_key": "s"}},
        "presign": {
            "cloudfront": {"key_pair_id": KEY_PAIR_ID, "private_key_path": str(key_file), "domain": DOMAIN, **defaults}
        },
    }


def verifier_for(private_key, key_pair_id: str = KEY_PAIR_ID, now: float | None = None) -> CloudFrontVerifier:
    return CloudFrontVerifier({key_pair_id: private_key.public_key()}, clock=(lambda: now) if now else time.time)
