"""Checking a link as its recipient would: anonymously, from here, in plain words, with the clock
skew between the storage and this machine; against SeaweedFS (S3) and a share's manifest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import BUCKET, run_cell, seaweed_profile
from support.cli import run_cli

import msc_notebook as msc
from msc_notebook.core import _times as times
from msc_notebook.testing import freeze_clock

PREFIX = "check/data"


@pytest.fixture(scope="module")
def objects(seaweedfs):
    client = seaweedfs.client()
    for index in range(6):
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/part {index}.bin", Body=b"x" * (index + 1))
    return client


def test_a_get_url_that_works_says_so_and_the_clocks_agree(objects, demo_profile):
    report = msc.generate_presigned_url(f"msc://demo/{PREFIX}/part 0.bin").check()
    [probe] = report.probes
    assert report.works and probe.outcome == "works" and probe.status in (200, 206)
    assert report.clock_skew is not None and abs(report.clock_skew) < 5 and report.warning is None
    assert str(report).startswith("the URL: works (20") and "agree within" in str(report)


def test_a_refused_url_names_the_storages_answer(objects, demo_profile):
    url = str(msc.generate_presigned_url(f"msc://demo/{PREFIX}/part 0.bin"))
    tampered = msc.PresignedURL(url[:-4] + ("0000" if not url.endswith("0000") else "1111"), method="GET",
                                source="x", signer_type="s3", signed_at=times.utcnow(), expires_in=60)  # fmt: skip
    report = tampered.check()
    assert not report.works and report.probes[0].outcome == "refused" and report.probes[0].status == 403
    assert "SignatureDoesNotMatch" in str(report)


GONE = {  # a profile whose endpoint nothing answers (the discard port)
    "storage_provider": {"type": "s3", "options": {"base_path": BUCKET, "endpoint_url": "http://127.0.0.1:9",
                                                   "region_name": "us-east-1"}},
    "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "AKIAX", "secret_key": "s"}},
}


def test_an_unreachable_endpoint_says_so_within_the_bound(write_config):
    write_config({"gone": GONE})
    report = msc.generate_presigned_url("msc://gone/x").check()
    assert not report.works and report.probes[0].outcome == "unreachable" and report.clock_skew is None


def test_a_put_url_is_not_fetched_but_the_clock_is_compared(objects, demo_profile, s3):
    url = msc.generate_presigned_url(f"msc://demo/{PREFIX}/never-written.bin", method="PUT")
    report = url.check()
    assert report.works and report.probes[0].outcome == "not fetched" and "would write" in str(report)
    assert report.clock_skew is not None
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/never-written")


def test_a_clock_off_by_minutes_is_a_warning_with_how_much(objects, demo_profile):
    url = msc.generate_presigned_url(f"msc://demo/{PREFIX}/part 1.bin")
    with freeze_clock(times.utcnow() - timedelta(minutes=7, seconds=30)):  # this machine's clock 7.5 minutes slow
        report = url.check()
    assert report.warning is not None and "7 min ahead of this machine's" in report.warning, report.warning


def test_a_share_checks_its_link_and_a_sample_of_its_objects(objects, demo_profile, s3):
    share = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    report = share.check(sample=3)
    assert report.works and [p.what for p in report.probes][0] == "the link" and len(report.probes) == 4
    assert {p.what for p in report.probes[1:]} <= {f"object part {i}.bin" for i in range(6)}
    assert "object part 0.bin" in {p.what for p in report.probes} and "object part 5.bin" in {p.what for p in report.probes}
    assert len(share.check(sample=0).probes) == 1
    with pytest.raises(msc.SignerOptionError, match="sample must be") as caught:
        share.check(sample=-1)
    assert caught.value.field == "sample"
    fresh = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    s3.delete_object(Bucket=BUCKET, Key=fresh.details.manifest_location.removeprefix("msc://demo/"))
    dead = fresh.check()
    assert not dead.works and [p.outcome for p in dead.probes] == ["refused"]  # no objects past a dead link


def test_the_magic_and_the_command_line_check(objects, seaweedfs, write_config, ip):
    write_config({"demo": seaweed_profile(seaweedfs), "gone": GONE})
    _, captured = run_cell(ip, f'%presign "msc://demo/{PREFIX}/part 2.bin" --check -q')
    assert "check, as an anonymous recipient from here: works" in captured.stdout
    done = run_cli("presign", f"msc://demo/{PREFIX}/*", "--check")
    assert done.returncode == 0 and "the link: works" in done.stderr and "object part" in done.stderr
    failed = run_cli("presign", "msc://gone/x.bin", "--check")
    assert failed.returncode == 1 and failed.stdout.startswith("http://127.0.0.1:9/")  # the URL is still printed
    assert "does NOT work as sent" in failed.stderr and "the URL: unreachable" in failed.stderr
