"""Sharing a prefix from plain S3 with one link, against a real S3 server (SeaweedFS).

The proof that a share works is a recipient who holds nothing but the link: a separate
Python process, without AWS or MSC settings and without a config, opens the Zarr dataset
through the manifest with zarr and fsspec and reads every array.
"""

from __future__ import annotations

import json
import pickle
import stat
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
import zarr
from conftest import BUCKET, READER_ACCESS_KEY, READER_SECRET_KEY, run_cell, seaweed_profile
from support.cli import run_cli
from support.http_client import fetch
from support.recipient import build_zarr_dataset, run_recipient

import msc_notebook as msc
from msc_notebook.core import _times as times
from msc_notebook.frontends._facts import result_facts
from msc_notebook.frontends.notebook._render import result_html, result_text
from msc_notebook.testing import freeze_clock

PREFIX = "shares/ocean data.zarr"  # a space in the prefix itself
SHARE = f"msc://demo/{PREFIX}/*"
MANY_PREFIX = "shares/many"
MANY = 1234  # more than one ListObjectsV2 page (1,000)
SOME_PREFIX = "shares/some"
SOME = 123  # enough for three pages of 50, and for max_objects 100 and 10


@pytest.fixture(scope="module")
def dataset(seaweedfs, tmp_path_factory):
    """The dataset under PREFIX, plus neighbours a share of PREFIX must leave out."""
    local = tmp_path_factory.mktemp("dataset") / "ocean.zarr"
    arrays = build_zarr_dataset(local)
    files = {path.relative_to(local).as_posix(): path.read_bytes() for path in local.rglob("*") if path.is_file()}
    client = seaweedfs.client()
    for relative, body in files.items():
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{relative}", Body=body)
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}2/zarr.json", Body=b"{}")  # a sibling: same start, not inside
    client.put_object(Bucket=BUCKET, Key="shares/outside.bin", Body=b"not shared")
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/", Body=b"")  # a folder marker, as consoles make them
    return arrays, files


def _put_numbered_objects(seaweedfs, prefix: str, count: int) -> list[str]:
    """``count`` small objects under ``prefix`` (each holds its own key), put concurrently; their keys in order."""
    client = seaweedfs.client()
    keys = [f"{prefix}/part {i:05d}.bin" for i in range(count)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=BUCKET, Key=key, Body=key.encode()), keys))
    return keys


@pytest.fixture(scope="module")
def many_objects(seaweedfs):
    return _put_numbered_objects(seaweedfs, MANY_PREFIX, MANY)


@pytest.fixture(scope="module")
def some_objects(seaweedfs):
    return _put_numbered_objects(seaweedfs, SOME_PREFIX, SOME)


@pytest.fixture
def reader(seaweedfs, write_config):
    """Profiles 'demo' (may write) and 'reader' (may only read and list) on the same bucket."""
    write_config(
        {
            "demo": seaweed_profile(seaweedfs),
            "reader": seaweed_profile(seaweedfs, access_key=READER_ACCESS_KEY, secret_key=READER_SECRET_KEY),
        }
    )
    return "reader"


@pytest.mark.e2e  # slow: a separate recipient process / 1,234 objects on the server
def test_a_recipient_with_only_the_link_reads_every_array(dataset, demo_profile, tmp_path):
    arrays, files = dataset
    share = msc.share_prefix(SHARE, expires_in=900)
    assert isinstance(share, str) and share.url == str(share) and share.count == len(files)
    assert share.total_bytes == sum(len(body) for body in files.values())
    assert share.expires_in == 900 and share.effective_expiry == share.signed_at + timedelta(seconds=900)
    assert share.source == SHARE and share.signer_type == "s3" and not share.limited_by_credentials
    # Keys relative to the prefix, in listing order; nothing from outside it, no folder marker.
    assert list(share.urls) == sorted(files, key=lambda key: key.encode()) == list(share.manifest["refs"])
    assert share.manifest["version"] == 1 and share.manifest["msc_notebook"]["count"] == len(files)
    assert all(share.manifest["refs"][key] == [url, 0, len(files[key])] for key, url in share.urls.items())
    assert share.details.manifest_location.startswith("msc://demo/.msc_notebook/shares/ocean data.zarr-")
    # Every URL is signed at the one instant, for the one lifetime.
    amz_date = f"X-Amz-Date={share.signed_at:%Y%m%dT%H%M%SZ}&X-Amz-Expires=900&"
    assert all(amz_date in url for url in [*share.urls.values(), str(share)])

    snippet = result_facts(share).zarr_snippet
    assert '"fo": ' + json.dumps(str(share)) in snippet and '"remote_protocol": "http"' in snippet
    received = run_recipient(tmp_path, snippet)
    assert received["imported"] == [] and received["title"] == "Ocean sample for the prefix-share tests"
    assert sorted(received["arrays"]) == sorted([*arrays, "sharded[3:5, 40:41]"])
    for path, data in arrays.items():
        np.testing.assert_array_equal(received["arrays"][path], data)
    np.testing.assert_array_equal(received["arrays"]["sharded[3:5, 40:41]"], arrays["sharded"][3:5, 40:41])


