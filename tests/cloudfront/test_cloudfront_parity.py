"""Byte for byte: our CloudFront Signature and Policy equal those of npm @aws-sdk/cloudfront-signer
for the same key, key pair id, policy and expiry (RSA PKCS#1 v1.5 is deterministic)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from support.cloudfront import DOMAIN, KEY_PAIR_ID, cloudfront_profile

import msc_notebook as msc
from msc_notebook.demo.cloudfront_edge import _url_b64decode

pytestmark = pytest.mark.e2e  # slow: browser, Jupyter, notebooks, the demo, Binder or npm

JS = Path(__file__).resolve().parents[1] / "js"


def node_sign(requests: list[dict]) -> list:
    if not (JS / "node_modules" / "@aws-sdk" / "cloudfront-signer").is_dir():
        pytest.skip("run `npm ci --prefix tests/js` (.ci/install does) to install @aws-sdk/cloudfront-signer")
    result = subprocess.run(
        [shutil.which("node") or "node", str(JS / "cloudfront_sign.js")],
        input=json.dumps(requests), capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(result.stdout)


def _params(url: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in url.partition("?")[2].split("&"))


@pytest.fixture
def cf(write_config, cloudfront_key_file):
    write_config({"cf": cloudfront_profile(cloudfront_key_file)})
    return msc.StorageClient(msc.StorageClientConfig.from_file("cf"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def test_same_signatures_and_policies_as_the_aws_js_sdk(cf, cloudfront_key_file):
    pem = cloudfront_key_file.read_text()
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
    ours = {
        "canned": cf.generate_presigned_url("datasets/model.bin", signer_type="cloudfront"),
        "wildcard": cf.generate_presigned_url("results/experiment.zarr/*", signer_type="cloudfront",
                                              signer_options={"expires_in": 86400}),
        "not_before": cf.generate_presigned_url("results/experiment.zarr/*", signer_type="cloudfront",
                                                signer_options={"not_before": start}),
        "ip": cf.generate_presigned_url("datasets/model.bin", signer_type="cloudfront",
                                        signer_options={"ip_range": "192.0.2.0/24"}),
    }  # fmt: skip
    cookies = {
        "canned": cf.generate_signed_cookies("datasets/model.bin"),
        "wildcard": cf.generate_signed_cookies("results/experiment.zarr/*", signer_options={"not_before": start}),
    }
    common = {"keyPairId": KEY_PAIR_ID, "privateKey": pem}

    def expiry(signed) -> str:
        return _iso(signed.effective_expiry)

    def policy_of(url) -> str:
        return _url_b64decode(_params(url)["Policy"]).decode()

    requests = [
        # Canned: the JS SDK builds the policy from the URL and expiry itself.
        {"kind": "url", "url": ours["canned"].details.resource, "dateLessThan": expiry(ours["canned"]), **common},
        # Custom, given our policy string: compares the signature and Policy encoding.
        {"kind": "url", "url": ours["wildcard"].details.resource, "policy": policy_of(ours["wildcard"]), **common},
        # Custom, built by the JS SDK from the same inputs: compares policy building too.
        {"kind": "url", "url": ours["not_before"].details.resource, "dateLessThan": expiry(ours["not_before"]),
         "dateGreaterThan": _iso(start), **common},
        {"kind": "url", "url": ours["ip"].details.resource, "dateLessThan": expiry(ours["ip"]),
         "ipAddress": "192.0.2.0/24", **common},
        {"kind": "cookies", "url": cookies["canned"].resource, "dateLessThan": expiry(cookies["canned"]), **common},
        {"kind": "cookies", "url": cookies["wildcard"].resource, "dateLessThan": expiry(cookies["wildcard"]),
         "dateGreaterThan": _iso(start), **common},
    ]  # fmt: skip
    canned, wildcard, not_before, ip, canned_cookies, wildcard_cookies = node_sign(requests)

    assert _params(canned) == _params(ours["canned"])
    assert set(_params(ours["canned"])) == {"Expires", "Signature", "Key-Pair-Id"}
    assert canned.partition("?")[0] == ours["canned"].partition("?")[0] == f"https://{DOMAIN}/datasets/model.bin"
    for theirs, mine in ((wildcard, ours["wildcard"]), (not_before, ours["not_before"]), (ip, ours["ip"])):
        assert _params(theirs) == _params(mine)
        assert set(_params(mine)) == {"Policy", "Signature", "Key-Pair-Id"}
    as_text = lambda cookie_map: {name: str(value) for name, value in cookie_map.items()}  # noqa: E731 (JS: a number)
    assert as_text(canned_cookies) == dict(cookies["canned"])
    assert as_text(wildcard_cookies) == dict(cookies["wildcard"])
    assert "CloudFront-Policy" in wildcard_cookies and "CloudFront-Expires" in canned_cookies
