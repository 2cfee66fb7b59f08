"""GCS V4 URLs checked by a verifier written from Google's spec (msc_notebook/demo/gcs_edge.py),
compared with google-cloud-storage's own signer over generated keys, and refused before
signing whenever the input could not work. The private key is never shown.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization

import msc_notebook as msc
from msc_notebook.demo.gcs_edge import GCSEdge
from msc_notebook.testing import freeze_clock

KEY = json.loads((Path(__file__).parent / "test_service_account.not-a-test.json").read_text())
EMAIL = KEY["client_email"]
BUCKET = "test-bucket"
SERVICE_ACCOUNT = {"type": "GoogleServiceAccountCredentialsProvider", "options": {"info": KEY}}


def gcs_profile(*, base_path: str = BUCKET, endpoint_url: str | None = None, presign: dict | None = None,
                credentials: dict | None = SERVICE_ACCOUNT) -> dict:  # fmt: skip
    options = {"base_path": base_path, "project_id": "dummy-project-id"}
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    raw: dict = {"storage_provider": {"type": "gcs", "options": options}}
    if credentials:
        raw["credentials_provider"] = credentials
    if presign:
        raw["presign"] = {"gcs": presign}
    return raw


@pytest.fixture(scope="module")
def verifier():
    public = serialization.load_pem_private_key(KEY["private_key"].encode(), None).public_key()
    with GCSEdge({EMAIL: public}) as server:
        yield server


@pytest.fixture
def gcs(verifier, write_config):
    write_config({"gcs": gcs_profile(endpoint_url=verifier.endpoint_url),
                  "gcs-pre": gcs_profile(base_path=f"{BUCKET}/pre fix", endpoint_url=verifier.endpoint_url)})  # fmt: skip
    verifier.objects.clear()
    verifier.refusals.clear()
    return verifier


AWKWARD = ["plain.txt", "a b/c d.txt", "ünï/cødé ✓.bin", "we+ird=&?#%[]!$'()*,;:@.txt", "dou//ble", "~tilde-_."]


@pytest.mark.parametrize("key", AWKWARD)
def test_a_get_url_reads_the_object_and_nothing_else(gcs, key):
    gcs.objects[(BUCKET, key)] = (b"payload of " + key.encode(), "text/plain")
    url = msc.generate_presigned_url(f"msc://gcs/{key}", signer_options={"expires_in": 600})
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.content == b"payload of " + key.encode(), gcs.refusals
    assert url.signer_type == "gcs" and url.details.signed_by == EMAIL and url.details.key == key
    assert url.effective_expiry == url.signed_at + timedelta(seconds=600) and url.warning is None
    assert sorted(p.split("=")[0] for p in url.split("?")[1].split("&")) == sorted(
        ["X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires", "X-Goog-SignedHeaders",
         "X-Goog-Signature"])  # fmt: skip


def test_the_signature_binds_method_key_expiry_and_headers(gcs):
    gcs.objects[(BUCKET, "a.txt")] = (b"a", "text/plain")
    gcs.objects[(BUCKET, "b.txt")] = (b"b", "text/plain")
    url = str(msc.generate_presigned_url("msc://gcs/a.txt"))
    assert requests.get(url.replace("/a.txt?", "/b.txt?"), timeout=10).status_code == 403
    assert requests.get(url.replace("X-Goog-Expires=3600", "X-Goog-Expires=7200"), timeout=10).status_code == 403
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert requests.get(tampered, timeout=10).status_code == 403
    assert requests.put(url, data=b"x", timeout=10).status_code == 403  # a GET URL does not write
    head = msc.generate_presigned_url("msc://gcs/a.txt", method="HEAD")
    assert requests.head(head, timeout=10).status_code == 200 and requests.get(head, timeout=10).status_code == 403


def test_an_expired_url_is_refused(gcs):
    gcs.objects[(BUCKET, "old.txt")] = (b"old", "text/plain")
    with freeze_clock(datetime.now(timezone.utc) - timedelta(hours=2)):
        url = msc.generate_presigned_url("msc://gcs/old.txt", signer_options={"expires_in": 60})
    assert url.expired and requests.get(url, timeout=10).status_code == 403


def test_a_put_url_with_a_content_type_uploads_what_the_uploader_sends(gcs):
    url = msc.generate_presigned_url("msc://gcs-pre/up load.csv", method="PUT", signer_options={"content_type": "text/csv"})
    assert "X-Goog-SignedHeaders=content-type%3Bhost" in url and url.details.content_type == "text/csv"
    assert requests.put(url, data=b"a,b\n", timeout=10).status_code == 403  # the signed header is missing
    assert requests.put(url, data=b"a,b\n", headers={"Content-Type": "text/csv"}, timeout=10).status_code == 200
    assert gcs.objects[(BUCKET, "pre fix/up load.csv")] == (b"a,b\n", "text/csv")


def test_download_as_names_the_saved_file(gcs):
    gcs.objects[(BUCKET, "report-2026.bin")] = (b"r", "application/octet-stream")
    request = msc.PresignRequest.from_inputs("msc://gcs/report-2026.bin", download_as="Report ü.pdf")
    answer = requests.get(request.sign(), timeout=10)
    assert answer.status_code == 200 and "filename*=UTF-8''Report%20%C3%BC.pdf" in answer.headers["Content-Disposition"]


def test_google_cloud_storage_signs_the_same_urls(monkeypatch):
    # The differential: google-cloud-storage's Blob.generate_signed_url(version="v4"), its clock
    # frozen, over generated keys, methods and URL styles. Where the two differ the vectors decide.
    from google.cloud import storage
    from google.cloud.storage import _signing
    from google.oauth2 import service_account

    frozen = datetime(2026, 11, 30, 12, 34, 56, tzinfo=timezone.utc)
    monkeypatch.setattr(_signing, "_NOW", lambda tz=None: frozen)
    credentials = service_account.Credentials.from_service_account_info(KEY)
    bucket = storage.Client(project="p", credentials=credentials).bucket(BUCKET)
    styles = {"path": {}, "virtual_hosted": {"virtual_hosted_style": True},
              "bucket_bound": {"bucket_bound_hostname": "https://cdn.example.com"}}  # fmt: skip
    clients = {name: msc.StorageClient(msc.StorageClientConfig.from_dict({"profiles": {"g": gcs_profile(
        presign={"url_style": name, **({"bucket_bound_hostname": "https://cdn.example.com"} if name == "bucket_bound" else {})}
    )}}, "g")) for name in styles}  # fmt: skip
    generator = random.Random(20261202)
    alphabet = "abcXYZ019 -_.~!$&'()*+,;=:@/%?#[]üé✓\u00a0"
    with freeze_clock(frozen):
        for case in range(1000):
            key = "".join(generator.choice(alphabet) for _ in range(generator.randint(1, 40))).strip("/") or "k"
            if {".", ".."} & set(key.split("/")):
                key = key.replace(".", "_")  # a '.' segment is refused before signing: no URL can name it
            if case % 100 == 0:
                key = "k" * 1020 + "/end"  # 1,024 bytes: the longest name GCS takes
            method = ("GET", "PUT", "HEAD")[case % 3]
            style = list(styles)[case % 3 if case % 7 else 0]
            options = {"expires_in": 900, **({"content_type": "image/png"} if method == "PUT" else {})}
            ours = clients[style].generate_presigned_url(key, method=method, signer_options=options)
            theirs = bucket.blob(key).generate_signed_url(
                version="v4", expiration=timedelta(seconds=900), method=method,
                content_type=options.get("content_type"), **styles[style],
            )  # fmt: skip
            assert ours == theirs, (key, method, style)


@pytest.mark.parametrize(
    ("raw", "error", "words"),
    [
        (gcs_profile(base_path=""), msc.ConfigParseError, "base_path must name the bucket"),
        (gcs_profile(base_path="No_Such-BUCKET"), msc.ConfigParseError, "not a bucket name GCS accepts"),
        (gcs_profile(endpoint_url="https://user:pw@example.com"), msc.ConfigParseError, "must not carry a user name"),
        (gcs_profile(credentials={"type": "GoogleServiceAccountCredentialsProvider", "options": {"file": "/no/such.json"}}),
         msc.CredentialsError, "cannot read the key file /no/such.json"),
        (gcs_profile(credentials={"type": "GoogleServiceAccountCredentialsProvider",
                                  "options": {"info": {**KEY, "private_key": "-----BEGIN PRIVATE KEY-----\nnope"}}}),
         msc.CredentialsError, "not a readable PEM RSA key"),
        (gcs_profile(credentials={"type": "GoogleServiceAccountCredentialsProvider",
                                  "options": {"info": {"type": "authorized_user", "client_id": "x"}}}),
         msc.CredentialsError, "is not a service-account key"),
        (gcs_profile(credentials={"type": "GoogleServiceAccountCredentialsProvider", "options": {"file": "/etc/hostname"}}),
         msc.CredentialsError, "is not JSON"),
        (gcs_profile(presign={"url_style": "sideways"}), msc.SignerOptionError, "url_style must be one of"),
        (gcs_profile(presign={"url_style": "bucket_bound"}), msc.SignerOptionError, "bucket_bound_hostname must be"),
    ],
    ids=["no-bucket", "bad-bucket", "userinfo", "missing-file", "corrupt-key", "not-a-service-account", "not-json",
         "bad-style", "bound-without-host"],  # fmt: skip
)
def test_bad_input_is_one_clear_error_before_any_url_and_never_shows_the_key(write_config, raw, error, words):
    write_config({"g": raw})
    with pytest.raises(error, match=words) as caught:
        msc.generate_presigned_url("msc://g/x.txt")
    assert isinstance(caught.value, msc.PresignError) and not isinstance(caught.value, msc.UnsupportedProviderError)
    assert "PRIVATE KEY" not in str(caught.value) and KEY["private_key"][40:80] not in str(caught.value)


def test_a_key_file_and_the_environment_variables_msc_reads(tmp_path, write_config, monkeypatch):
    path = tmp_path / "key.json"
    path.write_text(json.dumps(KEY))
    write_config({"file": gcs_profile(credentials={"type": "GoogleServiceAccountCredentialsProvider",
                                                   "options": {"file": str(path)}}),
                  "env": gcs_profile(credentials=None)})  # fmt: skip
    assert msc.generate_presigned_url("msc://file/x").details.credential_source == f"the key file {path}"
    for name, value in (("GOOGLE_SERVICE_ACCOUNT_KEY", json.dumps(KEY)), ("GOOGLE_SERVICE_ACCOUNT", str(path))):
        with monkeypatch.context() as env:
            env.setenv(name, value)
            msc.clear_client_cache()
            assert msc.generate_presigned_url("msc://env/x").details.signed_by == EMAIL


def test_expires_in_is_one_second_to_seven_days(gcs):
    assert msc.generate_presigned_url("msc://gcs/x", signer_options={"expires_in": 604800}).expires_in == 604800
    with pytest.raises(msc.SignerOptionError, match="expires_in"):
        msc.generate_presigned_url("msc://gcs/x", signer_options={"expires_in": 604801})
    with pytest.raises(msc.SignerOptionError, match="expires_in"):
        msc.generate_presigned_url("msc://gcs/x", signer_options={"expires_in": 0})


def test_the_private_key_is_in_no_repr_or_facts(gcs):
    from msc_notebook.frontends._facts import result_facts

    url = msc.generate_presigned_url("msc://gcs/x")
    client = msc.storage_client("gcs")
    shown = repr(url) + repr(client) + repr(client.signer()) + json.dumps(result_facts(url).state())
    assert "PRIVATE KEY" not in shown and KEY["private_key"][40:80] not in shown


def test_many_threads_sign_from_first_use(gcs):
    from concurrent.futures import ThreadPoolExecutor

    msc.clear_client_cache()
    gcs.objects[(BUCKET, "t.txt")] = (b"t", "text/plain")
    with ThreadPoolExecutor(8) as pool:
        urls = list(pool.map(lambda _: msc.generate_presigned_url("msc://gcs/t.txt"), range(64)))
    assert len({url.details.signed_by for url in urls}) == 1
    assert all(requests.get(url, timeout=10).status_code == 200 for url in urls[::8])


def test_the_magic_shows_a_put_with_its_signed_content_type_and_the_profiles_table(gcs, ip):
    from conftest import run_cell

    result, captured = run_cell(ip, "%presign msc://gcs/up.csv -m PUT --content-type text/csv")
    html = captured.outputs[0].data["text/html"]
    assert "curl --fail --upload-file up.csv -H &#x27;Content-Type: text/csv&#x27;" in html
    assert "PRIVATE KEY" not in html
    _, table = run_cell(ip, "%presign_profiles")
    text = table.outputs[0].data["text/plain"]
    assert "gcs" in text and EMAIL in text


def test_the_curl_command_shown_for_a_put_uploads(gcs, tmp_path):
    import shlex
    import subprocess

    from msc_notebook.frontends._facts import result_facts

    url = msc.generate_presigned_url("msc://gcs/inbox/report.csv", method="PUT", signer_type=msc.SignerType.GCS,
                                     signer_options={"content_type": "text/csv"})  # fmt: skip
    (tmp_path / "report.csv").write_bytes(b"x,y\n1,2\n")
    command = result_facts(url).curl
    assert command is not None
    subprocess.run(shlex.split(command), cwd=tmp_path, check=True, capture_output=True, timeout=30)
    assert gcs.objects[(BUCKET, "inbox/report.csv")] == (b"x,y\n1,2\n", "text/csv")


def test_check_fetches_a_gcs_url_as_its_recipient_would(gcs):
    gcs.objects[(BUCKET, "checked.txt")] = (b"c", "text/plain")
    report = msc.generate_presigned_url("msc://gcs/checked.txt").check()
    assert report.works and report.probes[0].status in (200, 206)
    assert not msc.generate_presigned_url("msc://gcs/missing.txt").check().works


def test_many_urls_are_signed_in_worker_processes_identically_and_the_key_stays_off_their_command_line(
    gcs, monkeypatch
):
    import subprocess as real_subprocess

    from msc_notebook.gcs import _bulk

    launched = []

    class Recording(real_subprocess.Popen):
        def __init__(self, args, **kwargs):
            launched.append((args, kwargs.get("env")))
            super().__init__(args, **kwargs)

    signer = msc.storage_client("gcs").signer()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    paths = [f"chunks/c/{i}" for i in range(40)]
    serial = signer.sign_many(paths, expires_in=600, signed_at=now)
    monkeypatch.setattr(_bulk, "PARALLEL_FROM", 10)
    monkeypatch.setattr(_bulk.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_bulk.subprocess, "Popen", Recording)
    assert signer.sign_many(paths, expires_in=600, signed_at=now) == serial
    assert len(launched) == 2 and all(env is None and "PRIVATE" not in " ".join(args) for args, env in launched)