def test_without_consolidated_metadata_arrays_still_open_by_path(dataset, demo_profile):
    # zarr 3.1.6 lists a group's children through fsspec's ReferenceFileSystem only at the
    # top level (FsspecStore.list_dir looks for "/nested group/..." where the references
    # say "nested group/..."), so nested groups are found through consolidated metadata;
    # every array still opens by its path. The README says so.
    share = msc.share_prefix(SHARE)
    group = zarr.open_group("reference://", mode="r", storage_options=share.storage_options(), use_consolidated=False)
    assert sorted(name for name, _ in group.members()) == ["labels", "nested group", "sharded", "temperature"]
    for path, data in dataset[0].items():
        np.testing.assert_array_equal(group[path][:], data)


def test_the_manifest_is_a_json_object_at_the_link(dataset, demo_profile):
    share = msc.share_prefix(SHARE)
    response = fetch(str(share))
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.json() == share.manifest
    assert fetch(share.urls["zarr.json"]).content == dataset[1]["zarr.json"]


def test_a_tampered_url_in_a_copied_manifest_is_refused(dataset, demo_profile, tmp_path):
    from fsspec.implementations.reference import ReferenceNotReachable

    arrays, _ = dataset
    share = msc.share_prefix(SHARE)
    manifest = json.loads(json.dumps(share.manifest))
    chunk = "temperature/c/1/0"
    url = manifest["refs"][chunk][0]
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    manifest["refs"][chunk] = [url.replace(signature, signature[::-1])]
    copied = tmp_path / "copied.json"
    copied.write_text(json.dumps(manifest))
    options = {**share.storage_options(), "fo": str(copied)}
    group = zarr.open_group("reference://", mode="r", storage_options=options)
    np.testing.assert_array_equal(group["labels"][:], arrays["labels"])  # the untouched URLs still work
    with pytest.raises(ReferenceNotReachable) as refused:
        group["temperature"][:]
    assert "403" in repr(refused.value.__cause__) or "Forbidden" in repr(refused.value.__cause__)
    assert fetch(manifest["refs"][chunk][0]).status_code == 403


def test_an_expired_share_is_refused(dataset, demo_profile):
    # Signed "5 minutes ago" for one minute: the share is long dead, while the manifest's own
    # upload (signed at the same frozen time) is within the storage's 15-minute clock skew.
    past = times.utcnow() - timedelta(minutes=5)
    with freeze_clock(past):
        share = msc.share_prefix(SHARE, expires_in=60)
    assert share.expired and share.seconds_left() < -200
    assert fetch(str(share)).status_code == 403
    with pytest.raises(msc.PrefixShareError, match="expired at .*: its manifest and URLs no longer open"):
        share.url_list()  # a share reads its URLs back through its link: a dead link, no URLs


@pytest.mark.e2e  # slow: 1,234 objects on the server
def test_a_prefix_with_more_than_one_listing_page_is_shared_whole(many_objects, demo_profile):
    share = msc.share_prefix(f"msc://demo/{MANY_PREFIX}/*", progress=False)
    assert share.count == MANY and list(share.urls) == [key.split("/", 2)[2] for key in many_objects]
    assert share.total_bytes == sum(len(key) for key in many_objects)
    for key in (many_objects[0], many_objects[999], many_objects[1000], many_objects[-1]):  # around the page break
        assert fetch(share.urls[key.split("/", 2)[2]]).content == key.encode()
    with pytest.raises(msc.PrefixShareError, match="holds 1,234 objects, more than max_objects \\(1,000\\)"):
        msc.share_prefix(f"msc://demo/{MANY_PREFIX}/*", max_objects=1000)


