"""A credential_process for the demo: the demo's keys with an Expiration minutes ahead.

It plays the part STS plays on AWS: botocore runs it, reads the Expiration, and runs it
again when the credentials are about to expire. It hands out no session token: the local
S3 server knows only static keys, refuses unknown session tokens, and so keeps accepting
these URLs after the Expiration; on AWS they would be refused.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the demo's MSC config")
    parser.add_argument("--minutes", type=float, default=3)
    args = parser.parse_args()
    profile = yaml.safe_load(args.config.read_text())["profiles"]["demo"]
    keys = profile["credentials_provider"]["options"]
    expiration = datetime.now(timezone.utc) + timedelta(minutes=args.minutes)
    print(
        json.dumps(
            {
                "Version": 1,
                "AccessKeyId": keys["access_key"],
                "SecretAccessKey": keys["secret_key"],
                "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    )


if __name__ == "__main__":
    main()
