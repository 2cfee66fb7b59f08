"""GCS upload policies (POST policy V4): every POST policy case of Google's conformance file
(tests/gcs/v4_signatures.json, ``postPolicyV4Tests``; see VECTORS.md) byte for byte, and uploads
through the form against the stand-in that checks a policy from Google's spec
(msc_notebook/demo/gcs_edge.py), with requests and with the curl command the result prints.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.gcs_iam import FakeIAM

import msc_notebook as msc
from msc_notebook.core._post import FILENAME, PresignedPost
from msc_notebook.demo.gcs_edge import GCSEdge
from msc_notebook.gcs._credentials import key_signer
from msc_notebook.gcs._location import GCSLocation
from msc_notebook.gcs._post import MAX_POST_SIZE, post_policy, post_url
from msc_notebook.testing import freeze_clock

HERE = Path(__file__).parent
CASES = json.loads((HERE / "v4_signatures.json").read_text())["postPolicyV4Tests"]
KEY = json.loads((HERE / "test_service_account.not-a-test.json").read_text())
EMAIL = KEY["client_email"]
SIGNER = key_signer(KEY, "the test", "the test key")
BUCKET = "post-bucket"
# The conformance cases' own inconsistency: their base64 policy escapes non-ASCII (é is \u00e9),
# while expectedDecodedPolicy shows the character itself. Ours matches the base64.
ESCAPED = {"POST Policy Character Escaping", "POST Policy With Additional Metadata"}
# The conformance file's condition names -> the policy's.
CONDITIONS = {"startsWith": "starts-with", "contentLengthRange": "content-length-range"}


def when(case: dict) -> datetime:
    return datetime.fromisoformat(case["policyInput"]["timestamp"].replace("Z", "+00:00"))


def style_of(given: dict) -> dict:
    """The presign options (a profile's ``presign: {gcs: ...}``) for the case's URL style."""
    if given.get("urlStyle") == "VIRTUAL_HOSTED_STYLE":
        return {"url_style": "virtual_hosted"}
    if given.get("urlStyle") == "BUCKET_BOUND_HOSTNAME":
        return {
            "url_style": "bucket_bound",
            "bucket_bound_hostname": f"{given['scheme']}://{given['bucketBoundHostname']}",
        }
    return {}


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_every_post_policy_case_byte_for_byte(case):
    given, expected = case["policyInput"], case["policyOutput"]
    location = GCSLocation(given["bucket"], "", None, "conformance")
    conditions = [[CONDITIONS[name], *value] for name, value in (given.get("conditions") or {}).items()]
    signed = post_policy(  # the signing instant is an argument here; the public API's reads the clock (below)
        SIGNER, post_url(location, style_of(given)), given["bucket"], given["object"],
        expiration=given["expiration"], timestamp=when(case), conditions=conditions, fields=given.get("fields"),
    )  # fmt: skip
    assert signed["url"] == expected["url"]
    assert signed["fields"]["policy"] == expected["fields"]["policy"]
    assert signed["fields"]["x-goog-signature"] == expected["fields"]["x-goog-signature"]
    assert signed["fields"] == expected["fields"]
    decoded = base64.b64decode(signed["fields"]["policy"]).decode("ascii")
    assert json.loads(decoded) == json.loads(expected["expectedDecodedPolicy"])
    if case["description"] in ESCAPED:
        assert "\\u00e9" in decoded and decoded.replace("\\u00e9", "é") == expected["expectedDecodedPolicy"]
    else:
        assert decoded == expected["expectedDecodedPolicy"]


def test_the_size_range_case_through_the_public_api(write_config):
    """The one case whose conditions are exactly what an upload policy says (a size range, one key)."""
    case = next(c for c in CASES if c["description"] == "POST Policy Within Content-Range")
    given, expected = case["policyInput"], case["policyOutput"]
    write_config({"conf": {
        "storage_provider": {"type": "gcs", "options": {"base_path": given["bucket"]}},
        "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": KEY}},
    }})  # fmt: skip
    low, high = given["conditions"]["contentLengthRange"]
    with freeze_clock(when(case)):
        post = msc.generate_presigned_post(f"msc://conf/{given['object']}", min_size=low, max_size=high,
                                           expires_in=given["expiration"])  # fmt: skip
    assert isinstance(post, PresignedPost) and post.url == expected["url"] and post.fields == expected["fields"]
    assert post.signer_type == "gcs" and post.signed_at == when(case) and post.expires_in == given["expiration"]
    assert post.credential_expiry is None and post.effective_expiry == when(case) + timedelta(seconds=10)
    assert post.details.signed_by == EMAIL and post.details.key == given["object"] and not post.drop_box


AWKWARD = ["plain.txt", "ünï/cødé ✓.bin", "we\"ird\\=&?#%[]!$'(),;:@<>.txt", "a b/c d~", "😀/emoji"]  # no "*": refused


@pytest.mark.parametrize("key", AWKWARD)
def test_one_key_policies_match_google_cloud_storage(key, write_config):
    """A differential check on keys the conformance cases lack: google-cloud-storage's own
    generate_signed_post_policy_v4 (its clock frozen through its private names) gives the same form."""
    from google.cloud import storage
    from google.cloud.storage import client as library
    from google.oauth2 import service_account

    if not (hasattr(library, "_NOW") and hasattr(library, "get_v4_now_dtstamps")):
        pytest.skip("google-cloud-storage's clock names moved")
    at = datetime(2026, 5, 4, 3, 2, 1, tzinfo=timezone.utc)
    write_config({"lib": {
        "storage_provider": {"type": "gcs", "options": {"base_path": BUCKET}},
        "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": KEY}},
    }})  # fmt: skip
    with freeze_clock(at):
        ours = msc.StorageClient(msc.StorageClientConfig.from_file(profile="lib")).generate_presigned_post(
            key, max_size=12345, min_size=3, content_type="text/csv; charset=utf-8", expires_in=600
        )
    client = storage.Client(project="p", credentials=service_account.Credentials.from_service_account_info(KEY))
    stamps = (f"{at:%Y%m%dT%H%M%SZ}", f"{at:%Y%m%d}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(library, "_NOW", lambda tz=None: at)
        patch.setattr(library, "get_v4_now_dtstamps", lambda: stamps)
        theirs = client.generate_signed_post_policy_v4(
            BUCKET, key, expiration=600, conditions=[["content-length-range", 3, 12345]],
            fields={"content-type": "text/csv; charset=utf-8"}, scheme="https",
        )  # fmt: skip
    assert ours.url == theirs["url"] and ours.fields == theirs["fields"]


def test_the_conformance_file_has_its_eleven_post_policy_cases():
    assert len(CASES) == 11 and len({c["description"] for c in CASES}) == 11


# --- Uploads through the form, checked by the stand-in -------------------------------------------------


@pytest.fixture(scope="module")
def edge():
    public = serialization.load_pem_private_key(KEY["private_key"].encode(), None).public_key()
    with GCSEdge({EMAIL: public}) as server:
        yield server


@pytest.fixture
def gs(edge, write_config):
    """Profile 'gs': bucket post-bucket, prefix 'pre', on the stand-in; and 'virt', 'cdn' (URL styles)."""
    edge.objects.clear()
    edge.refusals.clear()
    credentials = {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": KEY}}
    write_config({
        "gs": {"storage_provider": {"type": "gcs", "options": {"base_path": f"{BUCKET}/pre",
                                                                "endpoint_url": edge.endpoint_url}},
               "credentials_provider": credentials},
        "virt": {"storage_provider": {"type": "gcs", "options": {"base_path": BUCKET}}, "credentials_provider": credentials,
                 "presign": {"gcs": {"url_style": "virtual_hosted"}}},
        "cdn": {"storage_provider": {"type": "gcs", "options": {"base_path": BUCKET}}, "credentials_provider": credentials,
                "presign": {"gcs": {"url_style": "bucket_bound", "bucket_bound_hostname": "uploads.example.com"}}},
    })  # fmt: skip
    return edge


def upload(
    post: PresignedPost, body: bytes, *, filename: str = "upload.bin", **changed: str | None
) -> requests.Response:
    """POST ``body`` as the form's file, with the policy's fields (``changed``: replaced; None: left out)."""
    fields = {name: value for name, value in {**post.fields, **changed}.items() if value is not None}
    return requests.post(post.url, data=fields, files={"file": (filename, body)}, timeout=10)


def policy_of(post: PresignedPost) -> dict:
    return json.loads(base64.b64decode(post.fields["policy"]))


def test_a_key_upload_is_stored_byte_identical(gs):
    body = bytes(range(256)) * 40
    post = msc.generate_presigned_post("msc://gs/data/report 1.bin", max_size=len(body), content_type="text/csv")
    assert post.url == f"{gs.endpoint_url}/{BUCKET}/" and post.key == "pre/data/report 1.bin"
    answer = upload(post, body)
    assert answer.status_code == 204, gs.refusals
    assert gs.objects[(BUCKET, "pre/data/report 1.bin")] == (body, "text/csv")
    assert set(post.fields) == {"content-type", "key", "x-goog-algorithm", "x-goog-credential", "x-goog-date",
                                "x-goog-signature", "policy"}  # fmt: skip
    assert policy_of(post)["conditions"][:2] == [["content-length-range", 0, len(body)], {"content-type": "text/csv"}]
    assert post.key_prefix is None and post.content_type == "text/csv" and post.details.content_type == "text/csv"


@pytest.mark.parametrize("key", AWKWARD)
def test_awkward_keys_upload_to_exactly_their_key(gs, key):
    post = msc.generate_presigned_post(f"msc://gs/{key}", max_size=10)
    assert upload(post, b"awkward").status_code == 204, gs.refusals
    assert set(gs.objects) == {(BUCKET, f"pre/{key}")}


def test_a_drop_box_takes_the_uploaders_file_name_under_its_prefix(gs):
    post = msc.generate_presigned_post("msc://gs/inbox/*", max_size="1KB")
    assert post.drop_box and post.key_prefix == "pre/inbox/" and post.key == "pre/inbox/" + FILENAME
    assert ["starts-with", "$key", "pre/inbox/"] in policy_of(post)["conditions"]
    assert not any(isinstance(c, dict) and "key" in c for c in policy_of(post)["conditions"])
    for name in ("notes.txt", "ünï cødé ✓.csv"):
        assert upload(post, b"hello " + name.encode(), filename=name).status_code == 204, gs.refusals
        assert gs.objects[(BUCKET, f"pre/inbox/{name}")][0] == b"hello " + name.encode()
    assert upload(post, b"again", filename="notes.txt").status_code == 204  # a POST overwrites, as GCS does
    assert gs.objects[(BUCKET, "pre/inbox/notes.txt")] == (b"again", "application/octet-stream")


def test_the_size_range_is_enforced_to_the_byte(gs):
    post = msc.generate_presigned_post("msc://gs/inbox/*", min_size=10, max_size=100)
    assert upload(post, b"x" * 101, filename="big.bin").status_code == 400
    assert upload(post, b"x" * 9, filename="small.bin").status_code == 400
    assert not gs.objects and any("EntityTooLarge" in r or "over the policy" in r for r in gs.refusals)
    assert upload(post, b"x" * 100, filename="edge.bin").status_code == 204
    assert upload(post, b"x" * 10, filename="low.bin").status_code == 204
    assert set(gs.objects) == {(BUCKET, "pre/inbox/edge.bin"), (BUCKET, "pre/inbox/low.bin")}


def test_a_key_outside_the_policy_is_refused(gs):
    box = msc.generate_presigned_post("msc://gs/inbox/*", max_size=100)
    assert upload(box, b"x", key="pre/other/${filename}").status_code == 403
    assert upload(box, b"x", key="pre/inbox-2/x.bin").status_code == 403
    one = msc.generate_presigned_post("msc://gs/data/one.bin", max_size=100)
    assert upload(one, b"x", key="pre/data/two.bin").status_code == 403
    assert upload(one, b"x", key=None).status_code == 400  # no key at all
    assert not gs.objects


def test_an_expired_or_tampered_policy_is_refused(gs):
    with freeze_clock(datetime.now(timezone.utc) - timedelta(hours=2)):
        old = msc.generate_presigned_post("msc://gs/inbox/*", max_size=100, expires_in=3600)
    assert upload(old, b"x").status_code == 403 and "Policy expired" in gs.refusals[-1]
    post = msc.generate_presigned_post("msc://gs/inbox/*", max_size=100)
    wider = policy_of(post)
    wider["conditions"][0] = ["content-length-range", 0, 10**9]
    tampered = base64.b64encode(json.dumps(wider, separators=(",", ":")).encode()).decode()
    assert upload(post, b"x" * 200, policy=tampered).status_code == 403 and gs.refusals[-1] == "signature"
    signature = post.fields["x-goog-signature"]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert upload(post, b"x", **{"x-goog-signature": flipped}).status_code == 403
    assert upload(post, b"x", **{"x-goog-date": "20200101T000000Z"}).status_code == 403  # scope and signature
    assert not gs.objects


def test_every_field_sent_must_be_named_by_the_policy(gs):
    post = msc.generate_presigned_post("msc://gs/inbox/*", max_size=100, content_type="image/png")
    assert upload(post, b"x", **{"content-type": "text/html"}).status_code == 403  # not the exact type
    assert upload(post, b"x", **{"content-type": None}).status_code == 403  # the type is required
    assert upload(post, b"x", acl="public-read").status_code == 403 and "Extra input fields: acl" in gs.refusals[-1]
    assert upload(post, b"x", **{"x-ignore-note": "anything"}).status_code == 204  # x-ignore-* need no condition
    assert gs.objects == {(BUCKET, "pre/inbox/upload.bin"): (b"x", "image/png")}


def test_without_max_size_the_limit_is_gcs_own(gs):
    post = msc.generate_presigned_post("msc://gs/inbox/*")
    assert post.max_size == MAX_POST_SIZE == 5 * 2**40 and post.max_size_is_default and post.min_size == 0
    assert policy_of(post)["conditions"][0] == ["content-length-range", 0, 5 * 2**40]
    assert upload(post, b"small").status_code == 204


def test_the_url_follows_the_profiles_url_style(gs):
    virtual = msc.generate_presigned_post("msc://virt/inbox/*", max_size=100)
    bound = msc.generate_presigned_post("msc://cdn/a.txt", max_size=100)
    assert virtual.url == f"https://{BUCKET}.storage.googleapis.com/" and bound.url == "https://uploads.example.com/"
    assert {"bucket": BUCKET} in policy_of(virtual)["conditions"] and {"key": "a.txt"} in policy_of(bound)["conditions"]
    with pytest.raises(msc.SignerOptionError, match="replace the manifests of shares"):  # the whole bucket
        msc.generate_presigned_post("msc://virt/*", max_size=100)


def test_the_policy_lives_expires_in_and_says_so(gs):
    start = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=timezone.utc)
    with freeze_clock(start):
        post = msc.generate_presigned_post("msc://gs/inbox/*", max_size=100, expires_in=900)
    assert post.signed_at == start.replace(microsecond=0) and post.fields["x-goog-date"] == "20260301T120000Z"
    assert policy_of(post)["expiration"] == "2026-03-01T12:15:00Z" and post.expires_in == 900
    assert post.fields["x-goog-credential"] == f"{EMAIL}/20260301/auto/storage/goog4_request"
    assert post.warning is None and not post.limited_by_credentials


def test_the_stand_in_answers_as_success_action_status_or_redirect_says(gs):
    """What the conformance cases' success_action_* fields ask for, signed by post_policy itself."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    url = f"{gs.endpoint_url}/{BUCKET}/"
    for fields, status in (({"success_action_status": "201"}, 201), ({"success_action_status": "200"}, 200), ({}, 204)):
        signed = post_policy(SIGNER, url, BUCKET, "s.bin", expiration=60, timestamp=now, fields=fields)
        answer = requests.post(url, data=signed["fields"], files={"file": ("s.bin", b"ok")}, timeout=10)
        assert answer.status_code == status, gs.refusals
    assert "<Key>s.bin</Key>" in requests.post(url, data=post_policy(
        SIGNER, url, BUCKET, "s.bin", expiration=60, timestamp=now, fields={"success_action_status": "201"})["fields"],
        files={"file": ("s.bin", b"ok")}, timeout=10).text  # fmt: skip
    redirect = {"success_action_redirect": "http://example.com/done"}
    signed = post_policy(SIGNER, url, BUCKET, "r.bin", expiration=60, timestamp=now, fields=redirect)
    answer = requests.post(
        url, data=signed["fields"], files={"file": ("r.bin", b"ok")}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 303 and answer.headers["Location"].startswith("http://example.com/done?bucket=")
    with pytest.raises(ValueError, match="sets key itself"):
        post_policy(SIGNER, url, BUCKET, "r.bin", expiration=60, timestamp=now, fields={"key": "other"})


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_printed_curl_command_uploads_into_the_drop_box(gs, tmp_path):
    name = "my report's café ☕ v2 (final).txt"
    body = "naïve data, line 1\n".encode() * 50
    (tmp_path / name).write_bytes(body)
    post = msc.generate_presigned_post("msc://gs/inbox/*", max_size=len(body))
    command = post.curl(str(tmp_path / name))
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.stderr, gs.refusals)
    assert gs.objects[(BUCKET, f"pre/inbox/{name}")][0] == body
    (tmp_path / "big.txt").write_bytes(body + b"!")
    refused = subprocess.run(post.curl(str(tmp_path / "big.txt")), shell=True, capture_output=True, timeout=60)
    assert refused.returncode != 0 and (BUCKET, "pre/inbox/big.txt") not in gs.objects  # --fail: curl says so


def test_a_keyless_profile_signs_its_policy_through_sign_blob(edge, write_config):
    """The same signer as for URLs: a service account without a key signs the policy through IAM."""
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = "uploads-signer@dummy-project-id.iam.gserviceaccount.com"
    edge.public_keys[other] = signer_key.public_key()
    edge.objects.clear()
    with FakeIAM({other: signer_key}, grants={EMAIL: {other}}) as iam:
        write_config({"imp": {
            "storage_provider": {"type": "gcs", "options": {"base_path": BUCKET, "endpoint_url": edge.endpoint_url}},
            "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider",
                                     "options": {"info": {**KEY, "token_uri": f"{iam.endpoint_url}/token"}}},
            "presign": {"gcs": {"service_account": other, "iam_endpoint": iam.endpoint_url}},
        }})  # fmt: skip
        post = msc.generate_presigned_post("msc://imp/inbox/*", max_size=100)
        assert any(call.endswith(f"{other}:signBlob") for call in iam.calls)
    assert post.details.signed_by == other and "IAM signBlob" in post.details.credential_source
    assert post.fields["x-goog-credential"].startswith(f"{other}/")
    assert upload(post, b"keyless", filename="k.bin").status_code == 204, edge.refusals
    assert edge.objects[(BUCKET, "inbox/k.bin")][0] == b"keyless"