def test_listing_pages_are_followed_to_the_end(some_objects, demo_profile, monkeypatch):
    """The same as above with pages of 50 (S3's are 1,000): the next-page token is followed."""
    monkeypatch.setattr("msc_notebook._client.LIST_PAGE_SIZE", 50)
    share = msc.share_prefix(f"msc://demo/{SOME_PREFIX}/*", progress=False)
    assert share.count == SOME and list(share.urls) == [key.split("/", 2)[2] for key in some_objects]
    for key in (some_objects[49], some_objects[50], some_objects[-1]):  # around a page break, and the last
        assert fetch(share.urls[key.split("/", 2)[2]]).content == key.encode()


def test_more_objects_than_max_objects_is_an_error_with_the_count(some_objects, demo_profile):
    with pytest.raises(msc.PrefixShareError, match="holds 123 objects, more than max_objects \\(100\\)") as error:
        msc.share_prefix(f"msc://demo/{SOME_PREFIX}/*", max_objects=100)
    assert "CloudFront" in str(error.value) and "sharding" in str(error.value) and error.value.field == "path"
    with pytest.raises(msc.PrefixShareError, match="holds more than 100 objects"):  # counting stops at 10x
        msc.share_prefix(f"msc://demo/{SOME_PREFIX}/*", max_objects=10)


def test_an_empty_prefix_is_an_error(seaweedfs, demo_profile):
    with pytest.raises(msc.PrefixShareError, match="nothing under msc://demo/no/such/prefix/\\* to share"):
        msc.share_prefix("msc://demo/no/such/prefix/*")


def test_credentials_that_cannot_write_get_an_error_offering_other_places(dataset, reader, tmp_path):
    with pytest.raises(msc.PrefixShareError) as error:
        msc.share_prefix(f"msc://reader/{PREFIX}/*")
    message = str(error.value)
    assert "cannot write the share's manifest to msc://reader/.msc_notebook/shares/" in message
    assert "403 AccessDenied" in message and "manifest_url='msc://" in message and "file:///" in message
    assert "X-Amz" not in message and READER_SECRET_KEY not in message and error.value.field == "manifest_url"
    # The same identity can share through a manifest written locally (and sent by the user).
    path = tmp_path / "my share.json"
    share = msc.share_prefix(f"msc://reader/{PREFIX}/*", manifest_url=path.as_uri())
    assert str(share) == path.as_uri() and share.details.manifest_location == path.as_uri()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # its URLs open the data: owner only
    assert json.loads(path.read_text()) == share.manifest
    assert share.storage_options()["fo"] == "my share.json"  # the recipient has the file, not this path
    group = zarr.open_group("reference://", mode="r", storage_options={**share.storage_options(), "fo": str(path)})
    np.testing.assert_array_equal(group["nested group/counts"][:], dataset[0]["nested group/counts"])
    # A folder: a new file in it.
    in_folder = msc.share_prefix(f"msc://reader/{PREFIX}/*", manifest_url=tmp_path.as_uri() + "/")
    assert Path(in_folder.details.manifest_location.removeprefix("file://")).parent == tmp_path


def test_the_manifest_can_go_to_another_place_or_profile(dataset, reader):
    share = msc.share_prefix(f"msc://reader/{PREFIX}/*", manifest_url="msc://demo/handed-out/ocean.json")
    assert share.details.manifest_location == "msc://demo/handed-out/ocean.json"
    assert fetch(str(share)).json()["refs"] == share.manifest["refs"]
    assert share.urls["zarr.json"].count(READER_ACCESS_KEY) == 1  # objects signed by the sharing profile
    folder = msc.share_prefix(SHARE, manifest_url="msc://demo/handed-out/")
    assert folder.details.manifest_location.startswith("msc://demo/handed-out/ocean data.zarr-")
    with pytest.raises(msc.PrefixShareError, match="cannot write the share's manifest to msc://reader/elsewhere.json"):
        msc.share_prefix(SHARE, manifest_url="msc://reader/elsewhere.json")


