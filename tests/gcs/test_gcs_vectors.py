"""Google's own V4 conformance vectors (googleapis/conformance-tests, storage/v1; see VECTORS.md):
every signing case gives its canonical request, string to sign and URL byte for byte, and every
case a gcs profile and our signer options can express gives ``expectedUrl`` through the public API.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import msc_notebook as msc
from msc_notebook.gcs._credentials import key_signer
from msc_notebook.gcs._v4 import V4Template
from msc_notebook.testing import freeze_clock

HERE = Path(__file__).parent
CASES = json.loads((HERE / "v4_signatures.json").read_text())["signingV4Tests"]
KEY = json.loads((HERE / "test_service_account.not-a-test.json").read_text())
SIGNER = key_signer(KEY, "the test", "the test key")
# The file's own inconsistency: its canonical request signs /test-bucket/test-object, while its
# string to sign and URL (which ours match) sign /test-object.
INCONSISTENT = {"Universe domain with virtual hosted style"}
# What a profile cannot say, and why (each is still checked at the signing level above).
NOT_EXPRESSIBLE = {
    "POST for resumable uploads": "POST with X-Goog-Resumable: the signer offers GET, PUT and HEAD",
    "Slashes in object name should not be URL encoded": "a signed header named header/name/with/slash",
    "Forward Slashes should not be stripped": "a leading '/' in an object name: msc://p//x means x, as in MSC",
    "Simple headers": "arbitrary signed headers: the only signed header option is content_type",
    "Headers with colons": "arbitrary signed headers",
    "Headers should be trimmed": "arbitrary signed headers",
    "Header value with multiple inline values": "arbitrary signed headers",
    "Customer-supplied encryption key": "CSEK headers are not a signer option",
    "List Objects": "a bucket-only URL: every URL names one object",
    "Query Parameter Encoding": "arbitrary query parameters (only response-content-disposition/-type)",
    "Query Parameter Ordering": "arbitrary query parameters",
    "Header Ordering": "arbitrary signed headers",
    "Signed Payload Instead of UNSIGNED-PAYLOAD": "a signed payload hash: uploads are UNSIGNED-PAYLOAD",
}


def when(case: dict) -> datetime:
    return datetime.fromisoformat(case["timestamp"].replace("Z", "+00:00"))


def template_of(case: dict) -> tuple[V4Template, str]:
    """The case's signing, and its URL path (as the expected URL has it)."""
    url = urlsplit(case["expectedUrl"])
    host = (case.get("hostname") or url.netloc).split(":")[0]
    template = V4Template(
        case["method"], url.scheme, url.netloc, host, KEY["client_email"], when(case), case["expiration"],
        case.get("headers") or {}, case.get("queryParameters") or {},
    )  # fmt: skip
    return template, url.path


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_every_signing_case_byte_for_byte(case):
    template, path = template_of(case)
    if case["description"] not in INCONSISTENT:
        assert template.canonical_request(path) == case["expectedCanonicalRequest"]
    assert template.string_to_sign(path) == case["expectedStringToSign"]
    assert template.url(path, SIGNER.sign) == case["expectedUrl"]


def profile_of(case: dict) -> tuple[dict, dict, dict]:
    """(storage options, presign gcs defaults, environment) that express ``case``."""
    options = {"base_path": case["bucket"]}
    endpoint = case.get("hostname") or case.get("clientEndpoint")
    if endpoint:
        scheme = case.get("scheme") or "https"
        options["endpoint_url"] = endpoint if "://" in endpoint else f"{scheme}://{endpoint}"
    presign = {}
    style = case.get("urlStyle")
    if style == "VIRTUAL_HOSTED_STYLE":
        presign["url_style"] = "virtual_hosted"
    elif style == "BUCKET_BOUND_HOSTNAME":
        presign.update(url_style="bucket_bound", bucket_bound_hostname=f"{case['scheme']}://{case['bucketBoundHostname']}")
    if case.get("universeDomain"):
        presign["universe_domain"] = case["universeDomain"]
    environment = {"STORAGE_EMULATOR_HOST": case["emulatorHostname"]} if case.get("emulatorHostname") else {}
    return options, presign, environment


EXPRESSIBLE = [c for c in CASES if c["description"] not in NOT_EXPRESSIBLE]


@pytest.mark.parametrize("case", EXPRESSIBLE, ids=[c["description"] for c in EXPRESSIBLE])
def test_every_case_a_profile_can_express_through_the_public_api(case, monkeypatch):
    options, presign, environment = profile_of(case)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = msc.StorageClientConfig.from_dict({"profiles": {"g": {
        "storage_provider": {"type": "gcs", "options": options},
        "credentials_provider": {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": KEY}},
        **({"presign": {"gcs": presign}} if presign else {}),
    }}}, "g")  # fmt: skip
    with freeze_clock(when(case)):
        url = msc.StorageClient(config).generate_presigned_url(
            case["object"], method=case["method"], signer_options={"expires_in": case["expiration"]}
        )
    assert url == case["expectedUrl"]
    assert url.signed_at == when(case) and url.signer_type == "gcs" and url.details.signed_by == KEY["client_email"]


def test_the_cases_that_do_not_apply_are_named_with_a_reason():
    assert set(NOT_EXPRESSIBLE) <= {c["description"] for c in CASES} and len(EXPRESSIBLE) == 16
