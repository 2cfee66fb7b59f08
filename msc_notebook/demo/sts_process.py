"""A credential_process that gets temporary credentials from the local server's STS.

It does what a corporate credential helper does on AWS: botocore runs it, it calls
AssumeRole with long-lived keys (here: a static profile of an MSC config), and prints
the session's keys, token and Expiration. The server refuses URLs signed with them
from that Expiration on; botocore runs the process again when it needs new ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from .sts import ROLES, assume_role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="an MSC config with the server's static keys")
    parser.add_argument("--profile", required=True, help="the profile in it whose keys may assume the role")
    parser.add_argument("--role", choices=[role.name for role in ROLES], required=True)
    args = parser.parse_args(argv)
    profile = yaml.safe_load(args.config.read_text())["profiles"][args.profile]
    keys = profile["credentials_provider"]["options"]
    role = next(role for role in ROLES if role.name == args.role)
    try:
        credentials = assume_role(
            profile["storage_provider"]["options"]["endpoint_url"], keys["access_key"], keys["secret_key"], role
        )
    except (BotoCoreError, ClientError) as exc:  # they name the endpoint and the failure, never the secret
        print(f"AssumeRole {role.arn} failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(credentials))
    return 0


if __name__ == "__main__":
    sys.exit(main())
