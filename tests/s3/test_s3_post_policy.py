"""Upload policies (S3 POST) against SeaweedFS, which enforces them: the size range, the key or
the drop box's prefix, the Content-Type, the expiry and the signature; and the curl command,
run as printed."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import requests
from conftest import BUCKET, seaweed_profile

import msc_notebook as msc
from msc_notebook.testing import freeze_clock

pytestmark = pytest.mark.e2e  # SeaweedFS checks every policy


def post(policy: msc.PresignedPost, name: str, body: bytes, *, fields: dict | None = None) -> requests.Response:
    return requests.post(policy.url, data={**policy.fields, **(fields or {})}, files={"file": (name, body)}, timeout=30)


def conditions(policy: msc.PresignedPost) -> list:
    return json.loads(base64.b64decode(policy.fields["policy"]))["conditions"]


def stored(s3, key: str) -> bytes | None:
    try:
        return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def test_one_key_with_a_size_limit_and_a_content_type(demo_profile, s3):
    policy = msc.generate_presigned_post("msc://demo/inbox/report.csv", max_size="100B", content_type="text/csv",
                                         expires_in=600)  # fmt: skip
    assert policy.key == "inbox/report.csv" and not policy.drop_box and policy.max_size == 100
    assert policy.fields["Content-Type"] == "text/csv" and ["content-length-range", 0, 100] in conditions(policy)
    assert policy.expires_in == 600 and policy.signer_type == "s3" and policy.method == "POST"
    assert post(policy, "anything.csv", b"a,b\n1,2\n").status_code == 204
    assert stored(s3, "inbox/report.csv") == b"a,b\n1,2\n"
    too_big = post(policy, "x.csv", b"x" * 101)
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    assert stored(s3, "inbox/report.csv") == b"a,b\n1,2\n"  # nothing stored
    wrong_type = post(policy, "x.csv", b"x", fields={"Content-Type": "text/html"})
    assert wrong_type.status_code == 403
    other_key = post(policy, "x.csv", b"x", fields={"key": "inbox/other.csv"})
    assert other_key.status_code == 403 and stored(s3, "inbox/other.csv") is None


def test_a_drop_box_keeps_every_upload_under_its_prefix_with_base_path(seaweedfs, write_config, s3):
    write_config({"pre": seaweed_profile(seaweedfs, base_path=f"{BUCKET}/pre")})
    policy = msc.generate_presigned_post("msc://pre/inbox/*", max_size="1KiB")
    assert policy.drop_box and policy.key_prefix == "pre/inbox/" and policy.key == "pre/inbox/${filename}"
    assert ["starts-with", "$key", "pre/inbox/"] in conditions(policy)
    assert policy.max_size == 1024 and not policy.max_size_is_default
    assert post(policy, "first.txt", b"one").status_code == 204 and stored(s3, "pre/inbox/first.txt") == b"one"
    evil = post(policy, "x", b"evil", fields={"key": "pre/inbox-evil/x"})  # the trailing / matters
    assert evil.status_code == 403 and stored(s3, "pre/inbox-evil/x") is None
    assert post(policy, "x", b"x", fields={"key": "elsewhere/x"}).status_code == 403


def test_without_max_size_the_limit_is_s3_s_five_gib_and_says_so(demo_profile):
    policy = msc.generate_presigned_post("msc://demo/inbox/*")
    assert policy.max_size == 5 * 2**30 and policy.max_size_is_default
    assert "5,368,709,120 bytes (5.0 GiB) (the storage's limit for one POST)" in policy.limits_text


def test_an_expired_or_tampered_policy_is_refused(demo_profile, s3):
    with freeze_clock(datetime.now(timezone.utc) - timedelta(hours=2)):
        old = msc.generate_presigned_post("msc://demo/inbox/old.txt", expires_in=60)
    assert old.expired and old.signed_at < datetime.now(timezone.utc) - timedelta(hours=1)
    refused = post(old, "old.txt", b"late")
    assert refused.status_code == 403 and stored(s3, "inbox/old.txt") is None
    policy = msc.generate_presigned_post("msc://demo/inbox/t.txt", max_size=10)
    widened = json.loads(base64.b64decode(policy.fields["policy"]))
    widened["conditions"] = [["content-length-range", 0, 10**6] if isinstance(c, list) else c for c in widened["conditions"]]
    tampered = {"policy": base64.b64encode(json.dumps(widened).encode()).decode()}
    assert post(policy, "t.txt", b"x" * 100, fields=tampered).status_code == 403 and stored(s3, "inbox/t.txt") is None


def test_the_curl_command_runs_as_printed_with_an_awkward_file_name(demo_profile, s3, tmp_path):
    policy = msc.generate_presigned_post("msc://demo/drop box/*", max_size="1MB")
    name = "rapport d'été ünï; final.csv"  # (curl sends a '"' as %22, as browsers do: that name would change)
    (tmp_path / name).write_bytes(b"col\n1\n")
    command = policy.curl(name)
    assert "${filename}" in command and command.index("-F 'file=@") > command.rindex("--form-string")
    done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert stored(s3, f"drop box/{name}") == b"col\n1\n"


def test_credentials_that_expire_first_cut_the_policy_short(seaweedfs, write_config):
    import warnings

    expiry = (datetime.now(timezone.utc) + timedelta(minutes=10)).replace(microsecond=0)
    profile = seaweed_profile(seaweedfs)
    profile["credentials_provider"]["options"]["expiration"] = expiry.isoformat()
    profile["credentials_provider"]["options"]["session_token"] = "token"
    write_config({"short": profile})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy = msc.generate_presigned_post("msc://short/inbox/x.bin", expires_in=3600)
    assert policy.credential_expiry == expiry and policy.effective_expiry == expiry and policy.limited_by_credentials
    assert any(issubclass(w.category, msc.CredentialExpiryWarning) for w in caught)
    assert policy.fields["x-amz-security-token"] == "token"


@pytest.mark.parametrize(
    ("url", "kwargs", "field", "message"),
    [
        ("msc://demo/inbox/*", {"max_size": 0}, "max_size", "max_size must be from 1 byte"),
        ("msc://demo/inbox/*", {"max_size": -5}, "max_size", "max_size must be from 1 byte"),
        ("msc://demo/inbox/*", {"max_size": "lots"}, "max_size", "cannot read 'lots' as a size"),
        ("msc://demo/inbox/*", {"max_size": "6GiB"}, "max_size", "5,368,709,120 bytes"),
        ("msc://demo/inbox/*", {"max_size": 10, "min_size": 11}, "min_size", "min_size must be from 0 to max_size"),
        ("msc://demo/inbox/*", {"expires_in": 0}, "expires_in", "expires_in"),
        ("msc://demo/inbox/*", {"expires_in": 8 * 86400}, "expires_in", "7 days"),
        ("msc://demo/inbox*", {}, "path", "a drop box is a prefix ending in /*"),
        ("msc://demo/in*box/x", {}, "path", "a drop box is a prefix ending in /*"),
        ("msc://demo/inbox/*", {"content_type": "text\n/csv"}, "content_type", "media type"),
        ("msc://demo/*", {}, "path", "would let uploaders replace the manifests of shares"),
        ("msc://demo/.msc_notebook/*", {}, "path", "would let uploaders replace the manifests of shares"),
    ],
)
def test_bad_input_is_refused_before_anything_is_signed(demo_profile, url, kwargs, field, message):
    with pytest.raises(msc.PresignError, match=message) as caught:
        msc.generate_presigned_post(url, **kwargs)
    assert caught.value.field == field


def test_cloudfront_refuses_post_as_it_refuses_put(write_config, cloudfront_key_file):
    from support.cloudfront import cloudfront_profile

    write_config({"cf": cloudfront_profile(cloudfront_key_file, base_path=BUCKET)})
    with pytest.raises(msc.SignerOptionError, match="CloudFront signatures do not bind a method") as caught:
        msc.generate_presigned_post("msc://cf/inbox/*", signer_type="cloudfront")
    assert caught.value.field == "method"


def test_presign_and_the_command_line_make_upload_policies_whose_snippets_work(ip, demo_profile, seaweedfs, s3,
                                                                              tmp_path):  # fmt: skip
    import os
    import sys

    from conftest import run_cell
    from support.cli import run_cli

    from msc_notebook.frontends._facts import result_facts
    from msc_notebook.frontends.notebook._render import result_html, result_text
    from msc_notebook.frontends.notebook._result_widget import PresignResultWidget

    run_cell(ip, 'policy = %presign "msc://demo/in box/*" -m POST --max-size 100MB --content-type text/plain -q')
    policy = ip.user_ns["policy"]
    assert isinstance(policy, msc.PresignedPost) and policy.max_size == 10**8 and policy.content_type == "text/plain"
    widget = PresignResultWidget.for_result(policy)
    facts = widget.facts
    assert facts["kind"] == "post" and facts["curl"] == policy.curl("FILE") and facts["drop_box_note"]
    assert "100,000,000 bytes (95.4 MiB), type text/plain only" in facts["upload_limits"]
    assert seaweedfs.secret_key not in json.dumps(widget.get_state()) and seaweedfs.secret_key not in repr(policy)
    assert "&lt;input type=&quot;file&quot;" in result_html(result_facts(policy))  # the page, shown as text
    assert result_text(result_facts(policy)).startswith("upload policy for msc://demo/in box/*")

    (tmp_path / "notes.txt").write_bytes(b"from requests")
    script = tmp_path / "upload.py"
    script.write_text(facts["requests_snippet"].replace('path = "FILE"', 'path = "notes.txt"'))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MSC_"))}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=clean, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("204"), done.stderr
    assert stored(s3, "in box/notes.txt") == b"from requests"

    printed = run_cli("presign", "msc://demo/cli/*", "-m", "POST", "--max-size", "1KiB")
    assert printed.returncode == 0 and printed.stdout.startswith("curl --fail --form-string")
    (tmp_path / "FILE").write_bytes(b"from the command line")
    done = subprocess.run(printed.stdout, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and stored(s3, "cli/FILE") == b"from the command line"
    as_json = json.loads(run_cli("presign", "msc://demo/cli/x.bin", "-m", "POST", "--json").stdout)
    assert as_json["kind"] == "post" and as_json["post_fields"]["key"] == "cli/x.bin"
    refused = run_cli("presign", "msc://demo/cli/x.bin", "-m", "PUT", "--max-size", "1MB")
    assert refused.returncode == 1 and "--max-size limits an upload policy (method POST)" in refused.stderr


def test_the_html_form_uploads_from_a_browser(demo_profile, s3, tmp_path):
    from support.browser import chromium_page

    from msc_notebook.frontends._uploads import html_form_snippet

    policy = msc.generate_presigned_post("msc://demo/browser drop/*", max_size="1MB")
    page_file = tmp_path / "upload.html"
    page_file.write_text(html_form_snippet(policy), encoding="utf-8")
    (tmp_path / "from the browser.txt").write_bytes(b"sent by a form")
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        page.set_input_files("input[type=file]", str(tmp_path / "from the browser.txt"))
        with page.expect_response(lambda response: response.request.method == "POST") as answer:
            page.click("button[type=submit]")
        assert answer.value.status == 204
    assert stored(s3, "browser drop/from the browser.txt") == b"sent by a form"


def test_the_form_signs_an_upload_policy_with_a_max_size(demo_profile):
    from msc_notebook.frontends.notebook._form import PresignForm

    form = PresignForm()
    form.path.value = "inbox/*"
    form.method.value = "POST"
    assert form.post_box.layout.display != "none" and form.put_box.layout.display != "none"
    form.max_size.value = "lots"
    assert form.sign() is None and "cannot read 'lots' as a size" in form.error_messages["max_size"]
    form.max_size.value = "2MiB"
    policy = form.sign()
    assert isinstance(policy, msc.PresignedPost) and policy.max_size == 2 * 2**20 and policy.drop_box
    assert form.results.children[0].facts["kind"] == "post"
