"""Temporary credentials that the local S3 server issues and enforces: SeaweedFS's STS.

With an IAM config holding an ``sts`` section (``-s3.iam.config``), ``weed mini``
answers AssumeRole on its S3 port with an ``ASIA…`` key, a secret, a session token
(a JWT) and an Expiration, and refuses URLs signed with them from that second on.
The credentials live ``tokenDuration``: AssumeRole's DurationSeconds must be at least
900 s, so short-lived credentials come from leaving it out.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

ISSUER = "msc-notebook-demo"


@dataclass(frozen=True)
class Role:
    """An IAM role anyone with the server's keys may assume, and the actions it allows."""

    name: str
    actions: tuple[str, ...]

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::role/{self.name}"

    @property
    def policy_name(self) -> str:
        return f"{self.name}Policy"


# sts:ValidateSession: SeaweedFS checks it on every request made with the role's session.
READER_ROLE = Role("ReaderRole", ("s3:GetObject", "s3:ListBucket", "sts:ValidateSession"))
WRITER_ROLE = Role("WriterRole", (*READER_ROLE.actions, "s3:PutObject"))
ROLES = (READER_ROLE, WRITER_ROLE)


def iam_config(token_seconds: int, roles: tuple[Role, ...] = ROLES) -> dict[str, Any]:
    """SeaweedFS's advanced IAM config: an STS issuing ``token_seconds`` credentials, the roles.

    It holds the key that signs session tokens: write it to a private file.
    """
    if token_seconds < 1:
        raise ValueError("token_seconds must be at least 1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole"]}],
    }
    return {
        "sts": {
            "tokenDuration": f"{token_seconds}s",
            "maxSessionLength": "12h",
            "issuer": ISSUER,
            "signingKey": base64.b64encode(secrets.token_bytes(32)).decode(),
        },
        "policy": {"defaultEffect": "Deny", "storeType": "memory"},
        "roles": [
            {"roleName": role.name, "roleArn": role.arn, "trustPolicy": trust, "attachedPolicies": [role.policy_name]}
            for role in roles
        ],
        "policies": [
            {
                "name": role.policy_name,
                "document": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": list(role.actions), "Resource": ["*"]}],
                },
            }
            for role in roles
        ],
    }


def assume_role(
    endpoint_url: str, access_key: str, secret_key: str, role: Role, session_name: str = "msc-notebook"
) -> dict[str, Any]:
    """AssumeRole on the server; the credentials in the ``credential_process`` JSON format.

    DurationSeconds is left out on purpose: the server's tokenDuration applies.
    """
    import boto3
    from botocore.config import Config

    sts = boto3.client(
        "sts",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )
    credentials = sts.assume_role(RoleArn=role.arn, RoleSessionName=session_name)["Credentials"]
    return {
        "Version": 1,
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "SessionToken": credentials["SessionToken"],
        "Expiration": credentials["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