def test_sharing_the_whole_profile_leaves_out_earlier_shares_manifests(seaweedfs, write_config):
    write_config({"root": seaweed_profile(seaweedfs, base_path=f"{BUCKET}/root-share")})
    client = seaweedfs.client()
    for key in ("a.txt", "sub/b.txt"):
        client.put_object(Bucket=BUCKET, Key=f"root-share/{key}", Body=key.encode())
    first = msc.share_prefix("msc://root/*")
    second = msc.share_prefix("msc://root/*")
    assert list(first.urls) == list(second.urls) == ["a.txt", "sub/b.txt"]
    assert first.details.manifest_location.startswith("msc://root/.msc_notebook/shares/root-")
    assert first.details.manifest_location != second.details.manifest_location  # never overwritten


def test_credentials_that_expire_first_cap_the_share_and_warn(dataset, seaweedfs, write_config):
    expiration = (times.utcnow() + timedelta(minutes=10)).replace(microsecond=0)
    write_config({"demo": seaweed_profile(seaweedfs, expiration=expiration.isoformat())})
    with pytest.warns(msc.CredentialExpiryWarning, match="expire at"):
        share = msc.share_prefix(SHARE, expires_in=3600)
    assert share.credential_expiry == expiration == share.effective_expiry
    assert share.limited_by_credentials and "requested" in share.warning
    assert share.manifest["msc_notebook"]["expires"] == expiration.isoformat()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        msc.share_prefix(SHARE, expires_in=3600, warn=False)


@pytest.mark.parametrize(
    "url, kwargs, error, message",
    [
        ("msc://demo/shares/ocean data.zarr", {}, msc.InvalidStorageURLError, "names one object; .* end it with /\\*"),
        (SHARE, {"max_objects": 0}, msc.SignerOptionError, "max_objects must be a positive"),
        (SHARE, {"signer_options": {"content_disposition": "x"}}, msc.SignerOptionError, "takes only expires_in"),
        (SHARE, {"expires_in": 8 * 86400}, msc.SignerOptionError, "7 days"),
        (SHARE, {"manifest_url": "https://example.com/m.json"}, msc.InvalidStorageURLError, "manifest_url: .*file:///"),
        (SHARE, {"manifest_url": "file://otherhost/m.json"}, msc.SignerOptionError, "names another host"),
        (SHARE, {"manifest_url": "file:///no/such/folder/m.json"}, msc.PrefixShareError, "does not exist"),
        (SHARE, {"manifest_url": "msc://demo/m/*"}, msc.InvalidStorageURLError, "not a prefix"),
        (SHARE, {"manifest_url": "msc://nope/m.json"}, msc.UnknownProfileError, "'nope'"),
        ("msc://demo/shares/../secret/*", {}, msc.InvalidStorageURLError, "a key with a '.' or '..' segment"),
    ],
)
def test_bad_requests_fail_before_anything_is_listed(dataset, demo_profile, url, kwargs, error, message):
    with pytest.raises(error, match=message):
        msc.share_prefix(url, **kwargs)


def test_cloudfront_shares_the_prefix_as_its_one_wildcard_url(write_config, cloudfront_key_file):
    from support.cloudfront import DOMAIN, cloudfront_profile

    write_config({"cf": cloudfront_profile(cloudfront_key_file)})
    share = msc.share_prefix("msc://cf/results/experiment.zarr/*", signer_type="cloudfront", expires_in=7200)
    assert isinstance(share, msc.PrefixShare) and share.startswith(f"https://{DOMAIN}/results/experiment.zarr/*?")
    assert share.details.policy == "custom" and share.expires_in == 7200 and share.count is None
    assert share.fsspec_url == f"https://{DOMAIN}/results/experiment.zarr/"
    assert share.storage_options() == msc.fsspec_storage_options(str(share))
    with pytest.raises(msc.SignerOptionError, match="shared as one URL that covers the prefix, not as a list"):
        share.url_list()
    with pytest.raises(msc.SignerOptionError, match="has no manifest"):
        msc.share_prefix("msc://cf/x/*", signer_type="cloudfront", manifest_url="file:///tmp/m.json")
    # The widget shows it as the wildcard URL it is.
    facts = result_facts(share)
    assert facts.kind == "url" and facts.wildcard_base == share.fsspec_url and '"params"' in facts.zarr_snippet


