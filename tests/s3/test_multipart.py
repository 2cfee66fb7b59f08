"""Multipart uploads of large files through presigned URLs, against the real SeaweedFS: the profile's
credentials create the upload, a recipient with none uploads the parts and completes it (with plain
requests, or the Python and shell scripts exactly as printed), or aborts it; bad input creates
nothing; faults on the creation leave exactly one upload, or none.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import BUCKET, seaweed_profile
from support import fault_proxy as faults
from support.fault_proxy import FaultProxy

import msc_notebook as msc
from msc_notebook.core._multipart import (
    MAX_PARTS,
    MAX_UPLOAD_SIZE,
    MIN_PART_SIZE,
    MultipartUpload,
    UploadPart,
    default_part_size,
    plan_parts,
)
from msc_notebook.s3 import _multipart as s3_multipart
from msc_notebook.testing import freeze_clock

pytestmark = pytest.mark.e2e  # real uploads of a few MiB, subprocess recipients, the fault proxy

MiB, GiB, TiB = 2**20, 2**30, 2**40
ROOT = "multipart"  # every key these tests write is under it: its uploads are what they check
AWKWARD_FILE = "big fïlé's 文件 (copy).bin"  # spaces, an apostrophe, unicode, parentheses
AWKWARD_KEY = f"{ROOT}/uploads/dätä set's #1+2=3.bin"


presign_multipart_upload = msc.presign_multipart_upload


def uploads(s3, prefix: str = ROOT) -> list[dict]:
    """The unfinished multipart uploads under ``prefix``."""
    return s3.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])


@pytest.fixture
def clean(s3):
    """No unfinished upload under ROOT before the test, and none left after it."""
    for upload in uploads(s3):
        s3.abort_multipart_upload(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])
    yield
    left = uploads(s3)
    for upload in left:
        s3.abort_multipart_upload(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])
    assert not left, f"the test left unfinished uploads: {[u['Key'] for u in left]}"


def recipient_env() -> dict[str, str]:
    """What a recipient has: no AWS or MSC variables, no AWS files."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MSC_"))}
    return {**env, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


def put_parts(upload: MultipartUpload, data: bytes) -> list[str]:
    """Each part PUT through its URL with plain requests (no credentials); the ETags answered."""
    etags = []
    for part in upload.parts:
        response = requests.put(part.url, data=data[part.offset : part.offset + part.length], timeout=60)
        assert response.status_code == 200, response.text
        etags.append(response.headers["ETag"])
    return etags


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# Through the presigned URLs


def test_three_parts_through_the_presigned_urls_make_the_object(demo_profile, s3, clean):
    data = os.urandom(10 * MiB + 12_345)
    key = f"{ROOT}/three parts ü.bin"
    upload = presign_multipart_upload(f"msc://demo/{key}", size=len(data), part_size="5MiB")
    assert (upload.bucket, upload.key, upload.size, upload.part_size) == (BUCKET, key, len(data), 5 * MiB)
    assert [(p.number, p.offset, p.length) for p in upload.parts] == [
        (1, 0, 5 * MiB), (2, 5 * MiB, 5 * MiB), (3, 10 * MiB, 12_345),
    ]  # fmt: skip
    assert upload.method == "PUT" and upload.signer_type == "s3" and upload.source == f"msc://demo/{key}"
    assert [u["UploadId"] for u in uploads(s3)] == [upload.upload_id]
    # one signing instant and one lifetime for every URL; each names the upload
    urls = [p.url for p in upload.parts] + [upload.complete_url, upload.abort_url]
    assert {query(url)["X-Amz-Date"] for url in urls} == {upload.signed_at.strftime("%Y%m%dT%H%M%SZ")}
    assert {query(url)["X-Amz-Expires"] for url in urls} == {"3600"}
    assert {query(url)["uploadId"] for url in urls} == {upload.upload_id}
    assert [query(p.url)["partNumber"] for p in upload.parts] == ["1", "2", "3"]
    assert upload.effective_expiry == upload.signed_at + timedelta(hours=1) and not upload.limited_by_credentials

    etags = put_parts(upload, data)
    response = requests.post(upload.complete_url, data=upload.complete_body(etags), timeout=60)
    assert response.status_code == 200 and "CompleteMultipartUploadResult" in response.text, response.text
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
    # the multipart ETag: the MD5 of the parts' MD5s, and their count
    digests = b"".join(hashlib.md5(data[p.offset : p.offset + p.length]).digest() for p in upload.parts)
    assert s3.head_object(Bucket=BUCKET, Key=key)["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-3"'
    assert uploads(s3) == []


def test_a_tampered_part_url_is_refused(demo_profile, s3, clean):
    upload = presign_multipart_upload(f"msc://demo/{ROOT}/tampered.bin", size=6 * MiB, part_size="5MiB")
    url = upload.parts[0].url
    signature = query(url)["X-Amz-Signature"]
    forged = url.replace(signature, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    another_part = url.replace("partNumber=1&", "partNumber=2&")
    body = b"x" * (5 * MiB)
    for bad in (forged, another_part):
        response = requests.put(bad, data=body, timeout=60)
        assert response.status_code == 403, response.text
    assert requests.delete(upload.abort_url, timeout=30).status_code == 204


def test_the_abort_url_ends_the_upload(demo_profile, s3, clean):
    upload = presign_multipart_upload(f"msc://demo/{ROOT}/aborted.bin", size=6 * MiB, part_size="5MiB")
    assert requests.put(upload.parts[0].url, data=b"a" * (5 * MiB), timeout=60).status_code == 200
    assert [u["UploadId"] for u in uploads(s3)] == [upload.upload_id]
    command = upload.abort_command()
    assert command.startswith("curl --fail -sS --connect-timeout 15 --max-time 300 -X DELETE '") and command in upload.unfinished_note
    subprocess.run(command, shell=True, check=True, env=recipient_env(), timeout=60)
    assert uploads(s3) == []
    response = requests.put(upload.parts[1].url, data=b"b", timeout=60)
    assert response.status_code == 404 and "NoSuchUpload" in response.text
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=BUCKET, Key=f"{ROOT}/aborted.bin")


def test_the_content_type_is_the_objects(demo_profile, s3, clean):
    key = f"{ROOT}/typed.csv"
    upload = presign_multipart_upload(f"msc://demo/{key}", size=3, content_type="text/csv")
    response = requests.post(upload.complete_url, data=upload.complete_body(put_parts(upload, b"a,b")), timeout=60)
    assert response.status_code == 200, response.text
    assert s3.head_object(Bucket=BUCKET, Key=key)["ContentType"] == "text/csv"


# The recipient's scripts, run as printed, with no credentials


@pytest.mark.parametrize("kind", ["python", "shell", "shell-odd-part-size"])
def test_the_recipient_scripts_upload_the_file_as_printed(demo_profile, s3, clean, tmp_path, kind):
    data = os.urandom(11 * MiB + 777)
    (tmp_path / AWKWARD_FILE).write_bytes(data)
    # an odd part size has no large divisor: the shell script reads with tail | head, not dd
    part_size = 2 * 2_621_447 if kind == "shell-odd-part-size" else "5MiB"
    upload = presign_multipart_upload(f"msc://demo/{AWKWARD_KEY}", size=len(data), part_size=part_size)
    if kind == "python":
        script = upload.python_script(AWKWARD_FILE)
        compile(script, "upload.py", "exec")
        (tmp_path / "upload.py").write_text(script)
        command = [sys.executable, "upload.py"]
    else:
        script = upload.shell_script(AWKWARD_FILE)
        assert ("dd if=" in script) == (kind == "shell")
        (tmp_path / "upload.sh").write_text(script)
        command = ["sh", "upload.sh"]  # dash on Debian: POSIX sh
    done = subprocess.run(command, cwd=tmp_path, env=recipient_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "uploaded" in done.stdout and str(len(data)) in done.stdout.replace(",", "")
    assert s3.get_object(Bucket=BUCKET, Key=AWKWARD_KEY)["Body"].read() == data
    assert uploads(s3) == []


@pytest.mark.parametrize("kind", ["python", "shell"])
def test_a_failed_script_says_how_to_abort(demo_profile, s3, clean, tmp_path, kind):
    data = os.urandom(6 * MiB)
    (tmp_path / AWKWARD_FILE).write_bytes(data)
    upload = presign_multipart_upload(f"msc://demo/{ROOT}/failed.bin", size=len(data), part_size="5MiB")
    script = upload.python_script(AWKWARD_FILE) if kind == "python" else upload.shell_script(AWKWARD_FILE)
    signature = query(upload.parts[1].url)["X-Amz-Signature"]
    script = script.replace(signature, "0" * len(signature))  # part 2's URL no longer works
    (tmp_path / "upload").write_text(script)
    command = [sys.executable, "upload"] if kind == "python" else ["sh", "upload"]
    done = subprocess.run(command, cwd=tmp_path, env=recipient_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "part 2" in done.stderr and "403" in done.stderr, done.stderr
    assert "abort it with" in done.stderr and upload.abort_command() in done.stderr
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=BUCKET, Key=f"{ROOT}/failed.bin")
    if kind == "python":  # its --abort gives the upload up
        aborted = subprocess.run([*command, "--abort"], cwd=tmp_path, env=recipient_env(), capture_output=True,
                                 text=True, timeout=60)  # fmt: skip
        assert aborted.returncode == 0 and "aborted" in aborted.stdout, aborted.stderr
    else:
        subprocess.run(upload.abort_command(), shell=True, check=True, env=recipient_env(), timeout=60)
    assert uploads(s3) == []


@pytest.mark.parametrize("kind", ["python", "shell"])
def test_a_script_refuses_a_file_of_another_size(demo_profile, s3, clean, tmp_path, kind):
    upload = presign_multipart_upload(f"msc://demo/{ROOT}/sized.bin", size=6 * MiB, part_size="5MiB")
    (tmp_path / "FILE").write_bytes(b"too short")
    script = upload.python_script() if kind == "python" else upload.shell_script()
    (tmp_path / "upload").write_text(script)
    command = [sys.executable, "upload"] if kind == "python" else ["sh", "upload"]
    done = subprocess.run(command, cwd=tmp_path, env=recipient_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "these URLs upload exactly" in done.stderr, done.stderr
    requests.delete(upload.abort_url, timeout=30)


def test_a_completion_answered_200_with_an_error_is_a_failure(tmp_path):
    """S3 may answer CompleteMultipartUpload 200 and put an <Error> in the body: the scripts fail."""
    import http.server
    import threading

    class Storage(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("ETag", '"0123"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code></Error>'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Storage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/b/k"
        upload = MultipartUpload(
            upload_id="u", source="msc://p/k", signer_type="s3", bucket="b", key="k", size=3, part_size=5 * MiB,
            parts=[UploadPart(1, f"{base}?partNumber=1&uploadId=u", 0, 3)], complete_url=f"{base}?uploadId=u",
            abort_url=f"{base}?uploadId=u&abort", signed_at=datetime.now(timezone.utc), expires_in=600,
        )  # fmt: skip
        (tmp_path / "FILE").write_bytes(b"abc")
        for name, script, command in (
            ("upload.py", upload.python_script(), [sys.executable, "upload.py"]),
            ("upload.sh", upload.shell_script(), ["sh", "upload.sh"]),
        ):
            (tmp_path / name).write_text(script)
            done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
            assert done.returncode == 1, (name, done.stdout)
            assert "not completed" in done.stderr and "InternalError" in done.stderr, (name, done.stderr)
    finally:
        server.shutdown()
        server.server_close()


# The completion body


def test_complete_body_lists_the_parts_in_order_with_quoted_etags():
    upload = _offline_upload(parts=3)
    by_order = upload.complete_body(['"aa"', "bb", '"cc"'])
    by_number = upload.complete_body({3: "cc", 1: '"aa"', 2: "bb"})
    assert by_order == by_number
    text = by_order.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.')
    assert re.findall(r"<Part><PartNumber>(\d+)</PartNumber><ETag>([^<]*)</ETag></Part>", text) == [
        ("1", '"aa"'), ("2", '"bb"'), ("3", '"cc"'),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "etags",
    [["a", "b"], ["a", "b", "c", "d"], {1: "a", 2: "b"}, {1: "a", 2: "b", 4: "c"}, {0: "z", 1: "a", 2: "b"},
     "abc", ["a", "", "c"], ["a", None, "c"]],
    ids=["too-few", "too-many", "map-missing", "map-wrong-number", "map-zero", "a-string", "empty", "none"],
)  # fmt: skip
def test_complete_body_refuses_etags_that_do_not_fit(etags):
    with pytest.raises(msc.SignerOptionError) as caught:
        _offline_upload(parts=3).complete_body(etags)
    assert caught.value.field == "etags" and isinstance(caught.value, ValueError)


def _offline_upload(parts: int, **fields) -> MultipartUpload:
    base = "https://s3.example.com/b/k"
    defaults = dict(
        upload_id="UPLOAD", source="msc://p/k", signer_type="s3", bucket="b", key="k", size=parts * 5 * MiB,
        part_size=5 * MiB,
        parts=[UploadPart(n, f"{base}?partNumber={n}&uploadId=UPLOAD&X-Amz-Signature=SECRET{n}", (n - 1) * 5 * MiB,
                          5 * MiB) for n in range(1, parts + 1)],
        complete_url=f"{base}?uploadId=UPLOAD&X-Amz-Signature=SECRETC", abort_url=f"{base}?uploadId=UPLOAD&X-Amz-Signature=SECRETA",
        signed_at=datetime(2026, 1, 1, tzinfo=timezone.utc), expires_in=3600,
    )  # fmt: skip
    return MultipartUpload(**{**defaults, **fields})


def test_it_pickles_and_its_repr_shows_no_url():
    upload = _offline_upload(parts=2, credential_expiry=datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc))
    again = pickle.loads(pickle.dumps(upload))
    assert vars(again) == vars(upload) and again.effective_expiry == upload.credential_expiry
    assert again.limited_by_credentials and "30 min" in again.warning
    for text in (repr(upload), repr(upload.parts)):
        assert "SECRET" not in text and "X-Amz" not in text and "https://" not in text
    assert "UPLOAD" in repr(upload) and "parts=2" in repr(upload)


# Part planning


@pytest.mark.parametrize(
    ("size", "part_size", "count"),
    [(50 * GiB, 8 * MiB, 6400), (TiB, 128 * MiB, 8192), (5 * TiB, GiB, 5120),
     (MAX_PARTS * 8 * MiB, 8 * MiB, MAX_PARTS), (MAX_PARTS * 8 * MiB + 1, 16 * MiB, 5001),
     (1, 8 * MiB, 1), (8 * MiB, 8 * MiB, 1), (8 * MiB + 1, 8 * MiB, 2)],
)  # fmt: skip
def test_the_default_part_size_fits_any_size_up_to_5_tib(size, part_size, count):
    plan = plan_parts(size)
    assert len(plan) == count and plan[0][1] == min(part_size, size) and default_part_size(size) == part_size
    _assert_valid(plan, size)


def test_the_default_part_size_is_the_aws_clis():
    """8 MiB doubled until 10,000 parts fit: s3transfer's choice, so the objects' multipart ETags agree."""
    from s3transfer.utils import ChunksizeAdjuster

    adjuster = ChunksizeAdjuster()
    for size in (9 * MiB, 79 * GiB, 80 * GiB, 333 * GiB, TiB + 1, 3 * TiB, 5 * TiB):
        assert default_part_size(size) == adjuster.adjust_chunksize(8 * MiB, size), size


@pytest.mark.parametrize(
    ("size", "part_size", "count"),
    [("20GB", "8MiB", 2385), ("12MiB", "5MiB", 3), (5 * TiB, "5GiB", 1024), (5 * MiB, 5 * MiB, 1),
     ("1.5GiB", 100_000_000, 17), (7, "5MiB", 1), (MAX_PARTS * MIN_PART_SIZE, MIN_PART_SIZE, MAX_PARTS)],
)  # fmt: skip
def test_a_part_size_asked_is_used(size, part_size, count):
    plan = plan_parts(size, part_size)
    assert len(plan) == count
    _assert_valid(plan, plan[-1][0] + plan[-1][1])


def _assert_valid(plan: list[tuple[int, int]], size: int) -> None:
    assert len(plan) <= MAX_PARTS and sum(length for _, length in plan) == size
    assert all(length >= MIN_PART_SIZE for _, length in plan[:-1]) and all(length <= 5 * GiB for _, length in plan)
    assert [offset for offset, _ in plan] == [sum(length for _, length in plan[:i]) for i in range(len(plan))]


@pytest.mark.parametrize(
    ("size", "part_size", "field", "says"),
    [(0, None, "size", "at least 1 byte"), (-5, None, "size", "at least 1 byte"),
     (MAX_UPLOAD_SIZE + 1, None, "size", "at most 5 TiB"), ("6TiB", None, "size", "at most 5 TiB"),
     ("lots", None, "size", "cannot read"), (1.5, None, "size", "a size in bytes"), (True, None, "size", "size"),
     (GiB, 5 * MiB - 1, "part_size", "between 5 MiB"), (GiB, "6GiB", "part_size", "between 5 MiB"),
     (GiB, "8 bananas", "part_size", "cannot read"),
     (100 * GiB, "5MiB", "part_size", "at least 10,737,419 bytes"), (5 * TiB, "512MiB", "part_size", "1.0 GiB")],
)  # fmt: skip
def test_sizes_outside_s3s_limits_name_their_field(size, part_size, field, says):
    with pytest.raises(msc.SignerOptionError) as caught:
        plan_parts(size, part_size)
    assert caught.value.field == field and says in str(caught.value), str(caught.value)


# Bad input creates nothing


@pytest.mark.parametrize(
    ("url", "options", "field"),
    [(f"msc://demo/{ROOT}/data/*", {}, "path"), (f"msc://demo/{ROOT}/a/../b.bin", {}, "path"),
     (f"msc://demo/{ROOT}/x.bin", {"size": 0}, "size"), (f"msc://demo/{ROOT}/x.bin", {"size": "6TiB"}, "size"),
     (f"msc://demo/{ROOT}/x.bin", {"part_size": "1MiB"}, "part_size"),
     (f"msc://demo/{ROOT}/x.bin", {"size": "100GiB", "part_size": "5MiB"}, "part_size"),
     (f"msc://demo/{ROOT}/x.bin", {"expires_in": 0}, "expires_in"),
     (f"msc://demo/{ROOT}/x.bin", {"expires_in": 8 * 24 * 3600}, "expires_in"),
     (f"msc://demo/{ROOT}/x.bin", {"expires_in": "1h"}, "expires_in"),
     (f"msc://demo/{ROOT}/x.bin", {"content_type": "text/csv\r\nx-amz-acl: public-read"}, "content_type")],
)  # fmt: skip
def test_bad_input_is_refused_before_anything_is_created(demo_profile, s3, clean, url, options, field):
    options = {"size": 6 * MiB, **options}
    with pytest.raises(msc.PresignError) as caught:
        presign_multipart_upload(url, **options)
    assert caught.value.field == field, caught.value
    assert uploads(s3) == []


def test_credentials_that_cut_the_lifetime_short_set_the_expiry(seaweedfs, write_config, s3, clean):
    expiry = (datetime.now(timezone.utc) + timedelta(minutes=10)).replace(microsecond=0)
    write_config({"expiring": seaweed_profile(seaweedfs, expiration=expiry.isoformat())})
    with pytest.warns(msc.CredentialExpiryWarning, match="expire at"):
        upload = presign_multipart_upload(f"msc://expiring/{ROOT}/short.bin", size=6 * MiB, expires_in=3600)
    assert upload.credential_expiry == expiry and upload.effective_expiry == expiry and upload.limited_by_credentials
    assert re.search(r"stops working after (9|10) min, not the 1 h requested", upload.warning), upload.warning
    assert requests.delete(upload.abort_url, timeout=30).status_code == 204


# After creation, failure aborts


def test_a_presigning_failure_after_creation_aborts_the_upload(demo_profile, s3, clean, monkeypatch):
    def broken(*args, **kwargs):
        assert len(uploads(s3)) == 1  # created, then this
        raise RuntimeError("presigning broke")

    monkeypatch.setattr(s3_multipart, "_presign", broken)
    with pytest.raises(RuntimeError, match="presigning broke"):
        presign_multipart_upload(f"msc://demo/{ROOT}/broken.bin", size=6 * MiB)
    assert uploads(s3) == []


def test_ctrl_c_after_creation_aborts_the_upload(demo_profile, s3, clean, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(s3_multipart, "_presign", interrupted)
    with pytest.raises(KeyboardInterrupt):
        presign_multipart_upload(f"msc://demo/{ROOT}/interrupted.bin", size=6 * MiB)
    assert uploads(s3) == []


def test_ctrl_c_during_the_creation_says_where_an_upload_may_lie(demo_profile, s3, clean, monkeypatch):
    client = msc.storage_client("demo").signer().client()

    def interrupted(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(client, "create_multipart_upload", interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        presign_multipart_upload(f"msc://demo/{ROOT}/interrupted early.bin", size=6 * MiB)
    note = "\n".join(caught.value.__notes__)
    assert "An upload may have been created" in note
    assert f"key '{ROOT}/interrupted early.bin' in bucket '{BUCKET}'" in note and "AbortMultipartUpload" in note


def test_an_upload_that_cannot_be_aborted_says_so(demo_profile, s3, clean, monkeypatch):
    client = msc.storage_client("demo").signer().client()

    def refused(**kwargs):
        raise ConnectionError("storage gone")

    monkeypatch.setattr(s3_multipart, "_presign", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("broke")))
    monkeypatch.setattr(client, "abort_multipart_upload", refused)
    with pytest.raises(RuntimeError, match="broke") as caught:
        presign_multipart_upload(f"msc://demo/{ROOT}/stuck.bin", size=6 * MiB)
    [upload] = uploads(s3)
    note = "\n".join(caught.value.__notes__)
    assert f"The multipart upload {upload['UploadId']} of msc://demo/{ROOT}/stuck.bin could not be aborted" in note
    assert "abort-multipart-upload" in note
    s3.abort_multipart_upload(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])  # by hand, then


# The fast path


def test_the_fast_path_signs_exactly_as_botocore(demo_profile):
    signer = msc.storage_client("demo").signer()
    status, credentials = signer._credentials.current()
    client = signer._signing_client(credentials)
    presigner = signer._fast_presigner(credentials)
    assert presigner is not None
    key, upload_id = f"{ROOT}/fast ü/~*'()!+=&.bin", "2~b1c-d_e.f+g/h=="
    with freeze_clock(datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)):
        fast = s3_multipart._presign(client, presigner, credentials, BUCKET, key, upload_id, 50, 900)
        slow = s3_multipart._presign(client, None, credentials, BUCKET, key, upload_id, 50, 900)
    assert fast == slow


def test_presigning_10000_parts(demo_profile, s3, clean, monkeypatch):
    """The figures: 10,000 parts through the fast path and through botocore (printed with -s)."""
    signer = msc.storage_client("demo").signer()
    status, credentials = signer._credentials.current()
    client = signer._signing_client(credentials)
    presigner = signer._fast_presigner(credentials)
    timings = {}
    for name, chosen in (("fast path", presigner), ("botocore", None)):
        started = time.perf_counter()
        parts, complete, abort, _ = s3_multipart._presign(client, chosen, credentials, BUCKET, f"{ROOT}/big",
                                                          "UPLOAD", MAX_PARTS, 3600)  # fmt: skip
        timings[name] = time.perf_counter() - started
        assert len(parts) == MAX_PARTS and len(set(parts)) == MAX_PARTS
    print(f"\n10,000 part URLs: fast path {timings['fast path'] * 1000:.0f} ms, botocore {timings['botocore']:.2f} s")
    assert timings["fast path"] < timings["botocore"] / 5
    started = time.perf_counter()
    upload = presign_multipart_upload(f"msc://demo/{ROOT}/huge.bin", size=MAX_PARTS * 5 * MiB, part_size="5MiB")
    whole = time.perf_counter() - started
    print(f"presign_multipart_upload with 10,000 parts (creation included): {whole * 1000:.0f} ms")
    assert len(upload.parts) == MAX_PARTS and upload.parts[-1].number == MAX_PARTS
    compile(upload.python_script(), "upload.py", "exec")
    subprocess.run(["sh", "-n"], input=upload.shell_script(), text=True, check=True)
    assert requests.delete(upload.abort_url, timeout=30).status_code == 204


# Faults on the creation, through the fault proxy

CREATE = "?uploads"  # CreateMultipartUpload's query (the completion's is ?uploadId=)
SHORT = 1


@pytest.fixture(scope="module")
def proxy(seaweedfs):
    with FaultProxy(seaweedfs.port) as proxy:
        yield proxy


@pytest.fixture
def faulty(proxy, seaweedfs, write_config):
    proxy.clear()
    raw = seaweed_profile(seaweedfs)
    raw["storage_provider"]["options"].update(endpoint_url=proxy.endpoint_url, connect_timeout=SHORT,
                                              read_timeout=SHORT)  # fmt: skip
    write_config({"faulty": raw})
    yield "faulty"
    proxy.clear()


def test_a_creation_answered_503_twice_is_retried_into_one_upload(faulty, proxy, s3, clean):
    proxy.add(faults.answer(503, "SlowDown"), method="POST", contains=CREATE, times=2)
    upload = presign_multipart_upload(f"msc://faulty/{ROOT}/retried.bin", size=6 * MiB, part_size="5MiB")
    assert proxy.count("POST", CREATE) == 3
    assert [u["UploadId"] for u in uploads(s3)] == [upload.upload_id]  # exactly one: no orphan
    data = os.urandom(6 * MiB)
    response = requests.post(upload.complete_url, data=upload.complete_body(put_parts(upload, data)), timeout=60)
    assert response.status_code == 200, response.text  # through the proxy: the URLs name its address
    assert s3.get_object(Bucket=BUCKET, Key=f"{ROOT}/retried.bin")["Body"].read() == data


def test_a_creation_whose_answer_was_lost_leaves_exactly_one_upload(faulty, proxy, s3, clean):
    proxy.add(faults.lose_answer(), method="POST", contains=CREATE)
    upload = presign_multipart_upload(f"msc://faulty/{ROOT}/lost.bin", size=6 * MiB, part_size="5MiB")
    assert proxy.count("POST", CREATE) == 2  # the first one was created, its answer lost
    assert [u["UploadId"] for u in uploads(s3)] == [upload.upload_id]  # the stray one was aborted
    assert requests.delete(upload.abort_url, timeout=30).status_code == 204


def test_a_refused_creation_speaks_of_credentials_and_leaves_nothing(faulty, proxy, s3, clean):
    proxy.add(faults.answer(403, "AccessDenied"), method="POST", contains=CREATE)
    with pytest.raises(msc.CredentialsError, match="403 AccessDenied.*credentials of profile 'faulty'"):
        presign_multipart_upload(f"msc://faulty/{ROOT}/refused.bin", size=6 * MiB)
    assert proxy.count("POST", CREATE) == 1 and uploads(s3) == []


def test_a_creation_that_keeps_failing_names_the_storages_answer(faulty, proxy, s3, clean):
    proxy.add(faults.answer(503, "SlowDown"), method="POST", contains=CREATE, times=None)
    with pytest.raises(msc.StorageWriteError) as caught:
        presign_multipart_upload(f"msc://faulty/{ROOT}/failing.bin", size=6 * MiB)
    message = str(caught.value)
    assert "503 SlowDown after 3 attempts" in message and f"msc://faulty/{ROOT}/failing.bin" in message, message
    assert "credential" not in message and caught.value.field == "path"
    assert proxy.count("POST", CREATE) == 3 and uploads(s3) == []


def test_a_creation_never_answered_ends_within_its_bound(faulty, proxy, s3, clean):
    proxy.add(faults.hold(30), method="POST", contains=CREATE, times=None)
    started = time.monotonic()
    with pytest.raises(msc.StorageTimeoutError) as caught:
        presign_multipart_upload(f"msc://faulty/{ROOT}/stalled.bin", size=6 * MiB)
    assert time.monotonic() - started < 3 * SHORT + 8
    assert "did not answer the creation of a multipart upload" in str(caught.value)
    assert "An upload may have been created" in str(caught.value)
    assert uploads(s3) == []  # held: none reached the server


def test_a_key_with_a_line_break_stays_in_its_place_in_the_scripts(tmp_path):
    upload = _offline_upload(parts=1, source="msc://p/a\nimport os; os._exit(7)\n#")
    python, shell = upload.python_script("a\nb"), upload.shell_script("a\nb")
    compile(python, "upload.py", "exec")
    assert python.splitlines()[0].startswith("# Uploads a file of") and "?import os" in python.splitlines()[0]
    subprocess.run(["sh", "-n"], input=shell, text=True, check=True)
    assert "os._exit(7)" not in "".join(
        line for line in python.splitlines() if not line.lstrip().startswith(("#", "TARGET"))
    )


# From the front ends: %presign, the command line, the widget's Abort and the history


def test_presign_makes_a_multipart_upload_past_five_gib_and_a_plain_put_below(ip, demo_profile, s3, clean, tmp_path):
    from conftest import run_cell
    from support.cli import run_cli

    from msc_notebook.frontends.notebook._history import history
    from msc_notebook.frontends.notebook._render import result_html, result_text
    from msc_notebook.frontends.notebook._result_widget import PresignResultWidget

    run_cell(ip, f"big = %presign msc://demo/{ROOT}/big.bin -m PUT --size 20GB -q")
    big = ip.user_ns["big"]
    assert isinstance(big, msc.MultipartUpload) and big.size == 20 * 10**9 and len(big.parts) == 2385  # 8 MiB parts
    run_cell(ip, f"small = %presign msc://demo/{ROOT}/small.bin -m PUT --size 5GiB -q")
    assert isinstance(ip.user_ns["small"], msc.PresignedURL)  # at or below 5 GiB: the plain PUT URL
    run_cell(ip, f"few = %presign msc://demo/{ROOT}/few.bin -m PUT --size 12MiB --parts 2 -q")
    few = ip.user_ns["few"]
    assert [p.length for p in few.parts] == [6 * MiB, 6 * MiB]

    widget = PresignResultWidget.for_result(few)
    facts = widget.facts
    assert facts["kind"] == "multipart" and facts["part_count"] == 2 and "12.0 MiB" in facts["upload_plan"]
    assert facts["shell_script"] == few.shell_script() and "costs storage" in facts["unfinished_note"]
    assert "Abort it with" in result_html(history.newest_first()[0]) and "multipart upload to" in result_text(
        history.newest_first()[0])
    assert PresignResultWidget.for_result(big).facts["shell_script"] is None  # 2,385 parts: written to a file instead
    assert "aborted, its parts are deleted" in widget.abort() and widget.facts["aborted"]
    assert {u["UploadId"] for u in uploads(s3)} == {big.upload_id}
    entry = next(f for f in history.newest_first() if f.abort_url == few.abort_url)
    assert entry.aborted  # the history keeps it: its Abort is gone
    compact = PresignResultWidget.for_facts(next(f for f in history.newest_first() if f.abort_url == big.abort_url),
                                            compact=True)  # fmt: skip
    assert "aborted" in compact.abort() and uploads(s3) == []  # from the history's facts alone

    printed = run_cli("presign", f"msc://demo/{ROOT}/cli.bin", "-m", "PUT", "--size", "6MiB", "--parts", "1")
    assert printed.returncode == 0 and printed.stdout.startswith("#!/bin/sh") and "curl" in printed.stdout
    data = os.urandom(6 * MiB)
    (tmp_path / "FILE").write_bytes(data)
    done = subprocess.run(["sh", "-c", printed.stdout], cwd=tmp_path, env=recipient_env(), capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert s3.get_object(Bucket=BUCKET, Key=f"{ROOT}/cli.bin")["Body"].read() == data
    for line, message in ((["--size", "20GB"], "size is for an upload (method PUT)"),
                          (["-m", "PUT", "--parts", "3"], "--parts needs size"),
                          (["-m", "PUT", "--size", "12MiB", "--parts", "5"], "under 5 MiB each")):  # fmt: skip
        refused = run_cli("presign", f"msc://demo/{ROOT}/x.bin", *line)
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
    assert uploads(s3) == []  # nothing created by a refused request
