"""``msc-notebook presign`` and ``msc-notebook profiles``: the installed console script, and its
``main`` in this process (the same code, without starting Python for each case)."""

from __future__ import annotations

import json

import pytest
from conftest import BUCKET, seaweed_profile
from support.cli import run_cli, run_installed
from support.http_client import fetch


@pytest.fixture
def cli_profiles(seaweedfs, s3, write_config):
    s3.put_object(Bucket=BUCKET, Key="cli/hello.txt", Body=b"hello from the terminal")
    write_config({"demo": seaweed_profile(seaweedfs),
                  "short": seaweed_profile(seaweedfs, expiration="2099-01-01T00:00:00Z")})  # fmt: skip


def test_presign_prints_the_url_alone_and_the_expiry_on_stderr(cli_profiles):
    done = run_installed("presign", "msc://demo/cli/hello.txt", "-e", "15m")
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert "\n" not in url and fetch(url).content == b"hello from the terminal"
    assert "X-Amz-Expires=900" in url
    assert done.stderr.startswith("GET msc://demo/cli/hello.txt: valid for 15 min, until ") and " UTC" in done.stderr


def test_presign_json_has_every_fact(cli_profiles):
    done = run_cli("presign", "msc://demo/cli/hello.txt", "--json", "-m", "HEAD")
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert fetch(facts["url"], "HEAD").status_code == 200
    for name in ("method", "source", "signed_at", "requested_expiry", "effective_expiry", "credential_expiry", "warning"):
        assert name in facts
    assert facts["method"] == "HEAD" and facts["details"]["bucket"] == BUCKET and facts["credential_expiry"] is None


def test_credentials_that_cut_the_url_short_warn_on_stderr(seaweedfs, write_config):
    from datetime import datetime, timedelta, timezone

    soon = (datetime.now(timezone.utc) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_config({"short": seaweed_profile(seaweedfs, expiration=soon)})
    done = run_cli("presign", "msc://short/x.txt", "-e", "2h", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["limited_by_credentials"] is True
    assert "warning: The credentials that signed this URL expire at" in done.stderr


@pytest.mark.parametrize(
    "args, status, words",
    [
        (["presign", "msc://nope/x"], 1, "profile 'nope' is not in"),
        (["presign", "msc://demo/x", "-e", "soon"], 1, "cannot read 'soon' as a duration"),
        (["presign", "msc://demo/x", "-m", "PUT", "--signer", "cloudfront"], 1, "CloudFront"),
        (["presign", "msc://demo/a", "b.txt"], 2, 'quote it: msc-notebook presign "msc://demo/a b.txt"'),
        (["presign"], 2, "the following arguments are required: url"),
        (["presign", "msc://demo/x", "--bogus"], 2, "unrecognized arguments: --bogus"),
    ],
)
def test_errors_are_one_line_with_the_exit_status(cli_profiles, args, status, words):
    done = run_cli(*args)
    assert done.returncode == status and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_profiles_as_text_and_json(cli_profiles):
    done = run_cli("profiles")
    assert done.returncode == 0, done.stderr
    assert "demo" in done.stdout and "keys in the MSC config" in done.stdout
    facts = json.loads(run_cli("profiles", "--json").stdout)
    names = [p["name"] for p in facts["profiles"]]
    assert names == ["demo", "short"] and facts["profiles"][1]["credential_expiry"].startswith("2099-01-01")


def test_a_bare_command_names_the_commands():
    done = run_installed()
    assert done.returncode == 2 and all(name in done.stderr for name in ("presign", "profiles", "demo"))