def test_url_list_is_one_url_a_line_in_listing_order(dataset, demo_profile):
    share = msc.share_prefix(SHARE)
    lines = share.url_list().splitlines()
    assert lines == list(share.urls.values())
    aria2c = share.url_list(aria2c=True).splitlines()
    assert aria2c[0::2] == lines and aria2c[1::2] == [f"  out={key}" for key in share.urls]
    assert fetch(lines[0]).status_code == 200


def test_progress_bars_show_listing_and_signing_when_asked(some_objects, demo_profile, capsys):
    msc.share_prefix(f"msc://demo/{SOME_PREFIX}/*", progress=True)
    shown = capsys.readouterr().err
    assert f"listing msc://demo/{SOME_PREFIX}/*" in shown and f"signing {SOME} URLs" in shown
    msc.share_prefix(f"msc://demo/{SOME_PREFIX}/*", progress=False)
    assert capsys.readouterr().err == ""


def test_the_history_keeps_a_share_s_facts_not_its_urls(dataset, demo_profile):
    from msc_notebook.frontends.notebook._history import history

    share = msc.share_prefix(SHARE, progress=False)
    urls, manifest = share.urls, share.manifest
    history.add(share)
    del share
    # Only the two names here (and getrefcount's argument) hold them: dropping a share frees its URLs.
    assert sys.getrefcount(urls) == 2 and sys.getrefcount(manifest) == 2
    facts = history.newest_first()[0]
    assert facts.kind == "share" and facts.object_count == len(dataset[1]) and "refs" not in repr(facts)


def test_a_share_pickles_with_its_facts(dataset, demo_profile):
    share = msc.share_prefix(SHARE)
    copy = pickle.loads(pickle.dumps(share))
    assert copy == share and copy.urls == share.urls and copy.manifest == share.manifest
    assert copy.effective_expiry == share.effective_expiry and copy.details == share.details
    assert "count=" in repr(share) and "X-Amz-Signature" in repr(share)


# The front ends: %presign and the widget facts, through the one request module.


def test_presign_magic_shares_a_prefix_with_the_s3_signer(ip, dataset, demo_profile):
    executed, captured = run_cell(ip, f'%presign "{SHARE}" -e 2h')
    share = executed.result
    assert isinstance(share, msc.PrefixShare) and share.count == len(dataset[1]) and share.expires_in == 7200
    text = captured.outputs[0].data["text/plain"]
    assert text.startswith(f"share of {SHARE} (s3 signer), valid until") and str(share) in text.splitlines()
    assert f"{share.count} objects" in text and "snapshot" in text
    html = captured.outputs[0].data["text/html"]
    assert "reference://" in html and "&quot;asynchronous&quot;: True" in html and "snapshot" in html
    assert "ocean data.zarr" in html and "<script" not in html


def test_presign_list_prints_every_url(ip, dataset, demo_profile):
    _, captured = run_cell(ip, f'share = %presign "{SHARE}" --list')
    result = ip.user_ns["share"]
    assert isinstance(result, msc.PrefixShare) and captured.outputs == []  # the list, not the widget too
    lines = captured.stdout.splitlines()
    assert len(lines) == len(dataset[1]) and all(line.startswith("http://127.0.0.1:") for line in lines)
    assert lines == list(result.urls.values()) and fetch(lines[-1]).status_code == 200


def test_presign_manifest_options(ip, dataset, demo_profile, tmp_path):
    target = tmp_path / "share.json"
    executed, _ = run_cell(ip, f'%presign "{SHARE}" --manifest-file "{target}" -q')
    share = executed.result
    assert str(share) == target.as_uri() and json.loads(target.read_text())["refs"] == share.manifest["refs"]
    executed, _ = run_cell(ip, f'%presign "{SHARE}" --manifest msc://demo/handed-out/by-magic.json -q')
    share = executed.result
    assert share.details.manifest_location == "msc://demo/handed-out/by-magic.json"


@pytest.mark.parametrize(
    "line, message",
    [
        ("msc://demo/k.bin --list", "--list is for sharing a prefix"),
        ("msc://demo/k.bin --manifest msc://demo/m.json", "--manifest is for sharing a prefix"),
        ("msc://demo/a/* -m PUT --manifest-file m.json", "--manifest-file is for sharing a prefix"),
        ("msc://demo/a/* --manifest msc://demo/m.json --manifest-file m.json", "give one of them"),
        ("msc://demo/a/* --signer cloudfront --list", "a CloudFront share is one wildcard URL"),
        ("msc://demo/a/* --download-as x.csv", "--download-as names one object; a prefix share cannot use it"),
    ],
)
def test_share_argument_errors_are_one_line(ip, demo_profile, line, message):
    _, captured = run_cell(ip, f"%presign {line}")
    shown = captured.stdout + captured.stderr
    assert message in shown and "Traceback" not in shown


def test_history_shows_shares(ip, dataset, demo_profile):
    run_cell(ip, f'%presign "{SHARE}" -q')
    _, captured = run_cell(ip, "%presign_history")
    assert "1 signed in this session" in captured.outputs[0].data["text/plain"]
    assert captured.outputs[1].data["text/plain"].startswith(f"share of {SHARE}")


def test_widget_facts_of_a_share_and_sign_again(dataset, seaweedfs, demo_profile):
    from msc_notebook.frontends.notebook._result_widget import PresignResultWidget

    request = msc.PresignRequest.from_inputs(SHARE, expires_in="15m")
    share = request.sign()
    assert request.output_text(share) == str(share)  # the command line prints the link alone
    widget = PresignResultWidget.for_result(share, request=request)
    facts = widget.facts
    assert facts["kind"] == "share" and facts["url"] == str(share) and facts["clickable"]
    assert facts["object_count"] == share.count and facts["total_size_text"].endswith("KiB")
    assert facts["manifest_location"] == share.details.manifest_location
    assert facts["effective_expiry_ms"] == int(share.effective_expiry.timestamp() * 1000)
    assert facts["expires_in_text"] == "15 min" and '"fo": ' + json.dumps(str(share)) in facts["zarr_snippet"]
    state = json.dumps(widget.get_state())
    assert seaweedfs.secret_key not in state and seaweedfs.secret_key not in result_html(result_facts(share))
    again = widget.sign_again()
    assert isinstance(again, msc.PrefixShare) and again.details.manifest_location != share.details.manifest_location
    assert widget.facts["url"] == str(again)
    listing = msc.PresignRequest.from_inputs(SHARE, url_list=True)
    assert listing.output_text(share) == share.url_list().rstrip("\n")


def test_static_renderings_escape_keys(seaweedfs, write_config):
    write_config({"demo": seaweed_profile(seaweedfs)})
    key = "escape/<b>&'\"/x.bin"
    seaweedfs.client().put_object(Bucket=BUCKET, Key=key, Body=b"x")
    share = msc.share_prefix("msc://demo/escape/<b>&'\"/*")
    html = result_html(result_facts(share))
    assert "<b>" not in html and "&lt;b&gt;&amp;" in html
    assert quote("<b>") in share.urls["x.bin"]
    assert result_text(result_facts(share)).splitlines()[2] == str(share)


def test_signed_at_is_whole_seconds_utc(dataset, demo_profile):
    share = msc.share_prefix(SHARE)
    assert share.signed_at.tzinfo == timezone.utc and share.signed_at.microsecond == 0
    assert abs(share.signed_at - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_the_command_line_prints_the_link_alone_or_the_url_list(dataset, demo_profile):
    done = run_cli("presign", SHARE, "-e", "15m")
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert "\n" not in link and fetch(link).json()["msc_notebook"]["count"] == len(dataset[1])
    assert done.stderr.startswith(f"share of {SHARE} ({len(dataset[1])} objects, ") and "a snapshot" in done.stderr
    listed = run_cli("presign", SHARE, "--list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == len(dataset[1]) and fetch(lines[0]).status_code == 200
    facts = json.loads(run_cli("presign", SHARE, "--json").stdout)
    assert facts["object_count"] == len(dataset[1]) and len(facts["urls"]) == len(dataset[1]) and facts["details"]["manifest_location"].startswith("msc://demo/")
    refused = run_cli("presign", "msc://demo/no/such/*")
    assert refused.returncode == 1 and refused.stdout == "" and "nothing under" in refused.stderr


def test_a_signer_that_cannot_sign_in_bulk_says_what_can(dataset, seaweedfs, write_config, monkeypatch):
    from msc_notebook.core import _signer

    monkeypatch.setattr(_signer, "_registered", {})  # registered for this test only

    class OneAtATime(msc.URLSigner):
        signer_type, methods, option_names = "single", ("GET",), frozenset({"expires_in"})

        def sign(self, request):
            raise AssertionError("not reached")

    msc.register_signer(OneAtATime, ["s3"])
    write_config({"demo": seaweed_profile(seaweedfs), "elsewhere": {"storage_provider": {"type": "oci",
                  "options": {"base_path": "b"}}}})  # fmt: skip
    with pytest.raises(msc.UnsupportedProviderError, match="S3, GCS and Azure signers .* CloudFront .* not with the single"):
        msc.share_prefix(SHARE, signer_type="single")
    with pytest.raises(msc.PresignError, match="manifest_url 'msc://elsewhere/m.json'") as error:
        msc.share_prefix(SHARE, manifest_url="msc://elsewhere/m.json")
    assert error.value.field == "manifest_url"


@pytest.mark.e2e
def test_share_widget_in_the_browser(dataset, seaweedfs, tmp_path):
    """JupyterLab in Chromium: the share's badge, link, copy button, contents, snapshot note,
    the recipient's snippet and the manifest's place, all as text; then Check, and Revoke (in
    the result and in the history) and a multipart upload's Abort, each doing what it says."""
    import yaml
    from support.browser import JupyterServer, chromium_page, open_and_run_all, server_env, write_notebook

    config = tmp_path / "msc_config.yaml"
    config.write_text(yaml.safe_dump({"profiles": {"demo": seaweed_profile(seaweedfs)}}))
    hostile = "shares/<img src=x onerror=alert(1)>"
    seaweedfs.client().put_object(Bucket=BUCKET, Key=f"{hostile}/zarr.json", Body=b"{}")
    write_notebook(tmp_path / "share.ipynb", [
        "%load_ext msc_notebook",
        f'share = %presign "{SHARE}" -e 10m',
        f'%presign "msc://demo/{hostile}/*"',
        "%presign msc://demo/multipart/browser.bin -m PUT --size 12MiB --parts 2",
        "%presign_history",
    ])  # fmt: skip
    jupyter = JupyterServer("lab", tmp_path, server_env(tmp_path / "home", config)).start()
    dialogs: list[str] = []
    try:
        with chromium_page(viewport={"width": 1200, "height": 900}) as page:
            page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=jupyter.base)
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            open_and_run_all(page, jupyter, "share.ipynb")
            results = page.locator("[data-testid=msc-presign-result]")
            results.nth(1).wait_for(timeout=60_000)
            widget = results.first
            assert widget.locator(".msc-presign-method").inner_text() == "SHARE"
            link = widget.locator("a[data-testid=msc-presign-link]")
            url = widget.locator("[data-testid=msc-presign-url]").inner_text().strip()
            assert link.get_attribute("href") == url and link.inner_text() == SHARE
            assert fetch(url).json()["msc_notebook"]["count"] == len(dataset[1])
            contents = widget.locator("[data-testid=msc-presign-share-contents]").inner_text()
            assert contents.startswith(f"{len(dataset[1])} objects, ") and "snapshot" in contents
            snippet = widget.locator("[data-testid=msc-presign-zarr]").inner_text()
            assert '"reference://"' in snippet and url in snippet
            assert "msc://demo/.msc_notebook/shares/" in widget.locator("[data-testid=msc-presign-manifest]").inner_text()
            assert "left" in widget.locator("[data-testid=msc-presign-countdown]").inner_text()
            copy = widget.locator("[data-testid=msc-presign-copy]")
            assert copy.inner_text() == "Copy link"
            copy.click()
            page.wait_for_function("() => navigator.clipboard.readText().then(t => t.startsWith('http'))")
            assert page.evaluate("() => navigator.clipboard.readText()") == url
            assert results.nth(1).locator("[data-testid=msc-presign-link]").inner_text() == f"msc://demo/{hostile}/*"
            assert page.locator("[data-testid=msc-presign-result] img").count() == 0 and dialogs == []

            widget.locator("[data-testid=msc-presign-check]").click()  # Check: fetched from the kernel, anonymously
            checked = widget.locator("[data-testid=msc-presign-check-result]")
            checked.wait_for(timeout=30_000)
            assert checked.get_attribute("data-works") == "true" and "the link: works" in checked.inner_text()
            assert "cannot be recalled" in widget.locator("[data-testid=msc-presign-revoke-note]").inner_text()
            revoke = widget.locator("[data-testid=msc-presign-revoke]")
            revoke.click()
            assert revoke.inner_text() == "Revoke: click again to confirm" and fetch(url).status_code == 200
            revoke.click()
            revoked = widget.locator("[data-testid=msc-presign-revoked]")
            revoked.wait_for(timeout=30_000)
            assert "its manifest is deleted, so the link no longer opens" in revoked.inner_text()
            assert widget.locator("[data-testid=msc-presign-countdown]").inner_text() == "revoked"
            assert fetch(url).status_code in (403, 404) and widget.locator("[data-testid=msc-presign-revoke]").count() == 0

            upload = results.nth(2)  # a multipart upload: Abort (two clicks) ends it
            assert "12.0 MiB" in upload.locator("[data-testid=msc-presign-upload-plan]").inner_text()
            upload.locator("[data-testid=msc-presign-abort]").click()
            upload.locator("[data-testid=msc-presign-abort]").click()
            upload.locator("[data-testid=msc-presign-aborted]").wait_for(timeout=30_000)
            assert seaweedfs.client().list_multipart_uploads(Bucket=BUCKET, Prefix="multipart/browser").get("Uploads") is None

            history = results.nth(4)  # %presign_history, newest first: the upload, then the second share, with Revoke
            hostile_url = results.nth(1).locator("[data-testid=msc-presign-url]").inner_text().strip()
            history.locator("[data-testid=msc-presign-revoke]").click()
            history.locator("[data-testid=msc-presign-revoke]").click()
            history.locator("[data-testid=msc-presign-revoked]").wait_for(timeout=30_000)
            assert fetch(hostile_url).status_code in (403, 404) and dialogs == []
    finally:
        jupyter.stop()


def test_a_profile_whose_paths_name_their_bucket_keeps_manifests_in_that_bucket(dataset, seaweedfs, write_config):
    profile = seaweed_profile(seaweedfs)
    del profile["storage_provider"]["options"]["base_path"]  # as MSC allows: msc://nb/BUCKET/key
    write_config({"nb": profile})
    share = msc.share_prefix(f"msc://nb/{BUCKET}/{PREFIX}/*")
    assert share.count == len(dataset[1]) and list(share.urls) == sorted(dataset[1], key=str.encode)
    assert share.details.manifest_location.startswith(f"msc://nb/{BUCKET}/.msc_notebook/shares/ocean data.zarr-")
    assert fetch(str(share)).json()["refs"] == share.manifest["refs"]
    assert fetch(share.urls["zarr.json"]).content == dataset[1]["zarr.json"]
    whole = msc.share_prefix(f"msc://nb/{BUCKET}/*", progress=False)  # the bucket's own manifests stay out
    assert f"{PREFIX}/zarr.json" in whole.urls and not any(key.startswith(".msc_notebook/") for key in whole.urls)


def test_shares_made_at_once_from_threads_each_get_their_own_manifest(dataset, demo_profile):
    with ThreadPoolExecutor(4) as pool:
        shares = list(pool.map(lambda _: msc.share_prefix(SHARE, progress=False), range(4)))
    assert len({share.details.manifest_location for share in shares}) == 4
    for share in shares:
        assert fetch(str(share)).json()["refs"] == share.manifest["refs"]


def test_a_share_reads_its_urls_back_through_its_link_only_when_asked(dataset, demo_profile, s3):
    share = msc.share_prefix(SHARE, progress=False)
    assert share._manifest is None  # nothing listed is kept in memory by the call itself
    assert isinstance(share, msc.ManifestShare) and share.count == len(share.urls) == len(dataset[1])
    key = share.details.manifest_location.removeprefix("msc://demo/")
    s3.delete_object(Bucket=BUCKET, Key=key)
    assert share.manifest["msc_notebook"]["count"] == share.count  # read once, then kept
    gone = msc.share_prefix(SHARE, progress=False)
    s3.delete_object(Bucket=BUCKET, Key=gone.details.manifest_location.removeprefix("msc://demo/"))
    with pytest.raises(msc.StorageError, match="cannot read the manifest of the share of .*: the storage answered 404"):
        gone.url_list()
